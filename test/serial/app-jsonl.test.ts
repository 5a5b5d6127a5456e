// rtl_433 lines from the corpus through the whole gateway over a real pty pair (socat), as
// `rtl_433 -F json` on a serial link would print them: each must end as the alert or timeline
// entry it means, and keys that are no emergency must raise none. Devices name their own
// idFields where rtl_433 gives them no id (Generic-Motion).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { ensureSocat, PtyPair, RadioSide } from './pty.ts';
import { startGateway, waitFor, sqlOf, type TestGateway } from '../helpers.ts';

interface Case { model: string; line: string; note?: string }
const corpus: Case[] = readFileSync(new URL('../fixtures/serial/rtl433-corpus.jsonl', import.meta.url), 'utf8')
  .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Case);
const line = (needle: string) => {
  const hits = corpus.filter((c) => c.line.includes(needle));
  if (hits.length !== 1) throw new Error(`${hits.length} corpus lines contain ${needle}`);
  return hits[0].line;
};

let pty: PtyPair;
let radio: RadioSide | undefined;
let gw: TestGateway | undefined;

beforeAll(() => { ensureSocat(); });
afterAll(async () => {
  await radio?.close();
  await gw?.stop();
  await pty?.dispose();
});

describe('rtl_433 JSON lines in the gateway', () => {
  it('smoke, panic, keys, self-tests and a code-only PIR end where they must', async () => {
    pty = new PtyPair();
    await pty.plug();
    radio = await RadioSide.open(pty.b);
    gw = await startGateway({
      serial: [{ path: pty.a, baudRate: 57600, protocol: 'jsonl' }],
      residents: [{
        id: 'r-sun', name: 'Sun Hua', timezone: 'Asia/Shanghai',
        devices: [
          { id: 'sun-smoke', kind: 'smoke', jsonl: 'Interlogix-Security;29cd45' },
          { id: 'sun-cavius', kind: 'smoke', jsonl: 'Cavius-Security;270303' },
          { id: 'sun-remote', kind: 'button', jsonl: 'X10-Security;b14e' },
          { id: 'sun-pir', kind: 'motion', jsonl: 'Generic-Motion;800a2', idFields: ['model', 'code'] },
          { id: 'sun-door', kind: 'door', jsonl: 'X10-Security;3133' },
        ],
      }],
    });
    const app = gw.app;
    const open = async (kind: string, deviceId: string) => (await app.store.alerts.list('open')).find((a) => a.kind === kind && a.deviceId === deviceId);
    const events = async (deviceId: string) => (await sqlOf(app).all<{ payload: string }>('SELECT payload FROM events WHERE device_id = ? ORDER BY id', deviceId)).map((r) => JSON.parse(r.payload));
    // the receiver has the port open before the radio speaks
    await waitFor(() => app.serial[0].stats().state === 'up', 5000, 'the serial port open');

    radio.send('Found Rafael Micro R820T tuner');
    radio.send(line('"message" : 64'));
    radio.send(line('"KEY-FOB ARM"'));
    radio.send(line('"KEY-FOB DISARM"'));
    radio.send(line('"Generic-Motion"'));
    radio.send(line('"DS10A DOOR/WINDOW OPEN", "delay"'));
    radio.send(line('"raw_message" : "a740a8"'));
    await waitFor(() => open('smoke', 'sun-smoke'), 10_000, 'Interlogix smoke alert');

    // the Cavius test press is a self-test note, never a smoke alert
    await waitFor(async () => (await app.store.timeline.page('r-sun', { limit: 50 })).items.some((i) => i.type === 'note' && (i as { deviceId?: string }).deviceId === 'sun-cavius'), 5000, 'self-test note');
    expect(await open('smoke', 'sun-cavius')).toBeUndefined();
    // arm and disarm are recorded keys, not emergencies
    await waitFor(async () => (await events('sun-remote')).length === 2, 5000, 'remote keys stored');
    expect(await events('sun-remote')).toEqual([{ action: 'arm' }, { action: 'disarm' }]);
    expect(await open('emergency', 'sun-remote')).toBeUndefined();
    // a code-only PIR found by its own idFields; an X10 door read as open with its low battery
    expect(await events('sun-pir')).toEqual([{ occupancy: true }]);
    await waitFor(async () => (await events('sun-door')).length === 1, 5000, 'door event');
    expect(await events('sun-door')).toEqual([{ contact: false, battery_low: true }]);
    await waitFor(() => open('battery_low', 'sun-door'), 5000, 'battery alert');

    radio.send(line('"KR18 PANIC"'));
    await waitFor(() => open('emergency', 'sun-remote'), 5000, 'panic emergency');
    expect(app.metrics.get('gateway_serial_lines_ignored_total', { reason: 'garbage' })).toBe(1);
  }, 60_000);
});
