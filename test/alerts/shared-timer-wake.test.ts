// A rules timer another process brought forward wakes this one at once (PostgreSQL). Two
// RulesRuntime instances on two pools over one database (what two gateway processes are to it), on
// the real clock. Process B's decision (a planned absence cancelled) makes a home's inactivity
// alarm due in a few seconds instead of in three days; B's timers never fire (B is the process
// that decided and then did not get to it), so only process A can fire the alarm, and A looks for
// due rows only once a minute here (timerPollMs). The row B wrote is notified on B's commit, and
// A fires the alarm at its due time, not at its next look. Without the notification (B's store
// opened with `signals: false`: a notification lost) A fires it only at that look.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { WAKE_CHANNEL } from '../../src/store/postgres/notify.ts';
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

const HOME = 'r-zhang';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A's longest wait between two looks for due rows: far beyond what the test waits */
const LONG_POLL_MS = 60_000;
/** the alarm falls due this long after the test set the home up: time for both processes to start, also on a loaded machine (2 s at load average 6) */
const LEAD_MS = 10_000;

const config = () => parseConfig({
  residents: [{
    id: HOME, name: 'Zhang Xiuying', timezone: 'UTC',
    rules: { inactivity: { mode: 'fixed', after: '10m' } },
    contacts: [{ name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' }],
    devices: [{ id: 'zhang-motion', kind: 'motion', secret: 'motion-secret' }],
  }],
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

interface Proc { store: PostgresStore; rules: RulesRuntime }

async function runtime(url: string, clock: Clock, name: string, options: { timerPollMs?: number; signals?: boolean } = {}): Promise<Proc> {
  const store = await openPostgresStore({ url, poolSize: 3, signals: options.signals });
  const log = createLogger({ level: 'silent' });
  const registry = new DeviceRegistry();
  registry.replaceAll((await store.residents.listDevices()).map((d) => ({
    id: d.id, residentId: d.residentId, kind: d.kind, entrance: d.entrance, supervisionMs: d.supervisionMs,
  })));
  const alerts = new AlertService({ store, firstStepDue: (kind, at) => firstStepDue(config().escalation, kind, at), log, metrics: new Metrics(), bus: new EventBus(log) });
  const rules = new RulesRuntime({ store, clock, log, registry, alerts, processId: name, timerPollMs: options.timerPollMs });
  await rules.start();
  cleanup.push(async () => { await rules.stop(); await store.close(); });
  return { store, rules };
}

async function settled(p: Proc): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the rules did not settle within 5 s')), 5000); });
  try { await Promise.race([p.rules.timersSettled(), late]); } finally { clearTimeout(timer); }
}

/**
 * The home as a process before these two left it: the resident last moved at `s` and is away on a
 * planned absence of three days from then, so nothing is due for a day (the sensor's supervision).
 * Judged by a runtime on a clock standing at `s`.
 */
async function awaySince(url: string, s: number): Promise<void> {
  const before = await runtime(url, { now: () => s, setTimer: () => ({ cancel() {} }) }, 'before');
  const event: DeviceEvent = { at: s, deviceId: 'zhang-motion', residentId: HOME, kind: 'motion', source: 'mqtt', type: 'state', readings: { occupancy: true } };
  event.id = await before.store.ingest.append(event);
  before.rules.onEvent(event);
  before.rules.onAbsence(HOME, { planned: { id: 'abs-1', from: s, until: s + 72 * HOUR } });
  await settled(before);
  await before.rules.stop();
}

const inactivityAlerts = async (store: PostgresStore) => (await store.alerts.list(undefined, 10)).filter((a) => a.kind === 'inactivity');

/** ms after `due` when an inactivity alert was first there to see, or null if none by `due + waitMs` */
async function openedAfter(store: PostgresStore, due: number, waitMs: number): Promise<number | null> {
  for (;;) {
    if ((await inactivityAlerts(store)).length) return Date.now() - due;
    if (Date.now() > due + waitMs) return null;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A (looking for due rows every `aPollMs`) and B (its timers never fire) on one database; B
 * cancels the absence, which makes the alarm due LEAD_MS after the set-up. Returns the due time B
 * wrote, when B's decision committed, A's view, and the timer notifications on the site's channel
 * from the start of A and B on (heard as a third listener would).
 */
async function cancelledByB(aPollMs: number, bSignals: boolean): Promise<{ a: Proc; due: number; decided: number; timerNotes: string[] }> {
  // the resident last moved 10 min (the rule's silence) before the moment the alarm is to fall due
  const s = Date.now() + LEAD_MS - 10 * MINUTE;
  const url = await seededDatabase(config().residents, s);
  cleanup.push(() => dropDatabase(url));
  await awaySince(url, s);
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  cleanup.push(() => listener.end());
  const timerNotes: string[] = [];
  listener.on('notification', (m) => { if (m.payload?.startsWith('timer ')) timerNotes.push(m.payload); });
  await listener.query(`LISTEN ${WAKE_CHANNEL}`);
  const a = await runtime(url, systemClock, 'A', { timerPollMs: aPollMs });
  const b = await runtime(url, { now: () => Date.now(), setTimer: () => ({ cancel() {} }) }, 'B', { signals: bSignals });
  await settled(a);
  await settled(b);
  // the absence holds the silence: nothing due before the sensor's supervision, a day on
  expect((await a.store.ruleTimers.get(HOME))!.dueAt).toBeGreaterThan(s + 20 * HOUR);
  // A has looked (at its start, and at the row its own start-up tick wrote): its next look is a poll away
  b.rules.onAbsence(HOME, { cancelled: 'abs-1' });
  await settled(b);
  const decided = Date.now();
  const row = (await b.store.ruleTimers.get(HOME))!;
  expect(row.dueAt).toBe(s + 10 * MINUTE);
  // the set-up left the alarm still ahead (a slow start would make this test prove nothing)
  expect(row.dueAt - Date.now()).toBeGreaterThan(500);
  expect(await inactivityAlerts(a.store)).toEqual([]);
  return { a, due: row.dueAt, decided, timerNotes };
}

describe('a rules timer brought forward by another process of the site (PostgreSQL)', () => {
  it('wakes this process at once: the alarm B\'s decision made due sooner is fired by A at its due time, not at A\'s next look a minute on', async () => {
    const { a, due, decided, timerNotes } = await cancelledByB(LONG_POLL_MS, true);
    const late = await openedAfter(a.store, due, 10_000);
    console.log(`inactivity alarm due ${due - decided} ms after B's decision, opened by A ${late} ms after its due time (A's poll: ${LONG_POLL_MS} ms)`);
    expect(late).not.toBeNull();
    expect(late!).toBeLessThan(2000);
    const alerts = await inactivityAlerts(a.store);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].openedAt).toBe(due);
    // one notification, for the one due time brought forward: none for the start-up ticks' rows
    // (the same due time again) nor for the row A wrote after firing (due later); only the due time in it
    await settled(a);
    expect(timerNotes).toEqual([expect.stringMatching(new RegExp(`^timer [0-9a-f]{12} ${due}$`))]);
  });

  it('a notification lost costs at most the poll: without it A fires the alarm at its next look', async () => {
    const poll = 4000;
    const { a, due, decided, timerNotes } = await cancelledByB(poll, false);
    expect(timerNotes).toEqual([]);
    const late = await openedAfter(a.store, due, poll + 3000);
    console.log(`without the notification: alarm due ${due - decided} ms after B's decision, opened by A ${late} ms after its due time (A's poll: ${poll} ms)`);
    // A's next look after B's decision reads the row and arms for it: opened at its due time, or
    // within a poll of the decision if that comes later
    expect(late).not.toBeNull();
    expect(due + late!).toBeLessThan(Math.max(due, decided + poll) + 2000);
    const alerts = await inactivityAlerts(a.store);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].openedAt).toBe(due);
  });
});
