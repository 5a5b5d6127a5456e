// The notifier: turns open alerts into escalation steps, steps into outbox rows, and outbox
// rows into texts and calls; stops when someone acknowledges; tells the others who did.
// Everything it needs to carry on lives in the store (alerts' escalation cursor, outbox rows),
// so a restart resumes pending sends and due steps from there (docs/architecture.md, invariants).
// Guarantee: with Twilio, each outbox text reaches the provider exactly once, across a crash at
// any moment and across requests whose answer was lost: delivery.ts looks such a text up in
// Twilio's Messages list before sending it again (assuming Twilio creates nothing when it answers
// an error, and is done with a request 5 s after it began). Calls, and the log, are at least once.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { WakeUp, type Clock } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { AlertRow, ResidentRow, ContactRow, Store, Tx } from '../store/index.ts';
import { planEscalation, PRE_ALARM_KINDS, type FiredStep } from './escalation.ts';
import { recipients } from './roster.ts';
import { stepCode, decodeStep, stepFields, STEP_FOLLOW_UP, STEP_UNANSWERED, type Channel, type OutboxRow } from './outbox.ts';
import { DeliveryWorker, type RetryPolicy } from './delivery.ts';
import { createSender, type SmsSender } from './senders.ts';
import { callTwiml } from './twiml.ts';
import {
  alertText, preAlarmText, residentInfoText, handledText, residentWellText, closedText, clearedText, unansweredText,
  sendFailedText, alertSpeech, type Locale, type Subject,
} from './templates.ts';
import { Inbound } from './inbound.ts';
import { twilioWebhooks } from './webhooks.ts';

export interface NotifierDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /**
   * The store behind its ports (either engine). An escalation step is one unit of work that
   * claims the due alert, queues its texts and moves its cursor; the delivery worker claims
   * outbox rows with a lease; inbound MessageSids act once. So each step fires once and each
   * text goes once across the site's processes.
   */
  store: Store;
  /** the alert service: open -> acknowledged, on the timeline, rules told; true if this call did it */
  acknowledge(alertId: number, by: string, at: number): Promise<boolean> | boolean;
  /** the alert service: resolve (e.g. the resident's "all is well" to a pre-alarm) */
  resolve(alertId: number, by: string, reason: string, at: number): Promise<boolean> | boolean;
  /** default: built from the config (twilio, or the log) */
  sender?: SmsSender;
  /** retry timing; tests shorten it */
  retry?: Partial<RetryPolicy>;
  /** an absence keyword ("AWAY 12-20", "BACK") from a contact: the answer to text back, or null when it is none */
  absenceSms?(contacts: ContactRow[], text: string): Promise<string | null>;
  /** an alert was marked unanswered (called once its transaction has committed) */
  unanswered?(alertId: number): void;
}

/** who the alert service names when it resolves an alert on its own */
const SYSTEM = 'system';

/** what a follow-up says, in the recipient's language */
type FollowUp = (locale: Locale, subject: Subject) => string;

export class Notifier {
  readonly routes: (app: FastifyInstance) => Promise<void>;
  private readonly log: Logger;
  private worker: DeliveryWorker | null = null;
  private sender: SmsSender | null = null;
  /** the escalation's one timer, at the earliest step due */
  private readonly wake: WakeUp;
  private running = false;
  /** the latest escalation timer look-up: an older answer that arrives later is dropped */
  private armSeq = 0;
  /** this process's escalation steps, one after another (across processes: the claim) */
  private escalating: Promise<void> = Promise.resolve();
  /** work started by a listener call or a delivery hook and not finished yet (idle() waits for it) */
  private readonly pending = new Set<Promise<void>>();
  private readonly inbound: Inbound;

  constructor(private readonly deps: NotifierDeps) {
    this.log = deps.log.child({ module: 'notify' });
    this.wake = new WakeUp(deps.clock, () => this.track(this.processDue()));
    this.inbound = new Inbound(deps, this.log, {
      acknowledged: (alert, by) => this.alertAcknowledged(alert, by),
      resolvedByResident: (alert, by) => this.track(this.afterResolved(alert, by, true), alert.id),
      deliveryFailed: (row) => this.track(this.moveOnEarly(row), row.alertId),
    });
    this.routes = twilioWebhooks({
      config: deps.config, log: this.log, metrics: deps.metrics, inbound: this.inbound, ready: () => this.running,
    });
    deps.metrics.describe('gateway_notify_sent_total', 'texts and calls accepted by the provider');
    deps.metrics.describe('gateway_notify_retries_total', 'sends that failed and were scheduled again');
    deps.metrics.describe('gateway_notify_lookups_total', 'texts whose last request had no answer, looked up at the provider before sending again, by outcome');
    deps.metrics.describe('gateway_notify_failed_total', 'sends refused for good or given up');
    deps.metrics.describe('gateway_alerts_unanswered_total', 'alerts whose last escalation step passed unacknowledged');
    deps.metrics.describe('gateway_notify_replies_total', 'answers by text or key press, by what they did');
    deps.metrics.describe('gateway_notify_delivery_total', 'delivery reports recorded from Twilio');
  }

