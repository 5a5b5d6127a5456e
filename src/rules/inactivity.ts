// Inactivity: no sign of life for too long, in two modes, with away-from-home and visits.
//
// Activity is a door change (any door), motion, a button press. The silence is measured from
// `silenceFrom`: the last activity, or later when a visit or a person resolving the alert
// vouched for the resident.
//
// fixed: the alert comes when `after` of silence has passed counting only time inside
//   `activeHours` (issue 3: "no activity for `after` within `activeHours`"). With 12h in
//   07:00-22:00 a resident last seen at 21:00 is alerted on at 18:00 the next day, never in
//   the small hours, and a long sleep is never silence.
// learned: see learned.ts. Before `learningDays` of history the fixed rule runs with the
//   learned block's own `after`/`activeHours` or 12h in 07:00-22:00.
// away: an entrance door opened and closed and then no indoor activity for AWAY_CONFIRM_MS
//   means the resident went out; inactivity waits until they come back (the entrance door
//   again, or any indoor activity) but for AWAY_MAX_MS at most, so a resident who never came
//   back is still noticed. Needs a motion sensor: without one "no indoor motion" means nothing.
import { autoResolve, raise, record, release, update, type Ctx } from './alerts.ts';
import type { ActivityFacts, Timer } from './devices.ts';
import { learnGap, learnedDayCount, learnedDue, thresholdAt, type LearnedLimits } from './learned.ts';
import {
  AWAY_CONFIRM_MS, AWAY_MAX_MS, DEFAULT_FALLBACK_ACTIVE_HOURS, DEFAULT_FALLBACK_AFTER_MS, DEFAULT_LEARNED_MAX_MS,
  DEFAULT_LEARNED_MIN_MS, DEFAULT_LEARNING_DAYS, hasActivitySensor, hasMotionSensor,
  type HomeState, type ResidentRulesConfig,
} from './state.ts';
import { addMsInWindow, inWindow, msInWindow } from './time.ts';
import type { HourWindow } from '../config/index.ts';

const KEY = 'inactivity';

type Judge =
  | { mode: 'off' }
  | { mode: 'fixed' | 'learning'; after: number; activeHours: HourWindow }
  | { mode: 'learned'; limits: LearnedLimits };

/** Which rule judges silence right now. No inactivity block in the config means no inactivity alerts. */
export function judge(cfg: ResidentRulesConfig, state: HomeState): Judge {
  const rule = cfg.rules.inactivity;
  if (!rule || !hasActivitySensor(cfg)) return { mode: 'off' };
  if (rule.mode === 'fixed') return { mode: 'fixed', after: rule.after, activeHours: rule.activeHours };
  if (learnedDayCount(state.baseline) < learningDays(cfg)) {
    return {
      mode: 'learning',
      after: rule.after ?? DEFAULT_FALLBACK_AFTER_MS,
      activeHours: rule.activeHours ?? DEFAULT_FALLBACK_ACTIVE_HOURS,
    };
  }
  return { mode: 'learned', limits: learnedLimits(cfg) };
}

export function learnedLimits(cfg: ResidentRulesConfig): LearnedLimits {
  const rule = cfg.rules.inactivity;
  const minMs = rule?.mode === 'learned' ? rule.min ?? DEFAULT_LEARNED_MIN_MS : DEFAULT_LEARNED_MIN_MS;
  const maxMs = rule?.mode === 'learned' ? rule.max ?? DEFAULT_LEARNED_MAX_MS : DEFAULT_LEARNED_MAX_MS;
  return { minMs, maxMs: Math.max(minMs, maxMs) };
}

function learningDays(cfg: ResidentRulesConfig): number {
  const rule = cfg.rules.inactivity;
  return rule?.mode === 'learned' ? rule.learningDays ?? DEFAULT_LEARNING_DAYS : DEFAULT_LEARNING_DAYS;
}

function isLearning(cfg: ResidentRulesConfig): boolean {
  return cfg.rules.inactivity?.mode === 'learned';
}

/** The first moment the silence from `from` is too long under `j`, scanning from `scanFrom`. */
function dueUnder(cfg: ResidentRulesConfig, state: HomeState, j: Judge, from: number, scanFrom: number): number {
  if (j.mode === 'off') return Infinity;
  if (j.mode === 'learned') return learnedDue(state.baseline, cfg.timezone, from, scanFrom, j.limits);
  return addMsInWindow(from, j.after, cfg.timezone, j.activeHours);
}

/** issue 3: a visit in progress suppresses inactivity; the visitor saw the resident, so silence restarts at its end. */
export function inactivityTimer(cfg: ResidentRulesConfig, state: HomeState, scanFrom: number): Timer | null {
  const a = state.activity;
  if (state.latched[KEY] || a.awaySince !== null) return null;
  const j = judge(cfg, state);
  if (j.mode === 'off') return null;
  let from = a.silenceFrom;
  let due = dueUnder(cfg, state, j, from, scanFrom);
  for (const v of state.visits) {
    // a visit under way, or one that will start before the alert would, vouches until its end
    if (v.start <= Math.max(due, state.at) && v.end > from) {
      from = v.end;
      due = dueUnder(cfg, state, j, from, scanFrom);
    }
  }
  if (!Number.isFinite(due)) return null;
  const silenceFrom = from;
  return {
    due,
    fire: (ctx) => {
      const detail: Record<string, unknown> = { mode: j.mode, lastActivityAt: a.last, silentForMs: ctx.now - silenceFrom };
      if (j.mode === 'learned') detail.thresholdMs = thresholdAt(state.baseline, cfg.timezone, ctx.now, j.limits);
      else {
        detail.thresholdMs = j.after;
        detail.activeHours = j.activeHours.text;
        detail.silentInActiveHoursMs = msInWindow(silenceFrom, ctx.now, cfg.timezone, j.activeHours);
      }
      raise(ctx, KEY, 'inactivity', null, detail, 'no activity again');
    },
  };
}

