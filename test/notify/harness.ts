// A notifier on a temp SQLite file with the store's own repositories, the real `twilio`
// package pointed at a local FakeTwilio, a virtual clock, and a stand-in for the alert service
// (the lead's src/alerts/) that does what its contract says: update the alert row, record it
// on the timeline, and tell the notifier.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import type { FastifyInstance } from 'fastify';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { openSqliteStore, type SqliteStore, type AlertRow } from '../../src/store/index.ts';
import { alertRepository, type AlertRepository } from '../../src/store/alerts.ts';
import { residentRepository, type ResidentRepository } from '../../src/store/residents.ts';
import { timelineRepository, type TimelineRepository } from '../../src/store/timeline.ts';
import { type Db } from '../../src/store/db.ts';
import type { AlertKind } from '../../src/domain/types.ts';
import type { Clock, Timer } from '../../src/clock.ts';
import { Metrics } from '../../src/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { buildHttp } from '../../src/api/index.ts';
import { twilioWebhooks } from '../../src/api/twilio.ts';
import { Notifier, type NotifierDeps, type OutboxRow } from '../../src/notify/index.ts';
import { LogCapture } from '../helpers.ts';
import { FakeTwilio } from './fake-twilio.ts';

export const AUTH_TOKEN = 'test-twilio-auth-token';
export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const PUBLIC_URL = 'https://gateway.example.org';
export const PHONES = {
  neighbor: '+8613800000001', family: '+8613800000002', caseworker: '+8613800000003', resident: '+8613800000009',
};
/** 2026-03-02 10:00 in Shanghai: daytime for the on-call hours */
export const T0 = Date.parse('2026-03-02T10:00:00+08:00');

/** Time that moves only when told; timers fire in order as it passes them. */
export class VirtualClock implements Clock {
  private timers: Array<{ at: number; fn: () => void; done: boolean }> = [];
  constructor(private t: number) {}
  now(): number { return this.t; }
  setTimer(at: number, fn: () => void): Timer {
    const timer = { at, fn, done: false };
    this.timers.push(timer);
    // like setTimeout(fn, 0): a timer already due fires soon, not within the caller
    if (at <= this.t) setImmediate(() => { if (!timer.done) { timer.done = true; fn(); } });
    return { cancel: () => { timer.done = true; } };
  }
  /** the same time, with timers that die together (a process that was killed) */
  scoped(): Clock & { kill(): void } {
    const mine: Timer[] = [];
    return {
      now: () => this.now(),
      setTimer: (at, fn) => { const t = this.setTimer(at, fn); mine.push(t); return t; },
      kill: () => { for (const t of mine) t.cancel(); },
    };
  }
  /**
   * Puts the clock at `t` (either way) and fires nothing: a test that jumps to another day. A timer
   * then due fires at the next advance().
   */
  set(t: number): void { this.t = t; }
  /** moves time forward by ms, firing each timer at its own moment, letting I/O run between */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => !x.done && x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.done = true;
      next.fn();
      await tick();
    }
    this.t = target;
    this.timers = this.timers.filter((x) => !x.done);
    await tick();
  }
}

export const tick = () => new Promise<void>((r) => setImmediate(r));

export function testConfig(fakeUrl: string, extra: Record<string, unknown> = {}, contacts?: unknown[]): Config {
  return parseConfig({
    http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
    twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', apiBaseUrl: fakeUrl },
    escalation: {
      smoke: [{ notify: ['neighbor', 'family'], after: '0s' }, { notify: ['caseworker'], after: '2m' }],
      emergency: [{ notify: ['neighbor'], after: '0s' }, { notify: ['family'], after: '3m' }],
      inactivity: [{ notify: ['resident'], after: '0s' }, { notify: ['neighbor'], after: '10m' }],
      night_door: [{ notify: ['resident'], after: '0s', via: 'call' }, { notify: ['neighbor'], after: '5m' }],
    },
    residents: [{
      id: 'r-zhang', name: 'Zhang Xiuying', address: 'Building 3, Unit 2, Room 601', timezone: 'Asia/Shanghai', locale: 'zh-CN',
      contacts: contacts ?? [
        { name: 'Wang Neighbor', phone: PHONES.neighbor, role: 'neighbor' },
        { name: 'Zhang Wei', phone: PHONES.family, role: 'family', locale: 'en' },
        { name: 'Li Caseworker', phone: PHONES.caseworker, role: 'caseworker' },
        { name: 'Zhang Xiuying', phone: PHONES.resident, role: 'resident' },
      ],
    }],
    ...extra,
  }, {});
}

