// Inactivity measured on real homes' logs, by the method of the issue that asked for it, so
// figures from different models and different homes compare:
//
// - False alerts: the untouched log is replayed; the logs hold no real emergency, so every
//   inactivity alert is false, counted per resident-month. The pre-alarm to the resident is an
//   alert like any other; an alert still open when the neighbour's step would fire (the
//   home's escalation for inactivity, else the shipped default: neighbour after 10 min) is
//   also counted as one that reached a neighbour (nobody answers the pre-alarm in a replay).
// - Collapses: the log is cut right after an indoor sign of life (motion or presence seen, or a
//   door other than the entrance changing; a PIR's "clear" is none) at a random daytime (09:00-19:00) moment
//   when the resident is home: no entrance-door report in the 2 h after the cut, nor in the
//   30 min before unless motion was seen since. The cut log is replayed with --until = cut +
//   24 h; the delay is from the cut to the first inactivity alert after it, or missed.
//   Seeded; `perDay` cuts in every 24 h of the log from its first event, the first day included.
// - Both by phase: days 1-7, 8-14 and after 14, days counted from the log's first event.
//
// One pass per home and mode replays the whole log and keeps the core's state right after each
// cut event; each cut then runs on from that state with no more events to cut + 24 h. That is
// the replay of the cut log step for step (same core, same scheduler, same virtual clock;
// `verifyCut` replays a cut log through the replay command's own replayAll to show it).
import type { Config, ResidentConfig } from '../../src/config/index.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { replayAll } from '../../src/replay.ts';
import { replayConfigFor } from '../../src/replay-config.ts';
import { replay, type HomeState } from '../../src/rules/index.ts';
import { prng } from '../prng.ts';
import { localTime } from '../../src/time/index.ts';
import type { LearnedParams } from '../../src/rules/learned.ts';

export const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

export interface Home {
  name: string;
  config: Config;
  /** decoded by the replay command's own reader */
  events: DeviceEvent[];
}

export type Inactivity = NonNullable<ResidentConfig['rules']['inactivity']>;
export interface Mode {
  name: string;
  inactivity: Inactivity;
  /** the learned model's parameters, changed for a trade-off curve (never from a config file) */
  tuning?: Partial<LearnedParams>;
}

export const MODES: Record<string, Mode> = {
  learned: { name: 'learned', inactivity: { mode: 'learned' } },
  fixed4h: { name: 'fixed 4 h in 08:00-22:00', inactivity: { mode: 'fixed', after: 4 * HOUR, activeHours: { start: 8 * 60, end: 22 * 60, text: '08:00-22:00' } } },
  fixed12h: { name: 'fixed 12 h in 07:00-22:00', inactivity: { mode: 'fixed', after: 12 * HOUR, activeHours: { start: 7 * 60, end: 22 * 60, text: '07:00-22:00' } } },
};

export const PHASES = [
  { name: 'days 1-7', from: 0, to: 7 },
  { name: 'days 8-14', from: 7, to: 14 },
  { name: 'after 14', from: 14, to: Infinity },
] as const;
export type PhaseName = (typeof PHASES)[number]['name'];

export function phaseOf(start: number, at: number): PhaseName {
  const day = (at - start) / DAY;
  return PHASES.find((p) => day >= p.from && day < p.to)!.name;
}

function resident(home: Home): ResidentConfig {
  if (home.config.residents.length !== 1) throw new Error(`${home.name}: expected one resident, found ${home.config.residents.length}`);
  return home.config.residents[0];
}

function timezoneOf(home: Home): string {
  return resident(home).timezone ?? home.config.site.timezone;
}

/** the home's config with its resident's inactivity rule replaced */
export function withMode(home: Home, mode: Mode): Config {
  const r = resident(home);
  return { ...home.config, residents: [{ ...r, rules: { ...r.rules, inactivity: mode.inactivity } }] };
}

export interface Cut {
  /** index of the last event kept */
  index: number;
  at: number;
  phase: PhaseName;
}

