// The rules commit one group at a time, and a group takes everything queued while the one before
// it committed: never a chain of one group per drain. On PostgreSQL a group costs round trips
// (about 150 ms for 50 homes under 1,000 reports a second, measured with bench/postgres.ts), and
// the chain grew faster than it committed, with an alarm's group at its end: the alarm was texted
// seconds late, or only when the 2 s look for events left unjudged found it. And a group judges a
// home's inbox only up to the newest event queued for it: the rows after those are this process's
// next events, queued for the next group, and reading each by id in this one (as it did) cost a
// round trip an event. Run on both engines, with every unit of work held 40 ms (a slow database).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { Clock } from '../../src/clock.ts';
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
const HOMES = 5;

const config = () => parseConfig({
  escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] },
  residents: Array.from({ length: HOMES }, (_, r) => ({
    id: `r-${r}`, name: `Resident ${r}`, timezone: 'Asia/Shanghai',
    rules: { inactivity: { mode: 'fixed', after: '12h' } },
    contacts: [{ name: `Neighbor ${r}`, phone: `+86138000000${String(r).padStart(2, '0')}`, role: 'neighbor' }],
    devices: [
      { id: `motion-${r}`, kind: 'motion', secret: `motion-secret-${r}` },
      { id: `smoke-${r}`, kind: 'smoke', secret: `smoke-secret-${r}` },
    ],
  })),
});

let step = 0;
const clock: Clock = { now: () => T0 + step * 10, setTimer: () => ({ cancel() {} }) };

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

const engines: Record<string, () => Promise<Store>> = {
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'rules-groups-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openSqliteStore({ path: join(dir, 'gateway.db'), sync: 'normal' });
    await store.residents.seedFromConfig(config().residents, 'UTC', T0);
    return store;
  },
  async postgres() {
    const url = await seededDatabase(config().residents, T0);
    cleanup.push(() => dropDatabase(url));
    return openPostgresStore({ url, poolSize: 3 });
  },
};

interface Watched {
  store: Store;
  rules: RulesRuntime;
  /** rules units of work started */
  groups(): number;
  /** events the rules read from the store by id */
  readById(): number;
  bus: EventBus;
}

async function setUp(open: () => Promise<Store>): Promise<Watched> {
  const store = await open();
  let groups = 0;
  let readById = 0;
  const tx = store.tx.bind(store);
  // every unit of work is the rules' here (the ingest commits on its own path): each held 40 ms
  // before it runs, so what is stored meanwhile is in the inbox when the group reads it
  store.tx = (async (fn: Parameters<Store['tx']>[0], options: Parameters<Store['tx']>[1]) => {
    groups++;
    await new Promise((r) => setTimeout(r, 40));
    return tx((inner) => fn({
      ...inner,
      events: {
        ...inner.events,
        get: (id: number) => { readById++; return inner.events.get(id); },
        getMany: (ids: readonly number[]) => { readById += ids.length; return inner.events.getMany(ids); },
      },
    }), options);
  }) as Store['tx'];
  const log = createLogger({ level: 'silent' });
  const registry = new DeviceRegistry();
  registry.replaceAll((await store.residents.listDevices()).map((d) => ({ id: d.id, residentId: d.residentId, kind: d.kind, entrance: d.entrance, supervisionMs: d.supervisionMs })));
  const bus = new EventBus(log);
  const alerts = new AlertService({ store, firstStepDue: (kind, at) => firstStepDue(config().escalation, kind, at), log, metrics: new Metrics(), bus });
  const rules = new RulesRuntime({ store, clock, log, registry, alerts });
  await rules.start();
  await rules.idle();
  cleanup.push(async () => { await rules.stop(); await store.close(); });
  return { store, rules, groups: () => groups, readById: () => readById, bus };
}

async function report(w: Watched, deviceId: string, kind: DeviceEvent['kind'], readings: DeviceEvent['readings']): Promise<void> {
  step++;
  const event: DeviceEvent = { at: clock.now(), deviceId, residentId: `r-${deviceId.split('-')[1]}`, kind, source: 'mqtt', type: 'state', readings };
  event.id = await w.store.ingest.append(event);
  w.rules.onEvent(event);
}

async function settled(rules: RulesRuntime): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the rules did not settle within 10 s')), 10_000); });
  try { await Promise.race([rules.idle(), late]); } finally { clearTimeout(timer); }
}

for (const [engine, open] of Object.entries(engines)) {
  describe(`rules groups under a steady stream (${engine})`, () => {
    it('one group in flight, taking all queued meanwhile; an alarm waits for that one group only; no handed event read again', async () => {
      const w = await setUp(open);
      const before = w.groups();
      let groupsAtAlarm = 0;
      let groupsAtAlert = -1;
      w.bus.on('alertOpened', w, (alert) => { if (alert.kind === 'smoke') groupsAtAlert = w.groups(); });
      // 30 bursts 8 ms apart (about 240 ms), a report for each home in each: the rules, 40 ms a
      // group, see a drain every few ms
      for (let burst = 0; burst < 30; burst++) {
        if (burst === 15) {
          groupsAtAlarm = w.groups();
          await report(w, 'smoke-3', 'smoke', { smoke: true });
        }
        await Promise.all(Array.from({ length: HOMES }, (_, r) => report(w, `motion-${r}`, 'motion', { occupancy: burst % 2 === 0 })));
        await new Promise((r) => setTimeout(r, 8));
      }
      await settled(w.rules);
      const groups = w.groups() - before;
      // a group per drain would be about 30 (and one for the alarm); taking what queued meanwhile,
      // about 240 ms / 40 ms
      expect(groups).toBeGreaterThan(1);
      expect(groups).toBeLessThanOrEqual(12);
      // the alarm's group started right after the one in flight when it came (at most that one
      // and the alarm's own: the routine rest waits for it)
      expect(groupsAtAlert).toBeGreaterThan(0);
      expect(groupsAtAlert - groupsAtAlarm).toBeLessThanOrEqual(2);
      expect((await w.store.alerts.list('open')).map((a) => a.kind)).toEqual(['smoke']);
      // every event was handed to the rules: none is read back from the store
      expect(w.readById()).toBe(0);
      // and each was judged: nothing is left in any inbox once the state is saved
      await w.rules.stop();
      for (let r = 0; r < HOMES; r++) expect(await w.store.inbox.take(`r-${r}`, 100)).toEqual([]);
      for (let r = 0; r < HOMES; r++) expect((await w.store.ruleState.get(`r-${r}`))!.lastEventId).toBeGreaterThan(0);
    });

    it("an event stored but never handed to this process is read from the store, once, and judged with its home's next event", async () => {
      const w = await setUp(open);
      // another process stored the alarm and died before judging it; this process then stores a
      // routine report of the same home
      step++;
      const orphan: DeviceEvent = { at: clock.now(), deviceId: 'smoke-1', residentId: 'r-1', kind: 'smoke', source: 'mqtt', type: 'state', readings: { smoke: true } };
      orphan.id = await w.store.ingest.append(orphan);
      await report(w, 'motion-1', 'motion', { occupancy: true });
      await settled(w.rules);
      expect(w.readById()).toBe(1);
      expect((await w.store.alerts.list('open')).map((a) => a.kind)).toEqual(['smoke']);
    });
  });
}
