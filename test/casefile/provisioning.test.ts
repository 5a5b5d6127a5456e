// Provisioning through the API: admin only, config-schema validation with key paths, a device
// secret shown once and stored as a hash, the running broker taking new devices at once, and
// an audit entry for every change.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, caseworker, admin, type Workspace } from './setup.ts';
import { countEvents, sqlOf, waitFor } from '../helpers.ts';
import { verifySecret } from '../../src/store/index.ts';

let ws: Workspace;
beforeAll(async () => { ws = await startWorkspace({}, undefined, { listen: true }); });
afterAll(async () => { await ws?.stop(); });

const newResident = {
  id: 'r-li', name: 'Li Guilan', address: 'Building 5, Room 302', timezone: 'Asia/Shanghai', locale: 'zh-CN', visitCycle: '14d',
  rules: { inactivity: { mode: 'fixed', after: '12h', activeHours: '07:00-22:00' }, offline: { after: '5m' } },
  contacts: [{ name: 'Li Daughter', phone: '+8613900000002', role: 'family' }],
};

const routes: Array<[string, string, unknown]> = [
  ['POST', '/api/residents', newResident],
  ['PATCH', '/api/residents/r-zhang', { name: 'x' }],
  ['DELETE', '/api/residents/r-chen', undefined],
  ['POST', '/api/residents/r-zhang/contacts', { name: 'x', phone: '+8613800000009', role: 'family' }],
  ['PATCH', '/api/contacts/1', { name: 'x' }],
  ['DELETE', '/api/contacts/1', undefined],
  ['POST', '/api/residents/r-zhang/devices', { id: 'zhang-motion', kind: 'motion' }],
  ['PATCH', '/api/devices/zhang-door', { rotateSecret: true }],
  ['DELETE', '/api/devices/zhang-door', undefined],
  ['GET', '/api/audit', undefined],
];

describe('roles', () => {
  it.each(routes)('%s %s: 401 without a token, 403 for a caseworker (even with a bad body)', async (method, url, body) => {
    expect((await ws.call(method as never, url, body, {})).status).toBe(401);
    const res = await ws.call(method as never, url, body, caseworker);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/admin/);
    if (body !== undefined) expect((await ws.call(method as never, url, { nonsense: true }, caseworker)).status).toBe(403);
  });
  it('changed nothing on the way', async () => {
    const res = await ws.call('GET', '/api/residents/r-zhang', undefined, caseworker);
    expect(res.body).toMatchObject({ name: 'Zhang Xiuying', source: 'config' });
  });
});

describe('residents', () => {
  it('creates a resident with contacts, source api', async () => {
    const res = await ws.call('POST', '/api/residents', newResident, admin);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: 'r-li', name: 'Li Guilan', timezone: 'Asia/Shanghai', locale: 'zh-CN', visitCycleMs: 14 * 86_400_000, source: 'api',
      rules: { inactivity: { mode: 'fixed', after: 12 * 3_600_000 } },
      contacts: [{ id: expect.any(Number), name: 'Li Daughter', phone: '+8613900000002', role: 'family' }], devices: [],
    });
    const list = await ws.call('GET', '/api/residents', undefined, caseworker);
    expect(list.body.items.map((r: any) => r.id)).toContain('r-li');
  });

  it.each([
    ['a duplicate id', { ...newResident }, 409, /already exists/],
    ['a bad id', { ...newResident, id: 'Li Guilan' }, 400, /id/],
    ['no name', { id: 'r-x' }, 400, /name/],
    ['a bad duration, named by its path', { ...newResident, id: 'r-x', rules: { inactivity: { mode: 'fixed', after: 'soon' } } }, 400, /^rules\.inactivity\.after: expected a duration/],
    ['a bad phone, named by its path', { ...newResident, id: 'r-x', contacts: [{ name: 'n', phone: '12345', role: 'family' }] }, 400, /^contacts\[0\]\.phone: expected an E\.164/],
    ['an unknown time zone', { ...newResident, id: 'r-x', timezone: 'Mars/Olympus' }, 400, /^timezone: expected an IANA/],
    ['an unknown rule', { ...newResident, id: 'r-x', rules: { fire: {} } }, 400, /unknown key fire/],
    ['devices inline', { ...newResident, id: 'r-x', devices: [] }, 400, /additional properties/],
  ])('%s -> %i', async (_why, body, status, reason) => {
    const res = await ws.call('POST', '/api/residents', body, admin);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(reason);
  });

  it('keeps an area and a birthday, and clears them with null', async () => {
    const created = await ws.call('POST', '/api/residents', { id: 'r-area', name: 'Area Test', area: '幸福社区 5号楼', birthday: '1950-06-01' }, admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ area: '幸福社区 5号楼', birthday: '1950-06-01' });
    expect((await ws.call('POST', '/api/residents', { id: 'r-area2', name: 'x', birthday: '1950-02-30' }, admin)).body.error).toMatch(/^birthday: expected a date that exists/);
    const cleared = await ws.call('PATCH', '/api/residents/r-area', { area: null }, admin);
    expect(cleared.body).toMatchObject({ area: null, birthday: '1950-06-01' });
    expect((await ws.call('DELETE', '/api/residents/r-area', undefined, admin)).status).toBe(204);
  });

  it('edits a config resident, which then belongs to the API', async () => {
    const res = await ws.call('PATCH', '/api/residents/r-zhang', { address: 'Building 3, Unit 2, Room 601', visitCycle: '7d' }, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Zhang Xiuying', address: 'Building 3, Unit 2, Room 601', visitCycleMs: 7 * 86_400_000, source: 'api' });
    // the contacts were left alone
    expect(res.body.contacts).toEqual([expect.objectContaining({ name: 'Wang Neighbor' })]);
    // its config devices keep their secrets, now as stored hashes the config no longer overwrites
    const door = (await ws.gw.app.store.residents.getDevice('zhang-door'))!;
    expect(verifySecret('door-secret', door.secretHash!)).toBe(true);
    expect((await ws.gw.app.store.residents.getDevice('zhang-kitchen'))!.secretHash).toBeNull();
    const cleared = await ws.call('PATCH', '/api/residents/r-zhang', { visitCycle: null }, admin);
    expect(cleared.body.visitCycleMs).toBeNull();
    expect((await ws.call('PATCH', '/api/residents/r-zhang', {}, admin)).status).toBe(400);
    expect((await ws.call('PATCH', '/api/residents/r-nobody', { name: 'x' }, admin)).status).toBe(404);
  });
});

