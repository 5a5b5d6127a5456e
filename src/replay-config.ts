// A resident's rules config as the core takes it, from the config file (replay) — the live
// runtime builds the same shape from the store, which the config seeds.
import type { ResidentConfig } from './config/index.ts';
import type { ResidentRulesConfig } from './rules/index.ts';

export function replayConfigFor(resident: ResidentConfig, siteTimezone: string): ResidentRulesConfig {
  return {
    residentId: resident.id,
    timezone: resident.timezone ?? siteTimezone,
    rules: resident.rules,
    devices: resident.devices.map((d) => ({
      id: d.id, kind: d.kind, entrance: d.kind === 'door' ? d.entrance !== false : true, supervisionMs: d.supervision,
      ...(d.room ? { room: d.room } : {}),
      ...(d.emergencyActions ? { emergencyActions: d.emergencyActions } : {}),
    })),
  };
}
