// A life-safety alarm does not wait behind routine reports: when both are queued for the rules,
// the alarm is judged, committed and handed to the outbox before the routine reports are judged.
import { describe, it, expect, afterEach } from 'vitest';
import { startGateway, waitFor, type TestGateway } from '../helpers.ts';
import { isLifeSafety } from '../../src/rules/index.ts';
import { ROUTINE_IN_FLIGHT } from '../../src/devices/router-admission.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

const ROUTINE_RESIDENTS = 10;

async function gatewayWithRoutineHomes(routineInFlight?: number): Promise<TestGateway> {
  return startGateway({
    escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }], emergency: [{ notify: ['neighbor'], after: '0s' }] },
    residents: [
      {
        id: 'r-alarm', name: 'Alarm Home', timezone: 'Asia/Shanghai',
        contacts: [{ name: 'Neighbor', phone: '+8613800000009', role: 'neighbor' }],
        devices: [{ id: 'alarm-smoke', kind: 'smoke', secret: 'smoke-secret' }, { id: 'alarm-button', kind: 'button', secret: 'button-secret' }],
      },
      ...Array.from({ length: ROUTINE_RESIDENTS }, (_, r) => ({
        id: `r-${r}`, name: `Routine ${r}`, timezone: 'Asia/Shanghai',
        devices: [{ id: `motion-${r}`, kind: 'motion', secret: `m-${r}` }],
      })),
    ],
  }, { routineInFlight });
}

describe('life-safety alarms first', () => {
  it('are told apart from routine reports', () => {
    const ev = (kind: DeviceEvent['kind'], readings: DeviceEvent['readings']): DeviceEvent =>
      ({ at: 0, deviceId: 'd', residentId: 'r', kind, source: 'mqtt', type: 'state', readings });
    expect(isLifeSafety(ev('smoke', { smoke: true }))).toBe(true);
    expect(isLifeSafety(ev('co', { carbon_monoxide: true }))).toBe(true);
    expect(isLifeSafety(ev('gas', { gas: true }))).toBe(true);
    expect(isLifeSafety(ev('button', { action: 'single' }))).toBe(true);
    expect(isLifeSafety(ev('smoke', { smoke: false, battery: 80 }))).toBe(false);
    expect(isLifeSafety(ev('motion', { occupancy: true }))).toBe(false);
  });

  // without the store's admission bound all 3,001 reports are committed in one group and reach the
  // rules together, which is where the rules' own priority is seen; with it (the default) the
  // alarm is committed ahead of the routine reports still waiting for their turn at the store
  for (const alarm of [
    { name: 'smoke', deviceId: 'alarm-smoke', readings: { smoke: true } },
    { name: 'an emergency button', deviceId: 'alarm-button', readings: { action: 'sos' } },
  ]) for (const mode of ['committed with them', 'at the store\'s admission'] as const) {
    it(`${alarm.name} queued behind 3,000 motion reports (${mode}) is in the outbox before they are judged`, async () => {
      gw = await gatewayWithRoutineHomes(mode === 'committed with them' ? 0 : undefined);
      const { app } = gw;
      const seen: Array<{ routineJudged: number; outboxRows: number }> = [];
      // listeners run in order: the notifier's (which starts the unit of work that puts the texts
      // in the outbox) came first. Its commit is awaited here in microtasks only, so no timer or
      // I/O (the routine reports' rules commit among them) can run before it is seen.
      app.bus.on('alertOpened', seen, (row) => {
        void (async () => {
          let outboxRows = 0;
          for (let turn = 0; turn < 10_000 && outboxRows === 0; turn++) outboxRows = (await app.store.outbox.ofAlert(row.id)).length;
          const routineJudged = Array.from({ length: ROUTINE_RESIDENTS }, (_, r) => app.rules.judgedUpTo(`r-${r}`)).reduce((a, b) => Math.max(a, b), 0);
          seen.push({ routineJudged, outboxRows });
        })();
      });
      const before = app.rules.judgedUpTo('r-0');
      // all of it arrives at once, so it is committed in one group and queued for the rules together
      const routine = Array.from({ length: 3000 }, (_, i) => app.router.ingestReadings(`motion-${i % ROUTINE_RESIDENTS}`, { occupancy: i % 2 === 0 }, 'mqtt'));
      const alarmed = app.router.ingestReadings(alarm.deviceId, alarm.readings, 'mqtt');
      const outcomes = await Promise.all([...routine, alarmed]);
      const ids = outcomes.map((o) => (o.status === 'stored' ? o.event.id! : 0));
      const firstRoutine = ids[0];
      if (mode === 'committed with them') expect(ids[3000]).toBeGreaterThan(ids[2999]);
      // the bound lets one room's worth of routine reports go first: the alarm joins the very next group
      else expect(ids[3000]).toBeLessThan(ids[ROUTINE_IN_FLIGHT + 100]);
      await waitFor(() => seen.length, 10_000, 'the alarm opened');
      expect(seen[0].outboxRows).toBeGreaterThan(0);
      // not one of the routine reports committed with it had been judged when the alarm went out
      expect(seen[0].routineJudged).toBeLessThan(firstRoutine);
      expect(seen[0].routineJudged).toBe(before);
      // and they are all judged after it
      await waitFor(() => app.rules.judgedUpTo('r-9') === ids[2999], 10_000, 'the routine reports judged');
    }, 30_000);
  }
});
