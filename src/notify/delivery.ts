// Sends what the outbox holds: due rows go out at once; a provider 5xx,
// a timeout or a network error is retried with exponential backoff and jitter; a permanent
// refusal (Twilio 21211 invalid number, ...) stops at the first answer. State lives in the
// outbox rows only, so a restart picks up exactly where the last process stopped.
//
// Exactly once: each request is preceded by a commit that marks its row 'sending'. A
// row in doubt when it is due again (still 'sending': the process died during the request; or
// its request timed out or lost its connection) may already be at the provider: the worker asks
// the provider (SmsSender.findSms) and adopts the id it finds, and sends only when it finds
// none. While the provider cannot answer that question the row stays in doubt and the question,
// never the text, is retried. A request cut short by a crash is looked up no sooner than
// SmsSender.settleMs after it started, when the provider has finished with it. Two requests to
// one phone are never in flight together, so a look-up never meets a text this process has sent
// but not yet recorded. Texts only: calls and the log provider are sent again (at least once),
// as are texts to a provider without a Messages list (404).
import type { Logger } from 'pino';
import { backoffMs, type Backoff } from '../backoff.ts';
import { WakeUp, type Clock, type Timer } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { OutboxPort } from '../store/index.ts';
import { inDoubt, type OutboxRow } from './outbox.ts';
import { classifySendError, lookupUnsupported, outcomeUnknown, type SmsSender } from './senders.ts';

export interface RetryPolicy extends Backoff {
  /** a text still unsent this long after it was queued is given up and the caseworker told */
  giveUpAfterMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2_000, capMs: 5 * 60_000, giveUpAfterMs: 60 * 60_000 };

export interface DeliveryHooks {
  /** `found`: not sent now; the provider already had it from an attempt whose outcome was lost */
  sent(row: OutboxRow, providerId: string, found: boolean): void;
  /** the first transient failure of a row (later ones are only counted) */
  retrying(row: OutboxRow, reason: string, nextAt: number): void;
  /** refused for good, or given up */
  failed(row: OutboxRow, reason: string): void;
}

export interface DeliveryDeps {
  /** the outbox behind its port: claims are leased, so several processes share one outbox */
  outbox: OutboxPort;
  sender: SmsSender;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  hooks: DeliveryHooks;
  /** where Twilio should report delivery for this row, when the gateway has a public URL */
  statusCallback(row: OutboxRow): string | undefined;
  retry?: Partial<RetryPolicy>;
  random?: () => number;
}

export class DeliveryWorker {
  /** one timer, for the earliest row not already being sent here */
  private readonly wake: WakeUp;
  private readonly inFlight = new Map<number, Promise<void>>();
  /**
   * Per phone, the last row this process is sending or has claimed to send next: one request at
   * a time each (the claims keep it so across processes). A row claimed while its phone is busy
   * here (a follow-up queued the moment the text before it was recorded) waits its turn, leased.
   */
  private readonly phoneTail = new Map<string, Promise<void>>();
  private running = false;
  /** a claim is running; `again`: flush was asked for meanwhile */
  private flushing: Promise<void> | null = null;
  private again = false;
  private readonly policy: RetryPolicy;

  constructor(private readonly deps: DeliveryDeps) {
    this.policy = { ...DEFAULT_RETRY, ...deps.retry };
    this.wake = new WakeUp(deps.clock, () => this.flush());
  }

