// A receiver wired into the whole gateway over a real pty pair: an RFLink smoke line becomes a
// smoke alert; unplugging the receiver opens an outage alert for the residents it serves,
// and plugging it in again resolves it without a restart.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ensureSocat, PtyPair, RadioSide } from './pty.ts';
import { startGateway, waitFor, sqlOf, countEvents, type TestGateway } from '../helpers.ts';
import type { HomeState } from '../../src/rules/index.ts';

let pty: PtyPair;
let radio: RadioSide | undefined;
let gw: TestGateway | undefined;

beforeAll(() => { ensureSocat(); });
afterAll(async () => {
  await radio?.close();
  await gw?.stop();
  await pty?.dispose();
});

describe('RFLink receiver in the gateway', () => {
  it('smoke line -> smoke alert; unplug -> outage alert; replug -> resolved, events flow again', async () => {
    pty = new PtyPair();
    await pty.plug();
    radio = await RadioSide.open(pty.b);
    radio.answerPings();
    gw = await startGateway({
      serial: [{ path: pty.a, baudRate: 57600, protocol: 'rflink', pingInterval: '1s' }],
      residents: [{
        id: 'r-wu', name: 'Wu Lan', timezone: 'Asia/Shanghai',
        devices: [
          { id: 'wu-rf-smoke', kind: 'smoke', rflink: 'SmokeAlert;ID=123456' },
          { id: 'wu-rf-pir', kind: 'motion', rflink: 'Pir;ID=aa66' },
        ],
      }],
    });
    const app = gw.app;
    // the receiver has the port open before the radio speaks
    await waitFor(() => app.serial[0].stats().state === 'up', 5000, 'the serial port open');
    radio.send('20;00;Nodo RadioFrequencyLink - RFLink Gateway V1.1 - R48;');
    radio.send('20;12;Pir;ID=aa66;PIR=ON;');
    radio.send('20;63;SmokeAlert;ID=123456;SMOKEALERT=ON;');
    radio.send('20;64;SmokeAlert;ID=999999;SMOKEALERT=ON;');
    // a loaded machine (the whole suite on two cores) may take seconds; the receiver's counters say
    // whether a line was lost to an outage rather than late
    const smoke = await waitFor(async () => (await app.store.alerts.list('open')).find((a) => a.kind === 'smoke'), 15_000, 'smoke alert')
      .catch((err: Error) => { throw new Error(`${err.message}; receiver ${JSON.stringify(app.serial[0].stats())}`); });
    expect(smoke).toMatchObject({ residentId: 'r-wu', deviceId: 'wu-rf-smoke' });
    const sources = await sqlOf(app).all<{ source: string }>("SELECT DISTINCT source FROM events WHERE resident_id = 'r-wu'");
    expect(sources.map((s) => s.source)).toEqual(['rflink']);
    expect(app.metrics.get('gateway_serial_lines_ignored_total', { reason: 'unknown_device' })).toBe(1);

    await radio.close();
    radio = undefined;
    await pty.unplug();
    const outage = await waitFor(async () => (await app.store.alerts.list('open')).find((a) => a.conditionKey === `receiver_offline:${pty.a}`), 10_000, 'outage alert');
    expect(outage).toMatchObject({ kind: 'device_offline', residentId: 'r-wu' });
    expect((await app.store.timeline.page('r-wu', { limit: 50, types: ['alert'] })).items.some((i) => i.kind === 'device_offline')).toBe(true);
    // the rules core decided it (so replay can): the resident's saved state holds the open outage
    await app.rules.idle();
    const saved = (await app.store.ruleState.get('r-wu'))?.state as HomeState | undefined;
    expect(saved?.alerts[`receiver_offline:${pty.a}`]).toMatchObject({ kind: 'device_offline', deviceId: null });

    await pty.plug();
    radio = await RadioSide.open(pty.b);
    radio.answerPings();
    await waitFor(async () => (await app.store.alerts.get(outage.id))?.status === 'resolved', 40_000, 'outage resolved');
    const before = await countEvents(app, 'wu-rf-pir');
    // a PIR repeats while it sees motion; send until one is stored (a CI run under heavy load
    // once missed the single line sent right after recovery: see the stop note)
    let sent = 0;
    await waitFor(async () => {
      const n = await countEvents(app, 'wu-rf-pir');
      if (n > before) return true;
      if (sent++ % 25 === 0) radio!.send(`20;${(13 + sent).toString(16).toUpperCase()};Pir;ID=aa66;PIR=ON;`);
      return false;
    }, 15_000, 'event after replug');
  }, 90_000);
});
