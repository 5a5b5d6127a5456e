// The notifier: turns open alerts into escalation steps, steps into outbox rows, and outbox
// rows into texts and calls; stops when someone acknowledges; tells the others who did.
// Everything it needs to carry on lives in the store (alerts' escalation cursor, outbox rows),
// so a restart resumes pending sends and due steps from there (docs/architecture.md, invariants).
// The parts: escalation-runner.ts (the steps), follow-ups.ts (what the others are told after),
// messages.ts (what a text or call says), inbound.ts (replies, key presses, delivery reports),
// delivery.ts (the outbox's sender); Twilio's webhooks are routes in api/twilio.ts.
// Guarantee: with Twilio, each outbox text reaches the provider exactly once, across a crash at
// any moment and across requests whose answer was lost: delivery.ts looks such a text up in
// Twilio's Messages list before sending it again (assuming Twilio creates nothing when it answers
// an error, and is done with a request 5 s after it began). Calls, and the log, are at least once.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Clock } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { AlertRow, ContactRow, Store } from '../store/index.ts';
import { EscalationRunner } from './escalation-runner.ts';
import { FollowUps, contactOf } from './follow-ups.ts';
import { publicBase } from './messages.ts';
import { stepFields, STEP_FOLLOW_UP, STEP_UNANSWERED, type OutboxRow } from './outbox.ts';
import { DeliveryWorker, type RetryPolicy } from './delivery.ts';
import { createSender, type SmsSender } from './senders.ts';
import { Inbound } from './inbound.ts';
import type { EventBus } from '../bus.ts';


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
  /**
   * The gateway's bus: from start() to stop() the notifier hears alerts opened, acknowledged and
   * resolved there, and tells it when an alert went unanswered. Without one (a notifier on its
   * own), its alertOpened/alertAcknowledged/alertResolved are called directly.
   */
  bus?: EventBus;
}

