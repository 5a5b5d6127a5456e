// Which resident and device a message belongs to: by device id (native MQTT), by
// zigbee2mqtt friendly name (bridged), by RFLink or jsonl key (serial receivers).
import type { DeviceSpec } from '../domain/types.ts';

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
  /** a resident's devices in the order they were added: start-up asks for every resident's */
  private byResident = new Map<string, Set<RegisteredDevice>>();

  replaceAll(devices: RegisteredDevice[]): void {
    this.byId.clear(); this.byZ2m.clear(); this.byRflink.clear(); this.byJsonl.clear(); this.byResident.clear();
    for (const d of devices) this.add(d);
  }

  add(device: RegisteredDevice): void {
    this.remove(device.id);
    this.byId.set(device.id, device);
    if (device.zigbee2mqtt) this.byZ2m.set(device.zigbee2mqtt, device);
    if (device.rflink) this.byRflink.set(device.rflink, device);
    if (device.jsonl) this.byJsonl.set(device.jsonl, device);
    let home = this.byResident.get(device.residentId);
    if (!home) this.byResident.set(device.residentId, home = new Set());
    home.add(device);
  }

  remove(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    if (old.zigbee2mqtt) this.byZ2m.delete(old.zigbee2mqtt);
    if (old.rflink) this.byRflink.delete(old.rflink);
    if (old.jsonl) this.byJsonl.delete(old.jsonl);
    const home = this.byResident.get(old.residentId);
    home?.delete(old);
    if (home?.size === 0) this.byResident.delete(old.residentId);
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
  ofResident(residentId: string): RegisteredDevice[] { return [...(this.byResident.get(residentId) ?? [])]; }
}
