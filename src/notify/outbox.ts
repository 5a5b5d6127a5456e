// The durable outbox: every text and call is a row here before it is sent,
// so a crash between deciding and sending loses nothing. The unique index
// outbox_once (alert_id, step, phone, channel) makes "one alert never texts one person twice
// for the same step" a property of the store, not of careful code.
//
// `step` holds the escalation step index (0, 1, ...) for alert texts. Follow-up notices use
// negative steps so the same index keeps them to one per person per alert:
//   STEP_FOLLOW_UP  "<name> is handling it", "all is well", "closed": one follow-up each;
//   STEP_UNANSWERED the caseworkers' "nobody answered" notice.
// Notices that may rightly repeat (a caseworker told of each rejected number) have step NULL.
//
// Repeats (an escalation step's `repeat: { every, times }`) are deliberate second texts to the
// same people for the same step, so each has its own step code, still >= 0 (an alert text):
//   code = repeat * REPEAT_STRIDE + step   (repeat 0 is the step's first firing, 1..10 its repeats)
// e.g. step 1's second repeat is 2001. The index then still keeps each firing to one text per
// person, and the negative codes above are untouched. stepCode / decodeStep convert.
//
// Exactly once. A row is marked 'sending' in its own commit before each request to
// the provider, and leaves that state when the request ends: 'sent' with the provider's id,
// 'failed', or back to 'pending' for a retry. A row is in doubt, possibly accepted by the
// provider, when it is still 'sending' after a restart (the process died during the request)
// or when its last request ended without an answer (a timeout, a dropped connection: its
// last_error starts with IN_DOUBT). Before an in-doubt row is sent again the delivery worker
// asks the provider for it and adopts the id it finds. An answer with an error status means
// the provider created nothing: that retry is not in doubt.
import type { Db } from '../store/index.ts';
import { IN_DOUBT, type Channel, type OutboxStatus, type OutboxRow, type NewMessage } from '../store/ports.ts';

export const STEP_FOLLOW_UP = -1;
export const STEP_UNANSWERED = -2;

/** steps per policy stay below this; see the header for the step code of a repeat */
export const REPEAT_STRIDE = 1000;

/** the outbox step code of step `step`'s `repeat`-th repeat (0: its first firing) */
export function stepCode(step: number, repeat = 0): number {
  if (!Number.isInteger(step) || step < 0 || step >= REPEAT_STRIDE) throw new Error(`escalation step out of range: ${step}`);
  return repeat * REPEAT_STRIDE + step;
}

/** an alert text's step code (>= 0) -> its step and repeat number */
export function decodeStep(code: number): { step: number; repeat: number } {
  return { step: code % REPEAT_STRIDE, repeat: Math.floor(code / REPEAT_STRIDE) };
}

/** the timeline's step (and repeat, for a repeat) of an outbox row; follow-ups keep their negative code */
export function stepFields(code: number | null): { step: number | null; repeat?: number } {
  if (code === null || code < 0) return { step: code };
  const { step, repeat } = decodeStep(code);
  return repeat > 0 ? { step, repeat } : { step };
}

// the row's shape and states are the store port's (src/store/ports.ts), one definition for both
// engines: pending -> sending -> sent -> delivered | undelivered | failed; sending -> pending (to
// retry) | failed (rejected or gave up); pending | sending -> cancelled (alert handled first).
// 'sending': a request is in flight, or was when the process died.
export type { Channel, OutboxStatus, OutboxRow, NewMessage } from '../store/ports.ts';
/** the states the delivery worker still acts on */
const OPEN = `('pending', 'sending')`;
/** last_error of a row whose last request (or look-up) ended without telling whether it was carried out */
export { IN_DOUBT } from '../store/ports.ts';

/** whether an earlier request for this row may have been accepted by the provider */
export function inDoubt(row: Pick<OutboxRow, 'status' | 'lastError'>): boolean {
  return row.status === 'sending' || (row.status === 'pending' && (row.lastError ?? '').startsWith(IN_DOUBT));
}

const cols = `id, alert_id AS alertId, resident_id AS residentId, contact_id AS contactId, phone, channel, step, body, status,
  attempts, next_attempt_at AS nextAttemptAt, provider_id AS providerId, last_error AS lastError, created_at AS createdAt, sent_at AS sentAt`;