/** Indices of indoor signs of life: motion seen, or a non-entrance door changing. */
function signsOfLife(home: Home): { life: boolean[]; entrance: boolean[]; motion: boolean[] } {
  const specs = new Map(resident(home).devices.map((d) => [d.id, d]));
  const contact = new Map<string, boolean>();
  const life: boolean[] = [];
  const entrance: boolean[] = [];
  const motion: boolean[] = [];
  for (const e of home.events) {
    const spec = specs.get(e.deviceId);
    const r = e.type === 'state' ? e.readings ?? {} : {};
    const isEntrance = spec?.kind === 'door' && spec.entrance !== false;
    const moved = (spec?.kind === 'motion' || spec?.kind === 'presence') && r.occupancy === true;
    let changed = false;
    if (spec?.kind === 'door' && typeof r.contact === 'boolean') {
      const before = contact.get(e.deviceId);
      changed = before === undefined ? r.contact === false : before !== r.contact;
      contact.set(e.deviceId, r.contact);
    }
    motion.push(moved);
    entrance.push(isEntrance && typeof r.contact === 'boolean');
    life.push(moved || (changed && !isEntrance));
  }
  return { life, entrance, motion };
}

/**
 * Seeded cuts: in each 24 h of the log (counted from its first event), `perDay` random
 * daytime moments, each moved on to the next indoor sign of life that day, kept when the
 * resident is home then.
 */
export function chooseCuts(home: Home, seed: number, perDay: number, hours: [number, number] = [9, 19]): Cut[] {
  const ev = home.events;
  if (!ev.length) return [];
  const tz = timezoneOf(home);
  const start = ev[0].at;
  const end = ev[ev.length - 1].at;
  const { life, entrance, motion } = signsOfLife(home);
  const lifeIdx = life.flatMap((l, i) => (l ? [i] : []));
  const entranceAt = entrance.flatMap((x, i) => (x ? [ev[i].at] : []));
  const motionAt = motion.flatMap((x, i) => (x ? [ev[i].at] : []));
  const daytime = (t: number) => { const h = localTime(t, tz).msOfDay / HOUR; return h >= hours[0] && h < hours[1]; };
  const firstAtOrAfter = (xs: number[], t: number) => { let lo = 0, hi = xs.length; while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m] < t) lo = m + 1; else hi = m; } return lo; };
  const home_ = (i: number): boolean => {
    const t = ev[i].at;
    if (t + 2 * HOUR > end) return false;
    // no entrance-door report in the 2 h after
    const after = firstAtOrAfter(entranceAt, t + 1);
    if (after < entranceAt.length && entranceAt[after] <= t + 2 * HOUR) return false;
    // nor in the 30 min before, unless motion was seen since
    const k = firstAtOrAfter(entranceAt, t + 1) - 1;
    if (k >= 0 && entranceAt[k] >= t - 30 * MINUTE) {
      const m = firstAtOrAfter(motionAt, entranceAt[k] + 1);
      if (!(m < motionAt.length && motionAt[m] <= t)) return false;
    }
    return true;
  };
  const rnd = prng(seed * 7919 + 17);
  const cuts: Cut[] = [];
  const taken = new Set<number>();
  for (let day = 0; start + day * DAY <= end; day++) {
    const from = start + day * DAY;
    const to = Math.min(from + DAY, end);
    // the daytime minutes of this 24 h, to draw from uniformly
    const minutes: number[] = [];
    for (let t = Math.ceil(from / MINUTE) * MINUTE; t < to; t += MINUTE) if (daytime(t)) minutes.push(t);
    if (!minutes.length) continue;
    let got = 0;
    for (let tries = 0; got < perDay && tries < 2000; tries++) {
      const t = minutes[Math.floor(rnd() * minutes.length)];
      // the next sign of life at or after t, still in this daytime stretch
      let lo = 0, hi = lifeIdx.length;
      while (lo < hi) { const m = (lo + hi) >> 1; if (ev[lifeIdx[m]].at < t) lo = m + 1; else hi = m; }
      if (lo >= lifeIdx.length) continue;
      let i = lifeIdx[lo];
      // events at the same instant belong together: cut after the last of them
      while (i + 1 < ev.length && ev[i + 1].at === ev[i].at) i++;
      if (ev[i].at >= to || !daytime(ev[i].at) || ev[i].at - t > 10 * HOUR || taken.has(i) || !home_(i)) continue;
      taken.add(i);
      cuts.push({ index: i, at: ev[i].at, phase: phaseOf(start, ev[i].at) });
      got++;
    }
  }
  return cuts.sort((a, b) => a.index - b.index);
}

