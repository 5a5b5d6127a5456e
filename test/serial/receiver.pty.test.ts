// SerialReceiver over a real pty pair (socat): the receiver opens A with the real serialport
// package, the test plays the RFLink receiver on B. Unplugging is killing socat.
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SerialConfig } from '../../src/config/index.ts';
import type { DeviceKind, Readings } from '../../src/domain/types.ts';
import { SerialReceiver, type IngestMeta, type OutageInfo, type RecoveryInfo, type SerialLogger } from '../../src/devices/serial/index.ts';
import type { Clock } from '../../src/clock.ts';
import { VirtualClock } from '../notify/harness.ts';
import { ensureSocat, PtyPair, RadioSide, sleep, waitFor } from './pty.ts';

// the gateway hands the receiver its pino logger
const _pinoFits: SerialLogger = pino({ level: 'silent' });

const PING_MS = 200; // silence for 3 intervals (600 ms) is an outage

const DEVICES: Record<string, { deviceId: string; kind: DeviceKind }> = {
  'SmokeAlert;ID=123456': { deviceId: 'zhang-rf-smoke', kind: 'smoke' },
  'Kaku;ID=41;SWITCH=1': { deviceId: 'zhang-door', kind: 'door' },
  'Kaku;ID=41': { deviceId: 'zhang-remote', kind: 'button' },
  'Kerui-Security;840811': { deviceId: 'zhang-pir', kind: 'motion' },
};

function harness(pty: PtyPair, config: Partial<SerialConfig> = {}, clock?: Clock) {
  const ingested: Array<{ deviceId: string; readings: Readings; meta: IngestMeta }> = [];
  const outages: OutageInfo[] = [];
  const recoveries: RecoveryInfo[] = [];
  const counts: Record<string, number> = {};
  const receiver = new SerialReceiver({
    config: { path: pty.a, baudRate: 57600, protocol: 'rflink', pingInterval: PING_MS, ...config },
    log: pino({ level: 'silent' }),
    lookup: (key) => DEVICES[key],
    ingest: async (deviceId, readings, meta) => { ingested.push({ deviceId, readings, meta }); },
    onOutage: (info) => outages.push(info),
    onRecovered: (info) => recoveries.push(info),
    count: (reason) => { counts[reason] = (counts[reason] ?? 0) + 1; },
    backoff: { initialMs: 50, maxMs: 400 },
    clock,
  });
  return { receiver, ingested, outages, recoveries, counts };
}