  private get store(): Store { return this.deps.store; }

  /** runs `work` in the background; idle() waits for it; a failure is logged, never thrown at a caller that only announced */
  private track(work: Promise<unknown>, alertId: number | null = null): void {
    const p: Promise<void> = work.then(() => {}, (err) => { this.log.error({ err, alertId }, 'notification work failed'); })
      .finally(() => { this.pending.delete(p); });
    this.pending.add(p);
  }

  async start(): Promise<void> {
    const { deps } = this;
    this.sender = deps.sender ?? createSender(deps.config, this.log);
    const publicUrl = deps.config.http.publicUrl?.replace(/\/$/, '');
    if (!publicUrl) this.log.warn('http.publicUrl is not set: no delivery reports, and calls cannot ask for a key press');
    this.worker = new DeliveryWorker({
      outbox: deps.store.outbox, sender: this.sender, clock: deps.clock, log: this.log, metrics: deps.metrics, retry: deps.retry,
      statusCallback: (row) => (publicUrl ? `${publicUrl}/twilio/status?o=${row.id}` : undefined),
      hooks: {
        sent: (row, providerId, found) => this.track((async () => {
          await this.record(row, 'sent', { providerId, ...(found ? { found: true } : {}) });
          if (!found) await this.observeAlarmToSms(row);
          await this.toldTooLate(row);
        })(), row.alertId),
        retrying: (row, reason) => this.track(this.record(row, 'retrying', { reason }), row.alertId),
        failed: (row, reason) => this.track(this.sendFailed(row, reason), row.alertId),
      },
    });
    this.running = true;
    // an alert acknowledged or resolved while the notifier was down sends no more steps
    for (const row of await this.store.outbox.cancelSettled()) await this.record(row, 'cancelled', {});
    // resume: due escalations first (they queue rows), then every pending row; done before the
    // next part starts, so their units of work are not open while it does
    await this.processDue();
    this.worker.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake.cancel();
    await this.settled();
    await this.worker?.stop();
    await this.settled();
  }

