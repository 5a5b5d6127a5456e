// The live side of the rules: feeds committed events and scheduler ticks to the pure core,
// one resident at a time, and commits the new state together with the alerts it decided.
// Events are judged in small groups after their own commit; the ingest puts each one in its
// home's inbox in the same transaction, and the deciding unit of work takes from there what it
// judges, so a crash in between (or a process of the site that dies) loses nothing: whoever
// decides next for that home, or start() draining every non-empty inbox, judges it, once.
// The homes in memory are a cache of the rule_state rows, checked against the locked row's version.
// Each group is one unit of work of the store: the residents it touches are locked in id order
// (one decision at a time per home, across processes on PostgreSQL; no deadlock between two
// groups) before they are judged, and their alerts and state commit together. Groups commit
// one after another, in the order they were drained.
// Timers: the core's next due time of each saved state is a row (ruleTimers), written in the same
// unit of work with the state's version as token. On PostgreSQL no process keeps a timer per home:
// each claims due rows for a lease (any process fires any home's tick, also one whose process died
// or whose due time another process moved earlier) and keeps one timer, for the next due row, on
// the gateway's Clock. A row another process wrote due sooner than it was wakes this one at once
// (its NOTIFY, sent by the statement that wrote the row: store/postgres/tables.ts), and the look
// every TIMER_POLL_MS stays for a notification lost. On SQLite (one process) the in-memory schedule
// stays; the rows are written for the auditor and a restart.
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { WakeUp, type Clock, type Timer } from '../clock.ts';
import type { DeviceEvent } from '../domain/types.ts';
import type { Store, Tx } from '../store/index.ts';
import type { DeviceRegistry } from '../devices/index.ts';
import { initialState, decide, nextDue, rulesConfigFor, receiverServes, isLifeSafety, RuleScheduler, type Decision, type HomeState, type PlannedAbsence, type ResidentRulesConfig, type RuleInput } from './index.ts';
import type { AlertService } from '../alerts/service.ts';

const DRAIN_DELAY_MS = 2;

/** the longest a judged-but-undecided state waits to be written (its events replay on restart) */
const SAVE_EVERY_MS = 5000;

/**
 * A resident's state as this process last judged or read it: a cache of the rule_state row.
 * `version` is the row's version it was read at or saved as; the deciding unit of work checks it
 * against the locked row and reloads a copy another process has moved past.
 */
interface Home {
  cfg: ResidentRulesConfig; state: HomeState; lastEventId: number; version: number;
  /** events judged into `state` and not yet saved: their inbox rows go with the next save */
  pending: Set<number>;
}
/**
 * A home as a group found it. `pending` is the home's own set, not a copy (a home judged at
 * saturation holds up to SAVE_EVERY_MS of events there, and copying them every group was a tenth
 * of the broker's CPU): a group only adds to it, so its first `pendingSize` ids are the ones
 * the group found, and a restore cuts it back to them.
 */
type Snapshot = Pick<Home, 'state' | 'lastEventId' | 'version' | 'pending'> & { pendingSize: number };

/**
 * Several processes (PostgreSQL): how often each looks for events another process stored and did
 * not judge (it died in between), and how old such an event must be to be taken for one: a live
 * process judges its own within milliseconds.
 */
const ORPHANS_EVERY_MS = 2000;
const ORPHAN_AFTER_MS = 2000;

/** inbox rows one group takes per home at most (a long backlog drains over several groups) */
const INBOX_BATCH = 500;

/**
 * Several processes (PostgreSQL): how often each looks for due timer rows at the latest (another
 * process's decision that moved one earlier is heard at once by its NOTIFY; this look is for one
 * lost), how long a claimed row is this process's to judge (a process that dies holding it loses
 * it then), how many rows one claim takes.
 */
export const TIMER_POLL_MS = 1000;
export const TIMER_LEASE_MS = 10_000;
const TIMER_BATCH = 50;

export interface RulesRuntimeDeps {
  /** the deciding unit of work */
  store: Store;
  clock: Clock;
  log: Logger;
  registry: DeviceRegistry;
  alerts: AlertService;
  /** who claims timer rows (the site's process id, site.ts); one of this host is made up when not given */
  processId?: string;
  /** PostgreSQL: the longest between two looks for due timer rows (default TIMER_POLL_MS; tests make it long) */
  timerPollMs?: number;
}

