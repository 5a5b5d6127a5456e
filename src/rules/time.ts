// Local time in a resident's IANA zone without a date library.
//
// Every rule that talks about "hours" (active hours, night-door hours, the learned baseline's
// hour of day) means the resident's wall clock, not UTC and not the gateway's zone
// (issue 3: "Timezones are the resident's IANA zone; hour windows may wrap midnight").
// Intl.DateTimeFormat is the only source of zone rules; everything else is arithmetic on a
// "wall clock as if it were UTC" number.
import type { HourWindow } from '../config/index.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    // h23: en-US would otherwise print midnight as "24" in some engines
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

// Zone offsets change only at transitions, and every modern transition falls on a quarter hour
// of UTC, so one formatToParts per zone and quarter hour is exact. The cache is a memo of a
// pure function (it never changes an answer), bounded so a long replay cannot grow it forever.
const QUARTER = 15 * MINUTE;
const offsets = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 50_000;

/** Milliseconds to add to an epoch time to get the wall clock of `timezone` (as if UTC). */
export function utcOffsetMs(at: number, timezone: string): number {
  const bucket = Math.floor(at / QUARTER) * QUARTER;
  const key = `${timezone}|${bucket}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(bucket))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const offset = wall - bucket;
  if (offsets.size >= OFFSET_CACHE_LIMIT) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

export interface LocalTime {
  /** local calendar day as days since 1970-01-01 */
  day: number;
  /** milliseconds since local midnight */
  msOfDay: number;
  hour: number;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
}

export function localTime(at: number, timezone: string): LocalTime {
  const wall = at + utcOffsetMs(at, timezone);
  const day = Math.floor(wall / DAY);
  const msOfDay = wall - day * DAY;
  return { day, msOfDay, hour: Math.floor(msOfDay / HOUR), weekday: (((day + 4) % 7) + 7) % 7 };
}

export function isWeekend(weekday: number): boolean {
  return weekday === 0 || weekday === 6;
}

/**
 * The epoch time of a local wall-clock moment. In a spring-forward gap the wall time does not
 * exist and this returns a moment next to it; in a fall-back overlap it returns one of the two.
 */
export function wallToEpoch(day: number, msOfDay: number, timezone: string): number {
  const wall = day * DAY + msOfDay;
  let at = wall - utcOffsetMs(wall, timezone);
  at = wall - utcOffsetMs(at, timezone);
  return at;
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
  const start = w.start % 1440;
  const end = w.end % 1440;
  return start === end;
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

/** The next moment after `at` where being inside the window changes; null for a whole-day window. */
export function nextWindowEdge(at: number, timezone: string, w: HourWindow): number | null {
  if (isWholeDay(w)) return null;
  const lt = localTime(at, timezone);
  let best = Infinity;
  for (let d = 0; d <= 2; d++) {
    for (const minute of [w.start % 1440, w.end % 1440]) {
      const t = wallToEpoch(lt.day + d, minute * MINUTE, timezone);
      if (t > at && t < best) best = t;
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
