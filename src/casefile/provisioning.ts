// Provisioning (admin only): residents, contacts and devices created and edited through
// the API. A new device's secret is generated here, shown once, and stored only as a digest.
// Every change is written to audit_log with who, what and when (never a secret).
// A resident touched through the API gets source 'api': from then on the API, not the config
// file, is its source of truth.
import type { Db, ResidentRepository, AlertRepository, ContactRow, DeviceRow, ResidentRow } from '../store/index.ts';
import { generateSecret, hashSecret } from '../store/index.ts';
import type { CasefileRepository } from './repository.ts';
import { parseContact, parseDevice, parseResidentFields, type ResidentFields } from './validate.ts';
import { conflict, invalid, notFound } from './errors.ts';

export interface ProvisioningDeps {
  db: Db;
  residents: ResidentRepository;
  alerts: AlertRepository;
  repo: CasefileRepository;
  /** usernames the broker keeps for bridges: a device may not take one */
  bridgeUsernames: ReadonlySet<string>;
  /** a resident created without a timezone lives in the site's */
  siteTimeZone: string;
  now(): number;
  /** a config device's secret, so a config resident that the API takes over keeps its devices connected */
  configSecret(deviceId: string): string | undefined;
  /** the running broker and device registry must learn of every device change at once */
  devicesChanged(deviceId: string): void;
  /** rules and notify may cache residents and contacts */
  residentsChanged?(residentId: string): void;
}

export interface DevicePatch {
  kind?: string;
  name?: string | null;
  room?: string | null;
  entrance?: boolean;
  zigbee2mqtt?: string | null;
  rflink?: string | null;
  jsonl?: string | null;
  supervision?: string | null;
  rotateSecret?: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function deviceView(d: DeviceRow) {
  return {
    id: d.id, residentId: d.residentId, kind: d.kind, name: d.name, room: d.room, entrance: d.kind === 'door' ? d.entrance : undefined,
    zigbee2mqtt: d.zigbee2mqtt, rflink: d.rflink, jsonl: d.jsonl, supervisionMs: d.supervisionMs,
    availability: d.availability, lastSeen: iso(d.lastSeen), battery: d.battery,
  };
}

export function contactView(c: ContactRow) {
  return { id: c.id, residentId: c.residentId, name: c.name, phone: c.phone, role: c.role, onCall: c.onCall, locale: c.locale };
}

/** SQLite's UNIQUE failures become a 409 naming the clash, not a 500 */
function unique<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
      // "UNIQUE constraint failed: devices.zigbee2mqtt": the column is the field another row holds already
      const column = /failed: \w+\.(\w+)/.exec((err as Error).message)?.[1];
      throw conflict(`${what}: ${(err as Error).message.replace(/^UNIQUE constraint failed: /, 'already used: ')}`, 'already_used', { what, ...(column ? { field: column.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()) } : {}) });
    }
    throw err;
  }
}

