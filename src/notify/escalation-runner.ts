// The escalation runner: fires each open alert's due steps and moves its cursor. Each step is
// one unit of work that claims the due alert (another process skips it meanwhile: FOR UPDATE
// SKIP LOCKED on PostgreSQL), records the step on the timeline, queues its texts and calls and
// the "unanswered" notice, and moves the cursor; what it announces (metrics, the log, the live
// page) follows the commit. A process that dies mid-step commits nothing: the alert stays due
// for whoever claims it next. One timer, at the earliest step due.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { WakeUp, type Clock } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { AlertRow, ResidentRow, ContactRow, Store, Tx } from '../store/index.ts';
import { planEscalation, type FiredStep } from './escalation.ts';
import { enqueueFor } from './follow-ups.ts';
import { alertBody, localeOf, publicBase, subjectOf } from './messages.ts';
import { recipients } from './roster.ts';
import { stepCode, decodeStep, STEP_UNANSWERED, type Channel, type OutboxRow } from './outbox.ts';
import { unansweredText } from './templates.ts';

export interface EscalationDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  store: Store;
  /** can the provider place calls? (else a step "via call" texts) */
  canCall(): boolean;
  /** the delivery worker should look at the outbox now */
  flush(): void;
  /** an alert was marked unanswered (called once its unit of work has committed) */
  unanswered?(alertId: number): void;
}

/** a step that threw: its alert is looked at again after this long (never a hot loop) */
const RETRY_FAILED_STEP_MS = 60_000;

export class EscalationRunner {
  /** the one timer, at the earliest step due */
  private readonly wake: WakeUp;
  private running = false;
  /** the latest timer look-up: an older answer that arrives later is dropped */
  private armSeq = 0;
  /** this process's steps, one after another (across processes: the claim) */
  private chain: Promise<void> = Promise.resolve();
  /** what the unit of work running now announces once it has committed */
  private afterCommit: Array<() => void> | null = null;

  constructor(private readonly deps: EscalationDeps, onWake: (due: Promise<void>) => void) {
    this.wake = new WakeUp(deps.clock, () => onWake(this.processDue()));
  }

  start(): void { this.running = true; }

  stop(): void {
    this.running = false;
    this.wake.cancel();
  }

  /** resolves when the steps asked for so far have run */
  settled(): Promise<void> { return this.chain; }