/** a queued input; `token`: a claimed timer row's version (a tick judged only while the state is still at it) */
type Item = { residentId: string; input: RuleInput; at: number; eventId?: number; token?: number };

export class RulesRuntime {
  private homes = new Map<string, Home>();
  private scheduler: RuleScheduler | null = null;
  private queue: Item[] = [];
  private draining = false;
  /** residents with a life-safety report queued: judged first, on the next turn of the loop */
  private urgent = new Set<string>();
  private urgentScheduled = false;
  /**
   * a drain came while a group was committing: it runs when the last one is committed, taking all
   * that queued meanwhile as one group. One group in flight, never a chain of them: on PostgreSQL a
   * group costs round trips, and a chain of one group per drain grew faster than it committed
   * under 1,000 reports a second, with an alarm's group at its end (seconds late)
   */
  private drainWhenCommitted = false;
  /** residents judged since their state was last written */
  private dirty = new Set<string>();
  private lastSave = 0;
  private saveTimer: Timer | null = null;
  private orphanTimer: Timer | null = null;
  /** PostgreSQL: the one timer, at the next due timer row (or the next poll) */
  private timerWake: WakeUp | null = null;
  private polling: Promise<void> | null = null;
  /** the earliest due time asked for while a look ran (its read may predate it): armed once the look has set the timer */
  private askedWhilePolling = Infinity;
  /** a row is claimable already: the next look as soon as the loop allows, whatever the clock says */
  private repoll: NodeJS.Timeout | null = null;
  private readonly processId: string;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  /** homes whose inbox the next group drains though nothing is queued for them (the restart's catch-up) */
  private inboxDue = new Set<string>();
  /** the groups drained and not yet committed, one after another */
  private commits: Promise<void> = Promise.resolve();
  private committing = 0;
  /** the reloads asked for, one after another */
  private reloading: Promise<void> = Promise.resolve();
  /** while start() reads the store: what is handed to the rules meanwhile, in order */
  private held: Array<{ residentId: string; input: RuleInput; eventId?: number }> | null = null;

  constructor(private readonly deps: RulesRuntimeDeps) {
    this.processId = deps.processId ?? `${hostname()}:${process.pid}:rules`;
  }

