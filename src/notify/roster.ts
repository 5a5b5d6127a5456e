// Rosters: who an escalation step reaches now. A contact may have on-call hours, local to the
// resident's time zone (CONTRACT.md: "hours below are local to it"); a neighbour who is asleep
// is not woken when the config says they are off call.
import type { ContactRow } from '../store/index.ts';
import { inWindow, parseHours } from '../time/index.ts';
import type { ContactRole } from '../domain/types.ts';

/**
 * Is a contact with on-call hours `onCall` ("HH:MM-HH:MM", as stored) on call at `at`? The
 * same hour windows as the rules (src/time): an end at or before the start wraps past
 * midnight, "00:00-24:00" is the whole day, and no hours at all means always.
 */
export function onCallAt(onCall: string | null, at: number, timezone: string): boolean {
  if (!onCall) return true;
  const hours = parseHours(onCall);
  // the config validated it; an unreadable value must not silence a contact
  if (!hours) return true;
  return inWindow(at, timezone, hours);
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
