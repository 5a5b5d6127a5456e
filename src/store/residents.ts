// Residents, their contacts and devices: the registry every other part looks people and devices up in.
import type { Db } from './db.ts';
import { ConfigError, type ResidentConfig } from '../config/index.ts';
import type { DeviceKind, ContactRole, DeviceRoom } from '../domain/types.ts';

export interface ResidentRow {
  id: string;
  name: string;
  address: string;
  timezone: string;
  locale: 'en' | 'zh-CN';
  visitCycleMs: number | null;
  /** community / building */
  area: string | null;
  /** YYYY-MM-DD */
  birthday: string | null;
  rules: ResidentConfig['rules'];
  source: 'config' | 'api';
}

export interface ContactRow {
  id: number;
  residentId: string;
  name: string;
  phone: string;
  role: ContactRole;
  onCall: string | null;
  locale: 'en' | 'zh-CN' | null;
}

export interface DeviceRow {
  id: string;
  residentId: string;
  kind: DeviceKind;
  /** what people read; the id when none is set */
  name: string | null;
  room: DeviceRoom | null;
  entrance: boolean;
  secretHash: string | null;
  zigbee2mqtt: string | null;
  rflink: string | null;
  jsonl: string | null;
  supervisionMs: number | null;
  /** buttons: the actions that raise an emergency; null: the default */
  emergencyActions: string[] | null;
  /** jsonl: the fields that name the device; null: its port's */
  idFields: string[] | null;
  availability: 'online' | 'offline' | 'unknown';
  lastSeen: number | null;
  battery: number | null;
}

const residentCols = `id, name, address, timezone, locale, visit_cycle_ms AS visitCycleMs, area, birthday, rules, source`;
const deviceCols = `id, resident_id AS residentId, kind, name, room, entrance, secret_hash AS secretHash, zigbee2mqtt, rflink, jsonl,
  supervision_ms AS supervisionMs, emergency_actions AS emergencyActions, id_fields AS idFields, availability, last_seen AS lastSeen, battery`;

function residentFromRow(row: any): ResidentRow {
  return { ...row, rules: JSON.parse(row.rules) };
}
function deviceFromRow(row: any): DeviceRow {
  return {
    ...row, entrance: row.entrance === 1,
    emergencyActions: row.emergencyActions ? JSON.parse(row.emergencyActions) : null,
    idFields: row.idFields ? JSON.parse(row.idFields) : null,
  };
}
const jsonOrNull = (list: readonly string[] | null | undefined) => (list ? JSON.stringify(list) : null);

