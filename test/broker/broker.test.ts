// The embedded broker with real MQTT clients over TCP: who may connect, what they may say,
// and what is stored before the PUBACK.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import mqtt from 'mqtt';
import { startGateway, waitFor, countEvents, sqlOf, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { RawClient } from './raw-client.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

function metric(name: string, labels: Record<string, string> = {}): number {
  return gw.app.metrics.get(name, labels);
}

describe('CONNECT', () => {
  it('accepts a device with its id and secret', async () => {
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it.each([
    ['a wrong password', 'zhang-smoke', 'not-the-secret'],
    ['an unknown device', 'nobody', 'smoke-secret'],
    ["another device's secret", 'zhang-door', 'smoke-secret'],
    ['a bridge name with a device secret', 'z2m', 'smoke-secret'],
  ])('refuses %s as not authorized', async (_why, username, password) => {
    const { client, connack } = await RawClient.open(gw.app.mqttPort(), username, password);
    expect(connack.returnCode).toBe(5);
    client.close();
  });

  it('refuses a client without credentials', async () => {
    await expect(mqtt.connectAsync(gw.mqttUrl, { reconnectPeriod: 0, connectTimeout: 3000 })).rejects.toThrow(/Not authorized/i);
  });
});

describe('PUBLISH', () => {
  it('stores a device state report before the PUBACK', async () => {
    const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
    const before = await countEvents(gw.app, 'zhang-smoke');
    await client.publish('devices/zhang-smoke', JSON.stringify({ smoke: true, battery: 77 }), 7);
    // the row is there at the moment the PUBACK arrives, with no waiting
    expect(await countEvents(gw.app, 'zhang-smoke')).toBe(before + 1);
    const row = await sqlOf(gw.app).one<any>('SELECT payload, source FROM events WHERE device_id = ? ORDER BY id DESC LIMIT 1', 'zhang-smoke');
    expect(JSON.parse(row.payload)).toEqual({ smoke: true, battery: 77 });
    expect(row.source).toBe('mqtt');
    client.close();
  });

  it('never sends the PUBACK before the commit, even when the store is slow', async () => {
    // slow the real store down: the PUBACK must wait for it. SQLite answers the broker through
    // the callback form (appendThen, from its group commit); PostgreSQL through the promise form
    const events = gw.app.store.ingest;
    const original = { append: events.append, appendThen: events.appendThen };
    let committedAt = 0;
    if (original.appendThen) {
      const appendThen = original.appendThen;
      events.appendThen = (event, origin, done) => {
        setTimeout(() => appendThen(event, origin, (err, id) => {
          committedAt = performance.now();
          done(err, id);
        }), 80);
      };
    } else {
      events.append = async (event, origin) => {
        await new Promise((r) => setTimeout(r, 80));
        const id = await original.append(event, origin);
        committedAt = performance.now();
        return id;
      };
    }
    try {
      const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
      const sentAt = performance.now();
      await client.publish('devices/zhang-smoke', '{"smoke":false}', 8);
      const ackedAt = performance.now();
      expect(committedAt).toBeGreaterThan(sentAt + 70);
      expect(ackedAt).toBeGreaterThanOrEqual(committedAt);
      client.close();
    } finally {
      events.append = original.append;
      events.appendThen = original.appendThen;
    }
  });

  it('stores a resent QoS 1 message (DUP) once', async () => {
    const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-door', 'door-secret');
    const before = await countEvents(gw.app, 'zhang-door');
    await client.publish('devices/zhang-door', '{"contact":false}', 21);
    await client.publish('devices/zhang-door', '{"contact":false}', 21, true);
    expect(await countEvents(gw.app, 'zhang-door')).toBe(before + 1);
    // a new message that reuses the id later (ids wrap) is a new event
    await client.publish('devices/zhang-door', '{"contact":true}', 21);
    expect(await countEvents(gw.app, 'zhang-door')).toBe(before + 2);
    client.close();
  });

  it('refuses a publish to another device topic, disconnects and stores nothing', async () => {
    const refusedBefore = metric('gateway_publish_refused_total');
    const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
    const before = await countEvents(gw.app);
    client.send({ cmd: 'publish', topic: 'devices/zhang-door', payload: Buffer.from('{"contact":false}'), qos: 1, messageId: 3 });
    await waitFor(() => client.closed, 3000, 'disconnect');
    expect(client.received.some((p) => p.cmd === 'puback')).toBe(false);
    expect(await countEvents(gw.app)).toBe(before);
    expect(metric('gateway_publish_refused_total')).toBe(refusedBefore + 1);
  });

  it.each([['$SYS/broker/x'], ['zigbee2mqtt/zhang/kitchen smoke'], ['devices']])('refuses a device publishing to %s', async (topic) => {
    const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
    client.send({ cmd: 'publish', topic, payload: Buffer.from('{"smoke":true}'), qos: 1, messageId: 4 });
    await waitFor(() => client.closed, 3000, 'disconnect');
    expect(client.received.some((p) => p.cmd === 'puback')).toBe(false);
  });

  it('drops malformed payloads, counts them by reason, and keeps serving the device', async () => {
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    const before = await countEvents(gw.app, 'zhang-smoke');
    const notJson = metric('gateway_messages_dropped_total', { reason: 'not_json' });
    const badType = metric('gateway_messages_dropped_total', { reason: 'bad_type_smoke' });
    const notObject = metric('gateway_messages_dropped_total', { reason: 'not_object' });
    await c.publishAsync('devices/zhang-smoke', 'SMOKE!!', { qos: 1 });
    await c.publishAsync('devices/zhang-smoke', '{"smoke":"yes"}', { qos: 1 });
    await c.publishAsync('devices/zhang-smoke', '[1,2,3]', { qos: 1 });
    await c.publishAsync('devices/zhang-smoke', Buffer.from([0xff, 0xfe, 0x00, 0x7b]), { qos: 1 });
    expect(metric('gateway_messages_dropped_total', { reason: 'not_json' })).toBe(notJson + 2);
    expect(metric('gateway_messages_dropped_total', { reason: 'bad_type_smoke' })).toBe(badType + 1);
    expect(metric('gateway_messages_dropped_total', { reason: 'not_object' })).toBe(notObject + 1);
    expect(await countEvents(gw.app, 'zhang-smoke')).toBe(before);
    // the same connection still works
    await c.publishAsync('devices/zhang-smoke', '{"smoke":false}', { qos: 1 });
    expect(await countEvents(gw.app, 'zhang-smoke')).toBe(before + 1);
    expect(gw.logs.text()).toContain('message dropped');
    await c.endAsync();
  });

  it('records availability in both forms', async () => {
    const c = await gw.connect('zhang-door', 'door-secret');
    await c.publishAsync('devices/zhang-door/availability', '{"state":"offline"}', { qos: 1 });
    expect((await gw.app.store.residents.getDevice('zhang-door'))?.availability).toBe('offline');
    await c.publishAsync('devices/zhang-door/availability', 'online', { qos: 1 });
    expect((await gw.app.store.residents.getDevice('zhang-door'))?.availability).toBe('online');
    // repeats are stored but logged once each way
    await c.publishAsync('devices/zhang-door/availability', 'online', { qos: 1 });
    await c.publishAsync('devices/zhang-door/availability', '{"state":"offline"}', { qos: 1 });
    await c.publishAsync('devices/zhang-door/availability', '{"state":"offline"}', { qos: 1 });
    const lines = gw.logs.lines.filter((l) => l.includes('"deviceId":"zhang-door"'));
    expect(lines.filter((l) => l.includes('device unavailable'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('device available again'))).toHaveLength(1);
    await c.endAsync();
  });

  it('lets a device subscribe to its own topics only', async () => {
    const c = await gw.connect('zhang-door', 'door-secret');
    const granted = await c.subscribeAsync('devices/zhang-door/set', { qos: 1 });
    expect(granted[0].qos).toBe(1);
    const before = metric('gateway_subscribe_refused_total');
    // aedes answers a refused subscription by closing the connection
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.subscribe('devices/#', { qos: 1 });
    await closed;
    expect(metric('gateway_subscribe_refused_total')).toBe(before + 1);
  });
});

describe('packet size', () => {
  it('drops a connection that announces a packet larger than any report, before or after CONNECT', async () => {
    const before = gw.app.metrics.get('gateway_connections_dropped_total', { reason: 'packet_too_large' });
    // a CONNECT that announces 200 MB, from a client that never authenticated
    const { connect: tcp } = await import('node:net');
    const sock = tcp(gw.app.mqttPort(), '127.0.0.1');
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => {});
    sock.on('connect', () => sock.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x64, 0x00, 0x04])));
    await closed;
    // an authenticated device sending a 100 KB publish
    const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
    client.send({ cmd: 'publish', topic: 'devices/zhang-smoke', payload: Buffer.alloc(100 * 1024, 0x20), qos: 1, messageId: 77 });
    await waitFor(() => client.closed, 3000, 'disconnect');
    expect(gw.app.metrics.get('gateway_connections_dropped_total', { reason: 'packet_too_large' })).toBe(before + 2);
    // ordinary traffic is untouched
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', JSON.stringify({ smoke: false, pad: 'x'.repeat(8000) }), { qos: 1 });
    await c.endAsync();
  });
});