describe('SerialReceiver over a pty pair', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  beforeAll(() => {
    ensureSocat();
  }, 300_000);

  async function setup(config: Partial<SerialConfig> = {}, clock?: Clock) {
    const pty = new PtyPair();
    cleanup.push(() => pty.dispose());
    await pty.plug();
    const radio = await RadioSide.open(pty.b);
    cleanup.push(() => radio.close());
    const h = harness(pty, config, clock);
    cleanup.push(() => h.receiver.stop());
    return { pty, radio, ...h };
  }

  it('turns a smoke line into smoke: true for the right device, and a switch into its own device', async () => {
    const { radio, receiver, ingested } = await setup();
    radio.answerPings();
    await receiver.start();
    radio.send('20;00;Nodo RadioFrequencyLink - RFLink Gateway V1.1 - R48;');
    radio.send('20;63;SmokeAlert;ID=123456;SMOKEALERT=ON;');
    radio.send('20;06;Kaku;ID=41;SWITCH=1;CMD=ON;');
    radio.send('20;0C;Kaku;ID=41;SWITCH=2;CMD=OFF;');
    await waitFor('three events', () => ingested.length >= 3);
    expect(ingested.map(({ deviceId, readings }) => ({ deviceId, readings }))).toEqual([
      { deviceId: 'zhang-rf-smoke', readings: { smoke: true } },
      { deviceId: 'zhang-door', readings: { contact: false } }, // SWITCH=1 has its own device
      { deviceId: 'zhang-remote', readings: { action: 'sos' } }, // any other switch: the plain key
    ]);
    expect(ingested[0].meta).toEqual({ source: 'rflink', key: 'SmokeAlert;ID=123456', path: receiver.stats().path });
    expect(receiver.stats()).toMatchObject({ state: 'up', ingested: 3, outages: 0 });
  });

  it('keeps a quick close-and-open of a door but drops a straight repeat', async () => {
    const { radio, receiver, ingested, counts } = await setup();
    radio.answerPings();
    await receiver.start();
    radio.send('20;06;Kaku;ID=41;SWITCH=1;CMD=ON;');
    radio.send('20;07;Kaku;ID=41;SWITCH=1;CMD=OFF;');
    radio.send('20;08;Kaku;ID=41;SWITCH=1;CMD=ON;');
    radio.send('20;09;Kaku;ID=41;SWITCH=1;CMD=ON;');
    await waitFor('the repeat counted', () => counts.duplicate === 1);
    await waitFor('three door events', () => ingested.length === 3);
    expect(ingested.map((e) => e.readings)).toEqual([{ contact: false }, { contact: true }, { contact: false }]);
  });

  it('pings the receiver and stays up while it answers', async () => {
    const clock = new VirtualClock(Date.parse('2026-03-02T10:00:00+08:00'));
    const { radio, receiver, outages, counts } = await setup({}, clock);
    radio.answerPings();
    await receiver.start();
    // six intervals, twice the silence limit, each ping answered before the next
    for (let i = 1; i <= 6; i++) {
      await waitFor(`pong ${i}`, () => (counts.pong ?? 0) >= i || undefined);
      await clock.advance(PING_MS);
    }
    expect(radio.received.filter((l) => l === '10;PING;').length).toBeGreaterThanOrEqual(6);
    expect(outages).toEqual([]);
    expect(receiver.stats().state).toBe('up');
  });

  it('counts and ignores unknown ids, banners and garbage without failing', async () => {
    const { radio, receiver, ingested, counts } = await setup();
    radio.answerPings();
    await receiver.start();
    radio.send('20;00;Nodo RadioFrequencyLink - RFLink Gateway V1.1 - R48;');
    radio.send('20;12;Pir;ID=aa66;PIR=ON;'); // a neighbour's PIR
    radio.send(Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x0a]));
    radio.send(Buffer.concat([Buffer.alloc(6000, 0x55), Buffer.from('\n')]));
    radio.send('hello world');
    radio.send('20;63;SmokeAlert;ID=123456;SMOKEALERT=ON;');
    await waitFor('the smoke line after the junk', () => ingested.length === 1);
    expect(counts).toMatchObject({ banner: 1, unknown_device: 1, garbage: 2, too_long: 1 });
    expect(receiver.stats().counts).toMatchObject({ banner: 1, unknown_device: 1, garbage: 2, too_long: 1 });
  });

  it('reports a silent receiver once, and its recovery once', async () => {
    const { radio, receiver, outages, recoveries } = await setup();
    const pongs = radio.answerPings();
    await receiver.start();
    await waitFor('a pong', () => receiver.stats().counts.pong);
    pongs.stop();
    await waitFor('the outage', () => outages.length > 0, 3000);
    expect(outages[0].reason).toMatch(/silent/);
    await sleep(PING_MS * 8); // reopened and still silent: no second report
    expect(outages).toHaveLength(1);
    expect(receiver.stats().state).toBe('down');
    pongs.resume();
    await waitFor('the recovery', () => recoveries.length > 0, 3000);
    await sleep(PING_MS * 4);
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0].downForMs).toBeGreaterThanOrEqual(PING_MS * 3);
    expect(receiver.stats()).toMatchObject({ state: 'up', outages: 1, recoveries: 1 });
  });

  it('reports an unplugged receiver once and picks up a new pty at the same path', async () => {
    const { pty, radio, receiver, ingested, outages, recoveries } = await setup();
    radio.answerPings();
    await receiver.start();
    radio.send('20;63;SmokeAlert;ID=123456;SMOKEALERT=ON;');
    await waitFor('the first smoke event', () => ingested.length === 1);

    await pty.unplug();
    await waitFor('the outage', () => outages.length > 0, 3000);
    await sleep(1000); // several reopen attempts against a missing device
    expect(outages).toHaveLength(1);
    expect(recoveries).toHaveLength(0);

    await pty.plug();
    const radio2 = await RadioSide.open(pty.b);
    cleanup.push(() => radio2.close());
    radio2.answerPings();
    await waitFor('the recovery', () => recoveries.length > 0, 5000);
    radio2.send('20;64;SmokeAlert;ID=123456;SMOKEALERT=OFF;');
    await waitFor('smoke after the replug', () => ingested.length === 2, 3000);
    expect(ingested[1].readings).toEqual({ smoke: false });
    expect(outages).toHaveLength(1);
    expect(recoveries).toHaveLength(1);
  });

  it('reports a receiver missing at start, and starts using it when it appears', async () => {
    const pty = new PtyPair();
    cleanup.push(() => pty.dispose());
    const h = harness(pty);
    cleanup.push(() => h.receiver.stop());
    await h.receiver.start(); // never throws, even with no device
    expect(h.outages).toHaveLength(1);
    expect(h.outages[0].reason).toMatch(/cannot open/);
    await sleep(600); // several failed reopen attempts: still one report
    expect(h.outages).toHaveLength(1);
    await pty.plug();
    const radio = await RadioSide.open(pty.b);
    cleanup.push(() => radio.close());
    radio.answerPings();
    await waitFor('the recovery', () => h.recoveries.length > 0, 5000);
    expect(h.outages).toHaveLength(1);
  });

  it('reads rtl_433 JSON lines and keeps only one of its repeats', async () => {
    const { radio, receiver, ingested, counts } = await setup({ protocol: 'jsonl', pingInterval: undefined });
    await receiver.start();
    const line = '{"time" : "2022-03-17 21:58:46.319049", "protocol" : 68, "model" : "Kerui-Security", "id" : 840811, "cmd" : 10, "motion" : 1, "state" : "motion" }';
    radio.send(line);
    radio.send(line);
    radio.send('{"model" : "Generic-Remote", "id" : 5069, "cmd" : 192, "tristate" : "0Z01101Z1000"}');
    radio.send('not json');
    await waitFor('garbage counted', () => counts.garbage === 1);
    expect(ingested.map(({ deviceId, readings, meta }) => [deviceId, readings, meta.source])).toEqual([
      ['zhang-pir', { occupancy: true }, 'jsonl'],
    ]);
    expect(counts).toMatchObject({ duplicate: 1, unknown_device: 1 });
    // no pings to a jsonl receiver
    expect(radio.received).toEqual([]);
  });

  it('stops cleanly and can be stopped twice', async () => {
    const { receiver } = await setup();
    await receiver.start();
    await receiver.stop();
    await receiver.stop();
    expect(receiver.stats().state).toBe('stopped');
  });

  it('watches and reopens on the gateway clock: 30 s intervals pass in a virtual minute, not a real one', async () => {
    const clock = new VirtualClock(Date.parse('2026-03-02T10:00:00+08:00'));
    const { radio, receiver, outages, recoveries } = await setup({ pingInterval: 30_000 }, clock);
    const pongs = radio.answerPings();
    await receiver.start();
    await waitFor('the first ping answered', () => receiver.stats().counts.pong);
    await clock.advance(30_000);
    await waitFor('a ping each interval', () => receiver.stats().counts.pong! >= 2 || undefined);
    pongs.stop();
    // three silent intervals on the virtual clock; a port on real timers would still be waiting
    await clock.advance(90_000);
    expect(outages.map((o) => o.reason)).toEqual(['silent for 90 s']);
    expect(receiver.stats().state).toBe('down');
    // reopened after its backoff (50 ms here) by the same clock, and heard again
    pongs.resume();
    await clock.advance(100);
    await waitFor('the recovery', () => recoveries.length > 0, 3000);
    expect(recoveries[0].downForMs).toBeGreaterThanOrEqual(90_000);
    expect(receiver.stats()).toMatchObject({ state: 'up', outages: 1, recoveries: 1, opens: 2 });
  });
});