export function outboxRepository(db: Db) {
  const s = {
    // DO NOTHING on any uniqueness conflict: the partial index outbox_once is the only one
    insert: db.prepare(`INSERT INTO outbox (alert_id, resident_id, contact_id, phone, channel, step, body, status, attempts, next_attempt_at, created_at)
      VALUES (@alertId, @residentId, @contactId, @phone, @channel, @step, @body, 'pending', 0, @at, @at) ON CONFLICT DO NOTHING`),
    get: db.prepare(`SELECT ${cols} FROM outbox WHERE id = ?`),
    byProviderId: db.prepare(`SELECT ${cols} FROM outbox WHERE provider_id = ?`),
    due: db.prepare(`SELECT ${cols} FROM outbox WHERE status IN ${OPEN} AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`),
    nextAttempt: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status IN ${OPEN}`),
    // next_attempt_at of a 'sending' row: when a process that died during the request may look it up
    sending: db.prepare(`UPDATE outbox SET status = 'sending', next_attempt_at = @lookUpAt WHERE id = @id AND status IN ${OPEN}`),
    // a row cancelled while its request was in flight did go out: it counts as sent
    sent: db.prepare(`UPDATE outbox SET status = CASE WHEN status IN ('pending', 'sending', 'cancelled') THEN 'sent' ELSE status END,
      provider_id = @providerId, sent_at = @at, attempts = attempts + 1, last_error = NULL WHERE id = @id`),
    retry: db.prepare(`UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = @nextAt, last_error = @error
      WHERE id = @id AND status IN ${OPEN}`),
    failed: db.prepare(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = @error WHERE id = @id AND status IN ${OPEN}`),
    // a delivery report only moves a row forward: a late "sent" never undoes "delivered"
    delivery: db.prepare(`UPDATE outbox SET status = @status, last_error = COALESCE(@error, last_error),
      provider_id = COALESCE(provider_id, @providerId) WHERE id = @id AND status IN ('pending', 'sending', 'sent') AND status != @status`),
    pendingOf: db.prepare(`SELECT ${cols} FROM outbox WHERE alert_id = ? AND status IN ${OPEN} AND step >= 0`),
    pendingOfSettled: db.prepare(`SELECT ${cols} FROM outbox WHERE status IN ${OPEN} AND step >= 0
      AND alert_id IN (SELECT id FROM alerts WHERE status != 'open')`),
    cancel: db.prepare(`UPDATE outbox SET status = 'cancelled' WHERE id = ? AND status IN ${OPEN}`),
    ofAlert: db.prepare(`SELECT ${cols} FROM outbox WHERE alert_id = ? ORDER BY id`),
    stepRows: db.prepare(`SELECT ${cols} FROM outbox WHERE alert_id = ? AND step = ? ORDER BY id`),
    callOf: db.prepare(`SELECT ${cols} FROM outbox WHERE alert_id = ? AND phone = ? AND channel = 'call' ORDER BY id DESC LIMIT 1`),
    // alerts this number was asked about ("Reply 1"): escalation steps and the unanswered notice,
    // by a text or call that went out (or may have) before @at; never one still queued, failed or cancelled
    newestAlert: db.prepare(`SELECT a.id AS id FROM outbox o JOIN alerts a ON a.id = o.alert_id
      WHERE o.phone = @phone AND (o.step >= 0 OR o.step = ${STEP_UNANSWERED})
        AND (o.status IN ('sending', 'sent', 'delivered') OR (o.status = 'pending' AND o.last_error LIKE '${IN_DOUBT}%'))
        AND o.created_at <= @at
        AND a.status IN (SELECT value FROM json_each(@statuses))
      ORDER BY a.opened_at DESC, a.id DESC LIMIT 1`),
  };

  return {
    /** the new row's id, or null when this (alert, step, phone, channel) was already queued */
    enqueue(m: NewMessage): number | null {
      const r = s.insert.run(m);
      return r.changes === 1 ? Number(r.lastInsertRowid) : null;
    },
    get: (id: number) => s.get.get(id) as OutboxRow | undefined,
    byProviderId: (sid: string) => s.byProviderId.get(sid) as OutboxRow | undefined,
    due: (now: number, limit = 100) => s.due.all(now, limit) as OutboxRow[],
    nextAttempt: (): number | null => (s.nextAttempt.get() as { at: number | null }).at,
    /**
     * Committed before each request: false when the row was cancelled or settled meanwhile (send
     * nothing). `lookUpAt`: if this process dies during the request, not before then is the
     * provider asked for it (the request may still be running there until its timeout).
     */
    markSending: (id: number, lookUpAt: number): boolean => s.sending.run({ id, lookUpAt }).changes === 1,
    markSent(id: number, providerId: string, at: number): void { s.sent.run({ id, providerId, at }); },
    /** `doubt`: the request may have been carried out, so the row is looked up before it is sent again */
    markRetry(id: number, nextAt: number, error: string, doubt = false): void {
      s.retry.run({ id, nextAt, error: doubt ? IN_DOUBT + error : error });
    },
    /** true when this call moved the row from pending to failed */
    markFailed: (id: number, error: string): boolean => s.failed.run({ id, error }).changes === 1,
    /** true when the row's status changed */
    markDelivery: (id: number, status: OutboxStatus, error: string | null, providerId: string | null): boolean =>
      s.delivery.run({ id, status, error, providerId }).changes === 1,
    /**
     * cancels the alert's escalation texts not yet sent; returns the rows it cancelled. A row
     * 'sending' is cancelled too: it may have gone out (as a request in flight may), but it is
     * never sent again.
     */
    cancelPending(alertId: number): OutboxRow[] {
      return (s.pendingOf.all(alertId) as OutboxRow[]).filter((row) => s.cancel.run(row.id).changes === 1);
    },
    /** escalation texts still pending for alerts someone has since taken on or closed */
    cancelSettled(): OutboxRow[] {
      return (s.pendingOfSettled.all() as OutboxRow[]).filter((row) => s.cancel.run(row.id).changes === 1);
    },
    ofAlert: (alertId: number) => s.ofAlert.all(alertId) as OutboxRow[],
    stepRows: (alertId: number, step: number) => s.stepRows.all(alertId, step) as OutboxRow[],
    callOf: (alertId: number, phone: string) => s.callOf.get(alertId, phone) as OutboxRow | undefined,
    /** the newest alert in one of `statuses` that a text or call to `phone` told of before `at` */
    newestAlertFor(phone: string, statuses: string[], at: number): number | null {
      const row = s.newestAlert.get({ phone, statuses: JSON.stringify(statuses), at }) as { id: number } | undefined;
      return row?.id ?? null;
    },
  };
}
export type OutboxRepository = ReturnType<typeof outboxRepository>;
