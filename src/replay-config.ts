// A resident's rules config from the config file, for replay and the evaluation: the same
// builder the live runtime uses on the store's rows (rules/config.ts).
import type { ResidentConfig } from './config/index.ts';
import { rulesConfigFor, type ResidentRulesConfig } from './rules/index.ts';

export function replayConfigFor(resident: ResidentConfig, siteTimezone: string): ResidentRulesConfig {
  return rulesConfigFor(
    { id: resident.id, timezone: resident.timezone ?? siteTimezone, rules: resident.rules },
    resident.devices.map((d) => ({ ...d, supervisionMs: d.supervision })),
  );
}
