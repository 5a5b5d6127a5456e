// The learned inactivity model: how long a silence may last in this home, here and now, before
// it is far beyond what this resident's ordinary life produces.
//
// Two regimes, told apart by when the silence began:
//
// - Night: a silence that begins inside the resident's night (from their earliest bedtime to
//   their usual waking) is sleep. It is alarmed on only when the resident is not up by their
//   latest waking plus a margin ("not up by 10:00 when they are always up by 9"); the latest
//   waking of the few nights seen so far is widened by how much later the latest of 28 nights is
//   expected to be (latestWaking), so the second morning's lie-in is not an alarm. Bedtimes and
//   wakings are learned from the resident's own nights: the first long silence after 18:00 and
//   the end of the last one before 14:00. After a night that began later than the usual bedtime
//   the morning in bed waits by as much (lateNight); in a home where no sensor sees the bed an
//   evening silence shortly before the night window is an early night.
//
// - Day: any other silence. How long it may last depends on where the last activity was (a
//   device's room): after the kitchen or the bathroom a silence of an hour or two is already
//   unusual, after the living room (a film, a nap in the armchair) or the bedroom (a nap) it is
//   not. For each room class the model keeps the tail of this home's at-home daytime silences,
//   as a peaks-over-threshold fit: how often per day a silence runs past U (15 min), and by how
//   much on average. The alarm threshold is where that tail expects ALPHA false alarms a month
//   (a generalised Pareto tail with a fixed shape XI, heavier than exponential, because real
//   homes have more very long quiet spells than an exponential tail predicts).
//
// Protection from the first hour: every statistic starts from a prior (what typical homes do;
// see docs/detection.md) and is a posterior mean: prior pseudo-counts plus the resident's own,
// so the thresholds move from the prior towards the personal baseline as days accrue (the
// prior weighs as much as PRIOR_DAYS days of the resident's own history). There is no blind
// learning period. Sums decay with a time constant of TAU_DAYS, so a change of routine is
// learned within weeks. The state is a few dozen numbers and the last NIGHTS_KEPT nights.
import type { DeviceRoom } from '../domain/types.ts';
import { DAY, HOUR, MINUTE, localTime, wallToEpoch } from '../time/index.ts';

export type RoomClass = 'active' | 'bath' | 'rest' | 'bed' | 'any';
export const ROOM_CLASSES: readonly RoomClass[] = ['active', 'bath', 'rest', 'bed', 'any'];

/** where the last activity was, as the model groups it; a device without a room is 'any' */
export function roomClass(room: DeviceRoom | null | undefined): RoomClass {
  switch (room) {
    case 'bedroom': return 'bed';
    case 'living': return 'rest';
    case 'bathroom': return 'bath';
    case 'kitchen': case 'hall': case 'entrance': case 'other': return 'active';
    default: return 'any';
  }
}

/** decayed sufficient statistics of one room class's daytime silences */
export interface Tail {
  /** silences that ran past U */
  k: number;
  /** their excess over U, minutes */
  s: number;
}

/** one night: bedtime and waking as minutes after 15:00 of the evening before (see clock15) */
export interface Night { day: number; bed: number; wake: number }

/** a room class by day, or in the evening */
export type TailKey = RoomClass | `${RoomClass}@evening`;
export const TAIL_KEYS: readonly TailKey[] = ROOM_CLASSES.flatMap((c): TailKey[] => [c, `${c}@evening`]);

export interface Baseline {
  v: 2;
  /** epoch ms the decayed sums were last aged to; null before the first silence */
  at: number | null;
  /** decayed days of history (the exposure the exceedance counts are per) */
  days: number;
  tails: Record<TailKey, Tail>;
  /** the last NIGHTS_KEPT nights, oldest first */
  nights: Night[];
  /** the "baseline learned" timeline note was written */
  noted: boolean;
  /** the u (minutes) the tails count silences past; absent: 15, as saved before u was an hour */
  u?: number;
}

