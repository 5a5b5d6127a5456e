// Replay-based evaluation of inactivity ("Show"): false alerts a month on a resident's
// ordinary routine, and the delay to detect a collapse (all activity stops at a random daytime
// moment), for fixed and learned modes. It drives the same decide()/nextDue() through the
// same scheduler on a virtual clock, as `npm run replay` does, so what it measures is what
// would run.
import type { ResidentConfig } from '../../src/config/index.ts';
import { replay, type HomeState, type ResidentRulesConfig } from '../../src/rules/index.ts';
import { DAY, HOUR, MINUTE, localTime, wallToEpoch } from '../../src/time/index.ts';
import { generateMonth, type GeneratedMonth, type MonthOptions } from './routine.ts';
import { prng } from '../prng.ts';

export { generateMonth, type GeneratedMonth, type MonthOptions } from './routine.ts';

export function residentRulesConfig(month: GeneratedMonth, inactivity: NonNullable<ResidentConfig['rules']['inactivity']>): ResidentRulesConfig {
  return {
    residentId: month.residentId,
    timezone: month.timezone,
    rules: { inactivity, nightDoor: { hours: { start: 22 * 60, end: 6 * 60, text: '22:00-06:00' }, after: 10 * MINUTE }, offline: { after: 5 * MINUTE } },
    devices: month.devices,
  };
}

export interface EvalMode { name: string; inactivity: NonNullable<ResidentConfig['rules']['inactivity']> }

export const DEFAULT_MODES: EvalMode[] = [
  { name: 'fixed 12h in 07:00-22:00', inactivity: { mode: 'fixed', after: 12 * HOUR, activeHours: { start: 420, end: 1320, text: '07:00-22:00' } } },
  { name: 'learned', inactivity: { mode: 'learned' } },
];

export interface EvalOptions {
  seeds?: number[];
  /** history before the measured month, so learned mode is past its learning period (default 14) */
  warmupDays?: number;
  /** measured days (default 30) */
  days?: number;
  /** collapses per seed, in the last week (default 20) */
  collapses?: number;
  /** daytime for collapses, local hours (default 09:00-19:00) */
  collapseHours?: [number, number];
  /** how long after a collapse to wait for an alert before calling it missed (default 24 h) */
  giveUpMs?: number;
  modes?: EvalMode[];
  month?: MonthOptions;
}

export interface ModeResult {
  mode: string;
  /** inactivity alerts on ordinary days (there was no collapse, so all are false) */
  falseAlerts: number;
  falseAlertsPerMonth: number;
  /** per seed (resident), in the order of `seeds`: residents differ, and the worst one matters */
  falseAlertsBySeed: number[];
  /** other alert kinds raised on ordinary days (should be none) */
  otherAlerts: number;
  measuredDays: number;
  collapses: number;
  /** detection delays in ms, sorted; Infinity = not detected within giveUpMs */
  delaysMs: number[];
  medianDelayMs: number;
  maxDelayMs: number;
  /** detected within two hours */
  within2h: number;
}

/** Random daytime moments in the last week when the resident is at home. */
export function collapseMoments(month: GeneratedMonth, seed: number, count: number, hours: [number, number]): number[] {
  const rnd = prng(seed ^ 0x5eed);
  const out: number[] = [];
  const firstDay = localTime(month.end - 7 * DAY, month.timezone).day;
  for (let tries = 0; out.length < count && tries < count * 100; tries++) {
    const day = firstDay + Math.floor(rnd() * 7);
    const t = wallToEpoch(day, (hours[0] + rnd() * (hours[1] - hours[0])) * HOUR, month.timezone);
    if (t >= month.end || month.away.some(([a, b]) => t >= a && t < b)) continue;
    out.push(t);
  }
  return out.sort((a, b) => a - b);
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Run each mode over each seed's month: false alerts on the ordinary month, and collapse detection. */
export function evaluateRules(opts: EvalOptions = {}): ModeResult[] {
  const seeds = opts.seeds ?? [1, 2, 3];
  const warmup = opts.warmupDays ?? 14;
  const days = opts.days ?? 30;
  const giveUp = opts.giveUpMs ?? 24 * HOUR;
  const results: ModeResult[] = [];
  for (const mode of opts.modes ?? DEFAULT_MODES) {
    let falseAlerts = 0, otherAlerts = 0, measuredDays = 0;
    const falseAlertsBySeed: number[] = [];
    const delays: number[] = [];
    for (const seed of seeds) {
      const month = generateMonth(seed, { ...opts.month, days: warmup + days });
      const cfg = residentRulesConfig(month, mode.inactivity);
      const measureFrom = month.start + warmup * DAY;
      const moments = collapseMoments(month, seed, opts.collapses ?? 20, opts.collapseHours ?? [9, 19]);
      const snapshots: Array<{ at: number; state: HomeState }> = [];
      const run = replay(cfg, month.events, month.start, month.end,
        moments.map((at) => ({ at, take: (state) => snapshots.push({ at, state: structuredClone(state) }) })));
      let own = 0;
      for (const a of run.alerts) {
        if (a.openedAt < measureFrom) continue;
        if (a.kind === 'inactivity') own++;
        else otherAlerts++;
      }
      falseAlerts += own;
      falseAlertsBySeed.push(own);
      measuredDays += days;
      // the collapse: from that moment nothing the resident does reaches the gateway
      for (const snap of snapshots) {
        // an alert still open from before (nobody moved since) is already telling people
        if (snap.state.alerts.inactivity) {
          delays.push(0);
          continue;
        }
        const after = replay(cfg, [], snap.at, snap.at + giveUp, [], snap.state);
        const first = after.alerts.find((a) => a.kind === 'inactivity');
        delays.push(first ? first.openedAt - snap.at : Infinity);
      }
    }
    delays.sort((a, b) => a - b);
    results.push({
      mode: mode.name,
      falseAlerts,
      falseAlertsPerMonth: (falseAlerts * 30) / measuredDays,
      falseAlertsBySeed,
      otherAlerts,
      measuredDays,
      collapses: delays.length,
      delaysMs: delays,
      medianDelayMs: median(delays),
      maxDelayMs: delays.length ? delays[delays.length - 1] : NaN,
      within2h: delays.filter((d) => d <= 2 * HOUR).length,
    });
  }
  return results;
}