  /** one job at a time in this process, in the order asked for */
  private serial(job: () => Promise<void>): Promise<void> {
    const run = this.chain.then(job);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Every alert whose escalation is due, each claimed and stepped in a unit of work of its own. */
  processDue(): Promise<void> {
    return this.serial(async () => {
      if (!this.running) return;
      const now = this.deps.clock.now();
      const failed = new Set<number>();
      for (;;) {
        let claimed: number | null = null;
        try {
          claimed = await this.escalate(async (tx, holding) => {
            const alert = (await tx.alerts.claimDue(now, 1 + failed.size)).find((a) => !failed.has(a.id));
            if (!alert) return null;
            holding.alert = alert;
            await this.step(tx, alert, now, false);
            return alert.id;
          });
        } catch (err) {
          const alertId = (err as { alertId?: number }).alertId;
          if (alertId === undefined) throw err;
          failed.add(alertId);
          continue;
        }
        if (claimed === null) break;
      }
      this.deps.flush();
    }).finally(() => this.arm());
  }

  /**
   * Fires the alert's due steps (or all of the next one, `early`) and moves its cursor, in one
   * unit of work. An alert just opened, and a step brought forward, are this process's own work:
   * read by id, not claimed.
   */
  processAlert(alertId: number, early: boolean): Promise<void> {
    return this.serial(async () => {
      if (!this.running) return;
      const now = this.deps.clock.now();
      try {
        await this.escalate(async (tx, holding) => {
          const alert = await tx.alerts.get(alertId);
          if (!alert || alert.status !== 'open' || alert.escalationDue === null) return;
          holding.alert = alert;
          if (!early && alert.escalationDue > now) return;
          await this.step(tx, alert, now, early);
        });
      } catch (err) {
        if ((err as { alertId?: number }).alertId === undefined) throw err;
      }
      this.deps.flush();
    }).finally(() => this.arm());
  }

  /** An undelivered text to every contact of a step moves the next step forward. */
  async moveOnEarly(row: OutboxRow): Promise<void> {
    const { store, config, clock } = this.deps;
    if (row.alertId === null || row.step === null || row.step < 0) return;
    // a step's first firing decides this; its repeats come after the next step may have fired
    const { step, repeat } = decodeStep(row.step);
    if (repeat > 0) return;
    const alert = await store.alerts.get(row.alertId);
    const steps = alert && config.escalation[alert.kind];
    if (!alert || !steps || alert.status !== 'open') return;
    if (alert.escalationStep !== step + 1 || step + 1 >= steps.length) return;
    const stepRows = await store.outbox.stepRows(alert.id, row.step);
    if (!stepRows.every((r) => r.status === 'undelivered' || r.status === 'failed')) return;
    await store.timeline.add(alert.residentId, clock.now(), 'escalation', {
      alertId: alert.id, kind: alert.kind, event: 'early', step: step + 1, reason: 'nobody in the previous step could be reached',
    });
    await this.processAlert(alert.id, true);
  }

  /** sets the timer to the earliest step due in the store */
  async arm(): Promise<void> {
    if (!this.running) return;
    const seq = ++this.armSeq;
    const next = await this.deps.store.alerts.nextDue();
    // a later look-up started meanwhile: its answer is the newer one
    if (seq !== this.armSeq || !this.running) return;
    this.wake.set(next);
  }

  /**
   * One escalation unit of work, and what it announces once committed. A step that fails is
   * looked at again in a minute (the error is rethrown with its alertId for the caller to skip it).
   */
  private async escalate<T>(fn: (tx: Tx, holding: { alert: AlertRow | null }) => Promise<T>): Promise<T> {
    const after: Array<() => void> = [];
    const holding: { alert: AlertRow | null } = { alert: null };
    const now = this.deps.clock.now();
    try {
      const result = await this.deps.store.tx((tx) => {
        after.length = 0;
        holding.alert = null;
        this.afterCommit = after;
        return fn(tx, holding);
      });
      for (const a of after) a();
      return result;
    } catch (err) {
      const alert = holding.alert;
      if (!alert) throw err;
      this.deps.log.error({ err, alertId: alert.id }, 'escalation failed; retrying in a minute');
      const fresh = await this.deps.store.alerts.get(alert.id);
      if (fresh?.status === 'open') await this.deps.store.alerts.setEscalation(alert.id, fresh.escalationStep, now + RETRY_FAILED_STEP_MS, fresh.unanswered);
      throw Object.assign(new Error('escalation step failed'), { alertId: alert.id, cause: err });
    } finally {
      this.afterCommit = null;
    }
  }

  /** the step itself, inside the escalation's unit of work */
  private async step(tx: Tx, alert: AlertRow, now: number, early: boolean): Promise<void> {
    const { config, log } = this.deps;
    const alertId = alert.id;
    const steps = config.escalation[alert.kind];
    const resident = await tx.residents.getResident(alert.residentId);
    if (!steps || !resident) {
      log.warn({ alertId, kind: alert.kind }, 'no escalation policy or resident for this alert; escalation stopped');
      await tx.alerts.setEscalation(alertId, alert.escalationStep, null, alert.unanswered);
      return;
    }
    const contacts = await tx.residents.contactsOf(resident.id);
    const plan = planEscalation({
      kind: alert.kind, openedAt: alert.openedAt, step: alert.escalationStep, steps, now, early,
      recipients: (roles) => recipients(contacts, roles, now, resident.timezone),
      fired: firedSteps(await tx.outbox.ofAlert(alert.id), contacts),
    });
    const publicUrl = publicBase(config.http.publicUrl);
    for (const p of plan.fire) {
      await tx.timeline.add(resident.id, now, 'escalation', {
        alertId, kind: alert.kind, event: p.repeat > 0 ? 'repeat' : 'step', step: p.step, ...(p.repeat > 0 ? { repeat: p.repeat } : {}),
        roles: steps[p.step].notify, via: p.via, reached: p.recipients.length, ...(p.passedOn ? { passedOn: p.passedOn } : {}),
      });
      const channel: Channel = p.via === 'call' && this.deps.canCall() ? 'call' : 'sms';
      for (const c of p.recipients) {
        await enqueueFor(tx, alert, c, stepCode(p.step, p.repeat), channel, alertBody(alert, resident, c, channel, publicUrl), now);
      }
    }
    if (plan.unanswered) await this.markUnanswered(tx, alert, resident, contacts, now);
    await tx.alerts.setEscalation(alertId, plan.nextStep, plan.due, alert.unanswered || plan.unanswered);
  }

  /**
   * 10 min after the last step nobody had acknowledged: on the timeline, and the caseworkers on
   * call told; when none is on call, all of them, since this is the last resort.
   */
  private async markUnanswered(tx: Tx, alert: AlertRow, resident: ResidentRow, contacts: ContactRow[], now: number): Promise<void> {
    const onCall = recipients(contacts, ['caseworker'], now, resident.timezone);
    const caseworkers = onCall.length ? onCall : contacts.filter((c) => c.role === 'caseworker');
    await tx.timeline.add(resident.id, now, 'escalation', { alertId: alert.id, kind: alert.kind, event: 'unanswered', told: caseworkers.length });
    for (const c of caseworkers) {
      await enqueueFor(tx, alert, c, STEP_UNANSWERED, 'sms', unansweredText(localeOf(c, resident), subjectOf(alert, resident)), now);
    }
    // the metric, the log and the live page once the step has committed (the unit may run again)
    this.afterCommit?.push(() => {
      this.deps.metrics.inc('gateway_alerts_unanswered_total', { kind: alert.kind });
      this.deps.log.warn({ alertId: alert.id, residentId: resident.id, caseworkers: caseworkers.length }, 'alert unanswered');
      this.deps.unanswered?.(alert.id);
    });
  }
}

/**
 * What each step of the alert has done so far, from its outbox rows (the durable record): when
 * it first fired, whom it reached then (repeats tell the same people), and its highest repeat.
 * A step that reached nobody has no rows, and nothing to repeat.
 */
function firedSteps(rows: OutboxRow[], contacts: ContactRow[]): Array<FiredStep<ContactRow> | undefined> {
  const fired: Array<{ at: number; phones: Set<string>; repeats: number } | undefined> = [];
  for (const row of rows) {
    if (row.step === null || row.step < 0) continue;
    const { step, repeat } = decodeStep(row.step);
    const f = (fired[step] ??= { at: Infinity, phones: new Set(), repeats: 0 });
    if (repeat === 0) { f.at = Math.min(f.at, row.createdAt); f.phones.add(row.phone); }
    f.repeats = Math.max(f.repeats, repeat);
  }
  return fired.map((f) => f && f.at !== Infinity
    ? { at: f.at, repeats: f.repeats, recipients: [...f.phones].flatMap((phone) => contacts.find((c) => c.phone === phone) ?? []) }
    : undefined);
}
