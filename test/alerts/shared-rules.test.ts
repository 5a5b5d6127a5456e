// The rules of one home judged by two processes of a site: two RulesRuntime instances, each on
// its own PostgreSQL pool (what two gateway processes are to the database), over one database.
// Each keeps the homes' state in memory as a cache of the rule_state row; the deciding unit of
// work checks the cache's version against the locked row and reloads a copy the other process
// has moved past. Without that check the second process judges from a stale state: it opens an
// alert the first already opened, or writes over the first's update.
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { systemClock, type Clock } from '../../src/clock.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { parseConfig } from '../../src/config/index.ts';
import { Metrics } from '../../src/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { DeviceRegistry } from '../../src/devices/index.ts';
import { AlertService } from '../../src/alerts/service.ts';
import { firstStepDue } from '../../src/notify/index.ts';
import { RulesRuntime } from '../../src/rules/runtime.ts';
import { EventBus } from '../../src/bus.ts';
import { seededDatabase, dropDatabase } from '../store/pg.ts';

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0); // 09:00 in Shanghai: no night-door window

const config = () => parseConfig({
  escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }], emergency: [{ notify: ['neighbor'], after: '0s' }] },
  residents: [{
    id: 'r-zhang', name: 'Zhang Xiuying', timezone: 'Asia/Shanghai',
    rules: { inactivity: { mode: 'fixed', after: '12h' } },
    contacts: [{ name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' }],
    devices: [
      { id: 'zhang-door', kind: 'door', secret: 'door-secret' },
      { id: 'zhang-smoke', kind: 'smoke', secret: 'smoke-secret' },
      { id: 'zhang-button', kind: 'button', secret: 'button-secret' },
      { id: 'zhang-motion', kind: 'motion', secret: 'motion-secret' },
    ],
  }],
});

/** a clock standing at T0 whose timers never fire: only the events move the state */
const still: Clock = { now: () => T0, setTimer: () => ({ cancel() {} }) };

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

interface Process { store: PostgresStore; rules: RulesRuntime }

async function database(): Promise<string> {
  const url = await seededDatabase(config().residents, T0);
  cleanup.push(() => dropDatabase(url));
  return url;
}

async function process(url: string, clock: Clock = still): Promise<Process> {
  const store = await openPostgresStore({ url, poolSize: 3 });
  const log = createLogger({ level: 'silent' });
  const registry = new DeviceRegistry();
  registry.replaceAll((await store.residents.listDevices()).map((d) => ({
    id: d.id, residentId: d.residentId, kind: d.kind, entrance: d.entrance, supervisionMs: d.supervisionMs,
    ...(d.emergencyActions ? { emergencyActions: d.emergencyActions } : {}),
  })));
  const alerts = new AlertService({ store, firstStepDue: (kind, at) => firstStepDue(config().escalation, kind, at), log, metrics: new Metrics(), bus: new EventBus(log) });
  const rules = new RulesRuntime({ store, clock, log, registry, alerts });
  await rules.start();
  cleanup.push(async () => { await rules.stop(); await store.close(); });
  return { store, rules };
}

/** within a bound, so a runtime stuck retrying a refused decision fails the test plainly */
async function settled(p: Process): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the rules did not settle within 5 s')), 5000); });
  try { await Promise.race([p.rules.idle(), late]); } finally { clearTimeout(timer); }
}

/** a morning in one home: an alarm raised and cleared twice, the button, doors and motion between */
function morning(): DeviceEvent[] {
  const ev = (deviceId: string, kind: DeviceEvent['kind'], minute: number, readings: DeviceEvent['readings']): DeviceEvent =>
    ({ at: T0 + minute * 60_000, deviceId, residentId: 'r-zhang', kind, source: 'mqtt', type: 'state', readings });
  return [
    ev('zhang-motion', 'motion', 1, { occupancy: true }),
    ev('zhang-smoke', 'smoke', 2, { smoke: true }),
    ev('zhang-smoke', 'smoke', 3, { smoke: true }),
    ev('zhang-door', 'door', 4, { contact: false }),
    ev('zhang-smoke', 'smoke', 5, { smoke: false }),
    ev('zhang-door', 'door', 6, { contact: true }),
    ev('zhang-button', 'button', 7, { action: 'sos' }),
    ev('zhang-motion', 'motion', 8, { occupancy: true }),
    ev('zhang-button', 'button', 9, { action: 'sos' }),
    ev('zhang-smoke', 'smoke', 10, { smoke: true, battery: 40 }),
    ev('zhang-motion', 'motion', 11, { occupancy: false }),
    ev('zhang-smoke', 'smoke', 12, { smoke: true, battery: 35 }),
    ev('zhang-door', 'door', 13, { contact: false }),
  ];
}

