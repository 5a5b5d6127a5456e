// Sends what the outbox holds (issue 4, item 7): due rows go out at once; a provider 5xx,
// a timeout or a network error is retried with exponential backoff and jitter; a permanent
// refusal (Twilio 21211 invalid number, ...) stops at the first answer. State lives in the
// outbox rows only, so a restart picks up exactly where the last process stopped.
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import type { OutboxRepository, OutboxRow } from './outbox.ts';
import { classifySendError, type SmsSender } from './senders.ts';

export interface RetryPolicy {
  /** first retry after about this long; each further one doubles */
  baseMs: number;
  /** no wait longer than this between attempts */
  capMs: number;
  /** a text still unsent this long after it was queued is given up and the caseworker told */
  giveUpAfterMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2_000, capMs: 5 * 60_000, giveUpAfterMs: 60 * 60_000 };

/**
 * Wait before attempt `failures + 1`: "equal jitter", half fixed and half random, so many rows
 * failing together (a provider outage) do not all come back in the same millisecond.
 */
export function backoffMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface DeliveryHooks {
  sent(row: OutboxRow, providerId: string): void;
  /** the first transient failure of a row (later ones are only counted) */
  retrying(row: OutboxRow, reason: string, nextAt: number): void;
  /** refused for good, or given up */
  failed(row: OutboxRow, reason: string): void;
}

export interface DeliveryDeps {
  outbox: OutboxRepository;
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
  private timer: Timer | null = null;
  private timerAt = Infinity;
  private readonly inFlight = new Map<number, Promise<void>>();
  private running = false;
  private readonly policy: RetryPolicy;

  constructor(private readonly deps: DeliveryDeps) {
    this.policy = { ...DEFAULT_RETRY, ...deps.retry };
  }

  start(): void {
    this.running = true;
    this.flush();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** sends every due row not already on its way; called whenever rows were queued */
  flush(): void {
    if (!this.running) return;
    for (const row of this.deps.outbox.due(this.deps.clock.now())) {
      if (!this.inFlight.has(row.id)) this.send(row);
    }
    this.arm();
  }

  private send(row: OutboxRow): void {
    const { sender, outbox, clock, metrics, hooks, log } = this.deps;
    const ref = { outboxId: row.id, alertId: row.alertId, contactId: row.contactId };
    const callback = this.deps.statusCallback(row);
    const attempt = async () => {
      try {
        const result = row.channel === 'call' && sender.call
          ? await sender.call(row.phone, row.body, callback, ref)
          : await sender.sendSms(row.phone, row.body, callback, ref);
        outbox.markSent(row.id, result.id, clock.now());
        metrics.inc('gateway_notify_sent_total', { channel: row.channel });
        guard(log, () => hooks.sent(row, result.id));
      } catch (err) {
        const { permanent, reason } = classifySendError(err);
        const now = clock.now();
        if (permanent || now - row.createdAt >= this.policy.giveUpAfterMs) {
          if (outbox.markFailed(row.id, reason)) {
            metrics.inc('gateway_notify_failed_total', { channel: row.channel, permanent: String(permanent) });
            log.warn({ ...ref, reason, attempts: row.attempts + 1 }, permanent ? 'provider refused the message for good' : 'gave up sending');
            guard(log, () => hooks.failed(row, permanent ? reason : `gave up: ${reason}`));
          }
          return;
        }
        const nextAt = now + backoffMs(row.attempts + 1, this.policy, this.deps.random);
        outbox.markRetry(row.id, nextAt, reason);
        metrics.inc('gateway_notify_retries_total', { channel: row.channel });
        log.warn({ ...ref, reason, attempts: row.attempts + 1, retryInMs: nextAt - now }, 'send failed, will retry');
        if (row.attempts === 0) guard(log, () => hooks.retrying(row, reason, nextAt));
      }
    };
    const promise = attempt().finally(() => {
      this.inFlight.delete(row.id);
      this.arm();
    });
    this.inFlight.set(row.id, promise);
  }

  /** one timer, for the earliest pending row not already being sent */
  private arm(): void {
    if (!this.running) return;
    const next = this.nextAttempt();
    if (next === null) {
      this.timer?.cancel();
      this.timer = null;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && this.timerAt <= next) return;
    this.timer?.cancel();
    this.timerAt = next;
    this.timer = this.deps.clock.setTimer(next, () => {
      this.timer = null;
      this.timerAt = Infinity;
      this.flush();
    });
  }

  private nextAttempt(): number | null {
    if (this.inFlight.size === 0) return this.deps.outbox.nextAttempt();
    // rows being sent are still pending; look past them
    for (const row of this.deps.outbox.due(Number.MAX_SAFE_INTEGER, this.inFlight.size + 1)) {
      if (!this.inFlight.has(row.id)) return row.nextAttemptAt;
    }
    return null;
  }
}

/** a hook's failure is logged, never allowed to undo a send that happened */
function guard(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'notification bookkeeping failed');
  }
}