export class Notifier {
  /** replies, delivery reports and key presses (Twilio's webhooks in api/twilio.ts hand them here) */
  readonly inbound: Inbound;
  private readonly log: Logger;
  private worker: DeliveryWorker | null = null;
  private sender: SmsSender | null = null;
  private readonly escalation: EscalationRunner;
  private readonly followUps: FollowUps;
  private running = false;
  /** work started by a listener call or a delivery hook and not finished yet (idle() waits for it) */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: NotifierDeps) {
    this.log = deps.log.child({ module: 'notify' });
    const flush = () => this.worker?.flush();
    this.escalation = new EscalationRunner({
      config: deps.config, log: this.log, clock: deps.clock, metrics: deps.metrics, store: deps.store,
      canCall: () => Boolean(this.sender?.call), flush, unanswered: (alertId) => deps.bus?.emit('alertUnanswered', alertId),
    }, (due) => this.track(due));
    this.followUps = new FollowUps({ store: deps.store, now: () => deps.clock.now(), flush });
    this.inbound = new Inbound(deps, this.log, {
      acknowledged: (alert, by) => this.alertAcknowledged(alert, by),
      resolvedByResident: (alert, by) => this.track(this.afterResolved(alert, by, true), alert.id),
      deliveryFailed: (row) => this.track(this.escalation.moveOnEarly(row), row.alertId),
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

  /** false before start() and after stop(): webhooks are refused meanwhile */
  get ready(): boolean { return this.running; }

  /** runs `work` in the background; idle() waits for it; a failure is logged, never thrown at a caller that only announced */
  private track(work: Promise<unknown>, alertId: number | null = null): void {
    const p: Promise<void> = work.then(() => {}, (err) => { this.log.error({ err, alertId }, 'notification work failed'); })
      .finally(() => { this.pending.delete(p); });
    this.pending.add(p);
  }

  async start(): Promise<void> {
    const { deps } = this;
    this.sender = deps.sender ?? createSender(deps.config, this.log);
    const publicUrl = publicBase(deps.config.http.publicUrl);
    if (!publicUrl) this.log.warn('http.publicUrl is not set: no delivery reports, and calls cannot ask for a key press');
    this.worker = new DeliveryWorker({
      outbox: deps.store.outbox, sender: this.sender, clock: deps.clock, log: this.log, metrics: deps.metrics, retry: deps.retry,
      statusCallback: (row) => (publicUrl ? `${publicUrl}/twilio/status?o=${row.id}` : undefined),
      hooks: {
        sent: (row, providerId, found) => this.track((async () => {
          await this.record(row, 'sent', { providerId, ...(found ? { found: true } : {}) });
          if (!found) await this.observeAlarmToSms(row);
          await this.followUps.toldTooLate(row);
        })(), row.alertId),
        retrying: (row, reason) => this.track(this.record(row, 'retrying', { reason }), row.alertId),
        failed: (row, reason) => this.track(this.sendFailed(row, reason), row.alertId),
      },
    });
    this.running = true;
    this.escalation.start();
    deps.bus?.on('alertOpened', this, (alert) => this.alertOpened(alert));
    deps.bus?.on('alertAcknowledged', this, (alert, by) => this.alertAcknowledged(alert, by));
    deps.bus?.on('alertResolved', this, (alert, by) => this.alertResolved(alert, by));
    // an alert acknowledged or resolved while the notifier was down sends no more steps
    for (const row of await this.store.outbox.cancelSettled()) await this.record(row, 'cancelled', {});
    // resume: due escalations first (they queue rows), then every pending row; done before the
    // next part starts, so their units of work are not open while it does
    await this.escalation.processDue();
    this.worker.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.deps.bus?.removeListeners(this);
    this.escalation.stop();
    await this.settled();
    await this.worker?.stop();
    await this.settled();
  }

  /** resolves when what listener calls and delivery hooks started has been done (not the requests in flight) */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    await this.escalation.settled();
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

  /** Another process of the site queued work (or the site's poll, src/site.ts): the next step and the due texts looked up again. */
  lookAgain(): void {
    if (!this.running) return;
    this.track(this.escalation.arm());
    this.worker?.flush();
  }

  /** A new alert row exists: fire what is due now, schedule the rest. Safe to repeat. */
  alertOpened(alert: AlertRow): void {
    if (!this.running) return;
    this.track(this.escalation.processAlert(alert.id, false), alert.id);
  }

  /** Acknowledged (API, SMS, key press): the cursor was cleared; cancel what is unsent, tell the others. */
  alertAcknowledged(alert: AlertRow, by: string): void {
    if (!this.running) return;
    this.track((async () => {
      const fresh = (await this.store.alerts.get(alert.id)) ?? alert;
      await this.cancelPending(fresh);
      await this.followUps.acknowledged(fresh, by);
      await this.escalation.arm();
    })(), alert.id);
  }

  alertResolved(alert: AlertRow, by: string): void {
    if (!this.running) return;
    // afterResolved reads the alert afresh; who confirmed needs only its kind and resident
    this.track((async () => this.afterResolved(alert, by, await this.followUps.residentConfirmed(alert, by)))(), alert.id);
  }

  private async afterResolved(alert: AlertRow, by: string, residentConfirmed: boolean): Promise<void> {
    const fresh = (await this.store.alerts.get(alert.id)) ?? alert;
    await this.cancelPending(fresh);
    await this.followUps.resolved(fresh, by, residentConfirmed);
    await this.escalation.arm();
  }

  /** the first step's texts: how long after the step fell due the provider took them */
  private async observeAlarmToSms(row: OutboxRow): Promise<void> {
    if (row.alertId === null || row.step !== 0 || row.channel !== 'sms') return;
    const alert = await this.store.alerts.get(row.alertId);
    const first = alert && this.deps.config.escalation[alert.kind]?.[0];
    if (!alert || !first) return;
    this.deps.metrics.observe('gateway_alarm_to_sms_seconds', (this.deps.clock.now() - (alert.openedAt + first.after)) / 1000, { kind: alert.kind });
  }

  private async cancelPending(alert: AlertRow): Promise<void> {
    for (const row of await this.store.outbox.cancelPending(alert.id)) await this.record(row, 'cancelled', {});
  }

  /** refused or given up: on the timeline; for an alert text, the caseworkers told and the next step brought forward */
  private async sendFailed(row: OutboxRow, reason: string): Promise<void> {
    await this.record(row, 'failed', { reason });
    await this.followUps.sendFailed(row);
    await this.escalation.moveOnEarly(row);
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