export interface AlertSeen { openedAt: number; resolvedAt: number | null; phase: PhaseName; reachedNeighbour: boolean }
/** `caseworker`: found by the quiet-sensors alert (a device_offline alert to the caseworker), not by an inactivity alert */
export interface CutResult extends Cut { delayMs: number | null; via: 'inactivity' | 'caseworker' | null }

export interface HomeResult {
  home: string;
  mode: string;
  start: number;
  end: number;
  /** days of log by phase */
  days: Record<PhaseName, number>;
  falseAlerts: AlertSeen[];
  /** long-absence questions to the caseworker on the untouched log (not inactivity alerts; counted apart) */
  absenceQuestions: number;
  /** silences raised as quiet sensors to the caseworker on the untouched log (not inactivity alerts; counted apart) */
  sensorQuestions: AlertSeen[];
  cuts: CutResult[];
}

/** the silence alert in its device-health form: most daily sensors quiet, so the caseworker is asked */
export function isQuietSensors(a: { key: string; kind: string }): boolean {
  return a.key === 'inactivity' && a.kind !== 'inactivity';
}

/** when an inactivity alert reaches a neighbour: the first step that notifies one */
export function neighbourAfterMs(config: Config): number | null {
  const shipped: Array<{ notify: string[]; after: number }> = [{ notify: ['resident'], after: 0 }, { notify: ['neighbor'], after: 10 * MINUTE }];
  const steps: Array<{ notify: string[]; after: number }> = config.escalation.inactivity ?? shipped;
  const step = steps.find((s) => s.notify.includes('neighbor'));
  return step ? step.after : null;
}

export function evaluateHome(home: Home, mode: Mode, cuts: Cut[]): HomeResult {
  const config = withMode(home, mode);
  const r = config.residents[0];
  const cfg = { ...replayConfigFor(r, config.site.timezone), ...(mode.tuning ? { tuning: mode.tuning } : {}) };
  const ev = home.events;
  const start = ev[0].at;
  const end = ev[ev.length - 1].at;
  const snapshots = new Map<number, HomeState>();
  const want = new Set(cuts.map((c) => c.index));
  const run = replay(cfg, ev, start, end, [], undefined, (i, state) => { if (want.has(i)) snapshots.set(i, state); });
  const neighbourMs = neighbourAfterMs(config);
  const seen = (a: { openedAt: number; resolvedAt: number | null }): AlertSeen => ({
    openedAt: a.openedAt, resolvedAt: a.resolvedAt, phase: phaseOf(start, a.openedAt),
    reachedNeighbour: neighbourMs !== null && (a.resolvedAt ?? end) - a.openedAt >= neighbourMs,
  });
  const falseAlerts = run.alerts.filter((a) => a.kind === 'inactivity').map(seen);
  const sensorQuestions = run.alerts.filter(isQuietSensors).map((a) => ({ ...seen(a), reachedNeighbour: false }));
  const results = cuts.map((c): CutResult => {
    const state = snapshots.get(c.index)!;
    const after = replay(cfg, [], c.at, c.at + DAY, [], state);
    const first = after.alerts.find((a) => (a.kind === 'inactivity' || isQuietSensors(a)) && a.openedAt >= c.at);
    return { ...c, delayMs: first ? first.openedAt - c.at : null, via: first ? (first.kind === 'inactivity' ? 'inactivity' : 'caseworker') : null };
  });
  const days = Object.fromEntries(PHASES.map((p) => [p.name, Math.max(0, Math.min(end, start + p.to * DAY) - (start + p.from * DAY)) / DAY])) as Record<PhaseName, number>;
  const absenceQuestions = run.alerts.filter((a) => a.kind === 'absence' && !isQuietSensors(a)).length;
  return { home: home.name, mode: mode.name, start, end, days, falseAlerts, absenceQuestions, sensorQuestions, cuts: results };
}

/**
 * What surrounded an alert on the untouched log, for reading false alerts: the last sign of life
 * before it (device and room), the silence it ended, the rooms active in the hour before that,
 * and what came next (device, room, how long after the alert).
 */