// ---- parameters (docs/detection.md explains each and how it was chosen) ----
export interface LearnedParams {
  /** silences shorter than this (minutes) are ordinary pottering, not part of the tail */
  u: number;
  /** generalised Pareto shape of the tail above u: 0 is exponential, larger is heavier */
  xi: number;
  /** false alarms a month each room class's threshold is set to expect, by day ... */
  alpha: number;
  /** ... and in the evening, when quiet hours in a chair are the rule */
  alphaEvening: number;
  /** how many days of the resident's own history weigh as much as the prior */
  priorDays: number;
  /** the prior's mean excess counts as this many observed long silences */
  priorExcesses: number;
  /** the prior: long silences (> u) a day and their mean excess over u, minutes, by room class */
  prior: Record<RoomClass, { perDay: number; excess: number }>;
  /** evening silences (begun from this hour to bedtime) are a class of their own: a quiet evening is no quiet morning */
  eveningFrom: number;
  /** the evening's long silences run longer than the day's by this factor, in the prior */
  eveningPrior: number;
  /** the prior spread (standard deviation) of a resident's wakings, minutes */
  wakeSpread: number;
  /** nights of the resident's own whose spread weighs as much as the prior spread */
  wakeSpreadNights: number;
}

export const PARAMS: LearnedParams = {
  u: 60,
  xi: 0,
  alpha: 0.25,
  alphaEvening: 0.1,
  priorDays: 3,
  priorExcesses: 6,
  prior: {
    active: { perDay: 1.5, excess: 25 },
    bath: { perDay: 0.7, excess: 25 },
    rest: { perDay: 2.5, excess: 40 },
    bed: { perDay: 0.5, excess: 45 },
    any: { perDay: 2.5, excess: 35 },
  },
  eveningFrom: 19,
  eveningPrior: 1.5,
  wakeSpread: 75,
  wakeSpreadNights: 2,
};
/** time constant of forgetting, days */
export const TAU_DAYS = 28;
export const NIGHTS_KEPT = 28;
// nights, in minutes after 15:00 (so an evening and the morning after are one increasing scale)
/** earliest bedtime of the prior: 21:00 */
export const PRIOR_BED = 6 * 60;
/** usual waking of the prior: 07:30 */
export const PRIOR_WAKE = 16 * 60 + 30;
/** latest waking of the prior: 10:00 (late risers are common; sooner alarms come as their nights are learned) */
export const PRIOR_WAKE_LATE = 19 * 60;
/** usual bedtime of the prior: 23:00 (a night that began later than the usual bedtime ends later too) */
export const PRIOR_BED_USUAL = 8 * 60;
/** a late night moves the morning's deadline by its lateness, up to this much (minutes) */
export const LATE_NIGHT_MAX_MIN = 5 * 60;
/** ... but never to more than this after the silence began (a collapse in bed after a late night is found within it) */
export const LATE_MORNING_MAX_MS = 6 * HOUR;
/** 19:00, in minutes after 15:00 */
const EVENING_FROM_15 = 4 * 60;
/** in a home that cannot see the bed, an evening silence that begins this long before the night window opens is an early night (minutes) */
export const EARLY_NIGHT_MIN = 90;
/** nights of the resident's own that weigh as much as the prior night */
export const PRIOR_NIGHTS = 2;
/** the night window opens this long before the earliest bedtime seen */
export const BED_LEAD_MIN = 30;
/** in the bedroom the night begins this much before the earliest bedtime */
export const BEDROOM_LEAD_MIN = 30;
/** not up by the latest waking seen plus this: alarm */
export const WAKE_MARGIN_MIN = 90;
/** a night's sleep, or a piece of it: at least this long with nothing outside the bedroom, begun 18:00-06:00, ended 00:00-14:00 */
export const NIGHT_PIECE_MS = 2 * HOUR;

export function emptyBaseline(): Baseline {
  const tails = {} as Record<TailKey, Tail>;
  for (const c of TAIL_KEYS) tails[c] = { k: 0, s: 0 };
  return { v: 2, at: null, days: 0, tails, nights: [], noted: false, u: PARAMS.u };
}

/**
 * The u (minutes) of the model before it was an hour: the prior's silence counts are stated past
 * it, and a baseline that does not say its u was counted past it.
 */
const STATED_U = 15;

/**
 * The tails counted past `u`: a baseline saved with another u is carried over as an exponential
 * tail would be (of k silences past u0 with mean excess m, k exp(-(u - u0) / m) run past u, with
 * the same mean excess), so a state saved before u changed keeps what it learned. Copy-on-write.
 */
export function tailsAt(b: Baseline, u: number): Baseline {
  const from = b.u ?? STATED_U;
  if (from === u) return b;
  const tails = {} as Record<TailKey, Tail>;
  for (const c of TAIL_KEYS) {
    const t = b.tails[c];
    const m = t.k > 0 ? t.s / t.k : 0;
    const k = m > 0 ? t.k * Math.exp(-(u - from) / m) : 0;
    tails[c] = { k, s: k * m };
  }
  return { ...b, tails, u };
}

