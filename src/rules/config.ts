// A resident's rules config as the core takes it, built in one place for the live runtime
// (from the store, which the config file seeds) and for replay and the evaluation (from the
// config file directly), so the two cannot drift apart.
import type { DeviceKind, DeviceRoom } from '../domain/types.ts';
import type { ResidentRulesConfig } from './state.ts';

/** a device as either source gives it */
export interface RulesDeviceSource {
  id: string;
  kind: DeviceKind;
  /** only a door can be inner (false); every other kind, and a door that does not say, counts as an entrance */
  entrance?: boolean | null;
  supervisionMs?: number | null;
  room?: DeviceRoom | null;
  emergencyActions?: readonly string[] | null;
}

export function isEntrance(kind: DeviceKind, entrance: boolean | null | undefined): boolean {
  return kind !== 'door' || entrance !== false;
}

export function rulesConfigFor(
  resident: { id: string; timezone: string; rules: ResidentRulesConfig['rules'] },
  devices: readonly RulesDeviceSource[],
): ResidentRulesConfig {
  return {
    residentId: resident.id,
    timezone: resident.timezone,
    rules: resident.rules,
    devices: devices.map((d) => ({
      id: d.id, kind: d.kind, entrance: isEntrance(d.kind, d.entrance), supervisionMs: d.supervisionMs ?? undefined,
      ...(d.room ? { room: d.room } : {}),
      ...(d.emergencyActions ? { emergencyActions: d.emergencyActions } : {}),
    })),
  };
}

/**
 * Does a receiver of this protocol serve the device? A device names its radio by an RFLink or a
 * jsonl key, not by a port, so every receiver of that protocol may be the one that hears it: an
 * outage of any of them is an outage for the device's home (the live runtime and replay both ask here).
 */
export function receiverServes(protocol: 'rflink' | 'jsonl', device: { rflink?: string | null; jsonl?: string | null }): boolean {
  return Boolean(protocol === 'jsonl' ? device.jsonl : device.rflink);
}
