// A captured SMS reply replayed later: the identical signed request (same MessageSid) must act
// once, so it cannot acknowledge a newer alert and stop that alert's escalation.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import twilio from 'twilio';
import type { FakeTwilio } from '../notify/fake-twilio.ts';
import { startTextingGateway, waitFor, sqlOf, type TextingGateway } from '../helpers.ts';
import { rawHttp, MqttRaw } from './net.ts';

const AUTH_TOKEN = 'security-twilio-auth-token';
const SID = 'AC' + '5ec0'.repeat(8);
const PUBLIC_URL = 'https://gateway.example.org';
const NEIGHBOR = '+8613800000001';

let fake: FakeTwilio;
let gw: TextingGateway;
beforeAll(async () => {
  gw = await startTextingGateway({ accountSid: SID, authToken: AUTH_TOKEN }, {
    http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
    escalation: {
      smoke: [{ notify: ['neighbor'], after: '0s' }, { notify: ['caseworker'], after: '2m' }],
      emergency: [{ notify: ['neighbor'], after: '0s' }, { notify: ['caseworker'], after: '2m' }],
    },
    residents: [{
      id: 'r-zhang', name: 'Zhang Xiuying', address: 'Building 3, Room 601', timezone: 'Asia/Shanghai', locale: 'en',
      contacts: [{ name: 'Wang Neighbor', phone: NEIGHBOR, role: 'neighbor' }, { name: 'Li Caseworker', phone: '+8613800000003', role: 'caseworker' }],
      devices: [{ id: 'zhang-smoke', kind: 'smoke', secret: 'smoke-secret' }, { id: 'zhang-button', kind: 'button', secret: 'button-secret' }],
    }],
  });
  fake = gw.fake;
});
afterAll(async () => { await gw?.stop(); });

async function signedReply(form: Record<string, string>) {
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + '/twilio/sms', form);
  return rawHttp(gw.app.httpPort(), {
    method: 'POST', target: '/twilio/sms', body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
  });
}

describe('a replayed SMS reply', () => {
  it('acts once: the same MessageSid later acknowledges nothing new', async () => {
    const { client } = await MqttRaw.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
    const firstText = fake.nextMessageTo(NEIGHBOR);
    await client.publish('devices/zhang-smoke', '{"smoke":true}', 1);
    await firstText;
    const smoke = (await gw.app.store.alerts.list('open')).find((a) => a.kind === 'smoke')!;
    const reply = { From: NEIGHBOR, To: '+15005550006', Body: '1', MessageSid: 'SM' + 'a1'.repeat(16), AccountSid: SID };
    expect((await signedReply(reply)).status).toBe(200);
    expect((await gw.app.store.alerts.get(smoke.id))!.status).toBe('acknowledged');

    // a new alarm, texted to the same neighbour
    const { client: button } = await MqttRaw.open(gw.app.mqttPort(), 'zhang-button', 'button-secret');
    const secondText = fake.nextMessageTo(NEIGHBOR);
    await button.publish('devices/zhang-button', '{"action":"sos"}', 1);
    await secondText;
    const sos = await waitFor(async () => (await gw.app.store.alerts.list('open')).find((a) => a.kind === 'emergency'), 5000, 'the SOS alert');
    await waitFor(async () => (await sqlOf(gw.app).one<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE alert_id = ? AND status = 'sent'`, sos.id))!.n, 5000, 'the SOS text marked sent');

    // the attacker posts the captured request again, byte for byte
    const replayed = await signedReply(reply);
    expect(replayed.status).toBe(200);
    expect((await gw.app.store.alerts.get(sos.id))!.status).toBe('open');
    expect((await gw.app.store.alerts.get(sos.id))!.escalationDue).not.toBeNull();
    expect(gw.app.metrics.get('gateway_notify_replies_total', { action: 'replayed' })).toBe(1);

    // a real new reply still works
    expect((await signedReply({ ...reply, MessageSid: 'SM' + 'b2'.repeat(16) })).status).toBe(200);
    expect((await gw.app.store.alerts.get(sos.id))!.status).toBe('acknowledged');
    client.close();
    button.close();
  });

  it('a MessageSid is remembered in the store, once', async () => {
    const rows = (await sqlOf(gw.app).one<{ n: number }>(`SELECT COUNT(*) AS n FROM inbound_messages WHERE sid = ?`, 'SM' + 'a1'.repeat(16)))!;
    expect(rows.n).toBe(1);
  });

  it('a signed reply without a MessageSid acts on nothing', async () => {
    const res = await signedReply({ From: NEIGHBOR, To: '+15005550006', Body: '1', AccountSid: SID });
    expect(res.status).toBe(400);
  });
});

describe('a reply acknowledges only alerts the contact was texted about before it arrived', () => {
  it('a text the provider has not taken yet is not acknowledged by a "1" that arrives first', async () => {
    // the provider refuses every text for now (503): the new alarm's text waits in the outbox
    fake.setOutage({ status: 503, code: 20503, message: 'Service unavailable' });
    try {
      for (const a of await gw.app.store.alerts.unresolved()) await gw.app.alertService.resolve(a.id, 'test', 'reset', Date.now());
      const { client } = await MqttRaw.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
      await client.publish('devices/zhang-smoke', '{"smoke":false}', 2);
      await client.publish('devices/zhang-smoke', '{"smoke":true}', 3);
      const alert = await waitFor(async () => (await gw.app.store.alerts.list('open')).find((a) => a.kind === 'smoke'), 5000, 'a new smoke alert');
      await waitFor(() => fake.requests.some((r) => r.method === 'POST' && r.form.To === NEIGHBOR && r.status === 503), 5000, 'the refused text');
      await signedReply({ From: NEIGHBOR, To: '+15005550006', Body: '1', MessageSid: 'SM' + 'c3'.repeat(16), AccountSid: SID });
      expect((await gw.app.store.alerts.get(alert.id))!.status).toBe('open');
      client.close();
    } finally {
      fake.setOutage(null);
    }
  });
});