/** a saved state from before this model (or damaged) starts afresh from the prior */
export function upgradeBaseline(b: unknown): Baseline {
  const x = b as Partial<Baseline> | null;
  if (!x || x.v !== 2 || !x.tails || !Array.isArray(x.nights)) return emptyBaseline();
  return x as Baseline;
}

/** days of the resident's own history, in the model's (decayed) measure */
export function learnedDays(b: Baseline): number {
  return b.days;
}

/** minutes after 15:00 local, so that an evening and the next morning are one rising scale */
export function clock15(at: number, timezone: string): { minutes: number; day: number } {
  const lt = localTime(at, timezone);
  const m = Math.floor(lt.msOfDay / MINUTE);
  // the "night day" is the local day of the morning the night ends in
  return m >= 15 * 60 ? { minutes: m - 15 * 60, day: lt.day + 1 } : { minutes: m + 9 * 60, day: lt.day };
}

function age(b: Baseline, to: number): Baseline {
  if (b.at === null) return { ...b, at: to };
  const dt = (to - b.at) / DAY;
  if (dt <= 0) return b;
  const f = Math.exp(-dt / TAU_DAYS);
  const tails = {} as Record<TailKey, Tail>;
  for (const c of TAIL_KEYS) tails[c] = { k: b.tails[c].k * f, s: b.tails[c].s * f };
  // exposure: the decayed integral of elapsed time
  return { ...b, at: to, days: b.days * f + TAU_DAYS * (1 - f), tails };
}

// ---- what the model reads from its state ----

export interface NightWindow {
  /** minutes after 15:00 */
  bed: number;
  /** the usual (median) bedtime */
  bedUsual: number;
  wake: number;
  wakeLate: number;
}

function blend(prior: number, own: number, n: number, k: number): number {
  return (prior * k + own * n) / (k + n);
}

/** the standard normal distribution function (Abramowitz and Stegun 7.1.26, error under 1.5e-7) */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * E(n): the expected largest of n standard normal draws (E(1) = 0, E(28) = 2.04), by the midpoint
 * rule over [-8, 8]; computed once, for n = 1 .. NIGHTS_KEPT.
 */
export const EXPECTED_MAX: readonly number[] = (() => {
  const out = [0];
  const step = 0.01;
  for (let n = 1; n <= NIGHTS_KEPT; n++) {
    let sum = 0;
    for (let x = -8 + step / 2; x < 8; x += step) {
      const pdf = Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
      sum += x * n * pdf * Math.pow(normalCdf(x), n - 1) * step;
    }
    out.push(n === 1 ? 0 : sum);
  }
  return out;
})();

/**
 * The latest waking to wait for, from the `n` wakings seen (sorted): the latest of them, widened by
 * how much later the latest of NIGHTS_KEPT nights is expected to be than the latest of n
 * (E(28) - E(n), in spreads), the spread being the wakings' own (their median absolute deviation,
 * as a standard deviation) shrunk towards the prior's `wakeSpread` as nights accrue. One night
 * seen waits for it plus two spreads; 28 nights wait for the latest of them. Minutes after 15:00.
 */
export function latestWaking(wakes: readonly number[], p: LearnedParams = PARAMS): number {
  const n = wakes.length;
  const median = wakes[Math.floor((n - 1) / 2)];
  const dev = wakes.map((w) => Math.abs(w - median)).sort((x, y) => x - y);
  const mad = 1.4826 * dev[Math.floor((n - 1) / 2)];
  const spread = blend(p.wakeSpread, mad, n, p.wakeSpreadNights);
  return wakes[n - 1] + (EXPECTED_MAX[NIGHTS_KEPT] - EXPECTED_MAX[Math.min(n, NIGHTS_KEPT)]) * spread;
}

export function nightWindow(b: Baseline, p: LearnedParams = PARAMS): NightWindow {
  const n = b.nights.length;
  if (n === 0) return { bed: PRIOR_BED, bedUsual: PRIOR_BED_USUAL, wake: PRIOR_WAKE, wakeLate: PRIOR_WAKE_LATE };
  const beds = b.nights.map((x) => x.bed).sort((p, q) => p - q);
  // a night whose last piece ended before 03:00 tells its bedtime, not its waking
  const wakes = b.nights.map((x) => x.wake).filter((w) => w >= 12 * 60).sort((p, q) => p - q);
  const nw = wakes.length;
  const median = nw ? wakes[Math.floor((nw - 1) / 2)] : PRIOR_WAKE;
  return {
    bed: blend(PRIOR_BED, beds[0] - BED_LEAD_MIN, n, PRIOR_NIGHTS),
    bedUsual: blend(PRIOR_BED_USUAL, beds[Math.floor((n - 1) / 2)], n, PRIOR_NIGHTS),
    wake: blend(PRIOR_WAKE, median, nw, PRIOR_NIGHTS),
    wakeLate: nw ? blend(PRIOR_WAKE_LATE, latestWaking(wakes, p), nw, PRIOR_NIGHTS) : PRIOR_WAKE_LATE,
  };
}