export function awayTimer(state: HomeState): Timer | null {
  const a = state.activity;
  if (a.awaySince !== null) {
    return {
      due: a.awaySince + AWAY_MAX_MS,
      fire: (ctx) => {
        // still not back: stop assuming they are out and let the silence be judged again
        ctx.state.activity.awaySince = null;
        record(ctx, 'away from home for over 36 hours; inactivity is watched again');
      },
    };
  }
  if (a.awayPendingSince !== null) {
    const since = a.awayPendingSince;
    return {
      due: since + AWAY_CONFIRM_MS,
      fire: (ctx) => {
        const act = ctx.state.activity;
        act.awayPendingSince = null;
        act.awaySince = since;
        act.gapAway = true;
        record(ctx, 'away from home');
      },
    };
  }
  return null;
}

export function onActivity(ctx: Ctx, facts: ActivityFacts, at: number): void {
  const { cfg } = ctx;
  const s = ctx.state;
  const a = s.activity;
  if (at > a.last && isLearning(cfg) && !a.gapAway && !a.gapIncident) {
    // a usual gap of this home; gaps spent out or that a person had to check on are not usual
    s.baseline = learnGap(s.baseline, cfg.timezone, a.last, at, learnedLimits(cfg).maxMs);
    if (!s.baseline.noted && learnedDayCount(s.baseline) >= learningDays(cfg)) {
      s.baseline = { ...s.baseline, noted: true };
      record(ctx, 'inactivity baseline learned');
    }
  }
  if (s.latched[KEY] || s.alerts[KEY]) {
    release(ctx, KEY);
    update(ctx, KEY, 'activity resumed');
    // issue 3: resolves it if nobody has acknowledged yet; an acknowledged alert is someone's
    // to close, they may be on their way
    if (s.alerts[KEY] && !s.alerts[KEY].acknowledged) autoResolve(ctx, KEY, 'activity resumed');
  }
  a.last = Math.max(a.last, at);
  a.silenceFrom = Math.max(a.silenceFrom, at);
  a.gapIncident = false;

  if (a.awaySince !== null && (facts.indoor || facts.entranceOpened)) {
    a.awaySince = null;
    a.arriving = facts.entranceOpened;
    record(ctx, 'back home');
  }
  if (facts.indoor) {
    a.awayPendingSince = null;
    a.arriving = false;
  }
  if (facts.entranceClosed) {
    // Going out is "inside, then the door": a door cycle that brought them in is not one, and
    // stillness right after coming home is exactly when a fall must not be taken for an errand.
    if (!a.arriving && hasMotionSensor(cfg) && !atNight(cfg, at)) a.awayPendingSince = at;
    a.arriving = false;
  }
  a.gapAway = a.awaySince !== null;
}

/**
 * Leaving during nightDoor.hours is not "going out": a resident who slips out at 02:00 and
 * shuts the door behind them must not silence inactivity for a day and a half.
 */
function atNight(cfg: ResidentRulesConfig, at: number): boolean {
  const night = cfg.rules.nightDoor;
  return night !== undefined && inWindow(at, cfg.timezone, night.hours);
}

/** A caseworker visit: the visitor sees the resident, so it settles a silence alert and restarts the silence. */
export function onVisit(ctx: Ctx, start: number, end: number): void {
  if (!(end > start)) return;
  const s = ctx.state;
  if (start <= ctx.now) {
    if (s.alerts[KEY]) {
      update(ctx, KEY, 'caseworker visit');
      if (!s.alerts[KEY].acknowledged) autoResolve(ctx, KEY, 'caseworker visit');
    }
    if (s.latched[KEY]) {
      release(ctx, KEY);
      s.activity.gapIncident = true;
    }
  }
  s.visits.push({ start, end });
  s.visits.sort((x, y) => x.start - y.start || x.end - y.end);
}

/** Visits that are over become plain facts: the resident was seen at their end. */
export function foldEndedVisits(state: HomeState, now: number): void {
  const ended = state.visits.filter((v) => v.end <= now);
  if (ended.length === 0) return;
  state.visits = state.visits.filter((v) => v.end > now);
  for (const v of ended) {
    state.activity.silenceFrom = Math.max(state.activity.silenceFrom, v.end);
    for (const dev of Object.values(state.devices)) {
      if (dev.countFrom !== null && v.end > dev.countFrom) dev.countFrom = v.end;
    }
  }
}

export function onPersonResolved(state: HomeState, now: number): void {
  // the person vouched for the resident now: a new alert needs a whole new silence
  delete state.latched[KEY];
  state.activity.silenceFrom = Math.max(state.activity.silenceFrom, now);
  state.activity.gapIncident = true;
}

export function onPersonAcknowledged(state: HomeState): void {
  state.activity.gapIncident = true;
}

export { KEY as INACTIVITY_KEY };