  /** resolves when what listener calls and delivery hooks started has been done (not the requests in flight) */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    await this.escalating;
  }

  /** resolves when every text and call due now has been handed to the provider and its answer recorded */
  async idle(): Promise<void> {
    for (;;) {
      await this.settled();
      await this.worker?.idle();
      if (!this.pending.size) return;
    }
  }

  /**
   * A text from `from` as if Twilio had delivered it (the log-provider demo's stand-in for a
   * neighbour's phone; the signed webhook is the only way in with a real provider). The TwiML answer.
   */
  replyAsText(from: string, text: string): Promise<string> {
    // each demo reply is a message of its own, as each of Twilio's has its own MessageSid
    return this.inbound.sms(from, text, `demo-${randomUUID()}`);
  }

  /** A new alert row exists: fire what is due now, schedule the rest. Safe to repeat. */
  alertOpened(alert: AlertRow): void {
    if (!this.running) return;
    this.track(this.processAlert(alert.id, false), alert.id);
  }

  /** Acknowledged (API, SMS, key press): the cursor was cleared; cancel what is unsent, tell the others. */
  alertAcknowledged(alert: AlertRow, by: string): void {
    if (!this.running) return;
    this.track((async () => {
      const fresh = (await this.store.alerts.get(alert.id)) ?? alert;
      await this.cancelPending(fresh);
      await this.followUp(fresh, (locale, s) => handledText(locale, by, s), by);
      await this.armEscalation();
    })(), alert.id);
  }

  alertResolved(alert: AlertRow, by: string): void {
    if (!this.running) return;
    this.track((async () => {
      const fresh = (await this.store.alerts.get(alert.id)) ?? alert;
      const residentContact = (await this.store.residents.contactsOf(fresh.residentId)).find((c) => c.role === 'resident' && c.name === by);
      await this.afterResolved(fresh, by, Boolean(residentContact) && PRE_ALARM_KINDS.has(fresh.kind));
    })(), alert.id);
  }

  private async afterResolved(alert: AlertRow, by: string, residentConfirmed: boolean): Promise<void> {
    const fresh = (await this.store.alerts.get(alert.id)) ?? alert;
    await this.cancelPending(fresh);
    // the others are told once (STEP_FOLLOW_UP): that the resident is well; or, if nobody had
    // taken the alert on, that it cleared (the alert service resolved it) or who closed it.
    // After an acknowledgement they already know who has it.
    if (residentConfirmed) await this.followUp(fresh, residentWellText, by);
    else if (fresh.acknowledgedAt === null) {
      await this.followUp(fresh, by === SYSTEM ? clearedText : (locale, s) => closedText(locale, by, s), by);
    }
    await this.armEscalation();
  }

  // ---- escalation ----------------------------------------------------------------------

  /** one escalation job at a time in this process, in the order asked for */
  private serial(job: () => Promise<void>): Promise<void> {
    const run = this.escalating.then(job);
    this.escalating = run.catch(() => {});
    return run;
  }

  /**
   * Every alert whose escalation is due, each claimed in a unit of work of its own (another
   * process skips it meanwhile: FOR UPDATE SKIP LOCKED on PostgreSQL), its step fired and its
   * cursor moved before commit. A process that dies mid-step commits nothing: the alert stays
   * due for whoever claims it next.
   */
  private processDue(): Promise<void> {
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
      this.worker?.flush();
    }).finally(() => this.armEscalation());
  }

  /** Fires the alert's due steps (or all of the next one, `early`) and moves its cursor, in one unit of work. */
  private processAlert(alertId: number, early: boolean): Promise<void> {
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
      this.worker?.flush();
    }).finally(() => this.armEscalation());
  }

  /**
   * One escalation unit of work, and what it announces once committed (the live page, metrics).
   * A step that fails is never a hot loop: its alert is looked at again in a minute (the error
   * is rethrown with its alertId for the caller to skip it).
   */
  private async escalate<T>(fn: (tx: Tx, holding: { alert: AlertRow | null }) => Promise<T>): Promise<T> {
    const after: Array<() => void> = [];
    const holding: { alert: AlertRow | null } = { alert: null };
    const now = this.deps.clock.now();
    try {
      const result = await this.store.tx((tx) => {
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
      this.log.error({ err, alertId: alert.id }, 'escalation failed; retrying in a minute');
      const fresh = await this.store.alerts.get(alert.id);
      if (fresh?.status === 'open') await this.store.alerts.setEscalation(alert.id, fresh.escalationStep, now + 60_000, fresh.unanswered);
      throw Object.assign(new Error('escalation step failed'), { alertId: alert.id, cause: err });
    } finally {
      this.afterCommit = null;
    }
  }

  /** what the unit of work running now announces once it has committed */
  private afterCommit: Array<() => void> | null = null;

  /** the step itself, inside the escalation's unit of work */
  private async step(tx: Tx, alert: AlertRow, now: number, early: boolean): Promise<void> {
    const { config } = this.deps;
    const alertId = alert.id;
    const steps = config.escalation[alert.kind];
    const resident = await tx.residents.getResident(alert.residentId);
    if (!steps || !resident) {
      this.log.warn({ alertId, kind: alert.kind }, 'no escalation policy or resident for this alert; escalation stopped');
      await tx.alerts.setEscalation(alertId, alert.escalationStep, null, alert.unanswered);
      return;
    }
    const contacts = await tx.residents.contactsOf(resident.id);
    const plan = planEscalation({
      kind: alert.kind, openedAt: alert.openedAt, step: alert.escalationStep, steps, now, early,
      recipients: (roles) => recipients(contacts, roles, now, resident.timezone),
      fired: firedSteps(await tx.outbox.ofAlert(alert.id), contacts),
    });
    for (const p of plan.fire) {
      await tx.timeline.add(resident.id, now, 'escalation', {
        alertId, kind: alert.kind, event: p.repeat > 0 ? 'repeat' : 'step', step: p.step, ...(p.repeat > 0 ? { repeat: p.repeat } : {}),
        roles: steps[p.step].notify, via: p.via, reached: p.recipients.length, ...(p.passedOn ? { passedOn: p.passedOn } : {}),
      });
      const channel: Channel = p.via === 'call' && this.sender?.call ? 'call' : 'sms';
      for (const c of p.recipients) {
        await this.enqueue(tx, alert, resident, c, stepCode(p.step, p.repeat), channel, this.alertBody(alert, resident, c, channel), now);
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
      await this.enqueue(tx, alert, resident, c, STEP_UNANSWERED, 'sms', unansweredText(this.locale(c, resident), this.subject(alert, resident)), now);
    }
    // the metric, the log and the live page once the step has committed (the unit may run again)
    this.afterCommit?.push(() => {
      this.deps.metrics.inc('gateway_alerts_unanswered_total', { kind: alert.kind });
      this.log.warn({ alertId: alert.id, residentId: resident.id, caseworkers: caseworkers.length }, 'alert unanswered');
      this.deps.unanswered?.(alert.id);
    });
  }

  /** An undelivered text to every contact of a step moves the next step forward. */
  private async moveOnEarly(row: OutboxRow): Promise<void> {
    if (row.alertId === null || row.step === null || row.step < 0) return;
    // a step's first firing decides this; its repeats come after the next step may have fired
    const { step, repeat } = decodeStep(row.step);
    if (repeat > 0) return;
    const alert = await this.store.alerts.get(row.alertId);
    const steps = alert && this.deps.config.escalation[alert.kind];
    if (!alert || !steps || alert.status !== 'open') return;
    if (alert.escalationStep !== step + 1 || step + 1 >= steps.length) return;
    const stepRows = await this.store.outbox.stepRows(alert.id, row.step);
    if (!stepRows.every((r) => r.status === 'undelivered' || r.status === 'failed')) return;
    await this.store.timeline.add(alert.residentId, this.deps.clock.now(), 'escalation', {
      alertId: alert.id, kind: alert.kind, event: 'early', step: step + 1, reason: 'nobody in the previous step could be reached',
    });
    await this.processAlert(alert.id, true);
  }

  private async armEscalation(): Promise<void> {
    if (!this.running) return;
    const seq = ++this.armSeq;
    const next = await this.store.alerts.nextDue();
    // a later look-up started meanwhile: its answer is the newer one
    if (seq !== this.armSeq || !this.running) return;
    this.wake.set(next);
  }

  // ---- messages --------------------------------------------------------------------------

  private locale(contact: ContactRow, resident: ResidentRow): Locale {
    return contact.locale ?? resident.locale;
  }

  private subject(alert: AlertRow, resident: ResidentRow): Subject {
    return { kind: alert.kind, residentName: resident.name, address: resident.address, deviceId: alert.deviceId };
  }

  private alertBody(alert: AlertRow, resident: ResidentRow, contact: ContactRow, channel: Channel): string {
    const locale = this.locale(contact, resident);
    const s = this.subject(alert, resident);
    const toResident = contact.role === 'resident';
    const preAlarm = toResident && PRE_ALARM_KINDS.has(alert.kind);
    if (channel === 'call') {
      const publicUrl = this.deps.config.http.publicUrl?.replace(/\/$/, '');
      // the resident is asked to press 1 only for a pre-alarm: elsewhere their key press stops nothing
      const asks = !toResident || preAlarm;
      return callTwiml(locale, alertSpeech(locale, s, toResident, preAlarm), asks && publicUrl ? `${publicUrl}/twilio/voice?alert=${alert.id}` : undefined);
    }
    return preAlarm ? preAlarmText(locale, s) : toResident ? residentInfoText(locale, s) : alertText(locale, s);
  }

  private enqueue(tx: Tx, alert: AlertRow, resident: ResidentRow, contact: ContactRow, step: number | null, channel: Channel, body: string, at = this.deps.clock.now()): Promise<number | null> {
    return tx.outbox.enqueue({
      alertId: alert.id, residentId: resident.id, contactId: contact.id, phone: contact.phone, channel, step, body, at,
    });
  }

  /** Tells everyone already reached about this alert (not the resident, not `except`), once each. */
  private async followUp(alert: AlertRow, say: FollowUp, except: string): Promise<void> {
    await this.store.tx(async (tx) => {
      const resident = await tx.residents.getResident(alert.residentId);
      if (!resident) return;
      const contacts = await tx.residents.contactsOf(resident.id);
      const reached = new Set((await tx.outbox.ofAlert(alert.id))
        .filter((r) => r.step !== null && (r.step >= 0 || r.step === STEP_UNANSWERED) && (r.status === 'sent' || r.status === 'delivered'))
        .map((r) => r.phone));
      const told = new Set<string>();
      for (const c of contacts) {
        if (!reached.has(c.phone) || told.has(c.phone) || c.role === 'resident' || c.name === except) continue;
        told.add(c.phone);
        await this.enqueue(tx, alert, resident, c, STEP_FOLLOW_UP, 'sms', say(this.locale(c, resident), this.subject(alert, resident)));
      }
    });
    this.worker?.flush();
  }

  /**
   * A text that was already on its way when someone acknowledged: its reader missed the
   * "<name> is handling it" that the others got, so they get it now (still once: the index).
   */
  /** the first step's texts: how long after the step fell due the provider took them */
  private async observeAlarmToSms(row: OutboxRow): Promise<void> {
    if (row.alertId === null || row.step !== 0 || row.channel !== 'sms') return;
    const alert = await this.store.alerts.get(row.alertId);
    const first = alert && this.deps.config.escalation[alert.kind]?.[0];
    if (!alert || !first) return;
    this.deps.metrics.observe('gateway_alarm_to_sms_seconds', (this.deps.clock.now() - (alert.openedAt + first.after)) / 1000, { kind: alert.kind });
  }

  private async toldTooLate(row: OutboxRow): Promise<void> {
    if (row.alertId === null || row.step === null || row.step < 0) return;
    const alert = await this.store.alerts.get(row.alertId);
    if (alert?.status === 'acknowledged' && alert.acknowledgedBy) {
      const by = alert.acknowledgedBy;
      await this.followUp(alert, (locale, s) => handledText(locale, by, s), by);
    } else if (alert?.status === 'resolved' && alert.resolvedBy) {
      // closed while this text was on its way: its reader gets the same follow-up as the others
      const by = alert.resolvedBy;
      const residentContact = (await this.store.residents.contactsOf(alert.residentId)).find((c) => c.role === 'resident' && c.name === by);
      if (residentContact && PRE_ALARM_KINDS.has(alert.kind)) await this.followUp(alert, residentWellText, by);
      else if (alert.acknowledgedAt === null) await this.followUp(alert, by === SYSTEM ? clearedText : (locale, s) => closedText(locale, by, s), by);
    }
  }

  private async cancelPending(alert: AlertRow): Promise<void> {
    for (const row of await this.store.outbox.cancelPending(alert.id)) await this.record(row, 'cancelled', {});
  }

  /** refused or given up: on the timeline; for an alert text, the caseworkers told and the next step brought forward */
  private async sendFailed(row: OutboxRow, reason: string): Promise<void> {
    await this.record(row, 'failed', { reason });
    if (row.alertId === null || row.step === null || row.step < 0) return;
    const alertId = row.alertId;
    await this.store.tx(async (tx) => {
      const alert = await tx.alerts.get(alertId);
      const resident = await tx.residents.getResident(row.residentId);
      const contacts = await tx.residents.contactsOf(row.residentId);
      const failed = contactOf(contacts, row);
      if (!alert || !resident || !failed) return;
      for (const c of contacts.filter((c) => c.role === 'caseworker' && c.phone !== row.phone)) {
        await this.enqueue(tx, alert, resident, c, null, 'sms', sendFailedText(this.locale(c, resident), failed, this.subject(alert, resident)));
      }
    });
    this.worker?.flush();
    await this.moveOnEarly(row);
  }

  /** the casefile entry for a text or call: who (name and role, never the number), how, what became of it */
  private async record(row: OutboxRow, status: string, extra: Record<string, unknown>): Promise<void> {
    const contact = contactOf(await this.store.residents.contactsOf(row.residentId), row);
    await this.store.timeline.add(row.residentId, this.deps.clock.now(), 'notification', {
      alertId: row.alertId, outboxId: row.id, contact: contact?.name ?? null, role: contact?.role ?? null,
      channel: row.channel, ...stepFields(row.step), purpose: purposeOf(row), status, ...extra,
    });
  }
}

function purposeOf(row: OutboxRow): string {
  if (row.step === null) return 'send_failed';
  if (row.step === STEP_FOLLOW_UP) return 'follow_up';
  if (row.step === STEP_UNANSWERED) return 'unanswered';
  return 'alert';
}

/** the row's contact: contact ids change when the config re-seeds contacts; the phone within a resident does not */
export function contactOf(contacts: ContactRow[], row: Pick<OutboxRow, 'phone'>): ContactRow | undefined {
  return contacts.find((c) => c.phone === row.phone);
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