describe('contacts', () => {
  it('adds, edits and removes a contact', async () => {
    const added = await ws.call('POST', '/api/residents/r-li/contacts', { name: 'Zhou Neighbor', phone: '+8613900000003', role: 'neighbor', onCall: '08:00-20:00' }, admin);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ residentId: 'r-li', name: 'Zhou Neighbor', role: 'neighbor', onCall: '08:00-20:00' });
    const edited = await ws.call('PATCH', `/api/contacts/${added.body.id}`, { phone: '+8613900000004', onCall: null }, admin);
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Zhou Neighbor', phone: '+8613900000004', onCall: null });
    const bad = await ws.call('PATCH', `/api/contacts/${added.body.id}`, { role: 'doctor' }, admin);
    expect(bad.status).toBe(400);
    const badHours = await ws.call('PATCH', `/api/contacts/${added.body.id}`, { onCall: '8am-8pm' }, admin);
    expect(badHours.body.error).toMatch(/^onCall: expected hours/);
    expect((await ws.call('DELETE', `/api/contacts/${added.body.id}`, undefined, admin)).status).toBe(204);
    expect((await ws.call('DELETE', `/api/contacts/${added.body.id}`, undefined, admin)).status).toBe(404);
    const r = await ws.call('GET', '/api/residents/r-li', undefined, admin);
    expect(r.body.contacts.map((c: any) => c.name)).toEqual(['Li Daughter']);
  });
});

