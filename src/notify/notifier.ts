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
import type { Clock, Timer } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { Db, AlertRepository, AlertRow, ResidentRepository, ResidentRow, ContactRow, TimelineRepository, OutboxPort, InboundPort } from '../store/index.ts';
import { planEscalation, PRE_ALARM_KINDS, type FiredStep } from './escalation.ts';
import { recipients } from './roster.ts';
import { outboxRepository, stepCode, decodeStep, stepFields, STEP_FOLLOW_UP, STEP_UNANSWERED, type Channel, type OutboxRepository, type OutboxRow } from './outbox.ts';
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
  db: Db;
  /**
   * The outbox behind its port, on the same store as `db`: the delivery worker claims rows from
   * it with a lease, so each text is sent by one process of a site. Queuing still goes through
   * `db` (in the escalation's transaction) until the escalation moves onto the ports.
   */
  outboxPort: OutboxPort;
  /** inbound message ids (MessageSid): each reply acts once across the site's processes */
  inbound: InboundPort;
  alerts: AlertRepository;
  residents: ResidentRepository;
  timeline: TimelineRepository;
  /** the alert service: open -> acknowledged, on the timeline, rules told; true if this call did it */
  acknowledge(alertId: number, by: string, at: number): boolean;
  /** the alert service: resolve (e.g. the resident's "all is well" to a pre-alarm) */
  resolve(alertId: number, by: string, reason: string, at: number): boolean;
  /** default: built from the config (twilio, or the log) */
  sender?: SmsSender;
  /** retry timing; tests shorten it */
  retry?: Partial<RetryPolicy>;
  /** an absence keyword ("AWAY 12-20", "BACK") from a contact: the answer to text back, or null when it is none */
  absenceSms?(contacts: ContactRow[], text: string): string | null;
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
  private outboxRepo: OutboxRepository | null = null;
  private worker: DeliveryWorker | null = null;
  private sender: SmsSender | null = null;
  private timer: Timer | null = null;
  private timerAt = Infinity;
  private running = false;
  private readonly inbound: Inbound;

  constructor(private readonly deps: NotifierDeps) {
    this.log = deps.log.child({ module: 'notify' });
    this.inbound = new Inbound(deps, this.log, {
      outbox: () => this.outbox,
      acknowledged: (alert, by) => this.alertAcknowledged(alert, by),
      resolvedByResident: (alert, by) => this.afterResolved(alert, by, true),
      deliveryFailed: (row) => this.moveOnEarly(row),
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

  private get outbox(): OutboxRepository {
    if (!this.outboxRepo) throw new Error('notifier not started');
    return this.outboxRepo;
  }

  async start(): Promise<void> {
    const { deps } = this;
    this.outboxRepo = outboxRepository(deps.db);
    this.sender = deps.sender ?? createSender(deps.config, this.log);
    const publicUrl = deps.config.http.publicUrl?.replace(/\/$/, '');
    if (!publicUrl) this.log.warn('http.publicUrl is not set: no delivery reports, and calls cannot ask for a key press');
    this.worker = new DeliveryWorker({
      outbox: deps.outboxPort, sender: this.sender, clock: deps.clock, log: this.log, metrics: deps.metrics, retry: deps.retry,
      statusCallback: (row) => (publicUrl ? `${publicUrl}/twilio/status?o=${row.id}` : undefined),
      hooks: {
        sent: (row, providerId, found) => {
          this.record(row, 'sent', { providerId, ...(found ? { found: true } : {}) });
          if (!found) this.observeAlarmToSms(row);
          this.toldTooLate(row);
        },
        retrying: (row, reason) => this.record(row, 'retrying', { reason }),
        failed: (row, reason) => this.sendFailed(row, reason),
      },
    });
    this.running = true;
    // an alert acknowledged or resolved while the notifier was down sends no more steps
    for (const row of this.outbox.cancelSettled()) this.record(row, 'cancelled', {});
    // resume: due escalations first (they queue rows), then every pending row
    this.processDue();
    this.worker.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
    await this.worker?.stop();
  }

  /** resolves when every text and call due now has been handed to the provider and its answer recorded */
  async idle(): Promise<void> {
    await this.worker?.idle();
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
    this.processAlert(alert.id, false);
    this.armEscalation();
  }

  /** Acknowledged (API, SMS, key press): the cursor was cleared; cancel what is unsent, tell the others. */
  alertAcknowledged(alert: AlertRow, by: string): void {
    if (!this.running) return;
    const fresh = this.deps.alerts.get(alert.id) ?? alert;
    this.cancelPending(fresh);
    this.followUp(fresh, (locale, s) => handledText(locale, by, s), by);
    this.armEscalation();
  }

  alertResolved(alert: AlertRow, by: string): void {
    if (!this.running) return;
    const fresh = this.deps.alerts.get(alert.id) ?? alert;
    const residentContact = this.deps.residents.contactsOf(fresh.residentId).find((c) => c.role === 'resident' && c.name === by);
    this.afterResolved(fresh, by, Boolean(residentContact) && PRE_ALARM_KINDS.has(fresh.kind));
  }

  private afterResolved(alert: AlertRow, by: string, residentConfirmed: boolean): void {
    const fresh = this.deps.alerts.get(alert.id) ?? alert;
    this.cancelPending(fresh);
    // the others are told once (STEP_FOLLOW_UP): that the resident is well; or, if nobody had
    // taken the alert on, that it cleared (the alert service resolved it) or who closed it.
    // After an acknowledgement they already know who has it.
    if (residentConfirmed) this.followUp(fresh, residentWellText, by);
    else if (fresh.acknowledgedAt === null) {
      this.followUp(fresh, by === SYSTEM ? clearedText : (locale, s) => closedText(locale, by, s), by);
    }
    this.armEscalation();
  }

  // ---- escalation ----------------------------------------------------------------------

  private processDue(): void {
    if (!this.running) return;
    for (const alert of this.deps.alerts.due(this.deps.clock.now())) this.processAlert(alert.id, false);
    this.armEscalation();
  }

  /** Fires the alert's due steps (or all of the next one, `early`) and moves its cursor, in one transaction. */
  private processAlert(alertId: number, early: boolean): void {
    const { alerts, clock, config, db, residents, timeline } = this.deps;
    const now = clock.now();
    try {
      db.transaction(() => {
        const alert = alerts.get(alertId);
        if (!alert || alert.status !== 'open' || alert.escalationDue === null) return;
        if (!early && alert.escalationDue > now) return;
        const steps = config.escalation[alert.kind];
        const resident = residents.getResident(alert.residentId);
        if (!steps || !resident) {
          this.log.warn({ alertId, kind: alert.kind }, 'no escalation policy or resident for this alert; escalation stopped');
          alerts.setEscalation(alertId, alert.escalationStep, null, alert.unanswered);
          return;
        }
        const contacts = residents.contactsOf(resident.id);
        const plan = planEscalation({
          kind: alert.kind, openedAt: alert.openedAt, step: alert.escalationStep, steps, now, early,
          recipients: (roles) => recipients(contacts, roles, now, resident.timezone),
          fired: this.firedSteps(alert.id, contacts),
        });
        for (const p of plan.fire) {
          timeline.add(resident.id, now, 'escalation', {
            alertId, kind: alert.kind, event: p.repeat > 0 ? 'repeat' : 'step', step: p.step, ...(p.repeat > 0 ? { repeat: p.repeat } : {}),
            roles: steps[p.step].notify, via: p.via, reached: p.recipients.length, ...(p.passedOn ? { passedOn: p.passedOn } : {}),
          });
          const channel: Channel = p.via === 'call' && this.sender?.call ? 'call' : 'sms';
          for (const c of p.recipients) {
            this.enqueue(alert, resident, c, stepCode(p.step, p.repeat), channel, this.alertBody(alert, resident, c, channel), now);
          }
        }
        if (plan.unanswered) this.markUnanswered(alert, resident, contacts, now);
        alerts.setEscalation(alertId, plan.nextStep, plan.due, alert.unanswered || plan.unanswered);
      })();
    } catch (err) {
      // never a hot loop on one broken alert: look again in a minute
      this.log.error({ err, alertId }, 'escalation failed; retrying in a minute');
      const alert = alerts.get(alertId);
      if (alert?.status === 'open') alerts.setEscalation(alertId, alert.escalationStep, now + 60_000, alert.unanswered);
    }
    this.worker?.flush();
  }

  /**
   * What each step of the alert has done so far, from its outbox rows (the durable record): when
   * it first fired, whom it reached then (repeats tell the same people), and its highest repeat.
   * A step that reached nobody has no rows, and nothing to repeat.
   */
  private firedSteps(alertId: number, contacts: ContactRow[]): Array<FiredStep<ContactRow> | undefined> {
    const fired: Array<{ at: number; phones: Set<string>; repeats: number } | undefined> = [];
    for (const row of this.outbox.ofAlert(alertId)) {
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

  /**
   * 10 min after the last step nobody had acknowledged: on the timeline, and the caseworkers on
   * call told; when none is on call, all of them, since this is the last resort.
   */
  private markUnanswered(alert: AlertRow, resident: ResidentRow, contacts: ContactRow[], now: number): void {
    const onCall = recipients(contacts, ['caseworker'], now, resident.timezone);
    const caseworkers = onCall.length ? onCall : contacts.filter((c) => c.role === 'caseworker');
    this.deps.timeline.add(resident.id, now, 'escalation', { alertId: alert.id, kind: alert.kind, event: 'unanswered', told: caseworkers.length });
    this.deps.metrics.inc('gateway_alerts_unanswered_total', { kind: alert.kind });
    // inside the escalation's transaction: the live page hears of it once that has committed
    queueMicrotask(() => this.deps.unanswered?.(alert.id));
    this.log.warn({ alertId: alert.id, residentId: resident.id, caseworkers: caseworkers.length }, 'alert unanswered');
    for (const c of caseworkers) {
      this.enqueue(alert, resident, c, STEP_UNANSWERED, 'sms', unansweredText(this.locale(c, resident), this.subject(alert, resident)));
    }
  }

  /** An undelivered text to every contact of a step moves the next step forward. */
  private moveOnEarly(row: OutboxRow): void {
    if (row.alertId === null || row.step === null || row.step < 0) return;
    // a step's first firing decides this; its repeats come after the next step may have fired
    const { step, repeat } = decodeStep(row.step);
    if (repeat > 0) return;
    const alert = this.deps.alerts.get(row.alertId);
    const steps = alert && this.deps.config.escalation[alert.kind];
    if (!alert || !steps || alert.status !== 'open') return;
    if (alert.escalationStep !== step + 1 || step + 1 >= steps.length) return;
    const stepRows = this.outbox.stepRows(alert.id, row.step);
    if (!stepRows.every((r) => r.status === 'undelivered' || r.status === 'failed')) return;
    this.deps.timeline.add(alert.residentId, this.deps.clock.now(), 'escalation', {
      alertId: alert.id, kind: alert.kind, event: 'early', step: step + 1, reason: 'nobody in the previous step could be reached',
    });
    this.processAlert(alert.id, true);
    this.armEscalation();
  }

  private armEscalation(): void {
    if (!this.running) return;
    const next = this.deps.alerts.nextDue();
    if (next === null) {
      this.timer?.cancel();
      this.timer = null;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && this.timerAt === next) return;
    this.timer?.cancel();
    this.timerAt = next;
    this.timer = this.deps.clock.setTimer(next, () => {
      this.timer = null;
      this.timerAt = Infinity;
      this.processDue();
    });
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

  private enqueue(alert: AlertRow, resident: ResidentRow, contact: ContactRow, step: number | null, channel: Channel, body: string, at = this.deps.clock.now()): number | null {
    return this.outbox.enqueue({
      alertId: alert.id, residentId: resident.id, contactId: contact.id, phone: contact.phone, channel, step, body, at,
    });
  }

  /** Tells everyone already reached about this alert (not the resident, not `except`), once each. */
  private followUp(alert: AlertRow, say: FollowUp, except: string): void {
    const resident = this.deps.residents.getResident(alert.residentId);
    if (!resident) return;
    const contacts = this.deps.residents.contactsOf(resident.id);
    const reached = new Set(this.outbox.ofAlert(alert.id)
      .filter((r) => r.step !== null && (r.step >= 0 || r.step === STEP_UNANSWERED) && (r.status === 'sent' || r.status === 'delivered'))
      .map((r) => r.phone));
    const told = new Set<string>();
    this.deps.db.transaction(() => {
      for (const c of contacts) {
        if (!reached.has(c.phone) || told.has(c.phone) || c.role === 'resident' || c.name === except) continue;
        told.add(c.phone);
        this.enqueue(alert, resident, c, STEP_FOLLOW_UP, 'sms', say(this.locale(c, resident), this.subject(alert, resident)));
      }
    })();
    this.worker?.flush();
  }

  /**
   * A text that was already on its way when someone acknowledged: its reader missed the
   * "<name> is handling it" that the others got, so they get it now (still once: the index).
   */
  /** the first step's texts: how long after the step fell due the provider took them */
  private observeAlarmToSms(row: OutboxRow): void {
    if (row.alertId === null || row.step !== 0 || row.channel !== 'sms') return;
    const alert = this.deps.alerts.get(row.alertId);
    const first = alert && this.deps.config.escalation[alert.kind]?.[0];
    if (!alert || !first) return;
    this.deps.metrics.observe('gateway_alarm_to_sms_seconds', (this.deps.clock.now() - (alert.openedAt + first.after)) / 1000, { kind: alert.kind });
  }

  private toldTooLate(row: OutboxRow): void {
    if (row.alertId === null || row.step === null || row.step < 0) return;
    const alert = this.deps.alerts.get(row.alertId);
    if (alert?.status === 'acknowledged' && alert.acknowledgedBy) {
      const by = alert.acknowledgedBy;
      this.followUp(alert, (locale, s) => handledText(locale, by, s), by);
    } else if (alert?.status === 'resolved' && alert.resolvedBy) {
      // closed while this text was on its way: its reader gets the same follow-up as the others
      const by = alert.resolvedBy;
      const residentContact = this.deps.residents.contactsOf(alert.residentId).find((c) => c.role === 'resident' && c.name === by);
      if (residentContact && PRE_ALARM_KINDS.has(alert.kind)) this.followUp(alert, residentWellText, by);
      else if (alert.acknowledgedAt === null) this.followUp(alert, by === SYSTEM ? clearedText : (locale, s) => closedText(locale, by, s), by);
    }
  }

  private cancelPending(alert: AlertRow): void {
    for (const row of this.outbox.cancelPending(alert.id)) this.record(row, 'cancelled', {});
  }

  /** refused or given up: on the timeline; for an alert text, the caseworkers told and the next step brought forward */
  private sendFailed(row: OutboxRow, reason: string): void {
    this.record(row, 'failed', { reason });
    if (row.alertId === null || row.step === null || row.step < 0) return;
    const alert = this.deps.alerts.get(row.alertId);
    const resident = this.deps.residents.getResident(row.residentId);
    const failed = this.contactOf(row);
    if (alert && resident && failed) {
      const caseworkers = this.deps.residents.contactsOf(resident.id).filter((c) => c.role === 'caseworker' && c.phone !== row.phone);
      this.deps.db.transaction(() => {
        for (const c of caseworkers) {
          this.enqueue(alert, resident, c, null, 'sms', sendFailedText(this.locale(c, resident), failed, this.subject(alert, resident)));
        }
      })();
      this.worker?.flush();
    }
    this.moveOnEarly(row);
  }

  contactOf(row: OutboxRow): ContactRow | undefined {
    // contact ids change when the config re-seeds contacts; the phone within a resident does not
    return this.deps.residents.contactsOf(row.residentId).find((c) => c.phone === row.phone);
  }

  /** the casefile entry for a text or call: who (name and role, never the number), how, what became of it */
  private record(row: OutboxRow, status: string, extra: Record<string, unknown>): void {
    const contact = this.contactOf(row);
    this.deps.timeline.add(row.residentId, this.deps.clock.now(), 'notification', {
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