export interface Harness {
  dir: string;
  config: Config;
  clock: VirtualClock;
  fake: FakeTwilio;
  db: Db;
  alerts: AlertRepository;
  residents: ResidentRepository;
  timeline: TimelineRepository;
  notifier: Notifier;
  http: FastifyInstance;
  logs: LogCapture;
  metrics: Metrics;
  /** the alert service's "open": a row, then notifier.alertOpened */
  open(kind: AlertKind, detail?: Record<string, unknown>): AlertRow;
  /** the API's acknowledge, through the alert service; resolves once the notifier has done what it does about it */
  acknowledge(alertId: number, by: string): Promise<boolean>;
  outbox(): OutboxRow[];
  timelineOf(type?: string): Array<Record<string, unknown>>;
  /** a POST to a Twilio webhook, signed with the auth token unless `signature` is given */
  twilioPost(path: string, form: Record<string, string>, signature?: string): Promise<{ status: number; body: string }>;
  /** stop this notifier (a clean stop, or `crash`: dropped without stop) and start a new one on the same file */
  restart(opts?: { crash?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function harness(opts: {
  config?: (fakeUrl: string) => Config; at?: number; retry?: NotifierDeps['retry']; fake?: FakeTwilio;
} = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-notify-'));
  const fake = opts.fake ?? await new FakeTwilio().start();
  const config = (opts.config ?? testConfig)(fake.url);
  const clock = new VirtualClock(opts.at ?? T0);
  const logs = new LogCapture();
  const log = createLogger({ level: 'debug', destination: logs });
  let metrics = new Metrics();
  let store!: SqliteStore;
  let db!: Db;
  let alerts!: AlertRepository;
  let residents!: ResidentRepository;
  let timeline!: TimelineRepository;
  let notifier!: Notifier;
  let http!: FastifyInstance;
  let scope = clock.scoped();

  async function boot(): Promise<void> {
    store = openSqliteStore({ path: join(dir, 'gateway.db'), sync: 'normal' });
    db = store.db;
    alerts = alertRepository(db);
    residents = residentRepository(db);
    timeline = timelineRepository(db);
    residents.seedFromConfig(config.residents, config.site.timezone, clock.now());
    metrics = new Metrics();
    scope = clock.scoped();
    const ports = store;
    notifier = new Notifier({
      config, log, clock: scope, metrics, store, retry: opts.retry,
      acknowledge: async (id, by, at) => {
        if (!(await ports.alerts.acknowledge(id, by, at))) return false;
        const row = (await ports.alerts.get(id))!;
        await ports.timeline.add(row.residentId, at, 'acknowledgement', { alertId: id, by });
        // the real service tells the notifier too; the notifier must take it twice in its stride
        notifier.alertAcknowledged(row, by);
        return true;
      },
      resolve: async (id, by, reason, at) => {
        if (!(await ports.alerts.resolve(id, by, at))) return false;
        const row = (await ports.alerts.get(id))!;
        await ports.timeline.add(row.residentId, at, 'alert_update', { alertId: id, status: 'resolved', by, reason });
        notifier.alertResolved(row, by);
        return true;
      },
    });
    await notifier.start();
    http = buildHttp({
      config, log, metrics, residents: store.residents, timeline: store.timeline, openAlertCounts: () => store.alerts.openCounts(), health: () => null,
      plugins: [twilioWebhooks({ config, log, metrics, inbound: notifier.inbound, ready: () => notifier.ready })],
    });
    await http.ready();
  }
  await boot();

  const h: Harness = {
    dir, config, clock, fake, logs,
    get db() { return db; }, get alerts() { return alerts; }, get residents() { return residents; },
    get timeline() { return timeline; }, get notifier() { return notifier; }, get http() { return http; },
    get metrics() { return metrics; },
    open(kind, detail = {}) {
      const policy = config.escalation[kind];
      const openedAt = clock.now();
      const id = alerts.insert({
        residentId: 'r-zhang', kind, conditionKey: `${kind}:${id0++}`, deviceId: null, openedAt, detail,
        escalationDue: policy ? openedAt : null,
      });
      timeline.add('r-zhang', openedAt, 'alert', { alertId: id, kind });
      const row = alerts.get(id)!;
      notifier.alertOpened(row);
      return row;
    },
    async acknowledge(alertId, by) {
      const ok = await store.alerts.acknowledge(alertId, by, clock.now());
      if (ok) notifier.alertAcknowledged((await store.alerts.get(alertId))!, by);
      await notifier.settled();
      return ok;
    },
    outbox: () => db.prepare('SELECT id, alert_id AS alertId, phone, channel, step, status, attempts, next_attempt_at AS nextAttemptAt, body FROM outbox ORDER BY id').all() as OutboxRow[],
    timelineOf(type) {
      const rows = db.prepare('SELECT type, at, data FROM timeline ORDER BY id').all() as Array<{ type: string; at: number; data: string }>;
      return rows.filter((r) => !type || r.type === type).map((r) => ({ type: r.type, at: r.at, ...JSON.parse(r.data) }));
    },
    async twilioPost(path, form, signature) {
      const sig = signature ?? twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + path, form);
      const res = await http.inject({
        method: 'POST', url: path, payload: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
      });
      return { status: res.statusCode, body: res.body };
    },
    async restart({ crash = false } = {}) {
      if (crash) scope.kill();
      else await notifier.stop();
      await http.close();
      await store.close();
      await boot();
    },
    async close() {
      await notifier.stop();
      await http.close();
      await store.close();
      if (!opts.fake) await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  let id0 = 1;
  return h;
}

/** polls until check() is truthy (real time: the HTTP requests are real) */
export async function until<T>(check: () => T, what = 'condition', timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}


