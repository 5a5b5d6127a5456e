// The whole gateway on PostgreSQL (storage.url, a database of the test run's throwaway cluster):
// a device PUBLISH over MQTT -> committed -> smoke alert -> texts through the real twilio package
// to FakeTwilio -> a signed "1" acknowledges; a restart on the same database keeps the open
// alert and its escalation (the next step fires on the new process, the first is not sent
// again); a casefile visit round trip through inject(); a device provisioned through the API
// logs in as soon as the answer is there.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import twilio from 'twilio';
import { sqliteStores, startTextingGateway, waitFor, ADMIN_TOKEN, CASEWORKER_TOKEN, type TextingGateway } from '../helpers.ts';
import { createDatabase, dropDatabase } from '../store/pg.ts';

const AUTH_TOKEN = 'pg-twilio-auth-token';
const SID = 'AC' + 'a9a0'.repeat(8);
const PUBLIC_URL = 'https://gateway.example.org';
const NEIGHBOR = '+8613800000001';
const FAMILY = '+8613800000002';
const LI_NEIGHBOR = '+8613800000011';
const LI_CASEWORKER = '+8613800000012';
const auth = { authorization: `Bearer ${CASEWORKER_TOKEN}` };

const config = {
  http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
  // the caseworker's step soon, so that it falls due across the restart
  escalation: { smoke: [{ notify: ['neighbor', 'family'], after: '0s' }, { notify: ['caseworker'], after: '4s' }] },
  residents: [
    {
      id: 'r-zhang', name: 'Zhang Xiuying', address: 'Building 3, Room 601', timezone: 'Asia/Shanghai', locale: 'en',
      contacts: [
        { name: 'Wang Neighbor', phone: NEIGHBOR, role: 'neighbor' },
        { name: 'Zhang Wei', phone: FAMILY, role: 'family' },
      ],
      devices: [{ id: 'zhang-smoke', kind: 'smoke', secret: 'smoke-secret' }],
    },
    {
      id: 'r-li', name: 'Li Guilan', address: 'Building 5, Room 102', timezone: 'Asia/Shanghai', locale: 'en',
      contacts: [
        { name: 'Sun Neighbor', phone: LI_NEIGHBOR, role: 'neighbor' },
        { name: 'Li Caseworker', phone: LI_CASEWORKER, role: 'caseworker' },
      ],
      devices: [{ id: 'li-smoke', kind: 'smoke', secret: 'li-smoke-secret' }],
    },
  ],
};

let url: string;
let gw: TextingGateway | undefined;
const start = () => startTextingGateway({ accountSid: SID, authToken: AUTH_TOKEN }, config, { postgres: url });

beforeAll(async () => {
  url = await createDatabase();
  gw = await start();
});
afterAll(async () => {
  await gw?.stop();
  await dropDatabase(url);
});

function signedReply(from: string, text: string, sid: string) {
  const form = { From: from, To: '+15005550006', Body: text, MessageSid: sid, AccountSid: SID };
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + '/twilio/sms', form);
  return gw!.app.http.inject({
    method: 'POST', url: '/twilio/sms', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    payload: new URLSearchParams(form).toString(),
  });
}

