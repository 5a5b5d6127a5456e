// Time zones: the one implementation the gateway has. Every "hour", "day" and "working day" is
// read in an IANA zone (a resident's for the rules and the rosters, the site's for the
// casefile), and every zone rule comes from TC39 Temporal (temporal-polyfill), never from our
// own arithmetic on offsets:
//
// - an instant's wall clock: the zone's UTC offset at that instant;
// - a wall-clock time's instant, the same for every caller: a time inside a spring-forward gap
//   (02:30 on the night clocks jump from 02:00 to 03:00) is the moment the clocks jump (03:00),
//   the first moment they read at or past it; a time inside a fall-back overlap (01:30 twice)
//   is the earlier of the two. A deadline, a window edge or the start of a day in the gap
//   therefore comes as soon as the clock has passed it, never before it and never later.
import { Temporal } from 'temporal-polyfill';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * Is `timeZone` an IANA zone name (or UTC) that Temporal knows? A bare offset ("+08:00") is
 * not: Temporal would read it, but the page and the texts format times with Intl, which does not.
 */
// asked once per zone: a DateTimeFormat is tens of KB of ICU memory and a millisecond to build,
// and a district's thousands of residents share a handful of zones
const knownZones = new Map<string, boolean>();
export function isTimeZone(timeZone: string): boolean {
  let known = knownZones.get(timeZone);
  if (known === undefined) {
    try {
      Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
      new Intl.DateTimeFormat('en-US', { timeZone });
      known = true;
    } catch {
      known = false;
    }
    if (knownZones.size < 1000) knownZones.set(timeZone, known);
  }
  return known;
}

// A zone's offset is constant between two transitions, so one Temporal look-up answers every
// instant of its span: each zone keeps the spans it was asked about, newest first. It is a memo
// of a pure function (it never changes an answer), bounded so a long replay cannot grow it.
interface Span { from: number; until: number; offset: number }
const spans = new Map<string, Span[]>();
const SPANS_PER_ZONE = 256;

/** the span of whole millisecond `at`: from the last transition at or before it to the next after it */
function span(at: number, timeZone: string): Span {
  const zdt = Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(timeZone);
  const previous = zdt.add({ milliseconds: 1 }).getTimeZoneTransition('previous');
  const next = zdt.getTimeZoneTransition('next');
  return {
    from: previous ? previous.epochMilliseconds : -Infinity,
    until: next ? next.epochMilliseconds : Infinity,
    offset: zdt.offsetNanoseconds / 1e6,
  };
}

function spanAt(at: number, timeZone: string): Span {
  let known = spans.get(timeZone);
  if (!known) spans.set(timeZone, (known = []));
  for (const s of known) if (at >= s.from && at < s.until) return s;
  const found = span(Math.floor(at), timeZone);
  if (known.length >= SPANS_PER_ZONE) known.length = 0;
  known.unshift(found);
  return found;
}

/** Milliseconds to add to epoch time `at` to get the wall clock of `timeZone` (Asia/Shanghai: +8 h). */
export function utcOffsetMs(at: number, timeZone: string): number {
  return spanAt(at, timeZone).offset;
}

export interface LocalParts {
  year: number; month: number; day: number;
  hour: number; minute: number; second: number;
}

/** The wall-clock reading of instant `at` (epoch ms) in `timeZone`. */
export function localParts(at: number, timeZone: string): LocalParts {
  const d = new Date(at + utcOffsetMs(at, timeZone));
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
  };
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

/** The local day, time of day and weekday of instant `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): LocalTime {
  const wall = at + utcOffsetMs(at, timeZone);
  const day = Math.floor(wall / DAY);
  const msOfDay = wall - day * DAY;
  return { day, msOfDay, hour: Math.floor(msOfDay / HOUR), weekday: (((day + 4) % 7) + 7) % 7 };
}

/** Minutes after local midnight in `timeZone` at instant `at`. */
export function localMinutes(at: number, timeZone: string): number {
  return Math.floor(localTime(at, timeZone).msOfDay / MINUTE);
}

/**
 * Every instant at which a wall clock in `timeZone` reads the given local time: one, or two in
 * a fall-back overlap (earlier first). A time in a spring-forward gap is never read: its one
 * instant is the moment the clocks jump past it.
 */
function instantsOf(timeZone: string, wall: Temporal.PlainDateTime): number[] {
  const earlier = wall.toZonedDateTime(timeZone, { disambiguation: 'earlier' });
  const later = wall.toZonedDateTime(timeZone, { disambiguation: 'later' });
  if (Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), wall) === 0) {
    return earlier.epochMilliseconds === later.epochMilliseconds ? [earlier.epochMilliseconds] : [earlier.epochMilliseconds, later.epochMilliseconds];
  }
  // in the gap: `earlier` is the wall time moved back by the gap, just before the jump
  return [earlier.getTimeZoneTransition('next')!.epochMilliseconds];
}

/**
 * The instant a wall clock in `timeZone` reads the given local time (month 1-12): in a
 * spring-forward gap the moment the clocks jump past it, in a fall-back overlap the earlier.
 */
export function zonedInstant(timeZone: string, year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  return instantsOf(timeZone, new Temporal.PlainDateTime(year, month, day, hour, minute, second, ms))[0];
}

// The rules ask for the same few wall times again and again (a window's start and end on the
// days around now): a bounded memo of Temporal's answers, per zone.
const walls = new Map<string, Map<number, number[]>>();
const WALLS_PER_ZONE = 20_000;

/**
 * Every instant of local day `day` (days since 1970-01-01) at `msOfDay` after its midnight
 * (`msOfDay` may run past 24 h into the following days): one, or two in a fall-back overlap.
 */
export function wallInstants(day: number, msOfDay: number, timeZone: string): readonly number[] {
  const wall = day * DAY + msOfDay;
  let known = walls.get(timeZone);
  if (!known) walls.set(timeZone, (known = new Map()));
  const hit = known.get(wall);
  if (hit !== undefined) return hit;
  const d = new Date(wall);
  const at = instantsOf(timeZone, new Temporal.PlainDateTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  if (known.size >= WALLS_PER_ZONE) known.clear();
  known.set(wall, at);
  return at;
}

/** The instant of local day `day` at `msOfDay` after its midnight, as zonedInstant. */
export function wallToEpoch(day: number, msOfDay: number, timeZone: string): number {
  return wallInstants(day, msOfDay, timeZone)[0];
}

/** The next change of the zone's offset after `at` (a DST change), or Infinity. */
export function nextTransition(at: number, timeZone: string): number {
  return spanAt(at, timeZone).until;
}