/**
 * How much later than usual tonight's sleep began, minutes (0 to LATE_NIGHT_MAX_MIN): `nightBegan`
 * is when the resident was last seen outside the bedroom; when that was tonight, the bedtime is it or
 * the start of tonight's first piece of sleep already learned (a trip to the bathroom at 04:00 ends a
 * piece). A resident who came home at 03:00 sleeps into the late morning; one who went to bed at
 * their usual time and lies still at 11:00 does not; nor one who was up this morning and went back
 * to the bedroom.
 */
export function lateNight(b: Baseline, timezone: string, from: number, nightBegan: number | undefined, p: LearnedParams = PARAMS): number {
  if (nightBegan === undefined || nightBegan > from) return 0;
  const w = nightWindow(b, p);
  const f = clock15(from, timezone);
  const began = clock15(nightBegan, timezone);
  const last = b.nights[b.nights.length - 1];
  // up since (seen outside the bedroom after 06:00): a silence in bed now is no longer the night's
  if (began.day !== f.day || began.minutes < 3 * 60 || began.minutes >= 15 * 60) return 0;
  // the night's first piece of sleep, when a trip outside the bedroom (to the bathroom at 04:00) ended one already
  const bed = last && last.day === f.day ? Math.min(began.minutes, last.bed) : began.minutes;
  return Math.max(0, Math.min(LATE_NIGHT_MAX_MIN, bed - w.bedUsual));
}

/**
 * Does a silence that began at `from` (last activity in `cls`) begin inside the night? The night
 * runs from the earliest bedtime to the usual waking; in the bedroom, from half an hour before the
 * earliest bedtime (an early night) to the latest waking (a lie-in), later by tonight's lateness
 * (`late`, minutes: see lateNight). In a home where no sensor sees the bed (`blindBed`), an evening
 * silence (from 19:00) that begins up to EARLY_NIGHT_MIN before the night window is an early night:
 * going to bed is seen there only as the last activity elsewhere.
 */
export function isNight(b: Baseline, timezone: string, from: number, cls: RoomClass, late = 0, blindBed = false, p: LearnedParams = PARAMS): boolean {
  const w = nightWindow(b, p);
  const { minutes } = clock15(from, timezone);
  if (cls === 'bed') return minutes >= w.bed - BEDROOM_LEAD_MIN && minutes < w.wakeLate + late;
  // no sensor sees the bed: the last sign of life before an early night is wherever it was
  if (blindBed && minutes >= EVENING_FROM_15 && minutes >= w.bed - EARLY_NIGHT_MIN && minutes < w.wake) return true;
  return minutes >= w.bed && minutes < w.wake;
}

/** Which tail a silence that began at `from` after activity in `cls` belongs to. */
export function tailKey(timezone: string, from: number, cls: RoomClass, p: LearnedParams): TailKey {
  return localTime(from, timezone).hour >= p.eveningFrom ? `${cls}@evening` : cls;
}

/** The daytime threshold for a silence of tail `key`, ms (before the floor and ceiling). */
export function dayThresholdMs(b: Baseline, key: TailKey, p: LearnedParams): number {
  const [cls, evening] = key.split('@') as [RoomClass, string | undefined];
  const prior = p.prior[cls];
  const priorExcess = prior.excess * (evening ? p.eveningPrior : 1);
  const t = tailsAt(b, p.u).tails[key];
  // the prior is stated for silences past STATED_U; past a higher u an exponential tail has exp(-(u - STATED_U) / excess) of them
  const priorPerDay = prior.perDay * Math.exp(-(p.u - STATED_U) / priorExcess);
  const perDay = (t.k + priorPerDay * p.priorDays) / (b.days + p.priorDays);
  const excess = (t.s + priorExcess * p.priorExcesses) / (t.k + p.priorExcesses);
  // long silences expected a month, against the false alarms a month allowed
  const ratio = (perDay * 30) / (evening ? p.alphaEvening : p.alpha);
  if (ratio <= 1) return p.u * MINUTE;
  const sigma = excess * (1 - p.xi);
  const minutes = p.xi > 1e-6 ? p.u + (sigma / p.xi) * (Math.pow(ratio, p.xi) - 1) : p.u + excess * Math.log(ratio);
  return minutes * MINUTE;
}