  /** resolves once everything handed to the rules so far is judged, its decisions committed and announced */
  idle(): Promise<void> {
    if (!this.draining && !this.queue.length && !this.committing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    if (this.draining || this.queue.length || this.committing) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  async start(): Promise<void> {
    const { clock } = this.deps;
    // several processes: the timer rows are the schedule; one process: a timer per home, in memory
    if (this.deps.store.engine === 'sqlite') this.scheduler = new RuleScheduler(clock, (residentId) => this.enqueue(residentId, { type: 'tick' }));
    // what arrives while the start-up reads are awaited waits behind the catch-up, so an event
    // committed before the restart is never judged after a newer one
    const held: Array<{ residentId: string; input: RuleInput; eventId?: number }> = [];
    this.held = held;
    try {
      await this.catchUp();
    } finally {
      this.held = null;
    }
    if (this.inboxDue.size) this.deps.log.info({ residents: this.inboxDue.size }, 'judging events committed before the restart');
    for (const h of held) this.enqueue(h.residentId, h.input, h.eventId);
    this.drain();
    await this.idle();
    for (const home of this.homes.values()) this.scheduler?.reschedule(home.cfg, home.state);
    // a tick on start judges every silence that ran on while the gateway was down
    // (and writes every home's timer row: the state saved with it)
    for (const id of this.homes.keys()) this.enqueue(id, { type: 'tick' });
    if (this.deps.store.engine !== 'sqlite') {
      this.lookForOrphans();
      this.timerWake = new WakeUp(clock, () => this.pollTimers());
      // another process wrote a row due sooner: the due time it names (none: the listener
      // reconnected and may have missed some, so look now)
      this.deps.store.signals?.on('timer', this, (ids) => {
        const at = ids.length ? Math.min(...ids.map(Number).filter(Number.isFinite)) : clock.now();
        if (Number.isFinite(at)) this.wakeAt(at);
      });
      this.pollTimers();
    }
  }

  /**
   * Claims the due timer rows (PostgreSQL; a lease of TIMER_LEASE_MS each) and queues each home's
   * tick with the row's token; then sets the one timer for the next due row, or the next look.
   */
  private pollTimers(): void {
    if (this.stopping || this.polling) return;
    const { store, clock, log } = this.deps;
    const now = clock.now();
    this.askedWhilePolling = Infinity;
    this.polling = (async () => {
      let next: number | null = null;
      try {
        const rows = await store.ruleTimers.claimDue(now, this.processId, now + TIMER_LEASE_MS, TIMER_BATCH);
        // a home this process does not know (added through another process): its lease runs out, and the auditor sees it
        for (const row of rows) if (this.homes.has(row.residentId)) this.enqueue(row.residentId, { type: 'tick' }, undefined, { version: row.version, dueAt: row.dueAt });
        next = rows.length === TIMER_BATCH ? now : await store.ruleTimers.nextDue();
      } catch (err) {
        log.warn({ err }, 'rules: could not claim due timers; looking again shortly');
      }
      this.polling = null;
      if (this.stopping) return;
      const at = clock.now();
      if (next !== null && next <= at) {
        // due already (time moved on while this look ran, or more rows than one claim takes): look
        // again at once; 10 ms apart, so a row a deciding unit holds this moment makes no spin
        this.timerWake?.cancel();
        this.repoll = setTimeout(() => { this.repoll = null; this.pollTimers(); }, 10);
        this.repoll.unref();
        return;
      }
      this.timerWake?.set(Math.min(next ?? Infinity, at + (this.deps.timerPollMs ?? TIMER_POLL_MS)));
      // a due time heard while this look ran may be newer than what it read
      if (this.askedWhilePolling !== Infinity) this.timerWake?.setEarlier(Math.max(this.askedWhilePolling, at));
      this.askedWhilePolling = Infinity;
    })();
  }

  /** PostgreSQL: a timer row is due at `at` (written here or by another process): the one timer fires by then */
  private wakeAt(at: number): void {
    if (!this.timerWake || this.stopping) return;
    const when = Math.max(at, this.deps.clock.now());
    if (this.polling) this.askedWhilePolling = Math.min(this.askedWhilePolling, when);
    this.timerWake.setEarlier(when);
  }

  /** resolves once the claims of due timer rows under way (and the ticks they queued) are done; for tests */
  async timersSettled(): Promise<void> {
    for (let i = 0; i < 100 && (this.polling || this.repoll); i++) {
      await this.polling;
      if (this.repoll) await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await this.idle();
  }

  /** events left in an inbox by a process of the site that died before judging them: judged here */
  private lookForOrphans(): void {
    const { clock } = this.deps;
    this.orphanTimer = clock.setTimer(clock.now() + ORPHANS_EVERY_MS, () => {
      void (async () => {
        try {
          const left = await this.deps.store.inbox.residents(this.deps.clock.now() - ORPHAN_AFTER_MS);
          const mine = left.filter((id) => this.homes.has(id));
          if (mine.length && !this.stopping) {
            this.deps.log.info({ residents: mine.length }, 'judging events another process stored and did not judge');
            this.judgeInboxes(mine);
          }
        } catch (err) {
          this.deps.log.warn({ err }, 'rules: could not look for events left unjudged');
        }
        if (!this.stopping) this.lookForOrphans();
      })();
    });
  }

  /** the residents and their saved state, then the homes with events stored but not yet judged */
  private async catchUp(): Promise<void> {
    await this.reload();
    // a crash between an event's commit and its judgement, or a process of the site that died:
    // the events wait in their home's inbox, and the first group drains every non-empty one
    for (const id of await this.deps.store.inbox.residents()) if (this.homes.has(id)) this.inboxDue.add(id);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.deps.store.signals?.off(this);
    // a claim under way queues its ticks first: they are judged before the stop ends
    this.timerWake?.cancel();
    await this.polling;
    if (this.repoll) clearTimeout(this.repoll);
    this.repoll = null;
    this.drain();
    await this.idle();
    this.saveTimer?.cancel();
    this.saveTimer = null;
    this.orphanTimer?.cancel();
    this.orphanTimer = null;
    this.timerWake?.cancel();
    this.timerWake = null;
    this.scheduler?.stop();
    this.scheduler = null;
  }

  /**
   * (Re)builds each resident's rules config from the store; keeps running state. The reads are
   * awaited first and the homes changed in one synchronous step after them; reloads run one
   * after another, so a later one never lands before an earlier one.
   */
  reload(): Promise<void> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<void> {
    const { registry, clock } = this.deps;
    const { residents, ruleState, events } = this.deps.store;
    const read: Array<{ id: string; cfg: ResidentRulesConfig; saved: Awaited<ReturnType<typeof ruleState.get>> | null }> = [];
    let newestEvent: number | undefined;
    for (const r of await residents.listResidents()) {
      const rooms = new Map((await residents.devicesOf(r.id)).map((d) => [d.id, d.room]));
      const cfg = rulesConfigFor(r, registry.ofResident(r.id).map((d) => ({ ...d, room: rooms.get(d.id) })));
      const saved = this.homes.has(r.id) ? null : await ruleState.get(r.id);
      // a resident new to the store starts at the last event id, so old history is not replayed
      if (!this.homes.has(r.id) && !saved) newestEvent ??= await events.maxId();
      read.push({ id: r.id, cfg, saved });
    }
    const seen = new Set<string>();
    for (const { id, cfg, saved } of read) {
      seen.add(id);
      const existing = this.homes.get(id);
      if (existing) { existing.cfg = cfg; continue; }
      this.homes.set(id, saved
        ? { cfg, state: saved.state as HomeState, lastEventId: saved.lastEventId, version: saved.version, pending: new Set() }
        : { cfg, state: initialState(cfg, clock.now()), lastEventId: newestEvent ?? await events.maxId(), version: 0, pending: new Set() });
    }
    for (const id of [...this.homes.keys()]) if (!seen.has(id)) { this.homes.delete(id); this.scheduler?.schedule(id, null); }
  }

  /** the newest event id judged for a resident (0 before any) */
  judgedUpTo(residentId: string): number { return this.homes.get(residentId)?.lastEventId ?? 0; }

  /** the site's wake-up (src/site.ts watchSite): these homes hold events another process stored and did not judge */
  judgeInboxes(residentIds: string[]): void { for (const id of residentIds) if (this.homes.has(id)) this.inboxDue.add(id); if (!this.stopping) this.drain(); }

  /** a committed device event */
  onEvent(event: DeviceEvent): void {
    this.enqueue(event.residentId, { type: 'event', event }, event.id);
  }

  /** a caseworker visit in progress suppresses inactivity and night-door alarms */
  onVisit(residentId: string, start: number, end: number): void {
    this.enqueue(residentId, { type: 'visit', start, end });
  }

  /** a planned absence entered, changed or ended early, or one cancelled */
  onAbsence(residentId: string, change: { planned: PlannedAbsence } | { cancelled: string }): void {
    this.enqueue(residentId, 'planned' in change ? { type: 'absence', absence: change.planned } : { type: 'absence_cancelled', id: change.cancelled });
  }

  onPersonAction(residentId: string, action: 'acknowledged' | 'resolved', key: string): void {
    this.enqueue(residentId, { type: action, key });
  }

  /**
   * A serial receiver went down or came back: the core decides the outage alert of every home with
   * a device it may hear (rules/devices.ts onReceiver), in the same units of work as the rest.
   */
  onReceiver(protocol: 'rflink' | 'jsonl', path: string, down: boolean, reason: string): void {
    const residents = new Set(this.deps.registry.all().filter((d) => receiverServes(protocol, d)).map((d) => d.residentId));
    for (const residentId of [...residents].sort()) this.enqueue(residentId, { type: 'receiver', path, down, reason });
  }

  private enqueue(residentId: string, input: RuleInput, eventId?: number, timer?: { version: number; dueAt: number }): void {
    if (this.held) { this.held.push({ residentId, input, eventId }); return; }
    if (!this.homes.has(residentId)) return;
    // judged at the moment it happened (an event at its own time, a tick when it fell due: a claimed
    // row's due time, however late the claim), not when the queue drains: live and replay then decide alike
    const at = input.type === 'event' ? input.event.at : timer ? Math.min(timer.dueAt, this.deps.clock.now()) : this.deps.clock.now();
    this.queue.push(timer === undefined ? { residentId, input, at, eventId } : { residentId, input, at, eventId, token: timer.version });
    if (input.type === 'event' && isLifeSafety(input.event)) {
      this.urgent.add(residentId);
      if (!this.urgentScheduled) {
        this.urgentScheduled = true;
        setImmediate(() => this.drainUrgent());
      }
    }
    if (!this.draining) {
      this.draining = true;
      // a couple of milliseconds lets a burst of events share one rules transaction
      setTimeout(() => this.drain(), DRAIN_DELAY_MS);
    }
  }

  /**
   * Judges everything queued, then commits what must be kept in one transaction: the alerts it
   * decided and the state of every resident judged since the last save.
   *
   * A batch of events that decided nothing is not written at once (SQLite: one process): the
   * events stay in the inbox until the state that judged them is saved, and judging them again
   * after a crash decides nothing again, so skipping the write loses nothing but a little replay
   * time, bounded by saving at least every SAVE_EVERY_MS. On PostgreSQL every group is written:
   * another process judges next from the row. Decisions
   * and people's actions (acknowledge, resolve, visits), which no event replay can rebuild, are
   * always written before they are announced.
   */
  private drain(): void {
    this.draining = false;
    if (this.committing) { this.drainWhenCommitted = true; return; }
    if (this.drainUrgent() && !this.stopping && this.queue.length) {
      // the alarm's announcements started units of work (its texts into the outbox) that finish
      // within this turn of the loop: let them, and judge the routine rest on the next turn
      this.draining = true;
      setImmediate(() => this.drain());
      return;
    }
    const items = this.queue;
    this.queue = [];
    this.commit(items);
  }

  /**
   * The residents with a life-safety report first: everything queued for them (in order, so
   * their state moves as it would have), committed and announced before the routine rest.
   */
  private drainUrgent(): boolean {
    this.urgentScheduled = false;
    if (!this.urgent.size) return false;
    // behind the group in flight only: first of what follows it
    if (this.committing) { this.drainWhenCommitted = true; return false; }
    const residents = this.urgent;
    this.urgent = new Set();
    const first: typeof this.queue = [];
    const rest: typeof this.queue = [];
    for (const item of this.queue) (residents.has(item.residentId) ? first : rest).push(item);
    this.queue = rest;
    this.commit(first);
    return true;
  }

  /** judges `items` and commits what must be kept (see drain), after the groups drained before */
  private commit(items: typeof this.queue): void {
    if (!items.length && !this.dirty.size && !this.inboxDue.size) return this.wakeIdle();
    this.committing++;
    this.commits = this.commits
      .then(() => this.commitNow(items))
      .catch((err) => { this.deps.log.error({ err }, 'rules: a group failed unexpectedly'); })
      .finally(() => {
        this.committing--;
        if (!this.committing && this.drainWhenCommitted) {
          this.drainWhenCommitted = false;
          this.drain();
        }
        this.wakeIdle();
      });
  }

  private async commitNow(items: typeof this.queue): Promise<void> {
    const { store, log, clock } = this.deps;
    const now = clock.now();
    // homes whose inbox is to be drained even with nothing queued for them here (the restart's catch-up)
    const due = this.inboxDue;
    this.inboxDue = new Set();
    if (!items.length && !this.dirty.size && !due.size) return;
    // a failed commit must leave memory as the store has it, so the retry judges the same inputs
    const before = new Map<string, Snapshot>();
    for (const id of new Set([...items.map((i) => i.residentId), ...this.dirty, ...due])) {
      const home = this.homes.get(id);
      if (home) before.set(id, { state: home.state, lastEventId: home.lastEventId, version: home.version, pending: home.pending, pendingSize: home.pending.size });
    }
    const restore = () => {
      for (const [id, saved] of before) {
        const home = this.homes.get(id);
        if (!home) continue;
        home.state = saved.state;
        home.lastEventId = saved.lastEventId;
        home.version = saved.version;
        // untouched since the snapshot (a first attempt): nothing to undo
        if (home.pending === saved.pending && saved.pending.size === saved.pendingSize) continue;
        const kept = new Set<number>();
        for (const eventId of saved.pending) {
          if (kept.size === saved.pendingSize) break;
          kept.add(eventId);
        }
        saved.pending = kept;
        home.pending = kept;
      }
    };
    // every home this group writes, in id order: two groups (or two processes) lock alike, never crosswise
    const locked = [...before.keys()].sort();
    // several processes share the rows: each decision is written (another process judges next
    // from the row, not from this one's memory)
    const shared = store.engine !== 'sqlite';
    let touched = new Set<string>();
    let announcements: Array<() => void> = [];
    let saved = false;
    let more = new Set<string>();
    /** homes whose copy was read again from the row: their timers follow the state read */
    let reread = new Set<string>();
    /** homes with a claimed tick whose token the state has moved past: dropped, the row rewritten */
    let stale = new Set<string>();
    /** the next due time of each home whose state this group saved (its timer row), for this process's wake-up */
    let dueOf = new Map<string, number | null>();
    const decide = async (tx: Tx) => {
      const rows = new Map<string, Awaited<ReturnType<Tx['ruleState']['lock']>>>();
      for (const id of locked) rows.set(id, await tx.ruleState.lock(id));
      // judged on the state as it was before this group (again, if the unit of work runs again)
      restore();
      // memory is a cache of the locked row: a copy another process has saved past is read again
      // (what this process judged and did not save is still in the inbox: judged again below)
      reread = new Set();
      for (const id of locked) {
        const row = rows.get(id);
        const home = this.homes.get(id)!;
        if ((row?.version ?? 0) === home.version || !row) continue;
        const fresh = { state: row.state as HomeState, lastEventId: row.lastEventId, version: row.version, pending: new Set<number>(), pendingSize: 0 };
        before.set(id, fresh);
        Object.assign(home, { state: fresh.state, lastEventId: fresh.lastEventId, version: fresh.version, pending: new Set<number>() });
        reread.add(id);
      }
      // a tick claimed from a timer row judges only the state the row was written for: a state saved
      // again since (by this process or another) wrote its own row, and this token is stale
      stale = new Set();
      const live = items.filter((item) => {
        if (item.token === undefined || item.token === this.homes.get(item.residentId)?.version) return true;
        stale.add(item.residentId);
        return false;
      });
      more = new Set();
      const plan = await this.plan(tx, live, [...due].sort(), more);
      touched = new Set();
      announcements = [];
      const decided = this.judge(plan, touched);
      const mustSave = decided.length > 0 || plan.some((i) => i.input.type !== 'event' && i.input.type !== 'tick')
        || now - this.lastSave >= SAVE_EVERY_MS || this.stopping || shared;
      saved = mustSave;
      dueOf = new Map();
      if (!mustSave) return;
      for (const d of decided) announcements.push(await this.deps.alerts.apply(tx, d.residentId, d.decisions, d.at));
      for (const id of this.dirty) {
        const home = this.homes.get(id);
        if (!home) continue;
        home.version = await tx.ruleState.save(id, home.state, home.lastEventId, now);
        // the home's timer row follows the state saved, its version the token (no row: nothing due)
        const dueAt = nextDue(home.cfg, home.state);
        dueOf.set(id, dueAt);
        await tx.ruleTimers.set(id, dueAt, home.version);
        // the events this state has judged leave the inbox with it
        await tx.inbox.remove(id, [...home.pending]);
        home.pending = new Set();
      }
      // a stale claim's row is written again from the state as stored (its claim cleared)
      for (const id of stale) {
        const home = this.homes.get(id);
        if (home && !this.dirty.has(id) && home.version > 0) await tx.ruleTimers.set(id, nextDue(home.cfg, home.state), home.version);
      }
    };
    try {
      // The events are the record; this state is derived from them. So it need not pay a flush
      // of its own: the next event commit's carries it to disk too.
      await store.tx(decide, { durable: false });
    } catch (err) {
      log.error({ err }, 'rules: could not commit decisions; will retry');
      restore();
      // put them back and try again shortly: losing them would lose alarms
      this.queue = [...items, ...this.queue];
      for (const id of due) this.inboxDue.add(id);
      for (const i of items) if (i.input.type === 'event' && isLifeSafety(i.input.event)) this.urgent.add(i.residentId);
      setTimeout(() => this.drain(), 1000).unref();
      return;
    }
    if (saved) {
      this.dirty.clear();
      this.lastSave = now;
    } else if (!this.saveTimer) {
      // make sure a quiet spell still gets the state written
      this.saveTimer = clock.setTimer(now + SAVE_EVERY_MS, () => { this.saveTimer = null; this.drain(); });
    }
    for (const id of new Set([...touched, ...reread])) {
      const home = this.homes.get(id)!;
      this.scheduler?.reschedule(home.cfg, home.state);
      // several processes: a due time this process just wrote wakes it then, without waiting for the next look
      // (computed once: a home this group saved has it from its timer row's write)
      if (this.timerWake && saved) {
        const at = dueOf.has(id) ? dueOf.get(id)! : nextDue(home.cfg, home.state);
        if (at !== null) this.wakeAt(at);
      }
    }
    for (const announce of announcements) announce();
    if (more.size) {
      // an inbox longer than one take: the rest in the next group
      for (const id of more) this.inboxDue.add(id);
      this.commit([]);
    }
  }

  /**
   * What this group judges, per home: the events its inbox holds that this process has not
   * judged yet, in id order, with the other inputs queued here (ticks, visits, people's actions)
   * kept where they came among them. A queued event no longer in the inbox was judged already
   * (by another process, whose state was read above); an event in the inbox that was not handed
   * to this process (stored by another, or before a restart) is read from the store.
   */
  private async plan(tx: Tx, items: typeof this.queue, residents: readonly string[], more: Set<string>): Promise<typeof this.queue> {
    const queued = new Map<string, typeof this.queue>();
    for (const item of items) {
      let list = queued.get(item.residentId);
      if (!list) queued.set(item.residentId, list = []);
      list.push(item);
    }
    const plan: typeof this.queue = [];
    const drained = new Set(residents);
    // homes in the order their inputs came, then those only draining their inbox
    for (const id of [...new Set([...queued.keys(), ...residents])]) {
      const home = this.homes.get(id);
      if (!home) continue;
      // past what this process has judged and not yet saved (those rows wait for that save):
      // a single process ingests and judges in id order, and on PostgreSQL every group saves
      let judged = 0;
      for (const e of home.pending) if (e > judged) judged = e;
      const mine = queued.get(id) ?? [];
      // how far into the inbox this group judges: a home drained (the restart, another process's
      // wake-up, the look for events left unjudged) or with an input that is not an event (a tick,
      // a visit, a reply: judged after everything stored before it) to its end; a home with only
      // its own events queued up to the newest of them. The rows after those are this process's
      // next events, queued already for the next group: reading each of them here, by id, as this
      // group's, cost a round trip an event on PostgreSQL and left the rules further behind the
      // faster reports came (an alarm's group waited seconds behind them at 1,000 reports a second)
      let limit = 0;
      for (const item of mine) limit = item.eventId === undefined ? Infinity : Math.max(limit, item.eventId);
      if (drained.has(id)) limit = Infinity;
      const waiting = await tx.inbox.take(id, INBOX_BATCH, judged);
      if (waiting.length === INBOX_BATCH && waiting[waiting.length - 1] <= limit) more.add(id);
      const inInbox = new Set(waiting);
      const known = new Map<number, (typeof this.queue)[number]>();
      for (const item of mine) if (item.eventId !== undefined) known.set(item.eventId, item);
      // an event in the inbox that was not handed to this process (stored by another, or before a
      // restart) is read from the store, all of the home's at once
      const unknown = waiting.filter((e) => e <= limit && !known.has(e));
      const read = new Map((await tx.events.getMany(unknown)).map((event) => [event.id!, event]));
      const eventItem = (eventId: number) => {
        const item = known.get(eventId);
        if (item) return item;
        const event = read.get(eventId);
        // a device since removed takes its events' bodies with it: nothing to judge
        return event ? { residentId: id, input: { type: 'event' as const, event }, at: event.at, eventId } : undefined;
      };
      let k = 0;
      const upTo = (eventId: number) => {
        for (; k < waiting.length && waiting[k] <= eventId; k++) {
          const item = eventItem(waiting[k]);
          if (item) plan.push(item);
          else home.pending.add(waiting[k]);
        }
      };
      for (const item of mine) {
        if (item.eventId === undefined) { plan.push(item); continue; }
        if (inInbox.has(item.eventId)) upTo(item.eventId);
      }
      upTo(limit);
    }
    return plan;
  }

  /** runs the core over the queued inputs in memory; returns the decisions to commit */
  private judge(items: typeof this.queue, touched: Set<string>): Array<{ residentId: string; decisions: Decision[]; at: number }> {
    const decided: Array<{ residentId: string; decisions: Decision[]; at: number }> = [];
    for (const item of items) {
      const home = this.homes.get(item.residentId);
      if (!home) continue;
      const result = decide(home.cfg, home.state, item.input, item.at);
      home.state = result.state;
      if (item.eventId !== undefined) {
        home.pending.add(item.eventId);
        if (item.eventId > home.lastEventId) home.lastEventId = item.eventId;
      }
      touched.add(item.residentId);
      this.dirty.add(item.residentId);
      if (result.decisions.length) decided.push({ residentId: item.residentId, decisions: result.decisions, at: item.at });
    }
    return decided;
  }
}