export function provisioningService(deps: ProvisioningDeps) {
  const { db, residents, repo } = deps;
  const s = {
    deleteResident: db.prepare(`DELETE FROM residents WHERE id = ?`),
    markApi: db.prepare(`UPDATE residents SET source = 'api', updated_at = ? WHERE id = ?`),
    insertContact: db.prepare(`INSERT INTO contacts (resident_id, name, phone, role, on_call, locale, position)
      VALUES (@residentId, @name, @phone, @role, @onCall, @locale, (SELECT COALESCE(MAX(position), -1) + 1 FROM contacts WHERE resident_id = @residentId))`),
    updateContact: db.prepare(`UPDATE contacts SET name = @name, phone = @phone, role = @role, on_call = @onCall, locale = @locale WHERE id = @id`),
    deleteContact: db.prepare(`DELETE FROM contacts WHERE id = ?`),
    deleteDevice: db.prepare(`DELETE FROM devices WHERE id = ?`),
  };

  function residentView(r: ResidentRow) {
    return {
      id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, visitCycleMs: r.visitCycleMs,
      area: r.area, birthday: r.birthday, rules: r.rules, source: r.source,
      contacts: residents.contactsOf(r.id).map(contactView),
      devices: residents.devicesOf(r.id).map(deviceView),
    };
  }

  function mustResident(id: string): ResidentRow {
    const r = residents.getResident(id);
    if (!r) throw notFound(`no resident ${id}`, 'resident_not_found', { id });
    return r;
  }

  /**
   * A config resident becomes the API's: the config file stops overwriting it, so its devices'
   * config secrets are kept from now on as stored hashes (the same secrets keep working, and a
   * rotation through the API replaces them).
   */
  function adoptConfigSecrets(residentId: string): void {
    for (const d of residents.devicesOf(residentId)) {
      const secret = d.secretHash ? undefined : deps.configSecret(d.id);
      if (secret) residents.upsertDevice({ ...d, secretHash: hashSecret(secret) });
    }
  }

  /** the audit entry and the source flip commit with the change itself */
  function change<T>(actor: string, action: string, target: string, residentId: string | null, detail: Record<string, unknown>, fn: () => T): T {
    const now = deps.now();
    const wasConfig = residentId !== null && residents.getResident(residentId)?.source === 'config';
    const result = db.transaction(() => {
      const value = fn();
      if (wasConfig) adoptConfigSecrets(residentId!);
      if (residentId && residents.getResident(residentId)) s.markApi.run(now, residentId);
      repo.audit(now, actor, action, target, detail);
      return value;
    })();
    if (residentId) deps.residentsChanged?.(residentId);
    return result;
  }

  function contactRow(residentId: string, body: Record<string, unknown>) {
    const c = parseContact(body);
    return { residentId, name: c.name, phone: c.phone, role: c.role, onCall: c.onCall?.text ?? null, locale: c.locale ?? null };
  }

  function checkDeviceId(id: string): void {
    if (deps.bridgeUsernames.has(id)) throw conflict(`id: ${id} is a bridge username`, 'bridge_username', { id });
    if (residents.getDevice(id)) throw conflict(`id: device ${id} already exists`, 'device_exists', { id });
  }

  return {
    residentView: (id: string) => residentView(mustResident(id)),

    createResident(body: ResidentFields & { id: string; name: string }, actor: string) {
      if (residents.getResident(body.id)) throw conflict(`id: resident ${body.id} already exists`, 'resident_exists', { id: body.id });
      const f = parseResidentFields(body.id, body);
      change(actor, 'resident.create', body.id, body.id, { name: f.name, contacts: f.contacts?.length ?? 0 }, () => {
        residents.upsertResident({
          id: body.id, name: f.name!, address: f.address ?? '', timezone: f.timezone ?? deps.siteTimeZone, locale: f.locale ?? 'en',
          visitCycleMs: f.visitCycleMs ?? null, area: f.area ?? null, birthday: f.birthday ?? null, rules: f.rules ?? {}, source: 'api',
        }, deps.now());
        for (const c of f.contacts ?? []) s.insertContact.run(contactRow(body.id, c as never));
      });
      return residentView(mustResident(body.id));
    },

    updateResident(id: string, body: ResidentFields, actor: string) {
      const r = mustResident(id);
      const f = parseResidentFields(id, body);
      const changed = Object.keys(body).filter((k) => k !== 'contacts');
      change(actor, 'resident.update', id, id, { fields: changed, contactsReplaced: f.contacts !== undefined }, () => {
        residents.upsertResident({
          id, name: f.name ?? r.name, address: f.address ?? r.address, timezone: f.timezone ?? r.timezone,
          locale: f.locale ?? r.locale, visitCycleMs: f.visitCycleMs === undefined ? r.visitCycleMs : f.visitCycleMs,
          area: f.area === undefined ? r.area : f.area, birthday: f.birthday === undefined ? r.birthday : f.birthday,
          rules: f.rules ?? r.rules, source: 'api',
        }, deps.now());
        if (f.contacts) residents.replaceContacts(id, f.contacts.map((c) => ({ name: c.name, phone: c.phone, role: c.role, onCall: c.onCall?.text ?? null, locale: c.locale ?? null })));
      });
      return residentView(mustResident(id));
    },

    /** contacts, devices and visits go with the resident; alerts and device events stay as history */
    deleteResident(id: string, actor: string): void {
      mustResident(id);
      const ongoing = deps.alerts.ofResident(id, 1000).filter((a) => a.status !== 'resolved');
      if (ongoing.length) throw conflict(`resident ${id} has ${ongoing.length} alert(s) not resolved; resolve them first`, 'resident_has_alerts', { count: ongoing.length });
      const devices = residents.devicesOf(id).map((d) => d.id);
      change(actor, 'resident.delete', id, null, { devices }, () => s.deleteResident.run(id));
      deps.residentsChanged?.(id);
      for (const d of devices) deps.devicesChanged(d);
    },

    addContact(residentId: string, body: Record<string, unknown>, actor: string) {
      mustResident(residentId);
      const row = contactRow(residentId, body);
      const contactId = change(actor, 'contact.create', residentId, residentId, { role: row.role, name: row.name },
        () => Number(s.insertContact.run(row).lastInsertRowid));
      return contactView(residents.getContact(contactId)!);
    },

    updateContact(id: number, body: Record<string, unknown>, actor: string) {
      const c = residents.getContact(id);
      if (!c) throw notFound(`no contact ${id}`, 'contact_not_found', { id });
      const merged = {
        name: c.name, phone: c.phone, role: c.role, ...(c.onCall ? { onCall: c.onCall } : {}), ...(c.locale ? { locale: c.locale } : {}), ...body,
      };
      for (const [k, v] of Object.entries(merged)) if (v === null) delete (merged as Record<string, unknown>)[k];
      const row = contactRow(c.residentId, merged);
      change(actor, 'contact.update', String(id), c.residentId, { fields: Object.keys(body) }, () => s.updateContact.run({ id, ...row }));
      return contactView(residents.getContact(id)!);
    },

    deleteContact(id: number, actor: string): void {
      const c = residents.getContact(id);
      if (!c) throw notFound(`no contact ${id}`, 'contact_not_found', { id });
      change(actor, 'contact.delete', String(id), c.residentId, { residentId: c.residentId, role: c.role }, () => s.deleteContact.run(id));
    },

    /** the secret is returned here and nowhere else, ever */
    addDevice(residentId: string, body: Record<string, unknown>, actor: string) {
      mustResident(residentId);
      const d = parseDevice(body);
      if (d.entrance !== undefined && d.kind !== 'door') throw invalid('entrance: only doors have an entrance flag', 'entrance_doors_only');
      checkDeviceId(d.id);
      const secret = generateSecret();
      unique('device', () => change(actor, 'device.create', d.id, residentId, { residentId, kind: d.kind }, () => residents.upsertDevice({
        id: d.id, residentId, kind: d.kind, name: d.name ?? null, room: d.room ?? null, entrance: d.kind !== 'door' || d.entrance !== false,
        secretHash: hashSecret(secret), zigbee2mqtt: d.zigbee2mqtt ?? null, rflink: d.rflink ?? null, jsonl: d.jsonl ?? null,
        supervisionMs: d.supervision ?? null,
      })));
      deps.devicesChanged(d.id);
      return { ...deviceView(residents.getDevice(d.id)!), secret };
    },

    updateDevice(id: string, patch: DevicePatch, actor: string) {
      const d = residents.getDevice(id);
      if (!d) throw notFound(`no device ${id}`, 'device_not_found', { id });
      const { rotateSecret, ...fields } = patch;
      // re-check the merged device with the config schema; stored durations go back as "Nms"
      const merged: Record<string, unknown> = {
        id, kind: d.kind, name: d.name, room: d.room, ...(d.kind === 'door' ? { entrance: d.entrance } : {}),
        zigbee2mqtt: d.zigbee2mqtt, rflink: d.rflink, jsonl: d.jsonl,
        supervision: d.supervisionMs === null ? null : `${d.supervisionMs}ms`, ...fields,
      };
      if (merged.kind !== 'door') delete merged.entrance;
      for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
      const next = parseDevice(merged);
      const secret = rotateSecret ? generateSecret() : null;
      const detail = { fields: Object.keys(fields), secretRotated: Boolean(rotateSecret) };
      unique('device', () => change(actor, 'device.update', id, d.residentId, detail, () => residents.upsertDevice({
        id, residentId: d.residentId, kind: next.kind, name: next.name ?? null, room: next.room ?? null,
        entrance: next.kind !== 'door' || next.entrance !== false,
        secretHash: secret ? hashSecret(secret) : d.secretHash, zigbee2mqtt: next.zigbee2mqtt ?? null, rflink: next.rflink ?? null,
        jsonl: next.jsonl ?? null, supervisionMs: next.supervision ?? null,
      })));
      deps.devicesChanged(id);
      return { ...deviceView(residents.getDevice(id)!), ...(secret ? { secret } : {}) };
    },

    deleteDevice(id: string, actor: string): void {
      const d = residents.getDevice(id);
      if (!d) throw notFound(`no device ${id}`, 'device_not_found', { id });
      change(actor, 'device.delete', id, d.residentId, { residentId: d.residentId, kind: d.kind }, () => s.deleteDevice.run(id));
      deps.devicesChanged(id);
    },

    audit: (limit: number, beforeId?: number) => repo.auditPage(limit, beforeId),
  };
}
export type ProvisioningService = ReturnType<typeof provisioningService>;