export function alertContext(home: Home, openedAt: number): string {
  const specs = new Map(resident(home).devices.map((d) => [d.id, d]));
  const { life } = signsOfLife(home);
  const ev = home.events;
  let lo = 0, hi = ev.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (ev[m].at <= openedAt) lo = m + 1; else hi = m; }
  const name = (i: number) => { const d = specs.get(ev[i].deviceId); return `${d?.name ?? ev[i].deviceId} (${d?.room ?? 'no room'})`; };
  let last = lo - 1;
  while (last >= 0 && !life[last]) last--;
  const h = (ms: number) => `${(ms / HOUR).toFixed(1)} h`;
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
  const parts: string[] = [];
  if (last >= 0) {
    const rooms = new Set<string>();
    for (let i = last; i >= 0 && ev[i].at >= ev[last].at - HOUR; i--) if (life[i]) rooms.add(specs.get(ev[i].deviceId)?.room ?? 'no room');
    parts.push(`last ${name(last)} at ${hhmm(ev[last].at)}, silent ${h(openedAt - ev[last].at)}, rooms in the hour before: ${[...rooms].join('+')}`);
  } else parts.push('no sign of life before');
  let next = lo;
  while (next < ev.length && !life[next]) next++;
  if (next < ev.length) {
    const devicesNextDay = new Set(ev.filter((e) => e.at >= openedAt && e.at < openedAt + DAY).map((e) => e.deviceId)).size;
    parts.push(`then ${name(next)} ${h(ev[next].at - openedAt)} later; ${devicesNextDay} of ${specs.size} devices report in the 24 h after`);
  } else parts.push('nothing after');
  return parts.join('; ');
}

/** The same cut through the replay command's own path: the log cut after the event, --until cut + 24 h. */
export function verifyCut(home: Home, mode: Mode, cut: Cut): number | null {
  const config = withMode(home, mode);
  const alerts = replayAll(config, home.events.slice(0, cut.index + 1), cut.at + DAY);
  const first = alerts.find((a) => a.key === 'inactivity' && Date.parse(a.openedAt) >= cut.at);
  return first ? Date.parse(first.openedAt) - cut.at : null;
}

// ---- summaries ----

export interface Summary {
  days: number;
  falseAlerts: number;
  perResidentMonth: number;
  reachedNeighbour: number;
  reachedNeighbourPerResidentMonth: number;
  cuts: number;
  medianMs: number | null;
  maxMs: number | null;
  missed: number;
  within2h: number;
  /** quiet-sensors alerts to the caseworker on the untouched logs */
  sensorQuestions: number;
  /** cuts found by the quiet-sensors alert to the caseworker rather than an inactivity alert */
  viaCaseworker: number;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Over some homes' results, optionally one phase: missed cuts count as 24 h in the median and the max. */
export function summarise(results: HomeResult[], phase?: PhaseName): Summary {
  let days = 0;
  const alerts: AlertSeen[] = [];
  const cuts: CutResult[] = [];
  let sensorQuestions = 0;
  for (const r of results) {
    sensorQuestions += r.sensorQuestions.filter((a) => !phase || a.phase === phase).length;
    days += phase ? r.days[phase] : Object.values(r.days).reduce((a, b) => a + b, 0);
    alerts.push(...r.falseAlerts.filter((a) => !phase || a.phase === phase));
    cuts.push(...r.cuts.filter((c) => !phase || c.phase === phase));
  }
  const delays = cuts.map((c) => c.delayMs ?? DAY);
  const months = days / 30;
  const reached = alerts.filter((a) => a.reachedNeighbour).length;
  return {
    days,
    falseAlerts: alerts.length,
    perResidentMonth: months > 0 ? alerts.length / months : 0,
    reachedNeighbour: reached,
    reachedNeighbourPerResidentMonth: months > 0 ? reached / months : 0,
    cuts: cuts.length,
    medianMs: median(delays),
    maxMs: delays.length ? Math.max(...delays) : null,
    missed: cuts.filter((c) => c.delayMs === null).length,
    within2h: cuts.filter((c) => c.delayMs !== null && c.delayMs <= 2 * HOUR).length,
    sensorQuestions,
    viaCaseworker: cuts.filter((c) => c.via === 'caseworker').length,
  };
}