async function alerts(query = '') {
  const res = await gw!.app.http.inject({ method: 'GET', url: `/api/alerts${query}`, headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json().items as Array<{ id: number; residentId: string; kind: string; status: string; acknowledgedBy: string | null }>;
}

describe('the gateway on PostgreSQL', () => {
  it('runs on storage.url: a smoke PUBLISH is committed, texted, and a signed "1" acknowledges it', async () => {
    const app = gw!.app;
    expect(app.store.engine).toBe('postgres');
    expect(() => sqliteStores(app)).toThrow(/SQLite only/);
    const fake = gw!.fake;
    const neighborText = fake.nextMessageTo(NEIGHBOR);
    const familyText = fake.nextMessageTo(FAMILY);
    const c = await gw!.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    // the PUBACK came after the commit: the event is in the database now
    const event = await app.store.events.get(await app.store.events.maxId());
    expect(event).toMatchObject({ deviceId: 'zhang-smoke', residentId: 'r-zhang' });
    const text = await neighborText;
    await familyText;
    expect(text.form.Body).toContain('Zhang Xiuying');
    expect(text.form.Body).toMatch(/smoke/i);

    const reply = await signedReply(NEIGHBOR, '1', 'SM' + '1'.repeat(32));
    expect(reply.statusCode).toBe(200);
    const [alert] = await alerts('?residentId=r-zhang');
    expect(alert).toMatchObject({ kind: 'smoke', status: 'acknowledged', acknowledgedBy: expect.stringContaining('Wang') });
    const handled = await waitFor(() => fake.to(FAMILY).find((m) => /Wang Neighbor/.test(m.form.Body)), 5000, 'handling text');
    expect(handled.form.Body).toMatch(/handling/i);
    // acknowledged: the caseworker's step never comes
    const timeline = (await app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline?limit=100', headers: auth })).json();
    const types = new Set(timeline.items.map((i: { type: string }) => i.type));
    for (const t of ['device_event', 'alert', 'notification', 'acknowledgement']) expect(types, t).toContain(t);
    await c.endAsync();
  });

  it('a restart on the same database keeps the open alert and its escalation', async () => {
    const first = gw!;
    const neighborText = first.fake.nextMessageTo(LI_NEIGHBOR);
    const c = await first.connect('li-smoke', 'li-smoke-secret');
    await c.publishAsync('devices/li-smoke', '{"smoke":true}', { qos: 1 });
    await neighborText;
    const [before] = await alerts('?residentId=r-li');
    expect(before).toMatchObject({ kind: 'smoke', status: 'open' });
    // stopped before the caseworker's step (4 s after the alarm) was due
    expect(first.fake.to(LI_CASEWORKER)).toHaveLength(0);
    await first.stop();
    gw = undefined;

    gw = await start();
    expect(await alerts('?status=open')).toEqual([expect.objectContaining({ id: before.id, residentId: 'r-li', status: 'open' })]);
    // the new process takes the escalation on: the caseworker is texted, the neighbour not again
    const caseworker = await gw.fake.nextMessageTo(LI_CASEWORKER, 15_000);
    expect(caseworker.form.Body).toContain('Li Guilan');
    expect(gw.fake.to(LI_NEIGHBOR)).toHaveLength(0);
    // the acknowledged alert of before stays as it was
    expect((await alerts('?residentId=r-zhang'))[0]).toMatchObject({ status: 'acknowledged' });
    // and the caseworker's "1" acknowledges it on the new process
    expect((await signedReply(LI_CASEWORKER, '1', 'SM' + '2'.repeat(32))).statusCode).toBe(200);
    expect((await alerts('?residentId=r-li'))[0]).toMatchObject({ id: before.id, status: 'acknowledged' });
  });

  it('a casefile visit round trip through inject()', async () => {
    const app = gw!.app;
    const at = new Date(Date.now() - 3600_000).toISOString();
    const created = await app.http.inject({
      method: 'POST', url: '/api/residents/r-li/visits', headers: auth,
      payload: {
        visitor: 'Li Caseworker', at, purpose: 'routine', notes: 'Well, kitchen tidy',
        problems: [{ description: 'Needs a new smoke detector battery', category: 'livelihood', urgency: 'normal' }],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const visit = created.json();
    const listed = (await app.http.inject({ method: 'GET', url: '/api/residents/r-li/visits', headers: auth })).json();
    expect(listed.items.map((v: { id: number }) => v.id)).toContain(visit.id);
    const file = await app.http.inject({ method: 'GET', url: '/api/residents/r-li/casefile', headers: auth });
    expect(file.statusCode).toBe(200);
    expect(file.json()).toMatchObject({
      resident: { id: 'r-li', name: 'Li Guilan' },
      openProblems: [expect.objectContaining({ description: 'Needs a new smoke detector battery' })],
      lastVisit: { id: visit.id },
    });
    const residents = (await app.http.inject({ method: 'GET', url: '/api/residents', headers: auth })).json();
    expect(residents.items.map((r: { id: string }) => r.id).sort()).toEqual(['r-li', 'r-zhang']);
  });

  it('a device provisioned through the API logs in with its secret as soon as the answer is there, and its events are stored', async () => {
    const res = await gw!.app.http.inject({
      method: 'POST', url: '/api/residents/r-li/devices', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { id: 'li-door', kind: 'door' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { secret } = res.json() as { secret: string };
    // at once after the answer
    const client = await gw!.connect('li-door', secret);
    await expect(gw!.connect('li-door', 'wrong-secret')).rejects.toThrow(/authori/i);
    await client.publishAsync('devices/li-door', JSON.stringify({ contact: false }), { qos: 1 });
    expect(await gw!.app.store.events.get(await gw!.app.store.events.maxId())).toMatchObject({ deviceId: 'li-door', residentId: 'r-li' });
    await client.endAsync();
  });
});
