// The site: the gateway processes sharing one store (CONTRACT.md "Several machines"). Each
// writes a heartbeat row every 5 s and reads who else was heard from within 15 s, for
// /healthz/detail and /metrics; and an auditor looks for work whose due time passed 30 s ago
// without any process doing it (an escalation step, a text, a rules timer: inactivity, night
// door, a device silent), says so once in the log when it
// starts and once when it clears, and keeps the count in /metrics. On one machine the site is
// this process alone; the heartbeat costs one small write every 5 s.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, Timer } from './clock.ts';
import type { Metrics } from './metrics.ts';
import type { Overdue, ProcessRow, SitePort, SiteSignals } from './store/index.ts';

export const HEARTBEAT_MS = 5_000;
/** a process not heard from for this long is taken for dead */
export const ALIVE_MS = 15_000;
/** work this late is overdue: no process is doing it */
export const OVERDUE_MS = 30_000;

export interface SiteDetail {
  site: string;
  /** heartbeatAt: the last heartbeat this process wrote */
  process: { id: string; host: string; pid: number; startedAt: string; heartbeatAt: string | null };
  engine: string;
  /** the other processes heard from within ALIVE_MS, oldest started first */
  peers: Array<{ id: string; host: string; pid: number; startedAt: string; heartbeatAt: string }>;
  overdue: { escalations: number; outbox: number; timers: number; oldestDueAt: string | null };
}

export class SiteMonitor {
  readonly id: string;
  private readonly startedAt: number;
  private timer: Timer | null = null;
  private running = false;
  private round: Promise<void> | null = null;
  private peers: ProcessRow[] = [];
  private overdue: Overdue = { escalations: 0, outbox: 0, timers: 0, oldestDueAt: null };
  private wasOverdue = false;
  private failing = false;
  private lastBeat: number | null = null;

  constructor(private readonly deps: { site: string; engine: string; port: SitePort; clock: Clock; metrics: Metrics; log: Logger }) {
    this.startedAt = deps.clock.now();
    this.id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const { metrics } = deps;
    metrics.describe('gateway_site_processes', 'processes of this site heard from within 15 s, this one included');
    metrics.gauge('gateway_site_processes', () => this.peers.length + 1);
    metrics.describe('gateway_overdue_escalations', 'open alerts whose escalation step was due over 30 s ago and has not fired');
    metrics.gauge('gateway_overdue_escalations', () => this.overdue.escalations);
    metrics.describe('gateway_overdue_outbox', 'texts and calls due over 30 s ago that no process has sent');
    metrics.gauge('gateway_overdue_outbox', () => this.overdue.outbox);
    metrics.describe('gateway_overdue_timers', 'homes whose rules timer (inactivity, night door, a device silent or low on battery) was due over 30 s ago and has not fired');
    metrics.gauge('gateway_overdue_timers', () => this.overdue.timers);
  }

  private get me(): Omit<ProcessRow, 'heartbeatAt'> {
    return { id: this.id, site: this.deps.site, host: hostname(), pid: process.pid, startedAt: this.startedAt };
  }

  async start(): Promise<void> {
    this.running = true;
    await this.beat();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    await this.round;
    await this.deps.port.forget(this.id).catch(() => {});
  }

  /** one heartbeat, the peers read back, the audit; then the next in HEARTBEAT_MS */
  private beat(): Promise<void> {
    const { port, clock, log } = this.deps;
    const now = clock.now();
    this.round = (async () => {
      try {
        await port.heartbeat(this.me, now);
        this.peers = (await port.alive(this.deps.site, now - ALIVE_MS)).filter((p) => p.id !== this.id);
        this.overdue = await port.overdue(now - OVERDUE_MS);
        // a round is done once its peers and overdue work are read back (what detail() shows is of this beat)
        this.lastBeat = now;
        if (this.failing) log.info('site heartbeat written again');
        this.failing = false;
      } catch (err) {
        if (!this.failing) log.error({ err }, 'site heartbeat failed: the other processes may take this one for dead');
        this.failing = true;
      }
      this.audit(now);
    })();
    void this.round.finally(() => {
      // a steady beat: the next one HEARTBEAT_MS after this one began, however long it took
      if (this.running) this.timer = clock.setTimer(now + HEARTBEAT_MS, () => { void this.beat(); });
    });
    return this.round;
  }

