export { AlertService, type AlertListener, type PersonAction } from './service.ts';
export { RulesRuntime } from './runtime.ts';