export function residentRepository(db: Db) {
  const stmts = {
    upsertResident: db.prepare(`INSERT INTO residents (id, name, address, timezone, locale, visit_cycle_ms, area, birthday, rules, source, created_at, updated_at)
      VALUES (@id, @name, @address, @timezone, @locale, @visitCycleMs, @area, @birthday, @rules, @source, @now, @now)
      ON CONFLICT(id) DO UPDATE SET name=excluded.name, address=excluded.address, timezone=excluded.timezone, locale=excluded.locale,
        visit_cycle_ms=excluded.visit_cycle_ms, area=excluded.area, birthday=excluded.birthday, rules=excluded.rules, source=excluded.source, updated_at=excluded.updated_at`),
    listResidents: db.prepare(`SELECT ${residentCols} FROM residents ORDER BY name, id`),
    getResident: db.prepare(`SELECT ${residentCols} FROM residents WHERE id = ?`),
    deleteContacts: db.prepare(`DELETE FROM contacts WHERE resident_id = ?`),
    insertContact: db.prepare(`INSERT INTO contacts (resident_id, name, phone, role, on_call, locale, position)
      VALUES (@residentId, @name, @phone, @role, @onCall, @locale, @position)`),
    contactsOf: db.prepare(`SELECT id, resident_id AS residentId, name, phone, role, on_call AS onCall, locale FROM contacts WHERE resident_id = ? ORDER BY position, id`),
    contactsByPhone: db.prepare(`SELECT id, resident_id AS residentId, name, phone, role, on_call AS onCall, locale FROM contacts WHERE phone = ?`),
    getContact: db.prepare(`SELECT id, resident_id AS residentId, name, phone, role, on_call AS onCall, locale FROM contacts WHERE id = ?`),
    upsertDevice: db.prepare(`INSERT INTO devices (id, resident_id, kind, name, room, entrance, secret_hash, zigbee2mqtt, rflink, jsonl, supervision_ms, emergency_actions, id_fields)
      VALUES (@id, @residentId, @kind, @name, @room, @entrance, @secretHash, @zigbee2mqtt, @rflink, @jsonl, @supervisionMs, @emergencyActions, @idFields)
      ON CONFLICT(id) DO UPDATE SET resident_id=excluded.resident_id, kind=excluded.kind, name=excluded.name, room=excluded.room, entrance=excluded.entrance,
        secret_hash=excluded.secret_hash, zigbee2mqtt=excluded.zigbee2mqtt, rflink=excluded.rflink, jsonl=excluded.jsonl,
        supervision_ms=excluded.supervision_ms, emergency_actions=excluded.emergency_actions, id_fields=excluded.id_fields`),
    listDevices: db.prepare(`SELECT ${deviceCols} FROM devices ORDER BY id`),
    devicesOf: db.prepare(`SELECT ${deviceCols} FROM devices WHERE resident_id = ? ORDER BY id`),
    getDevice: db.prepare(`SELECT ${deviceCols} FROM devices WHERE id = ?`),
    deleteDevicesNotIn: db.prepare(`DELETE FROM devices WHERE resident_id = ? AND id NOT IN (SELECT value FROM json_each(?))`),
  };

  return {
    /** Config residents seed the store on every start; the config is their source of truth. */
    seedFromConfig(residents: ResidentConfig[], siteTimezone: string, now: number): void {
      db.transaction(() => {
        // a resident edited through the API (source 'api') belongs to the API from then on:
        // the config file no longer overwrites it, its contacts or its devices
        const written = residents.filter((r) => (stmts.getResident.get(r.id) as { source: string } | undefined)?.source !== 'api');
        const clashes = keyClashes(residents, new Set(written.map((r) => r.id)), stmts.listDevices.all().map(deviceFromRow));
        if (clashes.length) throw new ConfigError(clashes);
        // devices gone from the config go first, so a key moving to a renamed device is free for it
        for (const r of written) stmts.deleteDevicesNotIn.run(r.id, JSON.stringify(r.devices.map((d) => d.id)));
        for (const r of written) {
          stmts.upsertResident.run({
            id: r.id, name: r.name, address: r.address, timezone: r.timezone ?? siteTimezone, locale: r.locale,
            visitCycleMs: r.visitCycle ?? null, area: r.area ?? null, birthday: r.birthday ?? null,
            rules: JSON.stringify(r.rules), source: 'config', now,
          });
          stmts.deleteContacts.run(r.id);
          r.contacts.forEach((c, position) =>
            stmts.insertContact.run({ residentId: r.id, name: c.name, phone: c.phone, role: c.role, onCall: c.onCall?.text ?? null, locale: c.locale ?? null, position }),
          );
          for (const d of r.devices) {
            stmts.upsertDevice.run({
              id: d.id, residentId: r.id, kind: d.kind, name: d.name ?? null, room: d.room ?? null, entrance: d.kind === 'door' && d.entrance === false ? 0 : 1,
              // a config device's secret stays in the config; the store never holds it
              secretHash: null, zigbee2mqtt: d.zigbee2mqtt ?? null, rflink: d.rflink ?? null, jsonl: d.jsonl ?? null,
              supervisionMs: d.supervision ?? null,
              emergencyActions: jsonOrNull(d.emergencyActions), idFields: jsonOrNull(d.idFields),
            });
          }
        }
      })();
    },
    upsertResident(r: Omit<ResidentRow, 'source' | 'area' | 'birthday'> & Partial<Pick<ResidentRow, 'area' | 'birthday'>> & { source?: 'config' | 'api' }, now: number): void {
      stmts.upsertResident.run({ area: null, birthday: null, ...r, rules: JSON.stringify(r.rules), source: r.source ?? 'api', now });
    },
    replaceContacts(residentId: string, contacts: Array<Omit<ContactRow, 'id' | 'residentId'>>): void {
      db.transaction(() => {
        stmts.deleteContacts.run(residentId);
        contacts.forEach((c, position) => stmts.insertContact.run({ residentId, ...c, position }));
      })();
    },
    /** emergencyActions and idFields not given: the device keeps what it has */
    upsertDevice(d: Omit<DeviceRow, 'availability' | 'lastSeen' | 'battery' | 'name' | 'room' | 'emergencyActions' | 'idFields'> & Partial<Pick<DeviceRow, 'name' | 'room' | 'emergencyActions' | 'idFields'>>): void {
      const before = d.emergencyActions === undefined || d.idFields === undefined ? stmts.getDevice.get(d.id) as { emergencyActions: string | null; idFields: string | null } | undefined : undefined;
      stmts.upsertDevice.run({
        name: null, room: null, ...d, entrance: d.entrance ? 1 : 0,
        emergencyActions: d.emergencyActions === undefined ? before?.emergencyActions ?? null : jsonOrNull(d.emergencyActions),
        idFields: d.idFields === undefined ? before?.idFields ?? null : jsonOrNull(d.idFields),
      });
    },
    listResidents: (): ResidentRow[] => stmts.listResidents.all().map(residentFromRow),
    getResident: (id: string): ResidentRow | undefined => {
      const row = stmts.getResident.get(id);
      return row ? residentFromRow(row) : undefined;
    },
    contactsOf: (residentId: string) => stmts.contactsOf.all(residentId) as ContactRow[],
    contactsByPhone: (phone: string) => stmts.contactsByPhone.all(phone) as ContactRow[],
    getContact: (id: number) => stmts.getContact.get(id) as ContactRow | undefined,
    listDevices: (): DeviceRow[] => stmts.listDevices.all().map(deviceFromRow),
    devicesOf: (residentId: string): DeviceRow[] => stmts.devicesOf.all(residentId).map(deviceFromRow),
    getDevice: (id: string): DeviceRow | undefined => {
      const row = stmts.getDevice.get(id);
      return row ? deviceFromRow(row) : undefined;
    },
  };
}
export type ResidentRepository = ReturnType<typeof residentRepository>;

const KEYS = [['id', 'device id'], ['zigbee2mqtt', 'zigbee2mqtt name'], ['rflink', 'rflink key'], ['jsonl', 'jsonl key']] as const;

/**
 * The config's checks see only the config. A device the store keeps for a resident this start
 * does not rewrite (one edited through the API, or a resident no longer in the config) may hold
 * an id or key a config device now claims: the store would refuse it with a raw UNIQUE error,
 * or move the device to another resident. Each such clash, named at its config key.
 */
export function keyClashes(residents: ResidentConfig[], written: Set<string>, stored: DeviceRow[]): string[] {
  const kept = stored.filter((d) => !written.has(d.residentId));
  const problems: string[] = [];
  residents.forEach((r, i) => {
    if (!written.has(r.id)) return;
    r.devices.forEach((device, j) => {
      for (const [key, what] of KEYS) {
        const value = device[key];
        const owner = value === undefined ? undefined : kept.find((d) => d[key] === value);
        if (owner) {
          problems.push(`residents[${i}].devices[${j}].${key}: ${what} ${value} is already device ${owner.id} of resident ${owner.residentId}, `
            + 'which the store keeps (edited through the API, or no longer in the config)');
        }
      }
    });
  });
  return problems;
}