/** a process that stores events and dies before its rules judge them: its store only, closed after */
async function storesThenDies(url: string, events: DeviceEvent[]): Promise<number[]> {
  const store = await openPostgresStore({ url, poolSize: 2 });
  try {
    const ids: number[] = [];
    for (const e of events) ids.push(await store.ingest.append({ ...e, readings: { ...e.readings } }));
    return ids;
  } finally {
    await store.close();
  }
}

/** each event stored through `by(i)`'s store and handed to that process's rules, one after another */
async function judge(events: DeviceEvent[], by: (i: number) => Process): Promise<void> {
  for (const [i, e] of events.entries()) {
    const p = by(i);
    const event = { ...e, readings: { ...e.readings } };
    event.id = await p.store.ingest.append(event);
    p.rules.onEvent(event);
    await settled(p);
  }
}

async function outcome(store: PostgresStore) {
  const alerts = (await store.alerts.list(undefined, 100)).map((a) => ({ kind: a.kind, conditionKey: a.conditionKey, openedAt: a.openedAt, status: a.status }));
  return { alerts: alerts.sort((a, b) => a.openedAt - b.openedAt || a.conditionKey.localeCompare(b.conditionKey)), state: (await store.ruleState.get('r-zhang'))?.state };
}

describe('one home judged by two processes of a site (PostgreSQL)', () => {
  it('judging its events alternately opens each alert once, loses no update, and ends where one process judging them all ends', async () => {
    const [shared, alone] = await Promise.all([database(), database()]);
    const a = await process(shared);
    const b = await process(shared);
    await judge(morning(), (i) => (i % 2 ? b : a));
    const one = await process(alone);
    await judge(morning(), () => one);

    const expected = await outcome(one.store);
    // the morning decides something: a smoke alarm (raised twice: one alert) and an emergency
    expect(expected.alerts.map((x) => x.kind).sort()).toEqual(['emergency', 'smoke']);
    const got = await outcome(a.store);
    expect(got.alerts).toEqual(expected.alerts);
    expect(got.state).toEqual(expected.state);
    // and each process's memory, read again from the row at its next decision, agrees
    expect((await b.store.ruleState.get('r-zhang'))!.version).toBeGreaterThanOrEqual(morning().length);
  });

  it('events one process stored and died before judging are judged by another, each once: at its start, and at its next decision for that home', async () => {
    const [shared, alone] = await Promise.all([database(), database()]);
    const events = morning();
    // A stores the first half and dies before judging any; B starts and drains the inbox
    await storesThenDies(shared, events.slice(0, 7));
    const b = await process(shared);
    await settled(b);
    expect(await b.store.inbox.residents()).toEqual([]);
    expect((await outcome(b.store)).alerts.map((x) => x.kind).sort()).toEqual(['emergency', 'smoke']);
    // A' stores some more and dies; B judges them, in order, before the next event it is handed itself
    await storesThenDies(shared, events.slice(7, 12));
    await judge(events.slice(12), () => b);
    expect(await b.store.inbox.residents()).toEqual([]);

    const one = await process(alone);
    await judge(events, () => one);
    const expected = await outcome(one.store);
    const got = await outcome(b.store);
    expect(got.alerts).toEqual(expected.alerts);
    expect(got.state).toEqual(expected.state);
    // each alert once on the timeline too
    const timeline = (await b.store.timeline.page('r-zhang', { limit: 100 })).items.filter((i: { type: string }) => i.type === 'alert');
    expect(timeline.length).toBe(expected.alerts.length);
  });

  it('an alarm a dying process stored is judged by a live one within seconds, with no event of its own for that home', async () => {
    const url = await database();
    const b = await process(url, systemClock);
    await settled(b);
    const at = Date.now();
    const [id] = await storesThenDies(url, [{ at, deviceId: 'zhang-button', residentId: 'r-zhang', kind: 'button', source: 'mqtt', type: 'state', readings: { action: 'sos' } }]);
    const deadline = Date.now() + 10_000;
    let opened: Array<{ kind: string; openedAt: number }> = [];
    while (Date.now() < deadline && !opened.length) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      opened = (await b.store.alerts.list(undefined, 10)).map((a) => ({ kind: a.kind, openedAt: a.openedAt }));
    }
    expect(opened).toEqual([{ kind: 'emergency', openedAt: at }]);
    expect(Date.now() - at).toBeLessThan(ORPHAN_BOUND_MS);
    await settled(b);
    expect(await b.store.inbox.residents()).toEqual([]);
    expect((await b.store.ruleState.get('r-zhang'))!.lastEventId).toBe(id);
  });
});

/** found after ORPHAN_AFTER_MS, looked for every ORPHANS_EVERY_MS (2 s each): well inside this */
const ORPHAN_BOUND_MS = 8000;
