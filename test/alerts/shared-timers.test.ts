// The rules' timers as rows: each home's next due time is a rule_timers row written with the state
// it follows (the state's version its token), and on PostgreSQL any process of the site claims a
// due row for a lease and judges the tick under the home's lock. Two RulesRuntime instances on
// two pools over one database (what two gateway processes are to it), on one virtual clock: A
// decides, A dies (its clock stops, its pool is closed, nothing is cleaned up) and B, which never
// judged A's decision, fires the timer A's decision set. Before the rows, B fired only what its
// own copy in memory had scheduled: a due time A moved earlier waited for B's old one.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import type { Clock, Timer } from '../../src/clock.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { parseConfig } from '../../src/config/index.ts';
import { Metrics } from '../../src/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { DeviceRegistry } from '../../src/devices/index.ts';
import { AlertService } from '../../src/alerts/service.ts';
import { firstStepDue } from '../../src/notify/index.ts';
import { RulesRuntime, TIMER_LEASE_MS, TIMER_POLL_MS } from '../../src/rules/runtime.ts';
import { virtualClock, type VirtualClock } from '../../src/rules/index.ts';
import { EventBus } from '../../src/bus.ts';
import { seededDatabase, dropDatabase } from '../store/pg.ts';

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0); // 09:00 in Shanghai
const HOUR = 3_600_000;
const HOME = 'r-zhang';