export interface LearnedLimits {
  minMs: number;
  maxMs: number;
  params: LearnedParams;
}

export interface SilenceJudgement {
  regime: 'day' | 'night';
  roomClass: TailKey;
  due: number;
  thresholdMs: number;
}

/**
 * When a silence that began at `from`, after activity in `cls`, becomes alarming. `nightBegan`:
 * when the resident was last seen outside the bedroom (a late night moves a morning in bed later).
 */
export function judgeSilence(b: Baseline, timezone: string, from: number, cls: RoomClass, limits: LearnedLimits, nightBegan?: number, blindBed = false): SilenceJudgement {
  const p = limits.params;
  const late = cls === 'bed' ? lateNight(b, timezone, from, nightBegan, p) : 0;
  if (isNight(b, timezone, from, cls, late, blindBed, p)) {
    const w = nightWindow(b, p);
    const { minutes, day } = clock15(from, timezone);
    // the morning this night ends in, at the latest waking plus the margin (wall clock), later after a late night
    const deadline = w.wakeLate + WAKE_MARGIN_MIN + late;
    let due = wallToEpoch(day, (deadline - 9 * 60) * MINUTE, timezone);
    if (late > 0) due = Math.max(wallToEpoch(day, (deadline - late - 9 * 60) * MINUTE, timezone), Math.min(due, from + LATE_MORNING_MAX_MS));
    if (deadline <= minutes) due = from;
    due = Math.ceil(Math.min(from + limits.maxMs, Math.max(from + limits.minMs, due)));
    return { regime: 'night', roomClass: cls, due, thresholdMs: due - from };
  }
  const key = tailKey(timezone, from, cls, limits.params);
  // whole milliseconds: every time the core decides is an integer epoch ms
  const thresholdMs = Math.ceil(Math.min(limits.maxMs, Math.max(limits.minMs, dayThresholdMs(b, key, limits.params))));
  return { regime: 'day', roomClass: key, due: from + thresholdMs, thresholdMs };
}

// ---- learning ----

/**
 * Learn a night from a closed stretch [from, to) without activity outside the bedroom (a bed
 * mat or a bedroom sensor stirring is still sleep): long, begun in the evening or the small
 * hours (18:00-06:00), ended after midnight and before 14:00. Pieces of one night (a trip to the
 * bathroom, a snack at 02:00) merge: the bedtime is the first piece's start, the waking the
 * last one's end (wakings before 03:00 are only a piece). Copy-on-write.
 */
export function learnNight(b: Baseline, timezone: string, from: number, to: number): Baseline {
  if (to - from < NIGHT_PIECE_MS) return b;
  const start = clock15(from, timezone);
  const end = clock15(to, timezone);
  if (!(start.minutes >= 3 * 60 && start.minutes < 15 * 60 && end.minutes >= 9 * 60 && end.minutes < 23 * 60 && start.day === end.day)) return b;
  const nights = b.nights.slice();
  const last = nights[nights.length - 1];
  if (last && last.day === end.day) nights[nights.length - 1] = { day: end.day, bed: Math.min(last.bed, start.minutes), wake: Math.max(last.wake, end.minutes) };
  else nights.push({ day: end.day, bed: start.minutes, wake: end.minutes });
  return { ...b, nights: nights.filter((x) => x.day > end.day - NIGHTS_KEPT) };
}

/** Learn one closed at-home daytime silence [from, to) that began after activity in `cls`. Copy-on-write. */
export function learnDay(b0: Baseline, timezone: string, from: number, to: number, cls: RoomClass, p: LearnedParams): Baseline {
  if (to <= from) return b0;
  const b = age(tailsAt(b0, p.u), to);
  if (isNight(b0, timezone, from, cls, 0, false, p)) return b;
  const minutes = (to - from) / MINUTE;
  if (minutes <= p.u) return b;
  const key = tailKey(timezone, from, cls, p);
  const tails = { ...b.tails, [key]: { k: b.tails[key].k + 1, s: b.tails[key].s + (minutes - p.u) } };
  return { ...b, tails };
}

/** After the days the prior is worth, the personal baseline outweighs the prior. */
export function baselineLearned(b: Baseline, priorDays: number): boolean {
  return b.days >= priorDays && b.nights.length >= PRIOR_NIGHTS;
}

export { HOUR };