describe('devices', () => {
  let secret = '';

  it('adds a device with a generated secret, shown once and stored only as a hash', async () => {
    const res = await ws.call('POST', '/api/residents/r-li/devices', { id: 'li-door', kind: 'door' }, admin);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'li-door', residentId: 'r-li', kind: 'door', entrance: true, secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    secret = res.body.secret;
    expect(ws.devicesChanged).toContain('li-door');
    const row = (await sqlOf(ws.gw.app).one<{ secret_hash: string }>('SELECT secret_hash FROM devices WHERE id = ?', 'li-door'))!;
    // 256 random bits: a SHA-256 digest is as strong a store as a slow hash, and costs no event-loop time
    expect(row.secret_hash).toMatch(/^sha256\$/);
    expect(row.secret_hash).not.toContain(secret);
    for (const url of ['/api/residents', '/api/residents/r-li', '/api/audit']) {
      expect((await ws.call('GET', url, undefined, admin)).body ? JSON.stringify((await ws.call('GET', url, undefined, admin)).body) : '').not.toContain(secret);
    }
    const dump = JSON.stringify(await sqlOf(ws.gw.app).all('SELECT * FROM audit_log'));
    expect(dump).not.toContain(secret);
    expect(ws.gw.logs.text()).not.toContain(secret);
  });

  it('the running broker takes the new device at once: it connects with its secret and its events are stored', async () => {
    await expect(ws.gw.connect('li-door', 'wrong-secret')).rejects.toThrow(/authori/i);
    const client = await ws.gw.connect('li-door', secret);
    await client.publishAsync('devices/li-door', JSON.stringify({ contact: false }), { qos: 1 });
    await waitFor(async () => (await countEvents(ws.gw.app, 'li-door')) === 1, 5000, 'the event of the provisioned door');
    await client.endAsync();
  });

  it.each([
    ['a duplicate id', { id: 'li-door', kind: 'door' }, 409, /already exists/],
    ['a bridge username', { id: 'z2m', kind: 'door' }, 409, /bridge/],
    ['an unknown kind', { id: 'li-x', kind: 'camera' }, 400, /kind/],
    ['an entrance flag on a smoke detector', { id: 'li-x', kind: 'smoke', entrance: false }, 400, /entrance/],
    ['a bad rflink key', { id: 'li-x', kind: 'smoke', rflink: 'nonsense' }, 400, /^rflink: expected/],
    ['a zigbee2mqtt name already taken', { id: 'li-x', kind: 'smoke', zigbee2mqtt: 'zhang/kitchen smoke' }, 409, /zigbee2mqtt/],
  ])('%s -> %i', async (_why, body, status, reason) => {
    const res = await ws.call('POST', '/api/residents/r-li/devices', body, admin);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(reason);
  });

  it('edits a device and rotates its secret', async () => {
    const edited = await ws.call('PATCH', '/api/devices/li-door', { entrance: false, supervision: '2h', name: '厨房柜门', room: 'kitchen' }, admin);
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ entrance: false, supervisionMs: 7_200_000, name: '厨房柜门', room: 'kitchen' });
    const shown = await ws.call('GET', '/api/residents/r-li', undefined, caseworker);
    expect(shown.body.devices.find((d: any) => d.id === 'li-door')).toMatchObject({ name: '厨房柜门', room: 'kitchen' });
    expect((await ws.call('PATCH', '/api/devices/li-door', { room: 'attic' }, admin)).status).toBe(400);
    expect(edited.body.secret).toBeUndefined();
    // the old secret keeps working until rotated
    const still = await ws.gw.connect('li-door', secret);
    await still.endAsync();

    const added = await ws.call('POST', '/api/residents/r-li/devices', { id: 'li-button', kind: 'button' }, admin);
    const rotated = await ws.call('PATCH', '/api/devices/li-button', { rotateSecret: true }, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toEqual(expect.any(String));
    expect(rotated.body.secret).not.toBe(added.body.secret);
    await expect(ws.gw.connect('li-button', added.body.secret)).rejects.toThrow(/authori/i);
    const fresh = await ws.gw.connect('li-button', rotated.body.secret);
    await fresh.endAsync();
    expect((await ws.call('PATCH', '/api/devices/li-nothing', { rotateSecret: true }, admin)).status).toBe(404);
    expect((await ws.call('PATCH', '/api/devices/li-door', { kind: 'toaster' }, admin)).status).toBe(400);
  });

  it('removes a device; the broker forgets it', async () => {
    expect((await ws.call('DELETE', '/api/devices/li-button', undefined, admin)).status).toBe(204);
    expect(ws.gw.app.registry.get('li-button')).toBeUndefined();
    expect((await ws.call('DELETE', '/api/devices/li-button', undefined, admin)).status).toBe(404);
  });
});

describe('removing a resident', () => {
  it('is refused while an alert is not resolved, then takes contacts and devices along', async () => {
    const { alerts } = ws.gw.app.store;
    const id = await alerts.insert({ residentId: 'r-li', kind: 'smoke', conditionKey: 'smoke:li-door', deviceId: 'li-door', openedAt: Date.now(), detail: {}, escalationDue: null });
    const refused = await ws.call('DELETE', '/api/residents/r-li', undefined, admin);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/resolve/);
    await alerts.resolve(id, 'ops-admin', Date.now());
    expect((await ws.call('DELETE', '/api/residents/r-li', undefined, admin)).status).toBe(204);
    expect((await ws.call('GET', '/api/residents/r-li', undefined, admin)).status).toBe(404);
    expect(ws.gw.app.registry.get('li-door')).toBeUndefined();
    await expect(ws.gw.connect('li-door', 'anything')).rejects.toThrow(/authori/i);
  });
});

describe('the audit log', () => {
  it('names who changed what, newest first, without secrets or phone numbers', async () => {
    const res = await ws.call('GET', '/api/audit?limit=50', undefined, admin);
    expect(res.status).toBe(200);
    const lines = res.body.items.map((e: any) => `${e.actor} ${e.action} ${e.target}`);
    expect(lines[0]).toBe('ops-admin resident.delete r-li');
    for (const line of ['ops-admin resident.create r-li', 'ops-admin resident.update r-zhang', 'ops-admin device.create li-door',
      'ops-admin device.update li-button', 'ops-admin device.delete li-button', 'ops-admin contact.create r-li']) expect(lines).toContain(line);
    expect(res.body.items.find((e: any) => e.action === 'device.update' && e.target === 'li-button').detail).toEqual({ fields: [], secretRotated: true });
    expect(JSON.stringify(res.body)).not.toMatch(/\+86139/);
    expect(res.body.items.every((e: any) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });
});
