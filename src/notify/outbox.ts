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
// The statements themselves are the store's (OutboxPort in src/store/ports.ts, on either engine);
// this file keeps the step codes and what a row's state means.
//
// Exactly once. A row is marked 'sending' in its own commit before each request to
// the provider, and leaves that state when the request ends: 'sent' with the provider's id,
// 'failed', or back to 'pending' for a retry. A row is in doubt, possibly accepted by the
// provider, when it is still 'sending' after a restart (the process died during the request)
// or when its last request ended without an answer (a timeout, a dropped connection: its
// last_error starts with IN_DOUBT). Before an in-doubt row is sent again the delivery worker
// asks the provider for it and adopts the id it finds. An answer with an error status means
// the provider created nothing: that retry is not in doubt.
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
/** last_error of a row whose last request (or look-up) ended without telling whether it was carried out */
export { IN_DOUBT } from '../store/ports.ts';

/** whether an earlier request for this row may have been accepted by the provider */
export function inDoubt(row: Pick<OutboxRow, 'status' | 'lastError'>): boolean {
  return row.status === 'sending' || (row.status === 'pending' && (row.lastError ?? '').startsWith(IN_DOUBT));
}
