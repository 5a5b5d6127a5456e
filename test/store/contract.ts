// What any store engine must do: one suite, run against every engine (sqlite.test.ts,
// postgres.test.ts), the way aedes-persistence's abstract.js runs against each backend. It
// speaks only the ports (src/store/ports.ts); an engine that passes it can carry the gateway.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { parseConfig, ConfigError } from '../../src/config/index.ts';
import { StoreConflict, type Store, type DeviceRow } from '../../src/store/index.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';

export interface EngineHarness {
  /** a store on an empty database of its own, migrated to the newest version */
  fresh(): Promise<Store>;
  /** another store on the same database (as another gateway process would open it), to read what is committed */
  second(store: Store): Promise<Store>;
  /**
   * who else writes to the database at the same time: PostgreSQL, another process's store;
   * SQLite, the same store (one process, one connection: a second writer would wait on the
   * file lock, which better-sqlite3 does synchronously, so it is not how the engine is used)
   */
  peer(store: Store): Promise<Store>;
  /** after the test: the store is closed; remove its database */
  dispose?(store: Store): Promise<void>;
}

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0); // 2026-03-02 09:00 Asia/Shanghai

export const siteConfig = () => parseConfig({
  residents: [
    {
      id: 'r-zhang', name: 'Zhang Xiuying', address: 'Building 3, Room 601', timezone: 'Asia/Shanghai', locale: 'zh-CN',
      area: '幸福社区 3号楼', birthday: '1948-03-12',
      rules: { inactivity: { mode: 'fixed', after: '12h' } },
      contacts: [
        { name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' },
        { name: 'Zhang Wei', phone: '+8613800000002', role: 'family', locale: 'en' },
      ],
      devices: [
        { id: 'zhang-door', kind: 'door', name: '大门', room: 'entrance', secret: 'door-secret' },
        { id: 'zhang-fridge', kind: 'door', entrance: false, secret: 'fridge-secret' },
        { id: 'zhang-smoke', kind: 'smoke', zigbee2mqtt: 'zhang/kitchen smoke' },
        { id: 'zhang-button', kind: 'button', secret: 'button-secret', emergencyActions: ['sos', 'single'] },
        { id: 'zhang-433-door', kind: 'door', jsonl: 'DSC-Security;1234', idFields: ['model', 'id'] },
      ],
    },
    {
      id: 'r-chen', name: 'Chen Guoqiang', timezone: 'Asia/Shanghai',
      contacts: [{ name: 'Li Caseworker', phone: '+8613800000003', role: 'caseworker' }],
      devices: [{ id: 'chen-motion', kind: 'motion', rflink: 'Pir;ID=aa66', secret: 'motion-secret' }],
    },
  ],
});

function event(deviceId: string, at: number, readings: DeviceEvent['readings'], residentId = deviceId.startsWith('chen') ? 'r-chen' : 'r-zhang'): DeviceEvent {
  const kind = deviceId.includes('door') || deviceId.includes('fridge') ? 'door' : deviceId.includes('smoke') ? 'smoke'
    : deviceId.includes('button') ? 'button' : 'motion';
  return { at, deviceId, residentId, kind, source: 'mqtt', type: 'state', readings };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function storeContract(engine: string, harness: EngineHarness): void {
  describe(`store contract: ${engine}`, () => {
    let store: Store;
    const others: Store[] = [];
    const seed = () => store.residents.seedFromConfig(siteConfig().residents, 'UTC', T0);

    beforeEach(async () => { store = await harness.fresh(); });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await store.close();
      await harness.dispose?.(store);
    });
    const second = async () => { const s = await harness.second(store); others.push(s); return s; };
    const peer = async () => {
      const s = await harness.peer(store);
      if (s !== store) others.push(s);
      return s;
    };

    describe('residents, contacts, devices', () => {
      it('seeds from the config: residents, contacts in order, devices with their keys', async () => {
        await seed();
        const residents = await store.residents.listResidents();
        expect(residents.map((r) => r.id)).toEqual(['r-chen', 'r-zhang']); // by name
        const zhang = await store.residents.getResident('r-zhang');
        expect(zhang).toMatchObject({
          name: 'Zhang Xiuying', timezone: 'Asia/Shanghai', locale: 'zh-CN', area: '幸福社区 3号楼', birthday: '1948-03-12', source: 'config',
          visitCycleMs: null,
        });
        expect(zhang!.rules).toEqual(siteConfig().residents[0].rules);
        expect((await store.residents.getResident('r-chen'))!.timezone).toBe('Asia/Shanghai');
        expect(await store.residents.countResidents()).toBe(2);
        const contacts = await store.residents.contactsOf('r-zhang');
        expect(contacts.map((c) => [c.name, c.role, c.locale])).toEqual([['Wang Neighbor', 'neighbor', null], ['Zhang Wei', 'family', 'en']]);
        expect(typeof contacts[0].id).toBe('number');
        const devices = await store.residents.devicesOf('r-zhang');
        expect(devices.map((d) => d.id)).toEqual(['zhang-433-door', 'zhang-button', 'zhang-door', 'zhang-fridge', 'zhang-smoke']);
        expect(devices.find((d) => d.id === 'zhang-button')).toMatchObject({ emergencyActions: ['sos', 'single'], idFields: null });
        expect(devices.find((d) => d.id === 'zhang-433-door')).toMatchObject({ jsonl: 'DSC-Security;1234', idFields: ['model', 'id'], emergencyActions: null });
        const door = devices.find((d) => d.id === 'zhang-door')!;
        expect(door).toMatchObject<Partial<DeviceRow>>({ kind: 'door', name: '大门', room: 'entrance', entrance: true, availability: 'unknown', lastSeen: null, battery: null, secretHash: null });
        expect(devices.find((d) => d.id === 'zhang-fridge')!.entrance).toBe(false);
        expect((await store.residents.getDevice('zhang-smoke'))!.zigbee2mqtt).toBe('zhang/kitchen smoke');
        expect((await store.residents.getDevice('chen-motion'))!.rflink).toBe('Pir;ID=aa66');
        expect(await store.residents.getDevice('nobody')).toBeUndefined();
        expect((await store.residents.listDevices()).length).toBe(6);
        expect((await store.residents.contactsByPhone('+8613800000003')).map((c) => c.residentId)).toEqual(['r-chen']);
      });

      it('re-seeding follows the config: renamed, contacts replaced, removed devices gone; an API-owned resident is left alone', async () => {
        await seed();
        const cfg = siteConfig();
        cfg.residents[0].name = 'Zhang X.';
        cfg.residents[0].contacts = [cfg.residents[0].contacts[1]];
        cfg.residents[0].devices = cfg.residents[0].devices.filter((d) => d.id !== 'zhang-fridge');
        cfg.residents[1].name = 'Chen from config';
        await store.residents.markApi('r-chen', T0 + 1);
        await store.residents.seedFromConfig(cfg.residents, 'UTC', T0 + 2);
        expect((await store.residents.getResident('r-zhang'))!.name).toBe('Zhang X.');
        expect((await store.residents.contactsOf('r-zhang')).map((c) => c.name)).toEqual(['Zhang Wei']);
        expect(await store.residents.getDevice('zhang-fridge')).toBeUndefined();
        const chen = (await store.residents.getResident('r-chen'))!;
        expect(chen).toMatchObject({ name: 'Chen Guoqiang', source: 'api' });
      });

      it('a key a device the store keeps holds stops the seed at the config key; a renamed device takes its old key', async () => {
        await seed();
        // the config's smoke detector renamed, its zigbee2mqtt name kept: the old device goes first
        const renamed = siteConfig();
        renamed.residents[0].devices = renamed.residents[0].devices.map((d) => (d.id === 'zhang-smoke' ? { ...d, id: 'zhang-kitchen-smoke' } : d));
        await store.residents.seedFromConfig(renamed.residents, 'UTC', T0 + 1);
        expect((await store.residents.getDevice('zhang-kitchen-smoke'))!.zigbee2mqtt).toBe('zhang/kitchen smoke');
        expect(await store.residents.getDevice('zhang-smoke')).toBeUndefined();
        // Chen's home now the API's: its RFLink key may not be claimed by a config device of Zhang's
        await store.residents.markApi('r-chen', T0 + 2);
        const claim = siteConfig();
        claim.residents[0].devices = [{ ...claim.residents[0].devices[0], rflink: 'Pir;ID=aa66' }];
        const refused = await store.residents.seedFromConfig(claim.residents, 'UTC', T0 + 3).then(() => null, (err: unknown) => err);
        expect(refused).toBeInstanceOf(ConfigError);
        expect((refused as ConfigError).problems).toEqual([expect.stringMatching(/^residents\[0\]\.devices\[0\]\.rflink: rflink key Pir;ID=aa66 is already device chen-motion of resident r-chen/)]);
        // and nothing of the refused seed was written
        expect((await store.residents.devicesOf('r-zhang')).map((d) => d.id)).toContain('zhang-kitchen-smoke');
      });

      it('contacts added go last; updated and deleted by id', async () => {
        await seed();
        const id = await store.residents.addContact('r-zhang', { name: 'Li Caseworker', phone: '+8613800000009', role: 'caseworker', onCall: '08:00-18:00', locale: null });
        expect((await store.residents.contactsOf('r-zhang')).map((c) => c.name)).toEqual(['Wang Neighbor', 'Zhang Wei', 'Li Caseworker']);
        expect(await store.residents.updateContact(id, { name: 'Li C.', phone: '+8613800000009', role: 'caseworker', onCall: null, locale: 'zh-CN' })).toBe(true);
        expect(await store.residents.getContact(id)).toMatchObject({ name: 'Li C.', onCall: null, locale: 'zh-CN', residentId: 'r-zhang' });
        expect(await store.residents.deleteContact(id)).toBe(true);
        expect(await store.residents.deleteContact(id)).toBe(false);
        expect(await store.residents.updateContact(id, { name: 'x', phone: 'y', role: 'family', onCall: null, locale: null })).toBe(false);
        await store.residents.replaceContacts('r-zhang', [{ name: 'Only One', phone: '+1', role: 'family', onCall: null, locale: null }]);
        expect((await store.residents.contactsOf('r-zhang')).map((c) => c.name)).toEqual(['Only One']);
      });

      it('a device key taken by another device is a StoreConflict naming the column; nothing is written', async () => {
        await seed();
        const taken = { id: 'zhang-new', residentId: 'r-zhang', kind: 'smoke' as const, entrance: true, secretHash: 'scrypt$x', zigbee2mqtt: 'zhang/kitchen smoke', rflink: null, jsonl: null, supervisionMs: null };
        const err = await store.residents.upsertDevice(taken).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflict);
        expect((err as Error).message).toBe('already used: devices.zigbee2mqtt');
        expect(await store.residents.getDevice('zhang-new')).toBeUndefined();
        await store.residents.upsertDevice({ ...taken, zigbee2mqtt: null, name: '新烟感', room: 'kitchen' });
        expect(await store.residents.getDevice('zhang-new')).toMatchObject({ secretHash: 'scrypt$x', name: '新烟感', room: 'kitchen', emergencyActions: null });
        // emergency actions and id fields: kept when not given, replaced or cleared when given
        const button = (await store.residents.getDevice('zhang-button'))!;
        await store.residents.upsertDevice({ ...button, emergencyActions: undefined, idFields: undefined, name: '紧急按钮' });
        expect(await store.residents.getDevice('zhang-button')).toMatchObject({ name: '紧急按钮', emergencyActions: ['sos', 'single'] });
        await store.residents.upsertDevice({ ...button, emergencyActions: ['hold'] });
        expect((await store.residents.getDevice('zhang-button'))!.emergencyActions).toEqual(['hold']);
        await store.residents.upsertDevice({ ...button, emergencyActions: null });
        expect((await store.residents.getDevice('zhang-button'))!.emergencyActions).toBeNull();
        expect(await store.residents.deleteDevice('zhang-new')).toBe(true);
        expect(await store.residents.deleteDevice('zhang-new')).toBe(false);
      });

      it("a device's secret hash is upgraded only while it is still the one the check saw", async () => {
        await seed();
        await store.residents.upsertDevice({ id: 'zhang-new', residentId: 'r-zhang', kind: 'smoke', entrance: false, secretHash: 'old$1', zigbee2mqtt: null, rflink: null, jsonl: null, supervisionMs: null });
        expect(await store.residents.upgradeSecretHash('zhang-new', 'old$1', 'new$1')).toBe(true);
        expect((await store.residents.getDevice('zhang-new'))!.secretHash).toBe('new$1');
        // a second upgrade from the same old hash (another connection raced it, or the API set a new secret) changes nothing
        expect(await store.residents.upgradeSecretHash('zhang-new', 'old$1', 'new$2')).toBe(false);
        expect((await store.residents.getDevice('zhang-new'))!.secretHash).toBe('new$1');
        expect(await store.residents.upgradeSecretHash('nobody', 'old$1', 'new$1')).toBe(false);
      });

      it('deleting a resident takes contacts, devices, visits and their problems and the events still to judge; alerts and events stay as history', async () => {
        await seed();
        const visitId = await store.visits.insertVisit({ residentId: 'r-zhang', visitor: 'Li', at: T0, endedAt: null, purpose: 'routine', notes: '', observations: {}, recordedBy: 'li', createdAt: T0 });
        await store.visits.insertProblem({ id: 'WT2026001', visitId, residentId: 'r-zhang', description: 'leaking tap', category: 'livelihood', urgency: 'normal', responsible: 'Li', deadline: T0 + 1, openedAt: T0 });
        await store.ingest.append(event('zhang-door', T0, { contact: false }));
        const alertId = await store.alerts.insert({ residentId: 'r-zhang', kind: 'smoke', conditionKey: 'smoke:zhang-smoke', deviceId: 'zhang-smoke', openedAt: T0, detail: {}, escalationDue: null });
        expect(await store.residents.deleteResident('r-zhang')).toBe(true);
        expect(await store.residents.getResident('r-zhang')).toBeUndefined();
        expect(await store.residents.contactsOf('r-zhang')).toEqual([]);
        expect(await store.residents.devicesOf('r-zhang')).toEqual([]);
        expect(await store.visits.getVisit(visitId)).toBeUndefined();
        expect(await store.visits.getProblem('WT2026001')).toBeUndefined();
        expect(await store.alerts.get(alertId)).toBeDefined();
        expect(await store.events.maxId()).toBeGreaterThan(0);
        // its events waiting to be judged go with it: no process is left to judge a home that is gone
        expect(await store.inbox.take('r-zhang', 10)).toEqual([]);
        expect(await store.inbox.residents()).not.toContain('r-zhang');
        expect(await store.residents.deleteResident('r-zhang')).toBe(false);
      });
    });

    describe('ingest: device events with group commit', () => {
      it('an append resolves only once its event is committed: another connection sees it at once', async () => {
        await seed();
        const other = await second();
        for (let i = 0; i < 5; i++) {
          const id = await store.ingest.append(event('zhang-door', T0 + i, { contact: i % 2 === 0 }));
          expect(id).toBeGreaterThan(0);
          // what the broker PUBACKs after this point is durable for every process on the database
          expect(await other.events.get(id)).toMatchObject({ id, deviceId: 'zhang-door', residentId: 'r-zhang', kind: 'door', at: T0 + i, source: 'mqtt', type: 'state' });
        }
      });

      it('a burst shares transactions: fewer commits than events, ids rising in arrival order', async () => {
        await seed();
        const before = store.ingest.stats();
        const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => store.ingest.append(event('zhang-door', T0 + i, { contact: true, battery: 90 }))));
        const after = store.ingest.stats();
        expect(after.appended - before.appended).toBe(300);
        expect(after.commits - before.commits).toBeLessThan(30);
        expect(after.largestGroup).toBeGreaterThan(10);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        expect(new Set(ids).size).toBe(300);
        expect(await store.events.maxId()).toBe(ids[299]);
      });

      it('a report the database refuses fails only itself: the alarms that shared its group are committed', async () => {
        await seed();
        // built past the decoders (which drop it): text PostgreSQL's jsonb cannot hold
        const bad = event('zhang-button', T0 + 1, { action: 'sos\u0000' });
        const appended = [
          store.ingest.append(event('zhang-smoke', T0, { smoke: true })),
          store.ingest.append(bad),
          store.ingest.append(event('zhang-button', T0 + 2, { action: 'sos' })),
        ];
        const [smoke, refused, sos] = await Promise.allSettled(appended);
        expect(smoke).toMatchObject({ status: 'fulfilled' });
        expect(sos).toMatchObject({ status: 'fulfilled' });
        const ids = [smoke, sos].map((r) => (r as PromiseFulfilledResult<number>).value);
        for (const id of ids) expect(id).toBeGreaterThan(0);
        expect((await store.events.get(ids[0]))?.readings).toMatchObject({ smoke: true });
        expect((await store.events.get(ids[1]))?.readings).toMatchObject({ action: 'sos' });
        expect(await store.inbox.take('r-zhang', 10)).toEqual(expect.arrayContaining(ids));
        if (store.engine === 'postgres') {
          expect(refused).toMatchObject({ status: 'rejected' });
          expect(store.ingest.stats().split).toBe(1);
          // refused data is not a store in trouble
          expect(await store.ingest.lastError()).toBeNull();
        }
      });

      it('events after an id, oldest first, with the device kind; get and maxId', async () => {
        await seed();
        expect(await store.events.maxId()).toBe(0);
        const a = await store.ingest.append(event('zhang-smoke', T0, { smoke: true, battery: 80 }));
        const b = await store.ingest.append({ at: T0 + 1, deviceId: 'chen-motion', residentId: 'r-chen', kind: 'motion', source: 'rflink', type: 'availability', availability: 'offline' });
        const c = await store.ingest.append(event('zhang-button', T0 + 2, { action: 'sos' }));
        expect((await store.events.after(0)).map((e) => e.id)).toEqual([a, b, c]);
        expect((await store.events.after(a, 1)).map((e) => e.id)).toEqual([b]);
        expect(await store.events.get(a)).toEqual({ id: a, at: T0, deviceId: 'zhang-smoke', residentId: 'r-zhang', kind: 'smoke', source: 'mqtt', type: 'state', readings: { smoke: true, battery: 80 } });
        expect(await store.events.get(b)).toEqual({ id: b, at: T0 + 1, deviceId: 'chen-motion', residentId: 'r-chen', kind: 'motion', source: 'rflink', type: 'availability', availability: 'offline' });
        expect(await store.events.get(c + 100)).toBeUndefined();
        expect(await store.events.maxId()).toBe(c);
      });

      it('a resend (DUP) of a stored message is recognised in its own session, also within one group; the same id with new content is a new event', async () => {
        await seed();
        const origin = { session: 'c:1:zhang-door', messageId: 7, dup: false };
        const first = await store.ingest.append(event('zhang-door', T0, { contact: false }), origin);
        expect(await store.ingest.append(event('zhang-door', T0 + 500, { contact: false }), { ...origin, dup: true })).toBe(-first);
        // a device that reboots and reuses the packet id still has its new report stored
        const fresh = await store.ingest.append(event('zhang-door', T0 + 1000, { contact: true }), { ...origin, dup: true });
        expect(fresh).toBeGreaterThan(first);
        // an original and its resend committed in the same group
        const [x, y] = await Promise.all([
          store.ingest.append(event('zhang-fridge', T0, { contact: false }), { session: 'c:2:zhang-fridge', messageId: 9, dup: false }),
          store.ingest.append(event('zhang-fridge', T0 + 10, { contact: false }), { session: 'c:2:zhang-fridge', messageId: 9, dup: true }),
        ]);
        expect(x).toBeGreaterThan(0);
        expect(y).toBe(-x);
        expect((await store.events.after(0)).length).toBe(3);
      });

      it('a resend is looked for only in its own MQTT session and only within 10 minutes', async () => {
        await seed();
        const first = await store.ingest.append(event('zhang-door', T0, { contact: false }), { session: 'c:1:zhang-door', messageId: 3, dup: false });
        // the same packet id and payload from another session (a new clean connection) is a new message
        const other = await store.ingest.append(event('zhang-door', T0 + 1000, { contact: false }), { session: 'c:2:zhang-door', messageId: 3, dup: true });
        expect(other).toBeGreaterThan(first);
        // within 10 minutes, in its own session, it is the stored message
        expect(await store.ingest.append(event('zhang-door', T0 + 9 * 60_000, { contact: false }), { session: 'c:1:zhang-door', messageId: 3, dup: true })).toBe(-first);
        // from the same session, once more than 10 minutes have passed, a new one
        const late = await store.ingest.append(event('zhang-door', T0 + 10 * 60_000 + 1, { contact: false }), { session: 'c:1:zhang-door', messageId: 3, dup: true });
        expect(late).toBeGreaterThan(other);
        expect((await store.events.after(0)).map((e) => e.id)).toEqual([first, other, late]);
      });

      it("a rebooted device's SOS with a reused packet id is stored and judged", async () => {
        await seed();
        const session = 's:0:zhang-button';
        const sos = await store.ingest.append(event('zhang-button', T0, { action: 'sos' }), { session, messageId: 1, dup: false });
        // the device reboots into the same persistent session, reuses packet id 1 and sets DUP on its new SOS
        const again = await store.ingest.append(event('zhang-button', T0 + 60_000, { action: 'sos' }), { session, messageId: 1, dup: true });
        expect(again).toBeGreaterThan(sos);
        // any report that can raise an alarm is kept, even a true resend of one: one condition is one alert anyway
        const smoke = await Promise.all([
          store.ingest.append(event('zhang-smoke', T0 + 61_000, { smoke: true }), { session: 'c:5:z2m', messageId: 4, dup: false }),
          store.ingest.append(event('zhang-smoke', T0 + 61_000, { smoke: true }), { session: 'c:5:z2m', messageId: 4, dup: true }),
        ]);
        expect(smoke.every((id) => id > 0)).toBe(true);
        // what the rules read next: both presses, in order
        const judged = (await store.events.after(0)).filter((e) => e.deviceId === 'zhang-button');
        expect(judged.map((e) => [e.id, e.readings?.action])).toEqual([[sos, 'sos'], [again, 'sos']]);
      });

      it("keeps each device's last seen, battery and availability on its row", async () => {
        await seed();
        await store.ingest.append(event('zhang-smoke', T0, { smoke: false, battery: 88.4 }));
        await store.ingest.append(event('zhang-smoke', T0 + 1000, { smoke: false }));
        expect(await store.residents.getDevice('zhang-smoke')).toMatchObject({ battery: 88, lastSeen: T0 });
        await store.ingest.append({ ...event('zhang-smoke', T0 + 61_000, {}), type: 'availability', availability: 'offline', readings: undefined });
        expect(await store.residents.getDevice('zhang-smoke')).toMatchObject({ battery: 88, lastSeen: T0 + 61_000, availability: 'offline' });
        await Promise.all([
          store.ingest.append(event('zhang-smoke', T0 + 62_000, { battery: 40 })),
          store.ingest.append({ ...event('zhang-smoke', T0 + 62_001, {}), type: 'availability', availability: 'online', readings: undefined }),
        ]);
        expect(await store.residents.getDevice('zhang-smoke')).toMatchObject({ battery: 40, availability: 'online' });
        expect(await store.ingest.lastError()).toBeNull();
      });

      it('counts activity as the casefile means it: contact reports, occupancy, presses, never self-tests or releases', async () => {
        await seed();
        const q = 15 * 60_000;
        await store.ingest.append(event('zhang-door', T0, { contact: false }));
        await store.ingest.append(event('zhang-door', T0 + 1, { contact: true, battery: 50 }));
        await store.ingest.append(event('zhang-button', T0 + q, { action: 'single' }));
        await store.ingest.append(event('zhang-button', T0 + q + 1, { action: 'hold_release' }));
        await store.ingest.append(event('zhang-door', T0 + q + 2, { contact: false, test: true }));
        await store.ingest.append(event('zhang-smoke', T0 + q + 3, { smoke: true }));
        await store.ingest.append(event('chen-motion', T0 + 2 * q, { occupancy: true }));
        await store.ingest.append(event('chen-motion', T0 + 2 * q + 1, { occupancy: false }));
        await store.ingest.append({ ...event('zhang-door', T0 + 2 * q, {}), type: 'availability', availability: 'offline', readings: undefined });
        expect(await store.events.activityCount('r-zhang', T0, T0 + 3 * q)).toBe(3);
        expect(await store.events.activityCount('r-zhang', T0 + 1, T0 + 3 * q)).toBe(2);
        expect(await store.events.activityBuckets('r-zhang', T0, T0 + 3 * q)).toEqual([{ bucket: T0 / q, n: 2 }, { bucket: T0 / q + 1, n: 1 }]);
        expect(await store.events.activityCount('r-chen', T0, T0 + 3 * q)).toBe(1);
      });

      it('counts a door as the rules core does: only when its state changes, so an hourly "closed" check-in is no activity', async () => {
        await seed();
        const h = 3_600_000;
        // first report "closed" (a check-in), three more hourly check-ins, a self-test "open" between them
        for (let i = 0; i < 4; i++) await store.ingest.append(event('zhang-door', T0 + i * h, { contact: true, battery: 90 }));
        await store.ingest.append(event('zhang-door', T0 + 2 * h + 5, { contact: false, test: true }));
        expect(await store.events.activityCount('r-zhang', T0, T0 + 5 * h)).toBe(0);
        // the door opens and closes: two changes; the next hourly "closed" is none again
        await store.ingest.append(event('zhang-door', T0 + 4 * h, { contact: false }));
        await store.ingest.append(event('zhang-door', T0 + 4 * h + 60_000, { contact: true }));
        await store.ingest.append(event('zhang-door', T0 + 5 * h, { contact: true }));
        expect(await store.events.activityCount('r-zhang', T0, T0 + 6 * h)).toBe(2);
        // a window that starts after the opening still knows the door was open before it
        expect(await store.events.activityCount('r-zhang', T0 + 4 * h + 1, T0 + 6 * h)).toBe(1);
        expect(await store.events.activityBuckets('r-zhang', T0, T0 + 6 * h)).toEqual([{ bucket: (T0 + 4 * h) / (15 * 60_000), n: 2 }]);
        // each door by its own reports: another door's first "open" is a change of its own
        await store.ingest.append(event('zhang-fridge', T0 + 5 * h + 1, { contact: false }));
        expect(await store.events.activityCount('r-zhang', T0 + 5 * h, T0 + 6 * h)).toBe(1);
      });
    });

    describe('timeline', () => {
      it('merges device events and entries newest first, pages with a cursor, filters by type', async () => {
        await seed();
        const e1 = await store.ingest.append(event('zhang-door', T0, { contact: false }));
        const t1 = await store.timeline.add('r-zhang', T0, 'alert', { alertId: 1, kind: 'night_door' });
        await store.timeline.add('r-zhang', T0 + 10, 'visit', { visitId: 3, visitor: '李' });
        await store.ingest.append({ ...event('zhang-door', T0 + 20, {}), type: 'availability', availability: 'offline', readings: undefined });
        await store.timeline.add('r-chen', T0 + 30, 'visit', { visitId: 4 });
        const all = await store.timeline.page('r-zhang', { limit: 10 });
        expect(all.items.map((i) => i.type)).toEqual(['device_event', 'visit', 'alert', 'device_event']);
        expect(all.items[0]).toMatchObject({ at: new Date(T0 + 20).toISOString(), deviceId: 'zhang-door', availability: 'offline' });
        expect(all.items[1]).toMatchObject({ visitId: 3, visitor: '李', type: 'visit' });
        // an entry and an event in the same millisecond: the entry is newer (it follows from the event)
        expect(all.items[2]).toMatchObject({ type: 'alert', entryId: t1, alertId: 1 });
        expect(all.items[3]).toMatchObject({ type: 'device_event', eventId: e1, readings: { contact: false } });
        expect(all.nextBefore).toBeNull();
        const first = await store.timeline.page('r-zhang', { limit: 2 });
        expect(first.items.map((i) => i.type)).toEqual(['device_event', 'visit']);
        const rest = await store.timeline.page('r-zhang', { limit: 2, before: first.nextBefore! });
        expect(rest.items.map((i) => i.type)).toEqual(['alert', 'device_event']);
        expect(rest.nextBefore).toBeNull();
        expect((await store.timeline.page('r-zhang', { limit: 10, types: ['visit'] })).items.map((i) => i.type)).toEqual(['visit']);
        expect((await store.timeline.page('r-zhang', { limit: 10, types: ['device_event'] })).items.length).toBe(2);
        expect((await store.timeline.page('r-zhang', { limit: 10, before: new Date(T0 + 10).toISOString() })).items.map((i) => i.type)).toEqual(['alert', 'device_event']);
      });
    });

    describe('alerts', () => {
      const smoke = { residentId: 'r-zhang', kind: 'smoke' as const, conditionKey: 'smoke:zhang-smoke', deviceId: 'zhang-smoke', openedAt: T0, detail: { note: '厨房' }, escalationDue: T0 };

      it('one ongoing alert per condition: a second is a StoreConflict until the first is resolved', async () => {
        const id = await store.alerts.insert(smoke);
        const err = await store.alerts.insert({ ...smoke, openedAt: T0 + 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflict);
        expect((err as Error).message).toBe('already used: alerts.resident_id, alerts.condition_key');
        expect((await store.alerts.ongoing('r-zhang', 'smoke:zhang-smoke'))!.id).toBe(id);
        expect(await store.alerts.resolve(id, 'Li', T0 + 5)).toBe(true);
        expect(await store.alerts.ongoing('r-zhang', 'smoke:zhang-smoke')).toBeUndefined();
        // never discarded as a duplicate of one already resolved (CONTRACT.md "Alerts")
        expect(await store.alerts.insert({ ...smoke, openedAt: T0 + 10 })).toBeGreaterThan(id);
      });

      it('goes open -> acknowledged -> resolved once each, with who and when', async () => {
        const id = await store.alerts.insert(smoke);
        expect(await store.alerts.get(id)).toEqual({
          id, residentId: 'r-zhang', kind: 'smoke', conditionKey: 'smoke:zhang-smoke', deviceId: 'zhang-smoke', status: 'open', openedAt: T0,
          acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, detail: { note: '厨房' },
          escalationStep: 0, escalationDue: T0, unanswered: false,
        });
        expect(await store.alerts.acknowledge(id, 'Wang', T0 + 30_000)).toBe(true);
        expect(await store.alerts.acknowledge(id, 'Zhang', T0 + 40_000)).toBe(false);
        expect(await store.alerts.get(id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Wang', acknowledgedAt: T0 + 30_000, escalationDue: null });
        expect(await store.alerts.resolve(id, 'Li', T0 + 60_000)).toBe(true);
        expect(await store.alerts.resolve(id, 'Li', T0 + 70_000)).toBe(false);
        expect(await store.alerts.acknowledge(id, 'Li', T0 + 80_000)).toBe(false);
        expect(await store.alerts.get(id)).toMatchObject({ status: 'resolved', resolvedBy: 'Li', resolvedAt: T0 + 60_000 });
        expect(await store.alerts.get(id + 1000)).toBeUndefined();
      });

      it('lists by status and resident, newest first; counts what is not resolved', async () => {
        const a = await store.alerts.insert(smoke);
        const b = await store.alerts.insert({ ...smoke, kind: 'emergency', conditionKey: 'emergency:zhang-button', deviceId: 'zhang-button', openedAt: T0 + 10 });
        const c = await store.alerts.insert({ ...smoke, residentId: 'r-chen', kind: 'inactivity', conditionKey: 'inactivity', deviceId: null, openedAt: T0 + 20 });
        await store.alerts.acknowledge(b, 'Wang', T0 + 30);
        await store.alerts.resolve(c, 'rules', T0 + 40);
        expect((await store.alerts.list(undefined)).map((x) => x.id)).toEqual([c, b, a]);
        expect((await store.alerts.list('open')).map((x) => x.id)).toEqual([a]);
        expect((await store.alerts.list(undefined, 2)).map((x) => x.id)).toEqual([c, b]);
        expect((await store.alerts.ofResident('r-zhang')).map((x) => x.id)).toEqual([b, a]);
        expect((await store.alerts.unresolved()).map((x) => x.id)).toEqual([a, b]);
        expect(await store.alerts.openCounts()).toEqual(new Map([['r-zhang', 2]]));
        expect((await store.alerts.openedBetween(T0 + 5, T0 + 100)).map((x) => x.acknowledgedAt)).toEqual([T0 + 30, null]);
        expect((await store.alerts.openedBetween(T0 + 5, T0 + 100))[1]).toEqual({ openedAt: T0 + 20, acknowledgedAt: null, resolvedAt: T0 + 40, resolvedBy: 'rules' });
      });

      it('the escalation cursor is a durable timer: due, next due, detail kept', async () => {
        const a = await store.alerts.insert({ ...smoke, escalationDue: T0 + 120_000 });
        const b = await store.alerts.insert({ ...smoke, kind: 'emergency', conditionKey: 'emergency:zhang-button', escalationDue: T0 + 60_000 });
        expect(await store.alerts.nextDue()).toBe(T0 + 60_000);
        expect((await store.alerts.due(T0 + 60_000)).map((x) => x.id)).toEqual([b]);
        expect((await store.alerts.due(T0 + 200_000)).map((x) => x.id)).toEqual([b, a]);
        await store.alerts.setEscalation(b, 2, null, true);
        expect(await store.alerts.get(b)).toMatchObject({ escalationStep: 2, escalationDue: null, unanswered: true });
        await store.alerts.acknowledge(a, 'Wang', T0 + 1);
        expect(await store.alerts.nextDue()).toBeNull();
        await store.alerts.setDetail(a, { notes: [{ at: 'x', note: 'repeated' }] });
        expect((await store.alerts.get(a))!.detail).toEqual({ notes: [{ at: 'x', note: 'repeated' }] });
      });
    });

    describe('claims: each due piece of work to one process', () => {
      it('escalation: due alerts claimed in units of work are each handled once, whoever claims', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 12; i++) {
          ids.push(await store.alerts.insert({ residentId: `r-${i}`, kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: T0 + i }));
        }
        const other = await peer();
        const handled: number[] = [];
        const worker = async (s: Store) => {
          for (;;) {
            const got = await s.tx(async (tx) => {
              const due = await tx.alerts.claimDue(T0 + 100, 3);
              for (const a of due) {
                await tx.alerts.setEscalation(a.id, a.escalationStep + 1, null);
                handled.push(a.id);
              }
              await sleep(3); // the step's texts are queued meanwhile
              return due.length;
            });
            if (!got) return;
          }
        };
        await Promise.all([worker(store), worker(other), worker(store), worker(other)]);
        expect([...handled].sort((a, b) => a - b)).toEqual(ids);
        expect((await store.alerts.list(undefined)).every((a) => a.escalationStep === 1)).toBe(true);
      });

      it('escalation: an alert claimed by one process is skipped, not waited for, by another (PostgreSQL)', async () => {
        const a = await store.alerts.insert({ residentId: 'r-a', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: T0 });
        const b = await store.alerts.insert({ residentId: 'r-b', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: T0 + 1 });
        if (store.engine !== 'postgres') return; // one connection: units of work queue, nothing to skip
        const other = await peer();
        let release!: () => void;
        const held = new Promise<void>((resolve) => { release = resolve; });
        let claimed!: () => void;
        const first = new Promise<void>((resolve) => { claimed = resolve; });
        const holder = store.tx(async (tx) => {
          expect((await tx.alerts.claimDue(T0 + 10, 1)).map((x) => x.id)).toEqual([a]);
          claimed();
          await held;
        });
        await first;
        expect(await other.tx(async (tx) => (await tx.alerts.claimDue(T0 + 10)).map((x) => x.id))).toEqual([b]);
        release();
        await holder;
      });

      it('outbox: due rows are leased to one sender; an expired lease makes the row due again, in doubt', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 30; i++) {
          ids.push((await store.outbox.enqueue({ alertId: 1, residentId: 'r-zhang', contactId: i, phone: `+86138000000${String(i).padStart(2, '0')}`, channel: 'sms', step: 0, body: '烟雾报警', at: T0 + i }))!);
        }
        const sent = (await store.outbox.enqueue({ alertId: 2, residentId: 'r-zhang', contactId: 1, phone: '+1', channel: 'sms', step: 0, body: 'x', at: T0 }))!;
        await store.outbox.markSent(sent, 'SM0', T0);
        const other = await peer();
        const claimed: number[] = [];
        const sender = async (s: Store) => {
          for (;;) {
            const rows = await s.outbox.claimDue(T0 + 1000, T0 + 60_000, 4);
            if (!rows.length) return;
            for (const r of rows) {
              expect(r.status).toBe('pending'); // as it was: nobody had tried it yet
              claimed.push(r.id);
            }
          }
        };
        await Promise.all([sender(store), sender(other), sender(store), sender(other)]);
        expect([...claimed].sort((a, b) => a - b)).toEqual(ids);
        expect(await store.outbox.get(ids[0])).toMatchObject({ status: 'sending', nextAttemptAt: T0 + 60_000 });
        // a sender that answers settles its row; one that died leaves its lease to run out
        await store.outbox.markSent(ids[0], 'SM1', T0 + 2000);
        expect(await store.outbox.claimDue(T0 + 59_999, T0 + 120_000)).toEqual([]);
        const again = await other.outbox.claimDue(T0 + 60_000, T0 + 120_000, 100);
        expect(again.length).toBe(29);
        expect(again.every((r) => r.status === 'sending')).toBe(true); // in doubt: look it up before resending
        expect(again.map((r) => r.id)).not.toContain(ids[0]);
        expect(again.map((r) => r.id)).not.toContain(sent);
      });

      it('outbox: a live sender renews its lease and keeps its row; a dead one stops and the row is due again, in doubt', async () => {
        const row = (phone: string, at: number) => store.outbox.enqueue({ alertId: 1, residentId: 'r-zhang', contactId: null, phone, channel: 'sms', step: 0, body: 'SOS', at });
        const slow = (await row('+8613800000001', T0))!;
        const dead = (await row('+8613800000002', T0))!;
        const other = await peer();
        expect((await store.outbox.claimDue(T0, T0 + 5_000)).map((r) => r.id)).toEqual([slow, dead]);
        // the request for `slow` is still running at Twilio: its sender renews before the lease ends
        expect(await store.outbox.renewLease(slow, T0 + 9_000)).toBe(true);
        const taken = await other.outbox.claimDue(T0 + 5_000, T0 + 10_000);
        expect(taken.map((r) => [r.id, r.status])).toEqual([[dead, 'sending']]);
        // a renewal never revives a row that was settled or put back for a retry
        await store.outbox.markSent(slow, 'SM1', T0 + 6_000);
        expect(await store.outbox.renewLease(slow, T0 + 20_000)).toBe(false);
        await other.outbox.markRetry(dead, T0 + 7_000, 'timeout', true);
        expect(await store.outbox.renewLease(dead, T0 + 20_000)).toBe(false);
        expect(await store.outbox.get(slow)).toMatchObject({ status: 'sent', nextAttemptAt: T0 + 9_000 });
        expect(await store.outbox.get(dead)).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 7_000 });
      });

      it('outbox: one request per phone at a time, across claimers', async () => {
        const to = (phone: string, step: number, at: number) => store.outbox.enqueue({ alertId: 1, residentId: 'r-zhang', contactId: null, phone, channel: 'sms', step, body: `step ${step}`, at });
        const a1 = (await to('+100', 0, T0))!;
        const a2 = (await to('+100', 1, T0 + 1))!;
        const b1 = (await to('+200', 0, T0 + 2))!;
        const other = await peer();
        expect((await store.outbox.claimDue(T0 + 10, T0 + 5_000)).map((r) => r.id)).toEqual([a1, b1]);
        // +100 has a text under lease: its next one waits, whoever asks
        expect(await other.outbox.claimDue(T0 + 10, T0 + 5_000)).toEqual([]);
        await store.outbox.markSent(a1, 'SM1', T0 + 20);
        expect((await other.outbox.claimDue(T0 + 30, T0 + 5_000)).map((r) => r.id)).toEqual([a2]);
        // a lease that runs out (its sender died) frees the phone for the row itself, in doubt
        expect((await store.outbox.claimDue(T0 + 5_001, T0 + 10_000)).map((r) => [r.id, r.status])).toEqual([[a2, 'sending'], [b1, 'sending']]);
      });

      it('outbox: four senders on two stores never have two texts to one phone in flight', async () => {
        const all: number[] = [];
        for (let i = 0; i < 24; i++) {
          all.push((await store.outbox.enqueue({ alertId: 1, residentId: 'r-zhang', contactId: null, phone: `+30${i % 6}`, channel: 'sms', step: i, body: `text ${i}`, at: T0 + i }))!);
        }
        const other = await peer();
        const inFlight = new Set<string>();
        const sent: number[] = [];
        let overlaps = 0;
        const sender = async (s: Store) => {
          for (let idle = 0; idle < 20;) {
            const rows = await s.outbox.claimDue(T0 + 100, T0 + 600_000, 3);
            if (!rows.length) { idle++; await sleep(2); continue; }
            await Promise.all(rows.map(async (r) => {
              if (inFlight.has(r.phone)) overlaps++;
              inFlight.add(r.phone);
              await sleep(4); // the request to the provider
              inFlight.delete(r.phone);
              await s.outbox.markSent(r.id, `SM${r.id}`, T0 + 200);
              sent.push(r.id);
            }));
          }
        };
        await Promise.all([sender(store), sender(other), sender(store), sender(other)]);
        expect(overlaps).toBe(0);
        expect([...sent].sort((a, b) => a - b)).toEqual(all);
      });
    });

    describe('rule state', () => {
      it('keeps the rules core state and the last event judged', async () => {
        expect(await store.ruleState.get('r-zhang')).toBeUndefined();
        const state = { lastActivity: T0, doors: { 'zhang-door': 'open' }, nested: [1, 2, { x: null }] };
        expect(await store.ruleState.save('r-zhang', state, 42, T0)).toBe(1);
        expect(await store.ruleState.get('r-zhang')).toEqual({ state, lastEventId: 42, version: 1 });
        expect(await store.ruleState.save('r-zhang', { lastActivity: T0 + 1 }, 43, T0 + 1)).toBe(2);
        expect(await store.ruleState.get('r-zhang')).toEqual({ state: { lastActivity: T0 + 1 }, lastEventId: 43, version: 2 });
      });

      it('every save bumps the version, which the lock returns: a copy judged elsewhere is told stale', async () => {
        const other = await peer();
        // a resident locked before any save (on PostgreSQL that makes its row) is still at version 0
        await store.tx(async (tx) => { expect(await tx.ruleState.lock('r-zhang')).toBeUndefined(); });
        expect(await other.tx(async (tx) => tx.ruleState.save('r-zhang', { n: 1 }, 7, T0))).toBe(1);
        const seen = await store.tx(async (tx) => {
          const row = await tx.ruleState.lock('r-zhang');
          return { row, version: await tx.ruleState.save('r-zhang', { n: 2 }, 8, T0) };
        });
        expect(seen).toEqual({ row: { state: { n: 1 }, lastEventId: 7, version: 1 }, version: 2 });
        // a rolled-back save leaves the version where it was
        await expect(other.tx(async (tx) => { await tx.ruleState.lock('r-zhang'); await tx.ruleState.save('r-zhang', { n: 3 }, 9, T0); throw new Error('no'); }))
          .rejects.toThrow('no');
        expect(await other.ruleState.get('r-zhang')).toEqual({ state: { n: 2 }, lastEventId: 8, version: 2 });
      });

      it('lock serialises decisions for one resident: concurrent read-judge-write loses no update', async () => {
        await store.ruleState.save('r-zhang', { count: 0 }, 0, T0);
        const other = await peer();
        const judge = (s: Store, n: number) => s.tx(async (tx) => {
          const row = await tx.ruleState.lock('r-zhang');
          const count = (row!.state as { count: number }).count;
          await sleep(5); // judging takes a moment; a second decider must wait for it
          await tx.ruleState.save('r-zhang', { count: count + 1 }, row!.lastEventId + n, T0);
        });
        await Promise.all([judge(store, 1), judge(other, 1), judge(store, 1), judge(other, 1), judge(store, 1)]);
        expect(await store.ruleState.get('r-zhang')).toEqual({ state: { count: 5 }, lastEventId: 5, version: 6 });
        // a resident with no state yet can be locked too, and still has none until a save
        await store.tx(async (tx) => { expect(await tx.ruleState.lock('r-new')).toBeUndefined(); });
        expect(await store.ruleState.get('r-new')).toBeUndefined();
      });

      it('a lock on one resident does not hold up another', async () => {
        await store.ruleState.save('r-zhang', { n: 1 }, 0, T0);
        await store.ruleState.save('r-chen', { n: 1 }, 0, T0);
        const other = await peer();
        let release!: () => void;
        const held = new Promise<void>((resolve) => { release = resolve; });
        const zhang = store.tx(async (tx) => { await tx.ruleState.lock('r-zhang'); await held; });
        // on one SQLite connection units of work queue; on PostgreSQL the other resident goes ahead
        if (store.engine === 'postgres') {
          await other.tx(async (tx) => { await tx.ruleState.lock('r-chen'); await tx.ruleState.save('r-chen', { n: 2 }, 0, T0); });
          expect(await other.ruleState.get('r-chen')).toEqual({ state: { n: 2 }, lastEventId: 0, version: 2 });
        }
        release();
        await zhang;
      });
    });

    describe('event inbox', () => {
      it('every stored event waits in its home\'s inbox, committed with it; a resend adds none; taken in id order, removed once judged', async () => {
        await seed();
        const a = await store.ingest.append(event('zhang-door', T0, { contact: false }), { session: 'c:1:zhang-door', messageId: 1, dup: false });
        // the moment its append resolves, another connection sees the event in the inbox
        const other = await peer();
        expect(await other.inbox.take('r-zhang', 10)).toEqual([a]);
        const [b, c, d, dup] = await Promise.all([
          store.ingest.append(event('chen-motion', T0 + 1, { occupancy: true })),
          store.ingest.append(event('zhang-smoke', T0 + 2, { smoke: true })),
          store.ingest.append(event('zhang-button', T0 + 3, { action: 'sos' })),
          store.ingest.append(event('zhang-door', T0 + 4, { contact: false }), { session: 'c:1:zhang-door', messageId: 1, dup: true }),
        ]);
        expect(dup).toBe(-a);
        expect(await store.inbox.residents()).toEqual(['r-chen', 'r-zhang']);
        expect(await store.inbox.take('r-zhang', 10)).toEqual([a, c, d]);
        expect(await store.inbox.take('r-zhang', 2)).toEqual([a, c]);
        expect(await store.inbox.take('r-zhang', 10, a)).toEqual([c, d]);
        expect(await store.inbox.take('r-zhang', 10, d)).toEqual([]);
        expect(await store.inbox.take('r-chen', 10)).toEqual([b]);
        // removed in a unit of work that rolls back: still there
        await expect(store.tx(async (tx) => { await tx.inbox.remove('r-zhang', [a, c]); throw new Error('no'); })).rejects.toThrow('no');
        expect(await store.inbox.take('r-zhang', 10)).toEqual([a, c, d]);
        await store.tx(async (tx) => { await tx.ruleState.lock('r-zhang'); await tx.inbox.remove('r-zhang', [a, c]); });
        await store.inbox.remove('r-zhang', [a]); // twice: nothing more happens
        expect(await store.inbox.take('r-zhang', 10)).toEqual([d]);
        await store.inbox.remove('r-chen', [b]);
        await store.inbox.remove('r-zhang', []);
        expect(await store.inbox.residents()).toEqual(['r-zhang']);
        // the events themselves stay: the inbox is only what is left to judge
        expect((await store.events.after(0)).map((e) => e.id)).toEqual([a, b, c, d]);
      });
    });

    describe('the rules\' timers', () => {
      it('a home\'s next due time is one row with its state\'s version as token, written and cleared with the deciding unit, visible to another store', async () => {
        await seed();
        const other = await second();
        expect(await store.ruleTimers.get('r-zhang')).toBeUndefined();
        await store.tx(async (tx) => {
          await tx.ruleState.lock('r-zhang');
          const version = await tx.ruleState.save('r-zhang', { n: 1 }, 0, T0);
          await tx.ruleTimers.set('r-zhang', T0 + 60_000, version);
        });
        expect(await other.ruleTimers.get('r-zhang')).toEqual({ residentId: 'r-zhang', dueAt: T0 + 60_000, version: 1, claimedBy: null, claimUntil: null });
        // rolled back with the state it was written for
        await expect(store.tx(async (tx) => {
          await tx.ruleState.lock('r-zhang');
          await tx.ruleTimers.set('r-zhang', T0 + 1, await tx.ruleState.save('r-zhang', { n: 2 }, 0, T0));
          throw new Error('no');
        })).rejects.toThrow('no');
        expect(await other.ruleTimers.get('r-zhang')).toMatchObject({ dueAt: T0 + 60_000, version: 1 });
        // a new token replaces the due time and any claim; nothing due removes the row
        expect(await store.ruleTimers.claimDue(T0 + 60_000, 'p-1', T0 + 70_000)).toHaveLength(1);
        await store.ruleTimers.set('r-zhang', T0 + 120_000, 2);
        expect(await other.ruleTimers.get('r-zhang')).toEqual({ residentId: 'r-zhang', dueAt: T0 + 120_000, version: 2, claimedBy: null, claimUntil: null });
        await store.ruleTimers.set('r-zhang', null, 3);
        expect(await other.ruleTimers.get('r-zhang')).toBeUndefined();
        expect(await other.ruleTimers.nextDue()).toBeNull();
      });

      it('due rows are claimed for a lease by one process, earliest first; a lease that runs out makes the row claimable again', async () => {
        await seed();
        const other = await peer();
        await store.ruleTimers.set('r-zhang', T0 + 10, 4);
        await store.ruleTimers.set('r-chen', T0, 7);
        await store.ruleTimers.set('r-gone', T0 - 5, 1); // no such resident (deleted): never claimed
        expect(await store.ruleTimers.nextDue()).toBe(T0);
        expect(await store.ruleTimers.claimDue(T0 - 1, 'a', T0 + 10_000)).toEqual([]);
        expect(await store.ruleTimers.claimDue(T0 + 10, 'a', T0 + 10_000, 1)).toEqual([
          { residentId: 'r-chen', dueAt: T0, version: 7, claimedBy: 'a', claimUntil: T0 + 10_000 }]);
        // under its lease, nobody else gets it; the other row is still free
        expect(await other.ruleTimers.claimDue(T0 + 20, 'b', T0 + 10_020)).toEqual([
          { residentId: 'r-zhang', dueAt: T0 + 10, version: 4, claimedBy: 'b', claimUntil: T0 + 10_020 }]);
        expect(await other.ruleTimers.claimDue(T0 + 9_999, 'b', T0 + 19_999)).toEqual([]);
        expect(await store.ruleTimers.nextDue()).toBe(T0 + 10_000);
        // a's lease runs out (a died): b claims r-chen, with the same token
        expect(await other.ruleTimers.claimDue(T0 + 10_000, 'b', T0 + 20_000)).toEqual([
          { residentId: 'r-chen', dueAt: T0, version: 7, claimedBy: 'b', claimUntil: T0 + 20_000 }]);
        expect(await store.ruleTimers.nextDue()).toBe(T0 + 10_020);
      });

      it('claims at once from many workers hand each due row to one of them', async () => {
        const ids = Array.from({ length: 24 }, (_, i) => `r-${String(i).padStart(2, '0')}`);
        await store.residents.seedFromConfig(parseConfig({ residents: ids.map((id) => ({ id, name: id, devices: [] })) }).residents, 'UTC', T0);
        for (const [i, id] of ids.entries()) await store.ruleTimers.set(id, T0 + i, 1);
        const other = await peer();
        const got: string[] = [];
        const worker = async (s: Store, by: string) => {
          for (;;) {
            const rows = await s.tx(async (tx) => { const r = await tx.ruleTimers.claimDue(T0 + 100, by, T0 + 10_000, 3); await sleep(2); return r; });
            if (!rows.length) return;
            got.push(...rows.map((r) => r.residentId));
          }
        };
        await Promise.all([worker(store, 'a'), worker(other, 'b'), worker(store, 'c'), worker(other, 'd')]);
        expect([...got].sort()).toEqual(ids);
      });
    });

    describe('outbox', () => {
      const message = (over: Partial<Parameters<Store['outbox']['enqueue']>[0]> = {}) => ({
        alertId: 1, residentId: 'r-zhang', contactId: 1, phone: '+8613800000001', channel: 'sms' as const, step: 0, body: '烟雾报警', at: T0, ...over,
      });

      it('one text per (alert, step, phone, channel); notices with no step may repeat', async () => {
        const id = await store.outbox.enqueue(message());
        expect(id).toBeGreaterThan(0);
        expect(await store.outbox.enqueue(message({ body: 'again' }))).toBeNull();
        expect(await store.outbox.enqueue(message({ channel: 'call' }))).toBeGreaterThan(id!);
        expect(await store.outbox.enqueue(message({ step: 1 }))).toBeGreaterThan(id!);
        const n1 = await store.outbox.enqueue(message({ step: null }));
        const n2 = await store.outbox.enqueue(message({ step: null }));
        expect(n1).not.toBeNull();
        expect(n2).not.toBeNull();
        expect(await store.outbox.get(id!)).toEqual({
          id, alertId: 1, residentId: 'r-zhang', contactId: 1, phone: '+8613800000001', channel: 'sms', step: 0, body: '烟雾报警',
          status: 'pending', attempts: 0, nextAttemptAt: T0, providerId: null, lastError: null, createdAt: T0, sentAt: null,
        });
        expect((await store.outbox.ofAlert(1)).length).toBe(5);
        expect((await store.outbox.stepRows(1, 0)).map((r) => r.channel)).toEqual(['sms', 'call']);
        expect((await store.outbox.callOf(1, '+8613800000001'))!.channel).toBe('call');
      });

      it('moves pending -> sending -> sent -> delivered, retries and failures as notify expects', async () => {
        const a = (await store.outbox.enqueue(message()))!;
        const b = (await store.outbox.enqueue(message({ phone: '+8613800000002', at: T0 + 5 })))!;
        expect((await store.outbox.due(T0)).map((r) => r.id)).toEqual([a]);
        expect((await store.outbox.due(T0 + 5)).map((r) => r.id)).toEqual([a, b]);
        expect(await store.outbox.nextAttempt()).toBe(T0);
        expect(await store.outbox.markSending(a, T0 + 10_000)).toBe(true);
        expect(await store.outbox.get(a)).toMatchObject({ status: 'sending', nextAttemptAt: T0 + 10_000 });
        await store.outbox.markSent(a, 'SM123', T0 + 1);
        expect(await store.outbox.get(a)).toMatchObject({ status: 'sent', providerId: 'SM123', sentAt: T0 + 1, attempts: 1 });
        expect(await store.outbox.markSending(a, T0)).toBe(false);
        expect((await store.outbox.byProviderId('SM123'))!.id).toBe(a);
        expect(await store.outbox.markDelivery(a, 'delivered', null, null)).toBe(true);
        expect(await store.outbox.markDelivery(a, 'sent', null, null)).toBe(false); // never backwards
        expect(await store.outbox.markDelivery(a, 'delivered', null, null)).toBe(false);
        await store.outbox.markRetry(b, T0 + 30_000, 'timeout', true);
        expect(await store.outbox.get(b)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 30_000, lastError: 'in doubt: timeout' });
        expect(await store.outbox.markFailed(b, 'rejected')).toBe(true);
        expect(await store.outbox.markFailed(b, 'rejected')).toBe(false);
        expect(await store.outbox.get(b)).toMatchObject({ status: 'failed', attempts: 2, lastError: 'rejected' });
        expect(await store.outbox.nextAttempt()).toBeNull();
      });

      it('cancels what an acknowledged alert has not sent, and what settled alerts left behind', async () => {
        const alert = await store.alerts.insert({ residentId: 'r-zhang', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: null });
        const other = await store.alerts.insert({ residentId: 'r-zhang', kind: 'emergency', conditionKey: 'emergency', deviceId: null, openedAt: T0, detail: {}, escalationDue: null });
        const sent = (await store.outbox.enqueue(message({ alertId: alert, step: 0 })))!;
        await store.outbox.markSent(sent, 'SM1', T0);
        const pending = (await store.outbox.enqueue(message({ alertId: alert, step: 1 })))!;
        const sending = (await store.outbox.enqueue(message({ alertId: alert, step: 2 })))!;
        await store.outbox.markSending(sending, T0 + 1);
        const followUp = (await store.outbox.enqueue(message({ alertId: alert, step: -1 })))!;
        const cancelled = await store.outbox.cancelPending(alert);
        expect(cancelled.map((r) => r.id)).toEqual([pending, sending]);
        expect(cancelled.every((r) => r.status === 'cancelled')).toBe(true);
        expect((await store.outbox.get(followUp))!.status).toBe('pending');
        expect(await store.outbox.cancelPending(alert)).toEqual([]);
        // a row cancelled while its request was in flight did go out: it counts as sent
        await store.outbox.markSent(sending, 'SM2', T0 + 2);
        expect((await store.outbox.get(sending))!.status).toBe('sent');
        const left = (await store.outbox.enqueue(message({ alertId: other, step: 0 })))!;
        expect(await store.outbox.cancelSettled()).toEqual([]);
        await store.alerts.acknowledge(other, 'Wang', T0 + 3);
        expect((await store.outbox.cancelSettled()).map((r) => r.id)).toEqual([left]);
      });

      it('finds the newest alert a number was asked about, by a text that went out (or may have) before the reply', async () => {
        const older = await store.alerts.insert({ residentId: 'r-zhang', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: null });
        const newer = await store.alerts.insert({ residentId: 'r-zhang', kind: 'emergency', conditionKey: 'emergency', deviceId: null, openedAt: T0 + 100, detail: {}, escalationDue: null });
        const sent = async (m: ReturnType<typeof message>) => {
          const id = (await store.outbox.enqueue(m))!;
          await store.outbox.markSent(id, `SM-${id}`, m.at);
          return id;
        };
        await sent(message({ alertId: older, step: 0 }));
        await sent(message({ alertId: newer, step: -1, at: T0 + 100 })); // a follow-up asks nothing
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open'], T0 + 1000)).toBe(older);
        // the unanswered notice asks; but only once it has gone out, and only for replies after it was queued
        const notice = (await store.outbox.enqueue(message({ alertId: newer, step: -2, at: T0 + 200 })))!;
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open', 'acknowledged'], T0 + 1000)).toBe(older);
        await store.outbox.markRetry(notice, T0 + 300, 'timeout', true); // in doubt: it may have been read
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open', 'acknowledged'], T0 + 1000)).toBe(newer);
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open', 'acknowledged'], T0 + 199)).toBe(older);
        await store.outbox.markSent(notice, 'SM-notice', T0 + 300);
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open', 'acknowledged'], T0 + 1000)).toBe(newer);
        await store.alerts.acknowledge(newer, 'Wang', T0 + 400);
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open'], T0 + 1000)).toBe(older);
        expect(await store.outbox.newestAlertFor('+8613800000009', ['open'], T0 + 1000)).toBeNull();
        // never read: still queued, failed for good, or cancelled before it went
        const third = await store.alerts.insert({ residentId: 'r-zhang', kind: 'co', conditionKey: 'co', deviceId: null, openedAt: T0 + 500, detail: {}, escalationDue: null });
        const queued = (await store.outbox.enqueue(message({ alertId: third, step: 0, at: T0 + 500 })))!;
        const refused = (await store.outbox.enqueue(message({ alertId: third, step: 1, at: T0 + 500 })))!;
        await store.outbox.markFailed(refused, 'twilio 21211');
        await store.outbox.enqueue(message({ alertId: third, step: 2, at: T0 + 500 }));
        await store.outbox.cancelPending(third);
        expect(await store.outbox.get(queued)).toMatchObject({ status: 'cancelled' });
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open'], T0 + 1000)).toBe(older);
        const sending = (await store.outbox.enqueue(message({ alertId: third, step: 3, at: T0 + 500 })))!;
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open'], T0 + 1000)).toBe(older);
        await store.outbox.markSending(sending, T0 + 5500); // on its way: the number may be reading it
        expect(await store.outbox.newestAlertFor('+8613800000001', ['open'], T0 + 1000)).toBe(third);
      });
    });

    describe('visits, problems, the WT counter, audit', () => {
      const visit = (at: number, residentId = 'r-zhang') => ({
        residentId, visitor: '李社工', at, endedAt: at + 3_600_000, purpose: 'routine', notes: '精神好', observations: { mood: 'good' }, recordedBy: 'li-caseworker', createdAt: at,
      });

      it('counts WT numbers per year, never the same twice, even from concurrent units of work', async () => {
        expect(await store.visits.nextProblemSeq(2026)).toBe(1);
        expect(await store.visits.nextProblemSeq(2026)).toBe(2);
        expect(await store.visits.nextProblemSeq(2027)).toBe(1);
        const other = await peer();
        const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).tx((tx) => tx.visits.nextProblemSeq(2026))));
        expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
      });

      it("referrals of a problem: in order, taken and answered; a referral starts a pending problem, never a solved one", async () => {
        await seed();
        const visitId = await store.visits.insertVisit(visit(T0));
        await store.visits.insertProblem({ id: 'WT2026009', visitId, residentId: 'r-zhang', description: '低保复核', category: 'livelihood', urgency: 'normal', responsible: 'Li', deadline: T0 + 86_400_000, openedAt: T0 });
        const first = await store.tx(async (tx) => {
          const id = await tx.referrals.insert({ problemId: 'WT2026009', department: 'civil_affairs', note: '请复核', referredAt: T0 + 10, referredBy: 'li' });
          expect(await tx.visits.startProblem('WT2026009')).toBe(true);
          return id;
        });
        const second = await store.referrals.insert({ problemId: 'WT2026009', department: 'health', note: '', referredAt: T0 + 5, referredBy: 'li' });
        expect(await store.visits.startProblem('WT2026009')).toBe(false);
        expect((await store.visits.getProblem('WT2026009'))!.status).toBe('in_progress');
        expect(await store.referrals.get(first)).toEqual({
          id: first, problemId: 'WT2026009', department: 'civil_affairs', note: '请复核', referredAt: T0 + 10, referredBy: 'li',
          takenBy: null, takenAt: null, answer: null, answeredAt: null,
        });
        expect((await store.referrals.of('WT2026009')).map((r) => r.id)).toEqual([second, first]);
        expect(await store.referrals.update({ id: first, takenBy: '王科长', takenAt: T0 + 20, answer: '已复核', answeredAt: T0 + 30 })).toBe(true);
        expect(await store.referrals.get(first)).toMatchObject({ takenBy: '王科长', takenAt: T0 + 20, answer: '已复核', answeredAt: T0 + 30 });
        expect(await store.referrals.update({ id: 999_999, takenBy: 'x', takenAt: 1, answer: null, answeredAt: null })).toBe(false);
        expect(await store.referrals.get(999_999)).toBeUndefined();
        expect(await store.referrals.of('WT-none')).toEqual([]);
        await store.visits.updateProblem({ id: 'WT2026009', status: 'solved', solvedAt: T0 + 40, followUpVisitId: null, satisfaction: null, responsible: 'Li' });
        expect(await store.visits.startProblem('WT2026009')).toBe(false);
        expect((await store.visits.getProblem('WT2026009'))!.status).toBe('solved');
      });

      it("photos' rows: of a visit or a problem, oldest first; deleted once; gone with their visit", async () => {
        await seed();
        const visitId = await store.visits.insertVisit(visit(T0));
        await store.visits.insertProblem({ id: 'WT2026010', visitId, residentId: 'r-zhang', description: '墙面渗水', category: 'livelihood', urgency: 'normal', responsible: 'Li', deadline: T0 + 86_400_000, openedAt: T0 });
        const photo = (id: string, at: number, target: { visitId: number | null; problemId: string | null }) => ({
          id, residentId: 'r-zhang', ...target, width: 1600, height: 1200, bytes: 123_456, createdAt: at, createdBy: 'li',
        });
        await store.tx(async (tx) => {
          await tx.photos.insert(photo('b'.repeat(32), T0 + 2, { visitId, problemId: null }));
          await tx.photos.insert(photo('a'.repeat(32), T0 + 2, { visitId, problemId: null }));
        });
        await store.photos.insert(photo('c'.repeat(32), T0 + 1, { visitId, problemId: null }));
        await store.photos.insert(photo('d'.repeat(32), T0, { visitId: null, problemId: 'WT2026010' }));
        expect((await store.photos.ofVisit(visitId)).map((p) => p.id[0])).toEqual(['c', 'a', 'b']);
        expect(await store.photos.ofProblem('WT2026010')).toEqual([photo('d'.repeat(32), T0, { visitId: null, problemId: 'WT2026010' })]);
        expect(await store.photos.get('a'.repeat(32))).toEqual(photo('a'.repeat(32), T0 + 2, { visitId, problemId: null }));
        expect(await store.photos.get('e'.repeat(32))).toBeUndefined();
        expect([...await store.photos.ids()].sort()).toEqual(['a', 'b', 'c', 'd'].map((c) => c.repeat(32)));
        expect(await store.photos.delete('c'.repeat(32))).toBe(true);
        expect(await store.photos.delete('c'.repeat(32))).toBe(false);
        expect(await store.residents.deleteResident('r-zhang')).toBe(true);
        expect(await store.photos.ids()).toEqual([]);
      });

      it('records visits with their problems; pages newest first; follows problems to solved', async () => {
        await seed();
        const v1 = await store.visits.insertVisit(visit(T0));
        const v2 = await store.visits.insertVisit(visit(T0 + 86_400_000));
        const v3 = await store.visits.insertVisit(visit(T0 + 86_400_000));
        await store.visits.insertVisit(visit(T0 + 5, 'r-chen'));
        expect(await store.visits.getVisit(v1)).toEqual({ id: v1, ...visit(T0), satisfaction: null });
        const rated = await store.visits.insertVisit({ ...visit(T0 - 10, 'r-chen'), satisfaction: 4 });
        expect((await store.visits.getVisit(rated))?.satisfaction).toBe(4);
        expect((await store.visits.visitsOf('r-zhang', 2)).map((v) => v.id)).toEqual([v3, v2]);
        expect((await store.visits.visitsOf('r-zhang', 10, T0 + 86_400_000, v3)).map((v) => v.id)).toEqual([v2, v1]);
        expect(await store.visits.lastVisits(T0 + 10)).toEqual(new Map([['r-zhang', T0], ['r-chen', T0 + 5]]));
        const problem = { visitId: v1, residentId: 'r-zhang', description: '水龙头漏水', category: 'livelihood' as const, urgency: 'high' as const, responsible: '李社工', deadline: T0 + 86_400_000, openedAt: T0 };
        await store.visits.insertProblem({ id: 'WT2026001', ...problem });
        await store.visits.insertProblem({ id: 'WT2026002', ...problem, visitId: v2, urgency: 'normal', openedAt: T0 + 86_400_000 });
        expect(await store.visits.getProblem('WT2026001')).toEqual({ id: 'WT2026001', ...problem, status: 'pending', solvedAt: null, followUpVisitId: null, satisfaction: null,
          subcategory: null, resolution: null });
        await store.visits.insertProblem({ id: 'WT2026003', ...problem, subcategory: 'housing_repair', deadline: T0 + 10 });
        expect(await store.visits.getProblem('WT2026003')).toMatchObject({ subcategory: 'housing_repair', resolution: null });
        // open and past their deadline, per resident, oldest deadline first
        expect(await store.visits.overdueProblems(T0 + 86_400_001)).toEqual(new Map([['r-zhang', [
          { id: 'WT2026003', urgency: 'high', deadline: T0 + 10 }, { id: 'WT2026001', urgency: 'high', deadline: T0 + 86_400_000 },
          { id: 'WT2026002', urgency: 'normal', deadline: T0 + 86_400_000 }]]]));
        expect((await store.visits.problemsOfVisits([v1, v2])).map((p) => p.id)).toEqual(['WT2026001', 'WT2026002', 'WT2026003']);
        expect(await store.visits.problemsOfVisits([v3])).toEqual([]);
        expect((await store.visits.problemsOf('r-zhang')).map((p) => p.id)).toEqual(['WT2026002', 'WT2026003', 'WT2026001']);
        await store.visits.updateProblem({ id: 'WT2026001', status: 'solved', solvedAt: T0 + 3_600_000, followUpVisitId: v2, satisfaction: 5, responsible: '王', resolution: '修好了' });
        expect(await store.visits.getProblem('WT2026001')).toMatchObject({ status: 'solved', solvedAt: T0 + 3_600_000, followUpVisitId: v2, satisfaction: 5, responsible: '王', resolution: '修好了' });
        expect([...(await store.visits.overdueProblems(T0 + 86_400_001)).get('r-zhang')!].map((p) => p.id)).toEqual(['WT2026003', 'WT2026002']);
        const err = await store.visits.insertProblem({ id: 'WT2026001', ...problem }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflict);
      });

      it("gives the period report's visit and problem figures", async () => {
        await seed();
        const day = 86_400_000;
        const v1 = await store.visits.insertVisit(visit(T0));
        await store.visits.insertVisit(visit(T0 + 1));
        await store.visits.insertVisit(visit(T0 + 2, 'r-chen'));
        await store.visits.insertVisit(visit(T0 + 10 * day));
        const p = { visitId: v1, residentId: 'r-zhang', description: 'x', category: 'health' as const, urgency: 'normal' as const, responsible: 'Li' };
        await store.visits.insertProblem({ id: 'WT2026001', ...p, deadline: T0 + day, openedAt: T0 }); // solved in time
        await store.visits.insertProblem({ id: 'WT2026002', ...p, deadline: T0 + day, openedAt: T0 }); // overdue
        await store.visits.insertProblem({ id: 'WT2026003', ...p, deadline: T0 + 2 * day, openedAt: T0 }); // solved late
        await store.visits.insertProblem({ id: 'WT2026004', ...p, deadline: T0 + 20 * day, openedAt: T0 + 1 }); // not yet due
        await store.visits.updateProblem({ id: 'WT2026001', status: 'solved', solvedAt: T0 + 100, followUpVisitId: null, satisfaction: null, responsible: 'Li' });
        await store.visits.updateProblem({ id: 'WT2026003', status: 'solved', solvedAt: T0 + 3 * day, followUpVisitId: null, satisfaction: null, responsible: 'Li' });
        expect(await store.visits.periodFigures(T0, T0 + 7 * day, T0 + 7 * day)).toEqual({
          visits: 3, residentsVisited: 2, problemsOpened: 4, problemsSolved: 2, problemsOverdue: 1, problemsDue: 3, problemsOnTime: 1,
        });
        expect(await store.visits.periodFigures(T0, T0 + 7 * day, T0 + 1)).toMatchObject({ problemsDue: 0, problemsOverdue: 0 });
      });

      it('keeps the audit log newest first, paged by id', async () => {
        await store.audit.add(T0, 'ops-admin', 'device.create', 'zhang-new', { residentId: 'r-zhang', kind: 'smoke' });
        await store.audit.add(T0 + 1, 'ops-admin', 'device.delete', 'zhang-new');
        await store.audit.add(T0 + 2, 'li', 'visit.record', 'r-zhang', { visitId: 1 });
        const page = await store.audit.page(2);
        expect(page.map((e) => e.action)).toEqual(['visit.record', 'device.delete']);
        expect(page[1]).toMatchObject({ actor: 'ops-admin', target: 'zhang-new', at: new Date(T0 + 1).toISOString(), detail: {} });
        const older = await store.audit.page(10, page[1].id);
        expect(older).toEqual([{ id: older[0].id, at: new Date(T0).toISOString(), actor: 'ops-admin', action: 'device.create', target: 'zhang-new', detail: { residentId: 'r-zhang', kind: 'smoke' } }]);
      });
    });

    describe('the rest of the casefile: reports, warnings, profiles, appointments, rounds', () => {
      const day = 86_400_000;
      const AREA = '幸福社区 3号楼';
      const visit = (at: number, residentId = 'r-zhang', satisfaction: number | null = null) => ({
        residentId, visitor: '李社工', at, endedAt: null, purpose: 'routine', notes: '', observations: {}, recordedBy: 'li', createdAt: at, satisfaction,
      });
      const problem = (id: string, visitId: number, residentId: string, openedAt: number, deadline: number, category: 'health' | 'livelihood' = 'health') => ({
        id, visitId, residentId, description: `d-${id}`, category, urgency: 'normal' as const, responsible: 'Li', deadline, openedAt,
      });
      const solve = (id: string, solvedAt: number, satisfaction: number | null = null) =>
        store.visits.updateProblem({ id, status: 'solved', solvedAt, followUpVisitId: null, satisfaction, responsible: 'Li' });
      const alert = (residentId: string, openedAt: number, key: string) =>
        store.alerts.insert({ residentId, kind: 'smoke', conditionKey: key, deviceId: null, openedAt, detail: {}, escalationDue: null });

      it("the period report's figures, the series' dated rows and the alerts, for everyone or one area's residents", async () => {
        await seed();
        const zv = await store.visits.insertVisit(visit(T0));
        await store.visits.insertVisit(visit(T0 + 1));
        const cv = await store.visits.insertVisit(visit(T0 + 2, 'r-chen'));
        await store.visits.insertVisit(visit(T0 + 10 * day));
        await store.visits.insertProblem(problem('WT2026001', zv, 'r-zhang', T0, T0 + day)); // solved in time
        await store.visits.insertProblem(problem('WT2026002', zv, 'r-zhang', T0, T0 + day)); // overdue
        await store.visits.insertProblem(problem('WT2026003', cv, 'r-chen', T0 + 5, T0 + 2 * day)); // chen's, overdue
        await solve('WT2026001', T0 + 100);
        const a1 = await alert('r-zhang', T0 + 7, 'smoke:1');
        await store.alerts.acknowledge(a1, 'Wang', T0 + 30_007);
        await alert('r-chen', T0 + 8, 'smoke:2');
        await alert('r-zhang', T0 + 8 * day, 'smoke:3');
        const week = [T0, T0 + 7 * day, T0 + 7 * day] as const;
        expect(await store.casefileReports.periodFigures(...week, null)).toEqual({
          visits: 3, residentsVisited: 2, residents: 2, problemsOpened: 3, problemsSolved: 1, problemsOverdue: 2, problemsDue: 3, problemsOnTime: 1,
        });
        expect(await store.casefileReports.periodFigures(...week, AREA)).toEqual({
          visits: 2, residentsVisited: 1, residents: 1, problemsOpened: 2, problemsSolved: 1, problemsOverdue: 1, problemsDue: 2, problemsOnTime: 1,
        });
        expect(await store.casefileReports.periodFigures(...week, 'nowhere')).toEqual({
          visits: 0, residentsVisited: 0, residents: 0, problemsOpened: 0, problemsSolved: 0, problemsOverdue: 0, problemsDue: 0, problemsOnTime: 0,
        });
        const sortAt = <R extends { at?: number; openedAt?: number; residentId?: string }>(rows: R[]) =>
          [...rows].sort((a, b) => (a.at ?? a.openedAt ?? 0) - (b.at ?? b.openedAt ?? 0) || String(a.residentId).localeCompare(String(b.residentId)));
        expect(sortAt(await store.casefileReports.alertsOpened(T0, T0 + 7 * day, null))).toEqual([
          { openedAt: T0 + 7, acknowledgedAt: T0 + 30_007, resolvedAt: null, resolvedBy: null },
          { openedAt: T0 + 8, acknowledgedAt: null, resolvedAt: null, resolvedBy: null },
        ]);
        expect(await store.casefileReports.alertsOpened(T0, T0 + 7 * day, AREA)).toHaveLength(1);
        expect(sortAt(await store.casefileReports.datedRows('visits', T0, T0 + 7 * day, null))).toEqual([
          { at: T0, residentId: 'r-zhang' }, { at: T0 + 1, residentId: 'r-zhang' }, { at: T0 + 2, residentId: 'r-chen' },
        ]);
        expect(sortAt(await store.casefileReports.datedRows('opened', T0, T0 + 7 * day, AREA))).toEqual([
          { at: T0, residentId: 'r-zhang' }, { at: T0, residentId: 'r-zhang' },
        ]);
        expect(await store.casefileReports.datedRows('solved', T0, T0 + 7 * day, null)).toEqual([{ at: T0 + 100, residentId: 'r-zhang' }]);
        expect(sortAt(await store.casefileReports.datedRows('alerts', T0, T0 + 9 * day, null)).map((r) => r.residentId)).toEqual(['r-zhang', 'r-chen', 'r-zhang']);
        expect([...await store.casefileReports.overdueAt(T0 + 7 * day, null)].sort()).toEqual(['r-chen', 'r-zhang']);
        expect(await store.casefileReports.overdueAt(T0 + 7 * day, AREA)).toEqual(['r-zhang']);
        expect(await store.casefileReports.overdueAt(T0 + day - 1, null)).toEqual([]);
        const areas = await store.casefileReports.residentAreas(null);
        expect([...areas].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
          { id: 'r-chen', area: null, createdAt: T0 }, { id: 'r-zhang', area: AREA, createdAt: T0 },
        ]);
        expect(await store.casefileReports.residentAreas(AREA)).toEqual([{ id: 'r-zhang', area: AREA, createdAt: T0 }]);
      });

      it('ratings: a solved problem by when it was solved, a visit by when it took place; of a resident or an area; none after now', async () => {
        await seed();
        const zv = await store.visits.insertVisit(visit(T0, 'r-zhang', 4));
        await store.visits.insertVisit(visit(T0 + 5, 'r-chen', 2));
        await store.visits.insertVisit(visit(T0 + 6, 'r-chen'));
        await store.visits.insertProblem(problem('WT2026001', zv, 'r-zhang', T0, T0 + day));
        await store.visits.insertProblem(problem('WT2026002', zv, 'r-zhang', T0, T0 + day));
        await solve('WT2026001', T0 + 50, 5);
        await solve('WT2026002', T0 + 60); // solved, not rated
        const sorted = (rows: Array<{ at: number; rating: number }>) => [...rows].sort((a, b) => a.at - b.at);
        expect(sorted(await store.casefileReports.ratings({ residentId: null, area: null }, T0 + 100))).toEqual([
          { at: T0, rating: 4 }, { at: T0 + 5, rating: 2 }, { at: T0 + 50, rating: 5 },
        ]);
        expect(sorted(await store.casefileReports.ratings({ residentId: 'r-chen', area: null }, T0 + 100))).toEqual([{ at: T0 + 5, rating: 2 }]);
        expect(sorted(await store.casefileReports.ratings({ residentId: null, area: AREA }, T0 + 100))).toEqual([{ at: T0, rating: 4 }, { at: T0 + 50, rating: 5 }]);
        expect(sorted(await store.casefileReports.ratings({ residentId: null, area: null }, T0 + 49))).toEqual([{ at: T0, rating: 4 }, { at: T0 + 5, rating: 2 }]);
      });

      it('open problems before a moment, by deadline; clusters of one category in one area', async () => {
        await seed();
        const zv = await store.visits.insertVisit(visit(T0));
        const cv = await store.visits.insertVisit(visit(T0, 'r-chen'));
        await store.visits.insertProblem({ ...problem('WT2026003', zv, 'r-zhang', T0 + 2, T0 + 3 * day), subcategory: 'housing_repair' });
        await store.visits.insertProblem(problem('WT2026001', zv, 'r-zhang', T0, T0 + day));
        await store.visits.insertProblem(problem('WT2026002', zv, 'r-zhang', T0 + 1, T0 + day));
        await store.visits.insertProblem(problem('WT2026004', zv, 'r-zhang', T0 + 3, T0 + 2 * day, 'livelihood'));
        await store.visits.insertProblem(problem('WT2026005', cv, 'r-chen', T0, T0 + day)); // no area: in no cluster
        await store.visits.startProblem('WT2026002');
        await solve('WT2026004', T0 + 10);
        const open = await store.casefileReports.openProblemsBefore(T0 + 3 * day + 1);
        expect(open.map((p) => p.id)).toEqual(['WT2026001', 'WT2026002', 'WT2026005', 'WT2026003']);
        expect(open[3]).toEqual({
          id: 'WT2026003', residentId: 'r-zhang', description: 'd-WT2026003', category: 'health', subcategory: 'housing_repair', urgency: 'normal',
          responsible: 'Li', deadline: T0 + 3 * day, status: 'pending',
        });
        expect(open[1].status).toBe('in_progress');
        expect((await store.casefileReports.openProblemsBefore(T0 + day)).map((p) => p.id)).toEqual([]);
        expect(await store.casefileReports.problemClusters(T0, T0 + 3, 3)).toEqual([
          { area: AREA, category: 'health', n: 3, residents: 1, ids: ['WT2026001', 'WT2026002', 'WT2026003'] },
        ]);
        // the window's ends are included; one problem fewer is no cluster
        expect(await store.casefileReports.problemClusters(T0 + 1, T0 + 3, 3)).toEqual([]);
        expect(await store.casefileReports.problemClusters(T0, T0 + 3, 1)).toHaveLength(2);
      });

      it('activity per resident and week back from now, counted as the casefile counts it (a door only when it changes)', async () => {
        await seed();
        const week = 7 * day;
        const now = T0 + 4 * week;
        // zhang: hourly "closed" check-ins every week (never activity), presses falling week by week
        for (let w = 0; w < 4; w++) {
          const weekStart = now - (w + 1) * week + 1;
          for (let i = 0; i < 3; i++) await store.ingest.append(event('zhang-door', weekStart + i * 3_600_000, { contact: true }));
          for (let i = 0; i < 4 - w; i++) await store.ingest.append(event('zhang-button', weekStart + 10 + i, { action: 'single' }));
        }
        // the door opens and closes in the newest week: two changes
        await store.ingest.append(event('zhang-door', now - 1000, { contact: false }));
        await store.ingest.append(event('zhang-door', now, { contact: true }));
        await store.ingest.append(event('zhang-door', now + 1, { contact: false })); // after now: not counted
        await store.ingest.append(event('chen-motion', now - 2 * week - 5, { occupancy: true }));
        await store.ingest.append(event('chen-motion', now - 4 * week, { occupancy: true })); // at the window's start: not in it
        await store.ingest.append(event('zhang-button', now - 2 * week, { action: 'hold_release' }));
        const rows = await store.casefileReports.weeklyActivity(now - 4 * week, now);
        const sorted = [...rows].sort((a, b) => a.residentId.localeCompare(b.residentId) || a.week - b.week);
        expect(sorted).toEqual([
          { residentId: 'r-chen', week: 2, n: 1 },
          { residentId: 'r-zhang', week: 0, n: 6 }, { residentId: 'r-zhang', week: 1, n: 3 },
          { residentId: 'r-zhang', week: 2, n: 2 }, { residentId: 'r-zhang', week: 3, n: 1 },
        ]);
      });

      it('profiles: written whole, read back, categories; appointments by date and time, deleted once, gone with their resident', async () => {
        await seed();
        expect(await store.profiles.get('r-zhang')).toBeUndefined();
        const profile = { category: 'elderly_alone', household: '独居', health: '高血压', difficulties: '', notes: '爱下棋', updatedAt: T0, updatedBy: 'admin' };
        await store.tx(async (tx) => { await tx.profiles.put('r-zhang', profile); });
        expect(await store.profiles.get('r-zhang')).toEqual(profile);
        await store.profiles.put('r-zhang', { ...profile, category: null, notes: '', updatedAt: T0 + 1, updatedBy: 'li' });
        expect(await store.profiles.get('r-zhang')).toEqual({ ...profile, category: null, notes: '', updatedAt: T0 + 1, updatedBy: 'li' });
        await store.profiles.put('r-chen', { ...profile, category: 'disability' });
        expect(await store.profiles.categories()).toEqual(new Map([['r-chen', 'disability']]));
        const appt = (residentId: string, date: string, time: string | null) => ({ residentId, date, time, kind: 'follow_up', place: '社区医院', note: '', createdBy: 'li', createdAt: T0 });
        const late = await store.profiles.insertAppointment(appt('r-zhang', '2026-03-12', '14:00'));
        const untimed = await store.profiles.insertAppointment(appt('r-zhang', '2026-03-12', null));
        const early = await store.profiles.insertAppointment(appt('r-zhang', '2026-03-12', '09:30'));
        const before = await store.profiles.insertAppointment(appt('r-zhang', '2026-03-01', '10:00'));
        const chen = await store.profiles.insertAppointment(appt('r-chen', '2026-03-05', null));
        expect(await store.profiles.appointment(early)).toEqual({ id: early, ...appt('r-zhang', '2026-03-12', '09:30') });
        expect(await store.profiles.appointment(999_999)).toBeUndefined();
        expect((await store.profiles.appointmentsOf('r-zhang', '2026-03-02')).map((a) => a.id)).toEqual([untimed, early, late]);
        expect((await store.profiles.appointmentsOf('r-zhang', '0000-01-01')).map((a) => a.id)).toEqual([before, untimed, early, late]);
        expect((await store.profiles.appointmentsIn('2026-03-01', '2026-03-05')).map((a) => a.id)).toEqual([before, chen]);
        expect(await store.profiles.deleteAppointment(before)).toBe(true);
        expect(await store.profiles.deleteAppointment(before)).toBe(false);
        expect(await store.residents.deleteResident('r-zhang')).toBe(true);
        expect(await store.profiles.get('r-zhang')).toBeUndefined();
        expect((await store.profiles.appointmentsIn('0000-01-01', '9999-12-31')).map((a) => a.id)).toEqual([chen]);
      });

      it('rounds: the round with a pending door each, all or nothing; found by date and area; doors recorded', async () => {
        await seed();
        const round = { date: '2026-03-04', area: null, createdBy: 'li', createdAt: T0 };
        const id = await store.rounds.insert(round, ['r-zhang', 'r-chen']);
        const other = await store.tx((tx) => tx.rounds.insert({ ...round, area: AREA }, ['r-zhang']));
        await store.rounds.insert({ ...round, date: '2026-03-11' }, ['r-chen']);
        // a door of nobody: no round either
        const err = await store.rounds.insert({ ...round, date: '2026-03-18' }, ['r-chen', 'r-nobody']).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect(await store.rounds.list('2026-03-18', '2026-03-18')).toEqual([]);
        expect(await store.rounds.get(id)).toEqual({ id, ...round });
        expect(await store.rounds.get(999_999)).toBeUndefined();
        expect(await store.rounds.find('2026-03-04', null)).toBe(id);
        expect(await store.rounds.find('2026-03-04', AREA)).toBe(other);
        expect(await store.rounds.find('2026-03-04', 'elsewhere')).toBeUndefined();
        expect((await store.rounds.list('2026-03-01', '2026-03-31')).map((r) => r.date)).toEqual(['2026-03-11', '2026-03-04', '2026-03-04']);
        expect((await store.rounds.list('2026-03-01', '2026-03-31')).slice(1).map((r) => r.id)).toEqual([other, id]);
        const pending = { status: 'pending', visitId: null, checklist: {}, note: '', at: null, by: null };
        expect([...await store.rounds.doors(id)].sort((a, b) => a.residentId.localeCompare(b.residentId))).toEqual([
          { residentId: 'r-chen', ...pending }, { residentId: 'r-zhang', ...pending },
        ]);
        const v = await store.visits.insertVisit(visit(T0 + 5));
        const seen = { residentId: 'r-zhang', status: 'seen' as const, visitId: v, checklist: { health: 'ok', safety: 'concern' }, note: '门锁坏了', at: T0 + 5, by: 'li' };
        expect(await store.rounds.updateDoor(id, seen)).toBe(true);
        expect(await store.rounds.door(id, 'r-zhang')).toEqual(seen);
        expect(await store.rounds.door(other, 'r-zhang')).toEqual({ residentId: 'r-zhang', ...pending });
        expect(await store.rounds.door(id, 'r-nobody')).toBeUndefined();
        expect(await store.rounds.updateDoor(other, { ...seen, residentId: 'r-chen' })).toBe(false);
      });

      it('rounds: two units of work making the same round at once make one (the look holds the date and area)', async () => {
        await seed();
        const round = { date: '2026-03-25', area: AREA, createdBy: 'li', createdAt: T0 };
        let bothLooked!: () => void;
        const looked = new Promise<void>((r) => { let n = 0; bothLooked = () => { if (++n === 2) r(); }; });
        const make = () => store.tx(async (tx) => {
          const first = await tx.rounds.find(round.date, round.area);
          if (first !== undefined) return { made: false, id: first };
          bothLooked();
          // on an engine whose units run side by side, the other unit has looked by now too, unless
          // its look waits for this unit (as it must); a bound keeps a waiting look from hanging here
          await Promise.race([looked, new Promise((r) => setTimeout(r, 300))]);
          return { made: true, id: await tx.rounds.insert(round, ['r-zhang']) };
        });
        const results = await Promise.all([make(), make()]);
        expect(results.filter((r) => r.made)).toHaveLength(1);
        expect(results[0].id).toBe(results[1].id);
        expect((await store.rounds.list(round.date, round.date)).filter((r) => r.area === AREA)).toHaveLength(1);
      });
    });

    describe('people: users, sessions, answers kept for retried requests', () => {
      const li = { username: 'li', displayName: '李社工', role: 'caseworker' as const, passwordHash: 'scrypt$x' };
      const hash = (n: number) => Buffer.alloc(32, n);

      it('creates, finds (any case), lists enabled people first, updates; a taken name is a StoreConflict', async () => {
        const u = await store.users.create(li, T0);
        expect(u).toEqual({ id: u.id, username: 'li', displayName: '李社工', role: 'caseworker', passwordHash: 'scrypt$x', disabled: false,
          createdAt: T0, updatedAt: T0, lastSignInAt: null });
        const admin = await store.users.create({ username: 'Ops', displayName: 'Admin Ops', role: 'admin', passwordHash: 'h' }, T0 + 1);
        expect((await store.users.byUsername('LI'))?.id).toBe(u.id);
        expect((await store.users.byUsername('ops'))?.id).toBe(admin.id);
        expect((await store.users.byDisplayName('admin ops'))?.id).toBe(admin.id);
        expect(await store.users.byUsername('nobody')).toBeUndefined();
        await expect(store.users.create({ ...li, username: 'LI', displayName: 'other' }, T0)).rejects.toBeInstanceOf(StoreConflict);
        await expect(store.users.create({ ...li, username: 'li2', displayName: 'ADMIN OPS' }, T0)).rejects.toBeInstanceOf(StoreConflict);
        expect(await store.users.activeAdmins()).toBe(1);
        await store.users.update({ ...admin, disabled: true, displayName: 'Admin X' }, T0 + 5);
        expect(await store.users.get(admin.id)).toMatchObject({ disabled: true, displayName: 'Admin X', updatedAt: T0 + 5, createdAt: T0 + 1 });
        expect(await store.users.activeAdmins()).toBe(0);
        await store.users.create({ ...li, username: 'zhou', displayName: 'Zhou' }, T0);
        expect((await store.users.list()).map((x) => x.displayName)).toEqual(['Zhou', '李社工', 'Admin X']);
        await store.users.signedIn(u.id, T0 + 9);
        expect((await store.users.get(u.id))?.lastSignInAt).toBe(T0 + 9);
        expect(await store.users.get(9999)).toBeUndefined();
      });

      it('keeps sessions by the hash of their token: touch, end one, all of a person, all but one, purge stale ones', async () => {
        const u = await store.users.create(li, T0);
        const other = await store.users.create({ ...li, username: 'zhou', displayName: 'Zhou' }, T0);
        await store.users.createSession(hash(1), u.id, 'csrf-1', T0, T0 + 1000);
        await store.users.createSession(hash(2), u.id, 'csrf-2', T0, T0 + 1000);
        await store.users.createSession(hash(3), u.id, 'csrf-3', T0, T0 + 1000);
        await store.users.createSession(hash(4), other.id, 'csrf-4', T0, T0 + 50);
        expect(await store.users.session(hash(1))).toEqual({ userId: u.id, csrf: 'csrf-1', createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 1000 });
        expect(await store.users.session(hash(9))).toBeUndefined();
        await store.users.touch(hash(1), T0 + 10);
        expect((await store.users.session(hash(1)))?.lastSeenAt).toBe(T0 + 10);
        await store.users.deleteSession(hash(3));
        expect(await store.users.session(hash(3))).toBeUndefined();
        await store.users.deleteOtherSessions(u.id, hash(1));
        expect(await store.users.session(hash(1))).toBeDefined();
        expect(await store.users.session(hash(2))).toBeUndefined();
        // expired (hash 4), and idle since before T0 + 5 (none: hash 1 was seen at T0 + 10)
        await store.users.purge(T0 + 60, T0 + 5);
        expect(await store.users.session(hash(4))).toBeUndefined();
        expect(await store.users.session(hash(1))).toBeDefined();
        await store.users.purge(T0 + 60, T0 + 11);
        expect(await store.users.session(hash(1))).toBeUndefined();
        await store.users.createSession(hash(5), u.id, 'c', T0, T0 + 1000);
        await store.users.deleteSessionsOf(u.id);
        expect(await store.users.session(hash(5))).toBeUndefined();
      });

      it('remembers the first answer per (actor, key) on its route, and forgets old ones', async () => {
        await store.idempotency.remember('user:1', 'key-0001', 'visit:r-zhang', 201, '{"id":1}', T0);
        await store.idempotency.remember('user:1', 'key-0001', 'visit:r-zhang', 201, '{"id":2}', T0 + 1);
        expect(await store.idempotency.remembered('user:1', 'key-0001', 'visit:r-zhang')).toEqual({ status: 201, body: '{"id":1}' });
        expect(await store.idempotency.remembered('user:1', 'key-0001', 'visit:r-chen')).toBeUndefined();
        expect(await store.idempotency.remembered('user:2', 'key-0001', 'visit:r-zhang')).toBeUndefined();
        await store.idempotency.remember('user:1', 'key-0002', 'visit:r-chen', 201, '{}', T0 + 100);
        await store.idempotency.forgetBefore(T0 + 50);
        expect(await store.idempotency.remembered('user:1', 'key-0001', 'visit:r-zhang')).toBeUndefined();
        expect(await store.idempotency.remembered('user:1', 'key-0002', 'visit:r-chen')).toEqual({ status: 201, body: '{}' });
      });
    });

    describe('planned absences', () => {
      const away = (startsAt: number, endsAt: number, residentId = 'r-zhang') =>
        ({ residentId, startsAt, endsAt, note: 'at her daughter', setBy: 'Li', via: 'api' as const, createdAt: T0 });

      it('lists the current ones soonest first and the recent ones newest first; cancels and ends each once', async () => {
        await seed();
        const later = await store.absences.insert(away(T0 + 5000, T0 + 9000));
        const now = await store.absences.insert(away(T0, T0 + 3000));
        const over = await store.absences.insert(away(T0 - 9000, T0 - 1000));
        await store.absences.insert(away(T0, T0 + 3000, 'r-chen'));
        expect(await store.absences.get(now)).toEqual({ id: now, ...away(T0, T0 + 3000), cancelledAt: null, cancelledBy: null });
        expect((await store.absences.current('r-zhang', T0)).map((a) => a.id)).toEqual([now, later]);
        expect((await store.absences.recent('r-zhang', 2)).map((a) => a.id)).toEqual([later, now]);
        expect((await store.absences.recent('r-zhang', 10)).map((a) => a.id)).toEqual([later, now, over]);
        expect(await store.absences.cancel(later, 'Wang', T0 + 1)).toBe(true);
        expect(await store.absences.cancel(later, 'Wang', T0 + 2)).toBe(false);
        expect(await store.absences.get(later)).toMatchObject({ cancelledAt: T0 + 1, cancelledBy: 'Wang' });
        expect(await store.absences.endNow(now, T0 + 100)).toBe(true);
        expect(await store.absences.endNow(now, T0 + 200)).toBe(false);
        expect(await store.absences.endNow(over, T0 + 200)).toBe(false);
        expect((await store.absences.get(now))?.endsAt).toBe(T0 + 100);
        expect(await store.absences.current('r-zhang', T0 + 100)).toEqual([]);
        expect(await store.absences.get(9999)).toBeUndefined();
      });
    });

    describe('the site: processes and what is overdue', () => {
      const proc = (id: string, startedAt: number, site = 'hz-1') => ({ id, site, host: `host-${id}`, pid: 100, startedAt });

      it('each process sees the others by their heartbeats, on any store of the site; a silent one drops out, a stopped one goes', async () => {
        const other = await peer();
        await store.site.heartbeat(proc('a', T0), T0);
        await other.site.heartbeat(proc('b', T0 + 10), T0 + 10);
        await other.site.heartbeat(proc('x', T0, 'another-site'), T0);
        expect((await store.site.alive('hz-1', T0 - 15_000)).map((p) => p.id)).toEqual(['a', 'b']);
        expect(await other.site.alive('hz-1', T0)).toEqual([
          { id: 'a', site: 'hz-1', host: 'host-a', pid: 100, startedAt: T0, heartbeatAt: T0 },
          { id: 'b', site: 'hz-1', host: 'host-b', pid: 100, startedAt: T0 + 10, heartbeatAt: T0 + 10 },
        ]);
        // b keeps beating (a late heartbeat never moves one back); a falls silent
        await other.site.heartbeat(proc('b', T0 + 10), T0 + 20_000);
        await other.site.heartbeat(proc('b', T0 + 10), T0 + 5_000);
        expect((await store.site.alive('hz-1', T0 + 20_000 - 15_000)).map((p) => [p.id, p.heartbeatAt])).toEqual([['b', T0 + 20_000]]);
        await other.site.forget('b');
        expect(await store.site.alive('hz-1', 0)).toEqual([expect.objectContaining({ id: 'a' })]);
        // a row silent for a day is removed by the next heartbeat of anyone
        await store.site.heartbeat(proc('c', T0 + 86_400_001), T0 + 86_400_001);
        expect((await store.site.alive('hz-1', 0)).map((p) => p.id)).toEqual(['c']);
      });

      it('counts escalation steps and texts overdue at a cut, and the oldest of them', async () => {
        await seed();
        expect(await store.site.overdue(T0)).toEqual({ escalations: 0, outbox: 0, timers: 0, oldestDueAt: null });
        const alert = (key: string, due: number | null) => store.alerts.insert({
          residentId: 'r-zhang', kind: 'smoke', conditionKey: key, deviceId: null, openedAt: T0 - 60_000, detail: {}, escalationDue: due,
        });
        await alert('smoke:1', T0 - 40_000);
        await alert('smoke:2', T0 + 1_000); // not yet due
        const acked = await alert('smoke:3', T0 - 50_000);
        await store.alerts.acknowledge(acked, 'Li', T0 - 45_000); // handled: its cursor no longer counts
        await alert('smoke:4', null);
        const text = (phone: string, at: number) => store.outbox.enqueue({ alertId: null, residentId: 'r-zhang', contactId: null, phone, channel: 'sms', step: null, body: 'x', at });
        const late = (await text('+1', T0 - 35_000))!;
        await text('+2', T0 + 5_000);
        const sent = (await text('+3', T0 - 90_000))!;
        await store.outbox.markSent(sent, 'SM1', T0 - 89_000);
        expect(await store.site.overdue(T0)).toEqual({ escalations: 1, outbox: 1, timers: 0, oldestDueAt: T0 - 40_000 });
        // a claimed row whose lease ran out long ago is overdue too (nobody took it over)
        await store.outbox.claimDue(T0 - 30_000, T0 - 31_000);
        expect(await store.site.overdue(T0)).toEqual({ escalations: 1, outbox: 1, timers: 0, oldestDueAt: T0 - 40_000 });
        await store.outbox.markSent(late, 'SM2', T0);
        expect(await store.site.overdue(T0)).toEqual({ escalations: 1, outbox: 0, timers: 0, oldestDueAt: T0 - 40_000 });
        // the rules' timers: a row due before the cut (claimed or not) that nobody has fired; a deleted home's is not counted
        await store.ruleTimers.set('r-zhang', T0 - 60_000, 2);
        await store.ruleTimers.set('r-chen', T0 + 1, 1);
        await store.ruleTimers.set('r-gone', T0 - 90_000, 1);
        expect(await store.site.overdue(T0)).toEqual({ escalations: 1, outbox: 0, timers: 1, oldestDueAt: T0 - 60_000 });
        await store.ruleTimers.claimDue(T0 - 60_000, 'p-1', T0 - 50_000);
        expect(await store.site.overdue(T0)).toMatchObject({ timers: 1 });
        await store.ruleTimers.set('r-zhang', T0 + 60_000, 3);
        expect(await store.site.overdue(T0)).toEqual({ escalations: 1, outbox: 0, timers: 0, oldestDueAt: T0 - 40_000 });
      });
    });

    describe('inbound messages', () => {
      it('a MessageSid acts once: of twelve deliveries of one reply to two stores at once, one is the first', async () => {
        const other = await peer();
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? other : store).inbound.firstTime('SM0123456789abcdef', T0 + i)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.inbound.firstTime('SM0123456789abcdef', T0 + 60_000)).toBe(false);
        expect(await other.inbound.firstTime('SMfedcba9876543210', T0)).toBe(true);
      });
    });

    describe('unit of work', () => {
      it('one that need not be durable ({ durable: false }) commits and rolls back like any other, and the next durable one is as before', async () => {
        await seed();
        await store.tx(async (tx) => { await tx.ruleState.save('r-zhang', { n: 1 }, 1, T0); }, { durable: false });
        expect(await store.ruleState.get('r-zhang')).toEqual({ state: { n: 1 }, lastEventId: 1, version: 1 });
        await expect(store.tx(async (tx) => { await tx.ruleState.save('r-zhang', { n: 2 }, 2, T0); throw new Error('no'); }, { durable: false })).rejects.toThrow('no');
        expect(await store.ruleState.get('r-zhang')).toEqual({ state: { n: 1 }, lastEventId: 1, version: 1 });
        await store.tx(async (tx) => { await tx.ruleState.save('r-zhang', { n: 3 }, 3, T0); });
        expect(await store.ruleState.get('r-zhang')).toEqual({ state: { n: 3 }, lastEventId: 3, version: 2 });
      });

      it('commits everything together, or nothing when its function throws', async () => {
        await seed();
        const id = await store.tx(async (tx) => {
          const alertId = await tx.alerts.insert({ residentId: 'r-zhang', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: T0 });
          await tx.timeline.add('r-zhang', T0, 'alert', { alertId });
          await tx.ruleState.save('r-zhang', { open: ['smoke'] }, 1, T0);
          return alertId;
        });
        expect((await store.alerts.get(id))!.status).toBe('open');
        expect((await store.timeline.page('r-zhang', { limit: 5 })).items.length).toBe(1);
        const boom = new Error('decided wrongly');
        await expect(store.tx(async (tx) => {
          await tx.alerts.acknowledge(id, 'Wang', T0 + 1);
          await tx.timeline.add('r-zhang', T0 + 1, 'acknowledgement', { alertId: id });
          await tx.outbox.enqueue({ alertId: id, residentId: 'r-zhang', contactId: null, phone: '+1', channel: 'sms', step: -1, body: 'x', at: T0 });
          await tx.ruleState.save('r-zhang', { open: [] }, 2, T0 + 1);
          throw boom;
        })).rejects.toBe(boom);
        expect((await store.alerts.get(id))!.status).toBe('open');
        expect((await store.timeline.page('r-zhang', { limit: 5 })).items.length).toBe(1);
        expect(await store.outbox.ofAlert(id)).toEqual([]);
        expect(await store.ruleState.get('r-zhang')).toEqual({ state: { open: ['smoke'] }, lastEventId: 1, version: 1 });
        // a broken rule inside also rolls back what came before it
        await expect(store.tx(async (tx) => {
          await tx.timeline.add('r-zhang', T0 + 2, 'note', {});
          await tx.alerts.insert({ residentId: 'r-zhang', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: T0, detail: {}, escalationDue: null });
        })).rejects.toBeInstanceOf(StoreConflict);
        expect((await store.timeline.page('r-zhang', { limit: 5 })).items.length).toBe(1);
      });

      it('is isolated: what a unit of work has not committed is seen by no one else, even while it awaits', async () => {
        await seed();
        const other = await second();
        let wrote!: () => void;
        const written = new Promise<void>((resolve) => { wrote = resolve; });
        let finish!: () => void;
        const finishing = new Promise<void>((resolve) => { finish = resolve; });
        const slow = store.tx(async (tx) => {
          await tx.timeline.add('r-zhang', T0, 'note', { by: 'slow' });
          wrote();
          await finishing; // a unit of work waiting on something else (it should not, but may)
          throw new Error('rolled back');
        });
        await written;
        // the same store and another one: neither sees the open write; their own writes go ahead
        // (SQLite: after it, in order; PostgreSQL: beside it) and stay when it rolls back
        const ownWrite = store.timeline.add('r-zhang', T0 + 1, 'note', { by: 'store' });
        try {
          const seenBySecond = await other.timeline.page('r-zhang', { limit: 5 });
          // the open write is seen by nobody; the store's own (on PostgreSQL committed beside it) may be
          expect(seenBySecond.items.filter((i) => i.by === 'slow')).toEqual([]);
        } finally {
          // a failed look must not leave the unit of work open (it would hold up every test after it)
          finish();
        }
        await expect(slow).rejects.toThrow('rolled back');
        await ownWrite;
        await other.timeline.add('r-zhang', T0 + 2, 'note', { by: 'other' });
        const notes = (await store.timeline.page('r-zhang', { limit: 5 })).items.map((i) => i.by);
        expect(notes).toEqual(['other', 'store']);
      });

      it('a group commit is never swallowed by an open unit of work that then rolls back', async () => {
        await seed();
        let release!: () => void;
        const held = new Promise<void>((resolve) => { release = resolve; });
        const slow = store.tx(async (tx) => {
          await tx.timeline.add('r-zhang', T0, 'note', {});
          await held;
          throw new Error('rolled back');
        });
        const appended = store.ingest.append(event('zhang-button', T0, { action: 'sos' }));
        await sleep(20);
        release();
        await expect(slow).rejects.toThrow();
        const id = await appended;
        expect(await store.events.get(id)).toMatchObject({ readings: { action: 'sos' } });
      });

      it('refuses a unit of work inside another, and the outer store inside one, instead of waiting for itself', async () => {
        await seed();
        await expect(store.tx(async () => store.tx(async () => 1))).rejects.toThrow(/inside tx\(\)/);
        await expect(store.tx(async () => { await store.alerts.list(undefined); })).rejects.toThrow(/inside tx\(\)/);
        // and the store still works afterwards
        expect((await store.alerts.list(undefined)).length).toBe(0);
        await expect(store.tx(async (tx) => (await tx.residents.listResidents()).length)).resolves.toBe(2);
      });
    });

    it('says which engine it is and its schema version', () => {
      expect(['sqlite', 'postgres']).toContain(store.engine);
      expect(store.schemaVersion).toBeGreaterThanOrEqual(4);
    });
  });
}
