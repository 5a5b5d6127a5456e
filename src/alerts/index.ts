export { AlertService } from './service.ts';
export { RulesRuntime } from './runtime.ts';