describe('zigbee2mqtt bridge', () => {
  it('attributes a bridged report to the device with that friendly name', async () => {
    const c = await gw.connect('z2m', 'bridge-pass');
    const before = await countEvents(gw.app, 'zhang-kitchen');
    await c.publishAsync('zigbee2mqtt/zhang/kitchen smoke', JSON.stringify({ battery: 100, battery_low: false, linkquality: 87, smoke: true }), { qos: 1 });
    await c.publishAsync('zigbee2mqtt/zhang/kitchen smoke/availability', '{"state":"online"}', { qos: 1 });
    expect(await countEvents(gw.app, 'zhang-kitchen')).toBe(before + 2);
    const row = await sqlOf(gw.app).one<any>("SELECT source FROM events WHERE device_id = 'zhang-kitchen' ORDER BY id DESC LIMIT 1");
    expect(row.source).toBe('zigbee2mqtt');
    await c.endAsync();
  });

  it('ignores bridge housekeeping and counts unknown friendly names', async () => {
    const c = await gw.connect('z2m', 'bridge-pass');
    const unknownBefore = metric('gateway_messages_dropped_total', { reason: 'unknown_device' });
    const before = await countEvents(gw.app);
    await c.publishAsync('zigbee2mqtt/bridge/state', '{"state":"online"}', { qos: 1 });
    await c.publishAsync('zigbee2mqtt/bridge/devices', '[]', { qos: 1 });
    await c.publishAsync('zigbee2mqtt/somebody else lamp', '{"state":"ON"}', { qos: 1 });
    expect(await countEvents(gw.app)).toBe(before);
    expect(metric('gateway_messages_dropped_total', { reason: 'unknown_device' })).toBe(unknownBefore + 1);
    expect(metric('gateway_messages_ignored_total', { reason: 'bridge_info' })).toBeGreaterThanOrEqual(2);
    await c.endAsync();
  });

  it('keeps a bridge under its own base topic', async () => {
    const { client } = await RawClient.open(gw.app.mqttPort(), 'z2m', 'bridge-pass');
    client.send({ cmd: 'publish', topic: 'devices/zhang-smoke', payload: Buffer.from('{"smoke":true}'), qos: 1, messageId: 9 });
    await waitFor(() => client.closed, 3000, 'disconnect');
    expect(client.received.some((p) => p.cmd === 'puback')).toBe(false);
  });
});

