export { configSchema, parseDuration } from './schema.ts';
export type { Config, ResidentConfig, DeviceConfig, ContactConfig, EscalationStep, SerialConfig, InactivityConfig, HourWindow } from './schema.ts';
export { loadConfig, parseConfig, ConfigError, keyPath } from './load.ts';
