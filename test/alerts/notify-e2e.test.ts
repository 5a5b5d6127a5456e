// The whole path a resident depends on: a device PUBLISH over MQTT -> alert -> texts through
// the real twilio package to a local Twilio-compatible server -> a signed "1" reply -> the
// alert acknowledged and the others told, all on the casefile timeline.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import twilio from 'twilio';
import type { FakeTwilio } from '../notify/fake-twilio.ts';
import { startTextingGateway, waitFor, countEvents, sqlOf, CASEWORKER_TOKEN, type TextingGateway } from '../helpers.ts';

const AUTH_TOKEN = 'e2e-twilio-auth-token';
const SID = 'AC' + 'e2e0'.repeat(8);
const PUBLIC_URL = 'https://gateway.example.org';
const NEIGHBOR = '+8613800000001';
const FAMILY = '+8613800000002';

let fake: FakeTwilio;
let gw: TextingGateway;
beforeAll(async () => {
  gw = await startTextingGateway({ accountSid: SID, authToken: AUTH_TOKEN }, {
    http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
    escalation: { smoke: [{ notify: ['neighbor', 'family'], after: '0s' }, { notify: ['caseworker'], after: '2m' }] },
    residents: [{
      id: 'r-zhang', name: 'Zhang Xiuying', address: 'Building 3, Room 601', timezone: 'Asia/Shanghai', locale: 'en',
      contacts: [
        { name: 'Wang Neighbor', phone: NEIGHBOR, role: 'neighbor' },
        { name: 'Zhang Wei', phone: FAMILY, role: 'family' },
      ],
      devices: [{ id: 'zhang-smoke', kind: 'smoke', secret: 'smoke-secret' }],
    }],
  });
  fake = gw.fake;
});
afterAll(async () => { await gw?.stop(); });

function signedForm(path: string, form: Record<string, string>) {
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + path, form);
  return { signature, body: new URLSearchParams(form).toString() };
}

describe('smoke alarm to SMS and back', () => {
  it('texts neighbour and family once each, and a signed "1" acknowledges', async () => {
    const neighborText = fake.nextMessageTo(NEIGHBOR);
    const familyText = fake.nextMessageTo(FAMILY);
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    const text = await neighborText;
    await familyText;
    expect(text.form.Body).toContain('Zhang Xiuying');
    expect(text.form.Body).toMatch(/smoke/i);
    expect(text.form.Body).toContain('Building 3');
    // how to confirm, in words: the address has digits of its own ("Room 601")
    expect(text.form.Body).toMatch(/\bReply 1 if you are handling it\b/);
    // repeats of the same condition send nothing new: judged (PUBACK came after the commit,
    // the rules are idle after judging it), and no text queued for them
    const outboxRows = async () => (await sqlOf(gw.app).one<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))!.n;
    expect(await outboxRows()).toBe(2);
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    await gw.app.rules.idle();
    expect(await countEvents(gw.app, 'zhang-smoke')).toBe(2);
    expect(await outboxRows()).toBe(2);
    expect(fake.to(NEIGHBOR)).toHaveLength(1);
    expect(fake.to(FAMILY)).toHaveLength(1);

    // a forged reply is refused
    const forged = await gw.app.http.inject({
      method: 'POST', url: '/twilio/sms', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' },
      payload: new URLSearchParams({ From: NEIGHBOR, Body: '1' }).toString(),
    });
    expect(forged.statusCode).toBe(403);

    const form = { From: NEIGHBOR, To: '+15005550006', Body: '1', MessageSid: 'SM' + '1'.repeat(32), AccountSid: SID };
    const { signature, body } = signedForm('/twilio/sms', form);
    const reply = await gw.app.http.inject({
      method: 'POST', url: '/twilio/sms', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, payload: body,
    });
    expect(reply.statusCode).toBe(200);
    const [alert] = await gw.app.store.alerts.list(undefined);
    expect(alert).toMatchObject({ kind: 'smoke', status: 'acknowledged', acknowledgedBy: expect.stringContaining('Wang') });
    // the family hears who is handling it
    const handled = await waitFor(() => fake.to(FAMILY).find((m) => /Wang Neighbor/.test(m.form.Body)), 3000, 'handling text');
    expect(handled.form.Body).toMatch(/handling/i);

    const timeline = (await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline?limit=100', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } })).json();
    const types = new Set(timeline.items.map((i: { type: string }) => i.type));
    for (const t of ['device_event', 'alert', 'notification', 'acknowledgement']) expect(types, t).toContain(t);
    expect(JSON.stringify(timeline)).not.toContain(NEIGHBOR);
    // logs carry ids, never phone numbers or the texts
    expect(gw.logs.text()).not.toContain(NEIGHBOR);
    expect(gw.logs.text()).not.toContain('Building 3');
  });
});