describe('metrics', () => {
  it('exposes accepted and dropped counts and connected clients in Prometheus text', async () => {
    // on its own too: one report stored, one dropped, one client connected while asked
    const c = await gw.connect('zhang-door', 'door-secret');
    await c.publishAsync('devices/zhang-door', '{"contact":true}', { qos: 1 });
    await c.publishAsync('devices/zhang-door', 'not json', { qos: 1 });
    const res = await gw.app.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } });
    await c.endAsync();
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^gateway_messages_accepted_total\{source="mqtt"\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^gateway_messages_dropped_total\{reason="not_json"\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^gateway_mqtt_clients_connected [1-9]\d*$/m);
  });
});

describe('logs', () => {
  it('never carry a secret or a password', async () => {
    // on its own too: a refused password, a device and a bridge signing in, a report each
    const before = gw.logs.lines.length;
    const refused = await RawClient.open(gw.app.mqttPort(), 'zhang-smoke', 'not-the-secret');
    expect(refused.connack.returnCode).toBe(5);
    refused.client.close();
    const device = await gw.connect('zhang-door', 'door-secret');
    await device.publishAsync('devices/zhang-door', '{"contact":false}', { qos: 1 });
    const bridge = await gw.connect('z2m', 'bridge-pass');
    await bridge.publishAsync('zigbee2mqtt/zhang/kitchen smoke', '{"smoke":false}', { qos: 1 });
    await device.endAsync();
    await bridge.endAsync();
    const lines = gw.logs.lines.slice(before);
    // the attempts were logged (by id), so the test looked at something
    expect(lines.some((l) => l.includes('connection refused') && l.includes('zhang-smoke'))).toBe(true);
    const text = gw.logs.text();
    for (const secret of ['smoke-secret', 'door-secret', 'bridge-pass', 'not-the-secret']) expect(text).not.toContain(secret);
  });
});
