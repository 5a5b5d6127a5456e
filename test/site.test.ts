// The site: processes on one PostgreSQL see each other by their heartbeats, a dead one drops
// out within 15 s, and the auditor says once when work is overdue (due over 30 s ago, nobody
// doing it) and once when it clears. On one machine (SQLite) the whole gateway reports the same
// on /healthz/detail (admins) and /metrics.
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres/index.ts';
import { SiteMonitor } from '../src/site.ts';
import type { Clock } from '../src/clock.ts';
import { Metrics } from '../src/metrics.ts';
import { createLogger } from '../src/log.ts';
import { VirtualClock, T0 } from './notify/harness.ts';
import { createDatabase, dropDatabase } from './store/pg.ts';
import { sqliteStores, startGateway, waitFor, ADMIN_TOKEN, CASEWORKER_TOKEN, LogCapture, type TestGateway } from './helpers.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });


describe('several processes on one PostgreSQL', () => {
  it('see each other; a process killed drops out within 15 s; overdue work is said once, and its end once', async () => {
    const url = await createDatabase();
    cleanup.push(() => dropDatabase(url));
    const stores: PostgresStore[] = [];
    cleanup.push(async () => { for (const s of stores) await s.close(); });
    const open = async () => { const s = await openPostgresStore({ url, poolSize: 3 }); stores.push(s); return s; };
    const [a, b] = [await open(), await open()];
    const clock = new VirtualClock(T0);
    // A's time: once killed, no timer of A ever fires again (one armed by a beat still in flight at the kill included)
    let aDead = false;
    const clockA = { now: () => clock.now(), setTimer: (at: number, fn: () => void) => clock.setTimer(at, () => { if (!aDead) fn(); }), kill: () => { aDead = true; } };
    const logs = new LogCapture();
    const monitor = (store: PostgresStore, c: Clock = clock.scoped(), metrics = new Metrics()) => ({
      m: new SiteMonitor({ site: 'hz-1', engine: 'postgres', port: store.site, clock: c, metrics, log: createLogger({ level: 'info', destination: logs }) }),
      metrics,
    });
    const ma = monitor(a, clockA);
    const mb = monitor(b);
    cleanup.push(() => mb.m.stop());
    await ma.m.start();
    await mb.m.start();
    /** virtual time moves on; then wait (real time) until B has finished a heartbeat at most 5 s before now */
    const step = async (ms: number) => {
      await clock.advance(ms);
      const target = clock.now() - 5_000;
      await waitFor(() => { const at = mb.m.detail().process.heartbeatAt; return at !== null && Date.parse(at) >= target; }, 10_000, 'a heartbeat of B').catch((e) => { throw new Error(`${e.message}: now ${clock.now() - T0}, last ${mb.m.detail().process.heartbeatAt}, T0 ${new Date(T0).toISOString()}`); });
    };
    await step(5_000);
    await waitFor(() => ma.m.detail().peers.length === 1, 10_000, 'A sees B');
    expect(ma.m.detail().peers.map((p) => p.id)).toEqual([mb.m.id]);
    expect(mb.m.detail().peers.map((p) => p.id)).toEqual([ma.m.id]);
    expect(mb.m.detail()).toMatchObject({ site: 'hz-1', engine: 'postgres', process: { id: mb.m.id, pid: process.pid } });
    expect(await mb.metrics.render()).toContain('gateway_site_processes 2');

    // A is killed: no more heartbeats, no goodbye. B stops counting it within 15 s (and a beat)
    clockA.kill();
    const killedAt = clock.now();
    while (mb.m.detail().peers.length && clock.now() - killedAt < 30_000) await step(1_000);
    expect(mb.m.detail().peers).toEqual([]);
    expect(clock.now() - killedAt).toBeLessThanOrEqual(15_000 + 5_000 + 1_000);
    expect(clock.now() - killedAt).toBeGreaterThanOrEqual(10_000);
    expect(await mb.metrics.render()).toContain('gateway_site_processes 1');

    // an escalation step that nobody fires: overdue once it is 30 s late, said once
    await b.residents.upsertResident({ id: 'r-1', name: 'Zhang', address: 'x', timezone: 'UTC', locale: 'en', rules: {} as never, visitCycleMs: null }, clock.now());
    const dueAt = clock.now();
    const alertId = await b.alerts.insert({
      residentId: 'r-1', kind: 'smoke', conditionKey: 'smoke:1', deviceId: null, openedAt: dueAt, detail: {}, escalationDue: dueAt,
    });
    await step(25_000);
    expect(mb.m.detail().overdue.escalations).toBe(0);
    while (clock.now() - dueAt < 40_000) await step(5_000);
    expect(mb.m.detail().overdue).toMatchObject({ escalations: 1, outbox: 0, oldestDueAt: new Date(dueAt).toISOString() });
    expect(await mb.metrics.render()).toContain('gateway_overdue_escalations 1');
    const messages = () => logs.lines.map((l) => JSON.parse(l).msg as string);
    const said = () => messages().filter((m) => m.startsWith('work is overdue')).length;
    expect(said()).toBe(1);
    await step(5_000);
    expect(said()).toBe(1);
    await b.alerts.acknowledge(alertId, 'Li', clock.now());
    await step(5_000);
    await step(5_000);
    expect(mb.m.detail().overdue.escalations).toBe(0);
    expect(said()).toBe(1);
    expect(messages().filter((m) => m === 'nothing is overdue any more')).toHaveLength(1);

    // a home's rules timer (here its inactivity alarm) that no process fires: overdue too, once 30 s late
    const timerDue = clock.now();
    await b.ruleTimers.set('r-1', timerDue, 3);
    await step(25_000);
    expect(mb.m.detail().overdue.timers).toBe(0);
    while (clock.now() - timerDue < 40_000) await step(5_000);
    expect(mb.m.detail().overdue).toEqual({ escalations: 0, outbox: 0, timers: 1, oldestDueAt: new Date(timerDue).toISOString() });
    expect(await mb.metrics.render()).toContain('gateway_overdue_timers 1');
    expect(said()).toBe(2);
    // fired at last: the row now holds the home's next due time, ahead
    await b.ruleTimers.set('r-1', clock.now() + 3_600_000, 4);
    await step(5_000);
    await step(5_000);
    expect(mb.m.detail().overdue.timers).toBe(0);
    expect(await mb.metrics.render()).toContain('gateway_overdue_timers 0');
    expect(messages().filter((m) => m === 'nothing is overdue any more')).toHaveLength(2);
  }, 60_000);
});

