// The learned inactivity baseline: how long it is usually quiet in this home by this hour.
//
// Issue 3: "a baseline of usual gaps between activity by time of week ... alerting when the
// current silence is far beyond what is usual for this time; with a floor and a ceiling.
// Night-time sleep is not silence to alarm on."
//
// What is kept: for each of the last KEEP_DAYS local days and each local hour, the longest
// silence that was in progress during that hour (minutes since the last activity, measured at
// its worst moment inside the hour). At 03:00 that is "asleep since 22:40", so it is hours; at
// 10:00 it is the longest pause in the morning's pottering. Comparing the silence now with the
// same hour's history is what makes sleep normal and a mid-morning silence alarming, without
// any notion of "night" configured.
//
// The statistic is robust on purpose: a high quantile over days (not the mean, which one quiet
// afternoon would not move, and not a model of bursts, which a month cannot fit), widened over
// the neighbouring hours because routines drift by an hour from day to day, times a factor plus
// a margin, and never below the longest such silence in four weeks. Weekends are judged against weekends once there are enough of them ("time of
// week"), since lie-ins and family visits shift the day. The state is 28 x 24 small integers.
import { HOUR, MINUTE, isWeekend, localTime, nextLocalHour } from './time.ts';

export interface BaselineDay {
  /** local day number (days since 1970-01-01 in the resident's zone) */
  day: number;
  weekend: boolean;
  /** per local hour: longest silence in progress during that hour, in minutes; -1 = no sample */
  silence: number[];
}

export interface Baseline {
  days: BaselineDay[];
  /** the "baseline learned" timeline note was written */
  noted: boolean;
}

/** "recent history": four weeks, so a change of routine is learned within a month */
export const KEEP_DAYS = 28;

// Tuned on the synthetic residents of routine.ts, seeds 1-40; bench/rules-eval.ts reports on
// the unseen seeds 41-70. A lower factor or percentile catches a collapse sooner but takes a
// long nap for one; these keep every resident at or under one false alert a month.
/** a silence must exceed the usual worst one by this factor ... */
export const FACTOR = 1.2;
/** ... plus this margin, so that short usual pauses do not give hair triggers */
export const MARGIN_MS = 15 * MINUTE;
/** quantile of the per-day worst silences: the usual worst, ignoring a rare outlier day */
export const QUANTILE = 0.9;
/**
 * Routines drift by an hour from day to day: the hour before and the hour after count as
 * "this time of day" too. (A day running an hour early shows at 12:00 the silence other days
 * show at 13:00.)
 */
export const HOURS_BEFORE = 1;
export const HOURS_AFTER = 1;
/**
 * ... and never below the longest silence seen around this hour in four weeks, times this.
 * The percentile alone let a resident who naps rarely but long (three naps a month, one of
 * them 2.5 h) be alarmed on twice a month; issue 3 counts false alarms per resident.
 */
export const WORST_FACTOR = 1.1;
/** weekend hours are judged on weekends alone once this many weekend days are known (4 weeks) */
export const MIN_SAME_KIND_DAYS = 8;

export function emptyBaseline(): Baseline {
  return { days: [], noted: false };
}

export function learnedDayCount(b: Baseline): number {
  return b.days.length;
}

/**
 * Learn one closed silence [from, to): every local hour it touched gets a sample of how long
 * the silence had lasted by the end of its stay in that hour. Copy-on-write: the input is not
 * changed, so callers can keep the previous state.
 */
export function learnGap(b: Baseline, timezone: string, from: number, to: number, capMs: number): Baseline {
  if (to <= from) return b;
  const days = b.days.slice();
  const touched = new Set<number>();
  // a silence far longer than the ceiling is not "usual life"; learn only its last part
  let t = Math.max(from, to - capMs - HOUR);
  while (t < to) {
    const lt = localTime(t, timezone);
    const hourEnd = nextLocalHour(t, timezone);
    const minutes = Math.ceil(Math.min(capMs, Math.min(hourEnd, to) - from) / MINUTE);
    let idx = days.findIndex((d) => d.day === lt.day);
    if (idx < 0) {
      days.push({ day: lt.day, weekend: isWeekend(lt.weekday), silence: new Array<number>(24).fill(-1) });
      days.sort((x, y) => x.day - y.day);
      idx = days.findIndex((d) => d.day === lt.day);
    }
    if (!touched.has(idx)) {
      days[idx] = { ...days[idx], silence: days[idx].silence.slice() };
      touched.add(idx);
    }
    const hour = Math.min(lt.hour, 23);
    days[idx].silence[hour] = Math.max(days[idx].silence[hour], minutes);
    t = hourEnd;
  }
  const newest = days[days.length - 1].day;
  return { ...b, days: days.filter((d) => d.day > newest - KEEP_DAYS) };
}

function sample(byDay: Map<number, BaselineDay>, day: number, hour: number): number {
  if (hour < 0) return sample(byDay, day - 1, hour + 24);
  if (hour > 23) return sample(byDay, day + 1, hour - 24);
  return byDay.get(day)?.silence[hour] ?? -1;
}

function quantile(values: number[], q: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

export interface LearnedLimits { minMs: number; maxMs: number }

/** How long a silence may last at `at` before it is far beyond the usual for this hour. */
export function thresholdAt(b: Baseline, timezone: string, at: number, limits: LearnedLimits): number {
  const lt = localTime(at, timezone);
  const weekend = isWeekend(lt.weekday);
  const byDay = new Map(b.days.map((d) => [d.day, d]));
  const all: number[] = [];
  const sameKind: number[] = [];
  for (const d of b.days) {
    if (d.day >= lt.day) continue; // today is still being written; judge against finished days
    let worst = -1;
    for (let h = lt.hour - HOURS_BEFORE; h <= lt.hour + HOURS_AFTER; h++) worst = Math.max(worst, sample(byDay, d.day, h));
    if (worst < 0) continue;
    all.push(worst);
    if (d.weekend === weekend) sameKind.push(worst);
  }
  // never seen at home at this hour: nothing to compare with, so only the ceiling applies
  if (all.length === 0) return limits.maxMs;
  const values = sameKind.length >= MIN_SAME_KIND_DAYS ? sameKind : all;
  const usual = quantile(values, QUANTILE) * MINUTE;
  const worst = Math.max(...values) * MINUTE;
  return Math.min(limits.maxMs, Math.max(limits.minMs, usual * FACTOR + MARGIN_MS, worst * WORST_FACTOR + MARGIN_MS));
}

/**
 * The first moment at or after `scanFrom` when a silence that began at `from` exceeds the
 * threshold of the hour it is then in. The threshold never exceeds the ceiling, so the answer
 * is at most `from + maxMs` and the scan is a dozen hours at most.
 */
export function learnedDue(b: Baseline, timezone: string, from: number, scanFrom: number, limits: LearnedLimits): number {
  let t = Math.max(from, scanFrom);
  for (;;) {
    const due = Math.max(t, from + thresholdAt(b, timezone, t, limits));
    const hourEnd = nextLocalHour(t, timezone);
    if (due < hourEnd) return due;
    t = hourEnd;
  }
}