  private audit(now: number): void {
    const { escalations, outbox, timers, oldestDueAt } = this.overdue;
    const late = escalations + outbox + timers > 0;
    if (late && !this.wasOverdue) {
      this.deps.log.error({ escalations, outbox, timers, lateByMs: oldestDueAt === null ? null : now - oldestDueAt, processes: this.peers.length + 1 },
        'work is overdue: escalation steps, texts or rules timers were due over 30 s ago and no process of this site has done them');
    } else if (!late && this.wasOverdue) {
      this.deps.log.info('nothing is overdue any more');
    }
    this.wasOverdue = late;
  }

  detail(): SiteDetail {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      site: this.deps.site,
      process: { id: this.id, host: hostname(), pid: process.pid, startedAt: iso(this.startedAt), heartbeatAt: this.lastBeat === null ? null : iso(this.lastBeat) },
      engine: this.deps.engine,
      peers: this.peers.map((p) => ({ id: p.id, host: p.host, pid: p.pid, startedAt: iso(p.startedAt), heartbeatAt: iso(p.heartbeatAt) })),
      overdue: { escalations: this.overdue.escalations, outbox: this.overdue.outbox, timers: this.overdue.timers, oldestDueAt: this.overdue.oldestDueAt === null ? null : iso(this.overdue.oldestDueAt) },
    };
  }
}

/** how often each process of a PostgreSQL site looks for escalation steps and texts due, whoever queued them */
export const SITE_POLL_MS = 5_000;
/** an inbox wake-up is looked at this long after it came: the process that stored the events judges them within milliseconds */
export const INBOX_LOOK_DELAY_MS = 400;
/** events stored this long ago and still waiting were left by a process that did not judge them */
export const INBOX_LEFT_AFTER_MS = 300;

export interface SiteWork {
  /** a home's inbox holds events another process stored: judge them here (RulesRuntime.judgeInboxes) */
  judgeInboxes(residentIds: string[]): void;
  /** escalation steps and outbox rows: look at the store again (Notifier.lookAgain) */
  lookAgain(): void;
  inbox: { residents(storedBefore?: number): Promise<string[]> };
  now(): number;
  log: Logger;
}

/**
 * The work of a site of several processes that this process would otherwise learn of only from
 * its own decisions: a step another process queued, a text it left unsent, events it stored and
 * did not judge (it died). Looked at every SITE_POLL_MS, and at once when another process's
 * NOTIFY says so (`signals`); the rules' own 2 s inbox look stays. Returns the stop.
 */
export function watchSite(signals: SiteSignals | undefined, work: SiteWork): () => void {
  const owner = {};
  let inboxLook: NodeJS.Timeout | null = null;
  let stopped = false;
  const lookAtInboxes = () => {
    if (inboxLook || stopped) return;
    inboxLook = setTimeout(() => {
      inboxLook = null;
      work.inbox.residents(work.now() - INBOX_LEFT_AFTER_MS)
        .then((ids) => { if (ids.length && !stopped) work.judgeInboxes(ids); })
        .catch((err: unknown) => work.log.warn({ err }, 'site: could not look at the inboxes'));
    }, INBOX_LOOK_DELAY_MS);
    inboxLook.unref();
  };
  signals?.on('inbox', owner, lookAtInboxes);
  signals?.on('escalation', owner, () => work.lookAgain());
  signals?.on('outbox', owner, () => work.lookAgain());
  const poll = setInterval(() => work.lookAgain(), SITE_POLL_MS);
  poll.unref();
  return () => {
    stopped = true;
    signals?.off(owner);
    clearInterval(poll);
    if (inboxLook) clearTimeout(inboxLook);
  };
}
