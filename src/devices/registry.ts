// Which resident and device a message belongs to: by device id (native MQTT), by
// zigbee2mqtt friendly name (bridged), by RFLink or jsonl key (serial receivers).
import type { DeviceKind, DeviceSpec } from '../domain/types.ts';

export interface RegisteredDevice extends DeviceSpec {
  residentId: string;
  zigbee2mqtt?: string | null;
  rflink?: string | null;
  jsonl?: string | null;
  /** jsonl: the fields of a line that name this device; none: the port's */
  idFields?: readonly string[] | null;
  supervisionMs?: number | null;
}

export class DeviceRegistry {
  private byId = new Map<string, RegisteredDevice>();
  private byZ2m = new Map<string, RegisteredDevice>();
  private byRflink = new Map<string, RegisteredDevice>();
  private byJsonl = new Map<string, RegisteredDevice>();

  replaceAll(devices: RegisteredDevice[]): void {
    this.byId.clear(); this.byZ2m.clear(); this.byRflink.clear(); this.byJsonl.clear();
    for (const d of devices) this.add(d);
  }

  add(device: RegisteredDevice): void {
    this.remove(device.id);
    this.byId.set(device.id, device);
    if (device.zigbee2mqtt) this.byZ2m.set(device.zigbee2mqtt, device);
    if (device.rflink) this.byRflink.set(device.rflink, device);
    if (device.jsonl) this.byJsonl.set(device.jsonl, device);
  }

  remove(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    if (old.zigbee2mqtt) this.byZ2m.delete(old.zigbee2mqtt);
    if (old.rflink) this.byRflink.delete(old.rflink);
    if (old.jsonl) this.byJsonl.delete(old.jsonl);
  }

  get(id: string): RegisteredDevice | undefined { return this.byId.get(id); }
  byFriendlyName(name: string): RegisteredDevice | undefined { return this.byZ2m.get(name); }
  byRflinkKey(key: string): RegisteredDevice | undefined { return this.byRflink.get(key); }
  byJsonlKey(key: string): RegisteredDevice | undefined { return this.byJsonl.get(key); }
  /** the distinct idFields that jsonl devices set for themselves */
  jsonlIdFieldSets(): Array<readonly string[]> {
    const sets = new Map<string, readonly string[]>();
    for (const d of this.byJsonl.values()) if (d.idFields) sets.set(d.idFields.join('\u0000'), d.idFields);
    return [...sets.values()];
  }
  all(): RegisteredDevice[] { return [...this.byId.values()]; }
  ofResident(residentId: string): RegisteredDevice[] { return this.all().filter((d) => d.residentId === residentId); }
  kindOf(id: string): DeviceKind | undefined { return this.byId.get(id)?.kind; }
}
