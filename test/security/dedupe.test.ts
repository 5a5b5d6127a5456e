// A real SOS must never be thrown away as a "duplicate": a resend (DUP) is recognised only
// within the session that may have missed its PUBACK, and an alarm is never swallowed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, waitFor, countEvents, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { MqttRaw, rawHttp } from './net.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });


describe('a resent message is recognised only within the session that may have missed its PUBACK', () => {
  it('a rebooted button (new clean session, same packet id, DUP set) still raises its new SOS', async () => {
    const port = gw.app.mqttPort();
    const { client: before } = await MqttRaw.open(port, 'chen-button', 'button-secret', { clientId: 'chen-button' });
    await before.publish('devices/chen-button', '{"action":"sos"}', 1);
    const first = await waitFor(async () => (await gw.app.store.alerts.list('open')).find((a) => a.kind === 'emergency' && a.residentId === 'r-chen'), 5000, 'the first SOS');
    const res = await rawHttp(gw.app.httpPort(), { method: 'POST', target: `/api/alerts/${first.id}/resolve`, headers: { authorization: `Bearer ${CASEWORKER_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    before.close();
    // the device reboots: a new clean session that starts its packet ids at 1 again
    const stored = await countEvents(gw.app, 'chen-button');
    const { client: after } = await MqttRaw.open(port, 'chen-button', 'button-secret', { clientId: 'chen-button' });
    await after.publish('devices/chen-button', '{"action":"sos"}', 1, true);
    expect(await countEvents(gw.app, 'chen-button')).toBe(stored + 1);
    const second = await waitFor(async () => (await gw.app.store.alerts.list('open')).find((a) => a.kind === 'emergency' && a.residentId === 'r-chen'), 5000, 'a new SOS alert');
    expect(second.id).not.toBe(first.id);
    after.close();
  });

  it('an alarm resent within its own session is stored again, and stays one alert', async () => {
    const port = gw.app.mqttPort();
    const { client } = await MqttRaw.open(port, 'zhang-smoke', 'smoke-secret');
    const stored = await countEvents(gw.app, 'zhang-smoke');
    await client.publish('devices/zhang-smoke', '{"smoke":true}', 40);
    await client.publish('devices/zhang-smoke', '{"smoke":true}', 40, true);
    expect(await countEvents(gw.app, 'zhang-smoke')).toBe(stored + 2);
    await gw.app.rules.idle();
    expect((await gw.app.store.alerts.list(undefined)).filter((a) => a.kind === 'smoke' && a.status !== 'resolved')).toHaveLength(1);
    client.close();
  });

  it('an ordinary report resent with DUP in the same session is still stored once', async () => {
    const port = gw.app.mqttPort();
    const { client } = await MqttRaw.open(port, 'zhang-door', 'door-secret');
    const stored = await countEvents(gw.app, 'zhang-door');
    await client.publish('devices/zhang-door', '{"contact":false}', 77);
    await client.publish('devices/zhang-door', '{"contact":false}', 77, true);
    expect(await countEvents(gw.app, 'zhang-door')).toBe(stored + 1);
    client.close();
    // another connection (clean session) with the same id and payload is a new message
    const { client: other } = await MqttRaw.open(port, 'zhang-door', 'door-secret');
    await other.publish('devices/zhang-door', '{"contact":false}', 77, true);
    expect(await countEvents(gw.app, 'zhang-door')).toBe(stored + 2);
    other.close();
  });
});
