// Provisioning (admin only): residents, contacts and devices created and edited through
// the API. A new device's secret is generated here, shown once, and stored only as a digest.
// Every change is written to audit_log with who, what and when (never a secret).
// A resident touched through the API gets source 'api': from then on the API, not the config
// file, is its source of truth.
import type { ContactRow, DeviceRow, ResidentRow, Store, Tx } from '../store/index.ts';
import { generateSecret, hashSecret, StoreConflict } from '../store/index.ts';
import { parseContact, parseDevice, parseResidentFields, type ResidentFields } from './validate.ts';
import { conflict, invalid, notFound } from './errors.ts';

export interface ProvisioningDeps {
  /** residents, contacts, devices and the audit log: through the store's ports, each change one unit of work */
  store: Store;
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

/** a uniqueness rule of the store (a device key another device has) is a 409 naming the clash, not a 500 */
async function unique<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreConflict) {
      // "already used: devices.zigbee2mqtt": the column is the field another row holds already
      const column = /^\w+\.(\w+)/.exec(err.constraint ?? '')?.[1];
      throw conflict(`${what}: ${err.message}`, 'already_used', { what, ...(column ? { field: column.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()) } : {}) });
    }
    throw err;
  }
}

export function provisioningService(deps: ProvisioningDeps) {
  const { store } = deps;
  const residents = store.residents;

  async function residentView(r: ResidentRow) {
    return {
      id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, visitCycleMs: r.visitCycleMs,
      area: r.area, birthday: r.birthday, rules: r.rules, source: r.source,
      contacts: (await residents.contactsOf(r.id)).map(contactView),
      devices: (await residents.devicesOf(r.id)).map(deviceView),
    };
  }

  async function mustResident(id: string): Promise<ResidentRow> {
    const r = await residents.getResident(id);
    if (!r) throw notFound(`no resident ${id}`, 'resident_not_found', { id });
    return r;
  }

  /**
   * A config resident becomes the API's: the config file stops overwriting it, so its devices'
   * config secrets are kept from now on as stored hashes (the same secrets keep working, and a
   * rotation through the API replaces them).
   */
  async function adoptConfigSecrets(tx: Tx, residentId: string): Promise<void> {
    for (const d of await tx.residents.devicesOf(residentId)) {
      const secret = d.secretHash ? undefined : deps.configSecret(d.id);
      if (secret) await tx.residents.upsertDevice({ ...d, secretHash: hashSecret(secret) });
    }
  }

  /** the audit entry and the source flip commit with the change itself */
  async function change<T>(actor: string, action: string, target: string, residentId: string | null, detail: Record<string, unknown>,
    fn: (tx: Tx) => Promise<T>): Promise<T> {
    const now = deps.now();
    const result = await store.tx(async (tx) => {
      const wasConfig = residentId !== null && (await tx.residents.getResident(residentId))?.source === 'config';
      const value = await fn(tx);
      if (wasConfig) await adoptConfigSecrets(tx, residentId!);
      if (residentId && await tx.residents.getResident(residentId)) await tx.residents.markApi(residentId, now);
      await tx.audit.add(now, actor, action, target, detail);
      return value;
    });
    if (residentId) deps.residentsChanged?.(residentId);
    return result;
  }

  function contactRow(body: Record<string, unknown>) {
    const c = parseContact(body);
    return { name: c.name, phone: c.phone, role: c.role, onCall: c.onCall?.text ?? null, locale: c.locale ?? null };
  }

  async function checkDeviceId(id: string): Promise<void> {
    if (deps.bridgeUsernames.has(id)) throw conflict(`id: ${id} is a bridge username`, 'bridge_username', { id });
    if (await residents.getDevice(id)) throw conflict(`id: device ${id} already exists`, 'device_exists', { id });
  }

  return {
    residentView: async (id: string) => residentView(await mustResident(id)),

    async createResident(body: ResidentFields & { id: string; name: string }, actor: string) {
      if (await residents.getResident(body.id)) throw conflict(`id: resident ${body.id} already exists`, 'resident_exists', { id: body.id });
      const f = parseResidentFields(body.id, body);
      await change(actor, 'resident.create', body.id, body.id, { name: f.name, contacts: f.contacts?.length ?? 0 }, async (tx) => {
        await tx.residents.upsertResident({
          id: body.id, name: f.name!, address: f.address ?? '', timezone: f.timezone ?? deps.siteTimeZone, locale: f.locale ?? 'en',
          visitCycleMs: f.visitCycleMs ?? null, area: f.area ?? null, birthday: f.birthday ?? null, rules: f.rules ?? {}, source: 'api',
        }, deps.now());
        for (const c of f.contacts ?? []) await tx.residents.addContact(body.id, contactRow(c as never));
      });
      return residentView(await mustResident(body.id));
    },

    async updateResident(id: string, body: ResidentFields, actor: string) {
      const r = await mustResident(id);
      const f = parseResidentFields(id, body);
      const changed = Object.keys(body).filter((k) => k !== 'contacts');
      await change(actor, 'resident.update', id, id, { fields: changed, contactsReplaced: f.contacts !== undefined }, async (tx) => {
        await tx.residents.upsertResident({
          id, name: f.name ?? r.name, address: f.address ?? r.address, timezone: f.timezone ?? r.timezone,
          locale: f.locale ?? r.locale, visitCycleMs: f.visitCycleMs === undefined ? r.visitCycleMs : f.visitCycleMs,
          area: f.area === undefined ? r.area : f.area, birthday: f.birthday === undefined ? r.birthday : f.birthday,
          rules: f.rules ?? r.rules, source: 'api',
        }, deps.now());
        if (f.contacts) await tx.residents.replaceContacts(id, f.contacts.map((c) => ({ name: c.name, phone: c.phone, role: c.role, onCall: c.onCall?.text ?? null, locale: c.locale ?? null })));
      });
      return residentView(await mustResident(id));
    },

    /** contacts, devices and visits go with the resident; alerts and device events stay as history */
    async deleteResident(id: string, actor: string): Promise<void> {
      await mustResident(id);
      const ongoing = (await deps.store.alerts.ofResident(id, 1000)).filter((a) => a.status !== 'resolved');
      if (ongoing.length) throw conflict(`resident ${id} has ${ongoing.length} alert(s) not resolved; resolve them first`, 'resident_has_alerts', { count: ongoing.length });
      const devices = (await residents.devicesOf(id)).map((d) => d.id);
      await change(actor, 'resident.delete', id, null, { devices }, (tx) => tx.residents.deleteResident(id));
      deps.residentsChanged?.(id);
      for (const d of devices) deps.devicesChanged(d);
    },

    async addContact(residentId: string, body: Record<string, unknown>, actor: string) {
      await mustResident(residentId);
      const row = contactRow(body);
      const contactId = await change(actor, 'contact.create', residentId, residentId, { role: row.role, name: row.name },
        (tx) => tx.residents.addContact(residentId, row));
      return contactView((await residents.getContact(contactId))!);
    },

    async updateContact(id: number, body: Record<string, unknown>, actor: string) {
      const c = await residents.getContact(id);
      if (!c) throw notFound(`no contact ${id}`, 'contact_not_found', { id });
      const merged = {
        name: c.name, phone: c.phone, role: c.role, ...(c.onCall ? { onCall: c.onCall } : {}), ...(c.locale ? { locale: c.locale } : {}), ...body,
      };
      for (const [k, v] of Object.entries(merged)) if (v === null) delete (merged as Record<string, unknown>)[k];
      const row = contactRow(merged);
      await change(actor, 'contact.update', String(id), c.residentId, { fields: Object.keys(body) }, (tx) => tx.residents.updateContact(id, row));
      return contactView((await residents.getContact(id))!);
    },

    async deleteContact(id: number, actor: string): Promise<void> {
      const c = await residents.getContact(id);
      if (!c) throw notFound(`no contact ${id}`, 'contact_not_found', { id });
      await change(actor, 'contact.delete', String(id), c.residentId, { residentId: c.residentId, role: c.role }, (tx) => tx.residents.deleteContact(id));
    },

    /** the secret is returned here and nowhere else, ever */
    async addDevice(residentId: string, body: Record<string, unknown>, actor: string) {
      await mustResident(residentId);
      const d = parseDevice(body);
      if (d.entrance !== undefined && d.kind !== 'door') throw invalid('entrance: only doors have an entrance flag', 'entrance_doors_only');
      await checkDeviceId(d.id);
      const secret = generateSecret();
      await unique('device', () => change(actor, 'device.create', d.id, residentId, { residentId, kind: d.kind }, (tx) => tx.residents.upsertDevice({
        id: d.id, residentId, kind: d.kind, name: d.name ?? null, room: d.room ?? null, entrance: d.kind !== 'door' || d.entrance !== false,
        secretHash: hashSecret(secret), zigbee2mqtt: d.zigbee2mqtt ?? null, rflink: d.rflink ?? null, jsonl: d.jsonl ?? null,
        supervisionMs: d.supervision ?? null,
      })));
      deps.devicesChanged(d.id);
      return { ...deviceView((await residents.getDevice(d.id))!), secret };
    },

    async updateDevice(id: string, patch: DevicePatch, actor: string) {
      const d = await residents.getDevice(id);
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
      await unique('device', () => change(actor, 'device.update', id, d.residentId, detail, (tx) => tx.residents.upsertDevice({
        id, residentId: d.residentId, kind: next.kind, name: next.name ?? null, room: next.room ?? null,
        entrance: next.kind !== 'door' || next.entrance !== false,
        secretHash: secret ? hashSecret(secret) : d.secretHash, zigbee2mqtt: next.zigbee2mqtt ?? null, rflink: next.rflink ?? null,
        jsonl: next.jsonl ?? null, supervisionMs: next.supervision ?? null,
      })));
      deps.devicesChanged(id);
      return { ...deviceView((await residents.getDevice(id))!), ...(secret ? { secret } : {}) };
    },

    async deleteDevice(id: string, actor: string): Promise<void> {
      const d = await residents.getDevice(id);
      if (!d) throw notFound(`no device ${id}`, 'device_not_found', { id });
      await change(actor, 'device.delete', id, d.residentId, { residentId: d.residentId, kind: d.kind }, (tx) => tx.residents.deleteDevice(id));
      deps.devicesChanged(id);
    },

    audit: (limit: number, beforeId?: number) => store.audit.page(limit, beforeId),
  };
}
export type ProvisioningService = ReturnType<typeof provisioningService>;
