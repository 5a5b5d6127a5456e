// The store's admission for decoded reports: routine reports reach the store a bounded number at a
// time, in turn by device; a life-safety report goes at once, after its own device's earlier
// reports; nothing is dropped and every promise settles with the store's answer.
import { describe, it, expect } from 'vitest';
import { createAdmission, ROUTINE_IN_FLIGHT } from '../../src/devices/router-admission.ts';
import { Metrics } from '../../src/metrics.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import type { AppendDone } from '../../src/store/index.ts';

/**
 * The store's append as the admission sees it: appends wait until `commit()`, which answers them
 * all in order. `callback`: the engine's callback form (SQLite's appendThen: the answers are
 * called one after the other from the commit); else its promise form, through the admission's
 * adapter (PostgreSQL).
 */
function fakeStore(callback: boolean) {
  const pending: Array<{ event: DeviceEvent; done: AppendDone }> = [];
  const seen: DeviceEvent[] = [];
  let next = 1;
  let most = 0;
  const appendThen = (event: DeviceEvent, _origin: unknown, done: AppendDone) => {
    seen.push(event);
    pending.push({ event, done });
    most = Math.max(most, pending.length);
  };
  const append = (event: DeviceEvent): Promise<number> => new Promise((resolve, reject) => {
    appendThen(event, undefined, (err, id) => (err ? reject(err) : resolve(id!)));
  });
  return {
    seen, pending,
    get most() { return most; },
    port: callback ? { append, appendThen } : { append },
    /** one group commit of everything handed over, then the microtasks that release more */
    async commit(fail?: Error): Promise<number> {
      const group = pending.splice(0);
      for (const p of group) (fail ? p.done(fail) : p.done(null, next++));
      await new Promise((r) => setImmediate(r));
      return group.length;
    },
  };
}

const ev = (deviceId: string, readings: Record<string, unknown>, kind: DeviceEvent['kind'] = 'motion'): DeviceEvent =>
  ({ at: 0, deviceId, residentId: `r-${deviceId}`, kind, source: 'mqtt', type: 'state', readings: readings as DeviceEvent['readings'] });

describe.each([['callback (SQLite)', true], ['promise (PostgreSQL)', false]] as const)('store admission, the store\'s %s form', (_form, callback) => {
  it('hands the store at most the bound of routine reports, and stores every one in order', async () => {
    const store = fakeStore(callback);
    const admission = createAdmission(store.port, new Metrics());
    const ids = Array.from({ length: 1000 }, (_, i) => admission.append(ev('flood', { occupancy: i % 2 === 0, n: i })));
    expect(store.pending.length).toBe(ROUTINE_IN_FLIGHT);
    expect(admission.stats().queued).toBe(1000 - ROUTINE_IN_FLIGHT);
    let groups = 0;
    while (store.pending.length) { await store.commit(); groups++; }
    expect(groups).toBe(Math.ceil(1000 / ROUTINE_IN_FLIGHT));
    expect(store.most).toBe(ROUTINE_IN_FLIGHT);
    expect(await Promise.all(ids)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(store.seen.map((e) => (e.readings as { n: number }).n)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(admission.stats()).toMatchObject({ queued: 0, inFlight: 0, devicesWaiting: 0, waited: 1000 - ROUTINE_IN_FLIGHT });
  });

  it('takes the waiting devices in turn: one flooding device does not make another wait behind all of it', async () => {
    const store = fakeStore(callback);
    const admission = createAdmission(store.port, new Metrics(), { routineInFlight: 64 });
    const flood = Array.from({ length: 500 }, () => admission.append(ev('flood', { occupancy: true })));
    const quiet = admission.append(ev('quiet', { contact: false }));
    expect(store.pending.map((p) => p.event.deviceId)).not.toContain('quiet');
    await store.commit();
    // the first release after the commit: a turn of each waiting device, the quiet one among them
    expect(store.pending.map((p) => p.event.deviceId)).toContain('quiet');
    await store.commit();
    await quiet;
    while (store.pending.length) await store.commit();
    expect((await Promise.all(flood)).length).toBe(500);
  });

  it('sends a life-safety report at once, after its own device\'s earlier reports', async () => {
    const store = fakeStore(callback);
    const admission = createAdmission(store.port, new Metrics(), { routineInFlight: 4 });
    for (let i = 0; i < 100; i++) void admission.append(ev('flood', { occupancy: true }));
    // the detector's own routine report (smoke cleared, battery) waits like any other...
    const clear = admission.append(ev('smoke-1', { smoke: false, battery: 80 }, 'smoke'));
    expect(store.seen.some((e) => e.deviceId === 'smoke-1')).toBe(false);
    // ...until its alarm comes: both go to the store now, in the order the detector sent them
    const alarm = admission.append(ev('smoke-1', { smoke: true }, 'smoke'));
    const sos = admission.append(ev('button-1', { action: 'sos' }, 'button'));
    expect(store.seen.filter((e) => e.deviceId !== 'flood').map((e) => e.readings)).toEqual([{ smoke: false, battery: 80 }, { smoke: true }, { action: 'sos' }]);
    await store.commit();
    const [c, a, s] = await Promise.all([clear, alarm, sos]);
    expect(c).toBeLessThan(a);
    expect(a).toBeLessThan(s);
    // the alarms were not counted against the routine reports' room
    while (store.pending.length) await store.commit();
    expect(admission.stats()).toMatchObject({ queued: 0, inFlight: 0, urgent: 2 });
  });

  it('passes a failed commit to each waiting report it held, which the broker then does not acknowledge', async () => {
    const store = fakeStore(callback);
    const admission = createAdmission(store.port, new Metrics(), { routineInFlight: 2 });
    const results = Array.from({ length: 5 }, () => admission.append(ev('d', { occupancy: true })).then(() => 'stored', (err: Error) => err.message));
    await store.commit(new Error('disk full'));
    await store.commit(new Error('disk full'));
    await store.commit();
    expect(await Promise.all(results)).toEqual(['disk full', 'disk full', 'disk full', 'disk full', 'stored']);
  });

  it('has no bound with routineInFlight 0 (the benchmarks\' baseline)', () => {
    const store = fakeStore(callback);
    const admission = createAdmission(store.port, new Metrics(), { routineInFlight: 0 });
    for (let i = 0; i < 1000; i++) void admission.append(ev('d', { occupancy: true }));
    expect(store.pending.length).toBe(1000);
  });
});