const config = () => parseConfig({
  residents: [{
    id: HOME, name: 'Zhang Xiuying', timezone: 'Asia/Shanghai',
    rules: { inactivity: { mode: 'fixed', after: '12h' } },
    contacts: [{ name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' }],
    devices: [
      { id: 'zhang-door', kind: 'door', secret: 'door-secret' },
      { id: 'zhang-motion', kind: 'motion', secret: 'motion-secret' },
    ],
  }],
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

/** a process's view of the site's one clock: when the process dies, its timers die with it */
function processClock(base: VirtualClock): { clock: Clock; kill(): void } {
  let dead = false;
  const timers = new Set<Timer>();
  return {
    clock: {
      now: () => base.now(),
      setTimer(at, fn) {
        if (dead) return { cancel() {} };
        const timer = base.setTimer(at, () => { timers.delete(timer); if (!dead) fn(); });
        timers.add(timer);
        return timer;
      },
    },
    kill() {
      dead = true;
      for (const t of timers) t.cancel();
      timers.clear();
    },
  };
}

interface Proc { name: string; store: Store; rules: RulesRuntime; kill(): Promise<void> }

async function database(): Promise<string> {
  const url = await seededDatabase(config().residents, T0);
  cleanup.push(() => dropDatabase(url));
  return url;
}

async function runtime(name: string, store: Store, base: VirtualClock): Promise<Proc> {
  const { clock, kill } = processClock(base);
  const log = createLogger({ level: 'silent' });
  const registry = new DeviceRegistry();
  registry.replaceAll((await store.residents.listDevices()).map((d) => ({
    id: d.id, residentId: d.residentId, kind: d.kind, entrance: d.entrance, supervisionMs: d.supervisionMs,
  })));
  const alerts = new AlertService({ store, firstStepDue: (kind, at) => firstStepDue(config().escalation, kind, at), log, metrics: new Metrics(), bus: new EventBus(log) });
  const rules = new RulesRuntime({ store, clock, log, registry, alerts, processId: name });
  await rules.start();
  let dead = false;
  cleanup.push(async () => { if (!dead) await rules.stop(); await store.close(); });
  return {
    name, store, rules,
    // no stop(), no clean-up: its timers stop and its connections go, claims and rows left as they are
    kill: async () => { dead = true; kill(); await store.close(); },
  };
}

const pgProcess = async (name: string, url: string, clock: VirtualClock) => runtime(name, await openPostgresStore({ url, poolSize: 3 }), clock);

/** within a bound, so a runtime stuck retrying fails the test plainly */
async function settled(...procs: Proc[]): Promise<void> {
  for (const p of procs) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${p.name}: the rules did not settle within 5 s`)), 5000); });
    try { await Promise.race([p.rules.timersSettled(), late]); } finally { clearTimeout(timer); }
  }
}

/**
 * The site's clock moves to `t` in steps of `step` ms; the live processes settle after each.
 * Returns the moment the first inactivity alert was there to see (null: none by `t`).
 */
async function runTo(clock: VirtualClock, t: number, live: Proc[], step = 250): Promise<number | null> {
  let seen: number | null = null;
  while (clock.now() < t) {
    clock.advanceTo(Math.min(t, clock.now() + step));
    await settled(...live);
    if (seen === null && (await inactivityAlerts(live[0].store)).length) seen = clock.now();
  }
  return seen;
}

async function motion(p: Proc, at: number): Promise<void> {
  const event: DeviceEvent = { at, deviceId: 'zhang-motion', residentId: HOME, kind: 'motion', source: 'mqtt', type: 'state', readings: { occupancy: true } };
  event.id = await p.store.ingest.append(event);
  p.rules.onEvent(event);
  await settled(p);
}

const inactivityAlerts = async (store: Store) => (await store.alerts.list(undefined, 100)).filter((a) => a.kind === 'inactivity');

/**
 * B judges the resident's last movement and a planned absence of three days (B's copy: nothing
 * due before the devices' supervision, 25 h on); an hour later A judges the absence cancelled, which makes the inactivity alarm
 * due 12 h after that movement. Returns that due time, as A wrote it in the row.
 */
async function absenceCancelledByA(clock: VirtualClock, a: Proc, b: Proc): Promise<number> {
  await motion(b, T0);
  b.rules.onAbsence(HOME, { planned: { id: 'abs-1', from: T0, until: T0 + 72 * HOUR } });
  await settled(b);
  // nothing due until the devices' supervision (25 h of silence): the inactivity alarm waits for the absence's end
  expect((await b.store.ruleTimers.get(HOME))!.dueAt).toBe(T0 + 25 * HOUR);
  clock.advanceTo(T0 + HOUR);
  await settled(a, b);
  a.rules.onAbsence(HOME, { cancelled: 'abs-1' });
  await settled(a);
  const row = (await a.store.ruleTimers.get(HOME))!;
  expect(row.dueAt).toBe(T0 + 12 * HOUR);
  expect(row.version).toBe((await a.store.ruleState.get(HOME))!.version);
  return row.dueAt;
}

describe('the rules\' timers as rows, fired by any process of the site (PostgreSQL)', () => {
  it('a due time moved earlier by A\'s decision is fired by B at the new time, once, after A died', async () => {
    const url = await database();
    const clock = virtualClock(T0);
    const a = await pgProcess('A', url, clock);
    const b = await pgProcess('B', url, clock);
    const due = await absenceCancelledByA(clock, a, b);
    await a.kill();
    clock.advanceTo(due - 2000);
    await settled(b);
    expect(await inactivityAlerts(b.store)).toEqual([]);
    const seen = await runTo(clock, due + 5000, [b]);
    const alerts = await inactivityAlerts(b.store);
    expect(alerts).toHaveLength(1);
    // opened as of its due time (as one process would have), and there within a look of it
    expect(alerts[0].openedAt).toBe(due);
    expect(seen! - due).toBeLessThanOrEqual(TIMER_POLL_MS);
    // the row follows the state that fired: its new token, nobody's claim
    const row = await b.store.ruleTimers.get(HOME);
    expect(row?.version ?? (await b.store.ruleState.get(HOME))!.version).toBe((await b.store.ruleState.get(HOME))!.version);
    expect(row?.claimedBy ?? null).toBeNull();
  });

  it('A claims the due inactivity timer and dies before judging it: B fires the alarm once its lease runs out, within 30 s, exactly once', async () => {
    const url = await database();
    const clock = virtualClock(T0);
    const a = await pgProcess('A', url, clock);
    const b = await pgProcess('B', url, clock);
    const due = await absenceCancelledByA(clock, a, b);
    clock.advanceTo(due - 2000);
    await settled(a, b);
    // what A's look at `due` does: the row is A's for a lease; then A is gone
    expect(await a.store.ruleTimers.claimDue(due, 'A', due + TIMER_LEASE_MS)).toEqual([expect.objectContaining({ residentId: HOME, claimedBy: 'A' })]);
    await a.kill();
    const seen = await runTo(clock, due + 30_000, [b]);
    const alerts = await inactivityAlerts(b.store);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].openedAt).toBe(due);
    // B could take it only once A's lease ran out, and did within 30 s of its due time
    expect(seen).toBeGreaterThanOrEqual(due + TIMER_LEASE_MS);
    expect(seen).toBeLessThan(due + 30_000);
    const timeline = (await b.store.timeline.page(HOME, { limit: 100 })).items.filter((i: { type: string; data?: { kind?: string } }) => i.type === 'alert');
    expect(timeline).toHaveLength(1);
  });

  it('a claimed timer whose token the state has moved past is dropped: nothing judged, the row written again from the state', async () => {
    const url = await database();
    const clock = virtualClock(T0);
    const b = await pgProcess('B', url, clock);
    await motion(b, T0);
    const saved = (await b.store.ruleState.get(HOME))!;
    const row = (await b.store.ruleTimers.get(HOME))!;
    expect(row).toEqual({ residentId: HOME, dueAt: T0 + 12 * HOUR, version: saved.version, claimedBy: null, claimUntil: null });
    // a row written for the state before this one (a claim taken before the last save), due now
    await b.store.ruleTimers.set(HOME, T0, saved.version - 1);
    await runTo(clock, T0 + 2 * TIMER_POLL_MS, [b]);
    expect(await b.store.ruleState.get(HOME)).toEqual(saved);
    expect(await b.store.ruleTimers.get(HOME)).toEqual(row);
    expect(await b.store.alerts.list(undefined, 10)).toEqual([]);
  });
});

describe('the rules\' timers as rows on SQLite (one process)', () => {
  it('the deciding unit writes each saved state\'s next due time with its version; the in-memory timer fires it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-timers-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openSqliteStore({ path: join(dir, 'gateway.db'), sync: 'normal' });
    await store.residents.seedFromConfig(config().residents, 'UTC', T0);
    const clock = virtualClock(T0);
    const p = await runtime('only', store, clock);
    await settled(p);
    // the start's tick saved every home, and its row with it
    expect(await store.ruleTimers.get(HOME)).toMatchObject({ version: (await store.ruleState.get(HOME))!.version });
    p.rules.onVisit(HOME, T0, T0 + HOUR); // a person's input: saved at once
    await motion(p, T0 + 1000);
    await settled(p);
    clock.advanceTo(T0 + 6000); // a group that decided nothing is saved within 5 s
    await settled(p);
    const saved = (await store.ruleState.get(HOME))!;
    expect(await store.ruleTimers.get(HOME)).toEqual({ residentId: HOME, dueAt: T0 + 13 * HOUR, version: saved.version, claimedBy: null, claimUntil: null });
    await runTo(clock, T0 + 13 * HOUR + 1000, [p], HOUR / 4);
    expect((await inactivityAlerts(store)).map((x) => x.openedAt)).toEqual([T0 + 13 * HOUR]);
    // the alarm latched: the row holds the next thing due (the devices' supervision), or none
    const after = await store.ruleTimers.get(HOME);
    if (after) expect(after.dueAt).toBeGreaterThan(T0 + 13 * HOUR);
  });
});
