// Seeded fuzzing through the real broker and HTTP server: random and structured-invalid
// payloads, topics and request bodies. Zero crashes; every rejected payload counted.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, countEvents, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { decodeState } from '../../src/devices/index.ts';
import { RawClient } from '../broker/raw-client.ts';
// the same seeded PRNG the rules evaluation uses, so a failure reproduces from its seed
import { prng } from '../../bench/prng.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);

function pick<T>(rand: () => number, list: readonly T[]): T { return list[Math.floor(rand() * list.length)]; }

const PROPS = ['smoke', 'contact', 'occupancy', 'action', 'sos', 'battery', 'battery_low', 'tamper', 'test', 'linkquality', '__proto__', 'constructor'];
function randomValue(rand: () => number, depth = 0): unknown {
  switch (Math.floor(rand() * 9)) {
    case 0: return rand() < 0.5;
    case 1: return Math.floor(rand() * 400) - 100;
    case 2: return rand() * 1e6;
    case 3: return pick(rand, ['', 'sos', 'emergency', 'single', 'on', '\u0000', '收到', 'x'.repeat(100)]);
    case 4: return null;
    case 5: return depth < 2 ? [randomValue(rand, depth + 1)] : 1;
    case 6: return depth < 2 ? randomObject(rand, depth + 1) : {};
    case 7: return pick(rand, [Infinity, -0, 1e308, 100.5]);
    default: return pick(rand, [true, false, 0, 100]);
  }
}
function randomObject(rand: () => number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) out[pick(rand, PROPS)] = randomValue(rand, depth);
  return out;
}
function randomPayload(rand: () => number): Buffer {
  const kind = Math.floor(rand() * 6);
  if (kind === 0) return Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  if (kind === 1) return Buffer.from(JSON.stringify(randomObject(rand)).slice(0, Math.floor(rand() * 40)));
  if (kind === 2) return Buffer.from(JSON.stringify(randomValue(rand)) ?? '');
  return Buffer.from(JSON.stringify(randomObject(rand)));
}

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

describe(`fuzz (seed ${SEED})`, () => {
  it('3,000 random device payloads: stored or dropped-and-counted, never a crash', async () => {
    const rand = prng(SEED);
    const c = await gw.connect('zhang-door', 'door-secret');
    const droppedBefore = gw.app.metrics.total('gateway_messages_dropped_total');
    const storedBefore = await countEvents(gw.app, 'zhang-door');
    let expectValid = 0;
    let expectDropped = 0;
    for (let i = 0; i < 3000; i++) {
      const payload = randomPayload(rand);
      // the pure decoder says what should happen; the gateway must do exactly that
      if (decodeState(payload).ok) expectValid++; else expectDropped++;
      await c.publishAsync('devices/zhang-door', payload, { qos: 1 });
    }
    expect(expectDropped).toBeGreaterThan(500);
    expect(expectValid).toBeGreaterThan(500);
    expect((await countEvents(gw.app, 'zhang-door')) - storedBefore).toBe(expectValid);
    expect(gw.app.metrics.total('gateway_messages_dropped_total') - droppedBefore).toBe(expectDropped);
    expect((await gw.app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await c.endAsync();
  }, 120_000);

  it('300 random topics from a device: its own are accepted, every other one refused and counted', async () => {
    const rand = prng(SEED + 1);
    const parts = ['devices', 'zhang-door', 'zhang-smoke', 'availability', 'set', '', '..', '$SYS', 'zigbee2mqtt', '收到', 'a'.repeat(300), '#', '+'];
    const refusedBefore = gw.app.metrics.get('gateway_publish_refused_total');
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const topic = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(rand, parts)).join('/');
      const { client } = await RawClient.open(gw.app.mqttPort(), 'zhang-door', 'door-secret');
      const ack = Promise.race([
        client.next((p) => p.cmd === 'puback', 5000).then(() => true, () => false),
        client.closedPromise.then(() => false),
      ]);
      client.send({ cmd: 'publish', topic, payload: Buffer.from('{"contact":true}'), qos: 1, messageId: 1 });
      const acked = await ack;
      const own = topic === 'devices/zhang-door' || topic === 'devices/zhang-door/availability';
      const malformed = topic === '' || topic.includes('#') || topic.includes('+');
      expect(acked, topic).toBe(own);
      if (!own && !malformed) refused++;
      client.close();
    }
    expect(gw.app.metrics.get('gateway_publish_refused_total') - refusedBefore).toBe(refused);
  }, 120_000);

  it('1,000 random HTTP requests: 4xx with a reason, never a 500', async () => {
    const rand = prng(SEED + 2);
    const routes = [
      ['POST', '/api/alerts/1/acknowledge'], ['POST', '/api/alerts/1/resolve'], ['GET', '/api/alerts'],
      ['GET', '/api/residents/r-zhang/timeline'], ['GET', '/api/residents/r-zhang'],
    ] as const;
    const queries = ['', '?limit=-1', '?limit=abc', '?before=%00', '?status=x', '?type=DROP%20TABLE', '?limit=1e9', '?before=99999999999999999999'];
    for (let i = 0; i < 1000; i++) {
      const [method, url] = pick(rand, routes);
      const body = pick(rand, [JSON.stringify(randomValue(rand)), '{"note":', 'x'.repeat(Math.floor(rand() * 2000)), JSON.stringify(randomObject(rand))]);
      const res = await gw.app.http.inject({
        method, url: url + pick(rand, queries),
        headers: { authorization: `Bearer ${CASEWORKER_TOKEN}`, 'content-type': pick(rand, ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) },
        payload: method === 'POST' ? body : undefined,
      });
      expect(res.statusCode, `${method} ${url} ${body.slice(0, 80)}`).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.json().error, res.body).toBeTruthy();
    }
  }, 120_000);
});
