export { AlertService } from './service.ts';
