// Hour windows ("22:00-06:00", local to a zone): active hours and night hours in the rules, a
// contact's on-call hours in the rosters. One reading for all: an end at or before the start
// wraps past midnight, equal ends and "00:00-24:00" are the whole day. Local times come from
// zone.ts, so a window across a DST change counts the wall clock's hours (a 22:00-06:00 night
// is 7 real hours when clocks go forward, 9 when they go back), and an edge inside the gap
// opens or closes the window when the clocks jump past it.
import { HOUR, MINUTE, localTime, nextTransition, wallInstants, wallToEpoch } from './zone.ts';

/** minutes after local midnight; `end <= start` wraps past midnight */
export interface HourWindow { start: number; end: number }

const HOURS_RE = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/;

/** "HH:MM-HH:MM" as the config writes it (and the store keeps it); null when it is not that */
export function parseHours(text: string): HourWindow | null {
  const m = HOURS_RE.exec(text);
  if (!m) return null;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return start > 1440 || end > 1440 || Number(m[2]) > 59 || Number(m[4]) > 59 ? null : { start, end };
}

export function isWeekend(weekday: number): boolean {
  return weekday === 0 || weekday === 6;
}

/** Start of the next local hour after `at`. */
export function nextLocalHour(at: number, timezone: string): number {
  const lt = localTime(at, timezone);
  let next = wallToEpoch(lt.day, (lt.hour + 1) * HOUR, timezone);
  // around a transition the computed wall hour can land at or before `at`; step on
  if (next <= at) next = wallToEpoch(lt.day, (lt.hour + 2) * HOUR, timezone);
  return next;
}

/** `00:00-24:00` and `HH:MM-HH:MM` with equal ends are the whole day. */
export function isWholeDay(w: HourWindow): boolean {
  return w.start % 1440 === w.end % 1440;
}

/** Is a local time of day inside the window? `end <= start` wraps past midnight. */
export function inWindowAt(msOfDay: number, w: HourWindow): boolean {
  if (isWholeDay(w)) return true;
  const minute = msOfDay / MINUTE;
  const start = w.start % 1440;
  const end = w.end === 1440 ? 1440 : w.end % 1440;
  if (end > start) return minute >= start && minute < end;
  return minute >= start || minute < end;
}

export function inWindow(at: number, timezone: string, w: HourWindow): boolean {
  return inWindowAt(localTime(at, timezone).msOfDay, w);
}

/**
 * The next moment after `at` where being inside the window may change; null for a whole-day
 * window. Between two of these the wall clock runs on without a jump and crosses no edge, so
 * inWindow is the same all along: the edges (both readings of one in a fall-back overlap, the
 * jump for one in a spring-forward gap) and the zone's own offset changes.
 */
export function nextWindowEdge(at: number, timezone: string, w: HourWindow): number | null {
  if (isWholeDay(w)) return null;
  const lt = localTime(at, timezone);
  let best = nextTransition(at, timezone);
  for (let d = 0; d <= 2; d++) {
    for (const minute of [w.start % 1440, w.end % 1440]) {
      for (const t of wallInstants(lt.day + d, minute * MINUTE, timezone)) if (t > at && t < best) best = t;
    }
  }
  return best === Infinity ? null : best;
}

// Walking edge to edge is bounded: a window has two edges a day, and no rule here looks more
// than a few weeks ahead.
const MAX_EDGES = 200;

/** Milliseconds of [from, to) that fall inside the window. */
export function msInWindow(from: number, to: number, timezone: string, w: HourWindow): number {
  if (to <= from) return 0;
  if (isWholeDay(w)) return to - from;
  let total = 0;
  let t = from;
  for (let i = 0; i < MAX_EDGES && t < to; i++) {
    const edge = nextWindowEdge(t, timezone, w) ?? Infinity;
    const end = Math.min(edge, to);
    if (inWindow(t, timezone, w)) total += end - t;
    t = end;
  }
  return total;
}

/** The moment when `amount` ms of in-window time have passed since `from`. */
export function addMsInWindow(from: number, amount: number, timezone: string, w: HourWindow): number {
  if (isWholeDay(w)) return from + amount;
  let remaining = amount;
  let t = from;
  for (let i = 0; i < MAX_EDGES; i++) {
    const edge = nextWindowEdge(t, timezone, w) ?? Infinity;
    if (inWindow(t, timezone, w)) {
      if (edge - t >= remaining) return t + remaining;
      remaining -= edge - t;
    }
    t = edge;
  }
  return Infinity; // an empty window never accumulates time
}

