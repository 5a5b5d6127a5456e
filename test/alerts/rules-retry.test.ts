// A rules group whose commit fails is judged again from the state it found: the events it judged
// are still in the inbox, and the retry takes them again. The runtime keeps each home's judged-
// but-unsaved event ids without copying them every group, and cuts them back on a failed commit;
// a retry that kept the failed attempt's ids would think those events judged and skip them,
// losing the alarm (seen failing so, with the cut-back removed).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/index.ts';
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

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0); // 09:00 in Shanghai: no night-door window

const config = () => parseConfig({
  escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] },
  residents: [{
    id: 'r-zhang', name: 'Zhang Xiuying', timezone: 'Asia/Shanghai',
    rules: { inactivity: { mode: 'fixed', after: '12h' } },
    contacts: [{ name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' }],
    devices: [
      { id: 'zhang-smoke', kind: 'smoke', secret: 'smoke-secret' },
      { id: 'zhang-motion', kind: 'motion', secret: 'motion-secret' },
    ],
  }],
});

// reports 100 ms apart: well inside the 5 s a state that decided nothing may wait to be saved
let step = 0;
const clock: Clock = { now: () => T0 + step * 100, setTimer: () => ({ cancel() {} }) };

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

async function setUp(): Promise<{ store: SqliteStore; rules: RulesRuntime; failNextCommit(): void; failures: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rules-retry-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = openSqliteStore({ path: join(dir, 'gateway.db'), sync: 'normal' });
  await store.residents.seedFromConfig(config().residents, 'UTC', T0);
  // when armed, the rules' unit of work fails once at its first state write, after judging
  // (what it wrote before is rolled back)
  let armed = false;
  let failures = 0;
  const tx = store.tx.bind(store);
  store.tx = ((fn, options) => tx((inner) => fn({
    ...inner,
    ruleState: {
      ...inner.ruleState,
      save: (...args: Parameters<typeof inner.ruleState.save>) => {
        if (armed) { armed = false; failures++; return Promise.reject(new Error('disk I/O error')); }
        return inner.ruleState.save(...args);
      },
    },
  }), options)) as SqliteStore['tx'];
  const log = createLogger({ level: 'silent' });
  const registry = new DeviceRegistry();
  registry.replaceAll((await store.residents.listDevices()).map((d) => ({ id: d.id, residentId: d.residentId, kind: d.kind, entrance: d.entrance, supervisionMs: d.supervisionMs })));
  const alerts = new AlertService({ store, firstStepDue: (kind, at) => firstStepDue(config().escalation, kind, at), log, metrics: new Metrics(), bus: new EventBus(log) });
  const rules = new RulesRuntime({ store, clock, log, registry, alerts });
  await rules.start();
  cleanup.push(async () => { await rules.stop(); await store.close(); });
  return { store, rules, failNextCommit: () => { armed = true; }, failures: () => failures };
}

async function report(store: SqliteStore, rules: RulesRuntime, deviceId: string, kind: DeviceEvent['kind'], readings: DeviceEvent['readings']): Promise<number> {
  step++;
  const event: DeviceEvent = { at: clock.now(), deviceId, residentId: 'r-zhang', kind, source: 'mqtt', type: 'state', readings };
  event.id = await store.ingest.append(event);
  rules.onEvent(event);
  return event.id;
}

async function idle(rules: RulesRuntime): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the rules did not settle within 5 s')), 5000); });
  try { await Promise.race([rules.idle(), late]); } finally { clearTimeout(timer); }
}

describe('a rules group whose commit fails (SQLite)', () => {
  it('is judged again with every event it held: the alarm is raised once, and the inbox empties with the saved state', async () => {
    const { store, rules, failNextCommit, failures } = await setUp();
    // routine reports decide nothing: judged, not yet saved, their ids kept with the home
    for (let i = 0; i < 5; i++) {
      await report(store, rules, 'zhang-motion', 'motion', { occupancy: i % 2 === 0 });
      await idle(rules);
    }
    expect((await store.inbox.take('r-zhang', 100)).length).toBeGreaterThan(0);
    failNextCommit();
    await report(store, rules, 'zhang-motion', 'motion', { occupancy: true });
    await report(store, rules, 'zhang-smoke', 'smoke', { smoke: true });
    // the failed group waits about a second before it runs again
    await new Promise((r) => setTimeout(r, 200));
    expect(failures()).toBe(1);
    await idle(rules);
    const alerts = await store.alerts.list(undefined, 10);
    expect(alerts.map((a) => a.kind)).toEqual(['smoke']);
    // the alarm was a decision: the state is saved, and every event it judged left the inbox
    expect(await store.inbox.take('r-zhang', 100)).toEqual([]);
    expect((await store.ruleState.get('r-zhang'))!.lastEventId).toBeGreaterThan(0);
  });
});