describe('one gateway (SQLite)', () => {
  let gw: TestGateway;
  afterEach(async () => { await gw?.stop(); });

  it('/healthz/detail names the site and this process for admins; /healthz stays short; /metrics counts the processes', async () => {
    gw = await startGateway({ site: { name: 'xingfu-1', timezone: 'Asia/Shanghai' } });
    const detail = await gw.app.http.inject({ method: 'GET', url: '/healthz/detail', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      status: 'ok', site: 'xingfu-1', engine: 'sqlite', peers: [],
      process: { id: gw.app.site.id, pid: process.pid }, overdue: { escalations: 0, outbox: 0, timers: 0, oldestDueAt: null },
    });
    expect((await gw.app.http.inject({ method: 'GET', url: '/healthz/detail' })).statusCode).toBe(401);
    expect((await gw.app.http.inject({ method: 'GET', url: '/healthz/detail', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } })).statusCode).toBe(403);
    expect((await gw.app.http.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const metrics = await gw.app.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(metrics.body).toContain('gateway_site_processes 1');
    expect(metrics.body).toContain('gateway_overdue_outbox 0');
    expect(metrics.body).toContain('gateway_overdue_timers 0');
    // the heartbeat row is there while the process runs
    const rows = () => sqliteStores(gw.app).db.prepare('SELECT id, site FROM gateway_processes').all();
    expect(rows()).toEqual([{ id: gw.app.site.id, site: 'xingfu-1' }]);
  });
});