  start(): void {
    this.running = true;
    this.flush();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake.cancel();
    await this.flushing;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** resolves when no request is in flight: everything this worker started has its answer recorded */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** sends every due row not already on its way; called whenever rows were queued */
  flush(): void {
    if (!this.running) return;
    if (this.flushing) { this.again = true; return; }
    this.flushing = this.claimAndSend()
      .catch((err) => {
        // the store could not be reached: the rows stay due, the timer tries again
        this.deps.log.error({ err }, 'outbox claim failed; trying again shortly');
        return true;
      })
      .then((blocked) => {
        this.flushing = null;
        if (this.again) { this.again = false; this.flush(); } else void this.arm(blocked);
      });
  }

  /**
   * How long a claimed row is this process's before another may take it as in doubt: the
   * provider's settle time (a look-up then finds a request cut short), at least a second (the
   * log provider settles at once, and a lease of zero would hand rows in flight straight back).
   */
  private get leaseMs(): number {
    return Math.max(this.deps.sender.settleMs ?? 0, MIN_LEASE_MS);
  }

  /** claims due rows (leased, one per phone site-wide) and sends them; true when due rows were left unclaimed */
  private async claimAndSend(): Promise<boolean> {
    const { outbox, clock } = this.deps;
    const LIMIT = 100;
    for (;;) {
      const now = clock.now();
      const rows = await outbox.claimDue(now, now + this.leaseMs, LIMIT);
      let fresh = 0;
      for (const row of rows) {
        // still ours from an earlier claim whose lease ran out in the middle of its request: it is on its way
        if (!this.inFlight.has(row.id)) { this.send(row); fresh++; }
      }
      if (rows.length < LIMIT || fresh === 0 || !this.running) return fresh === 0;
    }
  }

  private send(row: OutboxRow): void {
    const ref = { outboxId: row.id, alertId: row.alertId, contactId: row.contactId };
    const lease = this.holdLease(row.id);
    const attempt = async () => {
      if (inDoubt(row) && !(await this.lookUp(row, ref))) return;
      await this.request(row, ref);
    };
    const before = this.phoneTail.get(row.phone) ?? Promise.resolve();
    const promise = before
      .then(attempt)
      .catch((err) => { this.deps.log.error({ err, ...ref }, 'outbox bookkeeping failed; the row is due again when its lease ends'); })
      .finally(() => {
        lease.cancel();
        this.inFlight.delete(row.id);
        if (this.phoneTail.get(row.phone) === promise) this.phoneTail.delete(row.phone);
        this.flush();
      });
    this.phoneTail.set(row.phone, promise);
    this.inFlight.set(row.id, promise);
  }

  /**
   * While a row's look-up or request runs, its lease is renewed every half lease, so another
   * process never takes a row whose sender is alive; one that dies stops renewing, and the row
   * is due again (in doubt) no sooner than a lease after its request began.
   */
  private holdLease(id: number): Timer {
    const { clock, outbox, log } = this.deps;
    let timer: Timer | null = null;
    let done = false;
    const every = this.leaseMs / 2;
    const arm = () => {
      if (done || every <= 0) return;
      timer = clock.setTimer(clock.now() + every, () => {
        if (done) return;
        outbox.renewLease(id, clock.now() + this.leaseMs)
          .catch((err) => log.warn({ err, outboxId: id }, 'could not renew the lease of a text on its way'))
          .finally(arm);
      });
    };
    arm();
    return { cancel: () => { done = true; timer?.cancel(); } };
  }

  /**
   * A row whose last request may have reached the provider: true when it should be sent; false
   * when the provider had it (adopted as sent) or could not be asked (asked again later).
   */
  private async lookUp(row: OutboxRow, ref: SendRefIds): Promise<boolean> {
    const { sender, outbox, clock, metrics, hooks, log } = this.deps;
    if (row.channel !== 'sms' || !sender.findSms) return true;
    let found: { id: string } | null;
    try {
      found = await sender.findSms({
        to: row.phone, body: row.body, since: row.createdAt,
        taken: async (id) => { const owner = await outbox.byProviderId(id); return owner !== undefined && owner.id !== row.id; },
      });
    } catch (err) {
      if (lookupUnsupported(err)) {
        metrics.inc('gateway_notify_lookups_total', { outcome: 'unsupported' });
        log.warn({ ...ref }, 'the provider cannot list messages: sending again, possibly a second time');
        return true;
      }
      metrics.inc('gateway_notify_lookups_total', { outcome: 'error' });
      await this.failed(row, ref, err, true);
      return false;
    }
    metrics.inc('gateway_notify_lookups_total', { outcome: found ? 'found' : 'not_found' });
    if (!found) return true;
    await outbox.markSent(row.id, found.id, clock.now());
    metrics.inc('gateway_notify_sent_total', { channel: row.channel });
    log.info({ ...ref }, 'the provider already had this text from an attempt whose outcome was lost; not sent again');
    guard(log, () => hooks.sent(row, found.id, true));
    return false;
  }

  /** one request to the provider, after the commit that marks it in flight */
  private async request(row: OutboxRow, ref: SendRefIds): Promise<void> {
    const { sender, outbox, clock, metrics, hooks, log } = this.deps;
    // the claim marked it 'sending'; this commit also says it is still to be sent (not cancelled
    // or settled meanwhile) and starts the lease from the request's own start
    if (!(await outbox.markSending(row.id, clock.now() + this.leaseMs))) return;
    const callback = this.deps.statusCallback(row);
    let result: { id: string };
    try {
      result = row.channel === 'call' && sender.call
        ? await sender.call(row.phone, row.body, callback, ref)
        : await sender.sendSms(row.phone, row.body, callback, ref);
    } catch (err) {
      await this.failed(row, ref, err, outcomeUnknown(err));
      return;
    }
    await outbox.markSent(row.id, result.id, clock.now());
    metrics.inc('gateway_notify_sent_total', { channel: row.channel });
    guard(log, () => hooks.sent(row, result.id, false));
  }

  /** a failed request or look-up: failed for good, given up, or retried (in doubt when `unknown`) */
  private async failed(row: OutboxRow, ref: SendRefIds, err: unknown, unknown: boolean): Promise<void> {
    const { outbox, clock, metrics, hooks, log } = this.deps;
    const { permanent, reason } = classifySendError(err);
    const now = clock.now();
    if (permanent || now - row.createdAt >= this.policy.giveUpAfterMs) {
      if (await outbox.markFailed(row.id, reason)) {
        metrics.inc('gateway_notify_failed_total', { channel: row.channel, permanent: String(permanent) });
        log.warn({ ...ref, reason, attempts: row.attempts + 1 }, permanent ? 'provider refused the message for good' : 'gave up sending');
        guard(log, () => hooks.failed(row, permanent ? reason : `gave up: ${reason}`));
      }
      return;
    }
    const nextAt = now + backoffMs(row.attempts + 1, this.policy, this.deps.random);
    await outbox.markRetry(row.id, nextAt, reason, unknown);
    metrics.inc('gateway_notify_retries_total', { channel: row.channel });
    log.warn({ ...ref, reason, attempts: row.attempts + 1, retryInMs: nextAt - now, outcomeUnknown: unknown }, 'send failed, will retry');
    if (row.attempts === 0) guard(log, () => hooks.retrying(row, reason, nextAt));
  }

  /**
   * One timer, for the earliest row not already being sent here. `blocked`: the last claim left
   * due rows it could not take (a phone with a request in flight in another process): look again
   * in a second rather than at once.
   */
  private async arm(blocked = false): Promise<void> {
    if (!this.running) return;
    let next: number | null;
    try {
      next = await this.nextAttempt();
    } catch (err) {
      this.deps.log.error({ err }, 'outbox look-up failed; trying again shortly');
      next = this.deps.clock.now() + RETRY_CLAIM_MS;
    }
    if (!this.running) return;
    if (next === null) return this.wake.cancel();
    if (blocked && next <= this.deps.clock.now()) next = this.deps.clock.now() + RETRY_CLAIM_MS;
    this.wake.setEarlier(next);
  }

  private async nextAttempt(): Promise<number | null> {
    if (this.inFlight.size === 0) return this.deps.outbox.nextAttempt();
    // rows being sent here, and rows waiting for their phone, are still open; look past them
    for (let limit = this.inFlight.size + 16; ; limit *= 4) {
      const rows = await this.deps.outbox.due(Number.MAX_SAFE_INTEGER, limit);
      const next = rows.find((row) => !this.inFlight.has(row.id) && !this.phoneTail.has(row.phone));
      if (next) return next.nextAttemptAt;
      if (rows.length < limit) return null;
    }
  }
}

/** how soon a claim that could not take every due row (or could not reach the store) looks again */
const RETRY_CLAIM_MS = 1_000;
/** the shortest lease of a claimed row */
const MIN_LEASE_MS = 1_000;

type SendRefIds = { outboxId: number; alertId: number | null; contactId: number | null };

/** a hook's failure is logged, never allowed to undo a send that happened */
function guard(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'notification bookkeeping failed');
  }
}
