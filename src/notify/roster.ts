// Rosters: who an escalation step reaches now. A contact may have on-call hours, local to the
// resident's time zone (CONTRACT.md: "hours below are local to it"); a neighbour who is asleep
// is not woken when the config says they are off call (issue 4, item 1).
import type { ContactRow } from '../store/index.ts';
import type { ContactRole } from '../domain/types.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** minutes after local midnight in `timezone` at epoch ms `at` */
export function localMinutes(at: number, timezone: string): number {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric' });
    formatters.set(timezone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}

const HOURS_RE = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/;

/**
 * Is a contact with on-call hours `onCall` ("HH:MM-HH:MM", as stored) on call at `at`?
 * Same rule as the config: an end at or before the start wraps past midnight, "00:00-24:00"
 * is the whole day, and no hours at all means always.
 */
export function onCallAt(onCall: string | null, at: number, timezone: string): boolean {
  if (!onCall) return true;
  const m = HOURS_RE.exec(onCall);
  // the config validated it; an unreadable value must not silence a contact
  if (!m) return true;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  const now = localMinutes(at, timezone);
  return end > start ? now >= start && now < end : now >= start || now < end;
}

/** The contacts of `roles` on call at `at`, one per phone number, in roster order. */
export function recipients(contacts: ContactRow[], roles: readonly ContactRole[], at: number, timezone: string): ContactRow[] {
  const seen = new Set<string>();
  const out: ContactRow[] = [];
  for (const c of contacts) {
    if (!roles.includes(c.role) || seen.has(c.phone) || !onCallAt(c.onCall, at, timezone)) continue;
    seen.add(c.phone);
    out.push(c);
  }
  return out;
}
