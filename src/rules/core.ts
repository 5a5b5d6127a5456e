// decide(), nextDue() and initialState(): the rules listed at the top of index.ts, wired.
import { personAcknowledged, personResolved, cloneState, type Ctx } from './alerts.ts';
import { nightDoorTimer, offlineTimer, onDeviceEvent, type Timer } from './devices.ts';
import {
  INACTIVITY_KEY, awayTimer, foldEndedAbsences, foldEndedVisits, inactivityTimer, onActivity, onPersonAcknowledged,
  onPersonResolved, onPlannedAbsence, onPlannedAbsenceCancelled, onVisit,
} from './inactivity.ts';
import { emptyBaseline, upgradeBaseline } from './learned.ts';
import { deviceSpec, freshDevice, type Decision, type HomeState, type ResidentRulesConfig, type RuleInput } from './state.ts';

export function initialState(cfg: ResidentRulesConfig, now: number): HomeState {
  const devices: HomeState['devices'] = {};
  for (const d of cfg.devices) devices[d.id] = freshDevice(now);
  return {
    v: 1,
    at: now,
    alerts: {},
    latched: {},
    devices,
    activity: {
      last: now, silenceFrom: now, awayPendingSince: null, awaySince: null, arriving: false, gapAway: false, gapIncident: false,
      room: 'any', lastIndoor: now, gapDoor: false, lastOutside: now, outsideAtDoor: false, stir: null,
    },
    visits: [],
    absences: [],
    baseline: emptyBaseline(),
  };
}

/** A state saved by an older version gets the fields added since (and a fresh learned baseline). */
function upgrade(state: HomeState): HomeState {
  if (state.absences && state.baseline?.v === 2 && state.activity.lastOutside !== undefined) return state;
  return {
    ...state,
    activity: { ...state.activity, room: state.activity.room ?? 'any', lastIndoor: state.activity.lastIndoor ?? state.activity.last, gapDoor: state.activity.gapDoor ?? false, lastOutside: state.activity.lastOutside ?? state.activity.last, outsideAtDoor: state.activity.outsideAtDoor ?? false, stir: state.activity.stir ?? null },
    absences: state.absences ?? [],
    baseline: upgradeBaseline(state.baseline),
  };
}

function timers(cfg: ResidentRulesConfig, state: HomeState, scanFrom: number): Timer[] {
  const out: Array<Timer | null> = [];
  for (const spec of cfg.devices) out.push(offlineTimer(cfg, state, spec), nightDoorTimer(cfg, state, spec));
  // away before inactivity: on a tie, knowing they are out comes first
  out.push(awayTimer(cfg, state), inactivityTimer(cfg, state));
  return out.filter((t): t is Timer => t !== null && Number.isFinite(t.due));
}

function earliest(cfg: ResidentRulesConfig, state: HomeState, scanFrom: number): Timer | null {
  let best: Timer | null = null;
  for (const t of timers(cfg, state, scanFrom)) if (!best || t.due < best.due) best = t;
  return best;
}

/**
 * Fire, in time order, every timer due by now. A late tick or an event arriving after a missed
 * tick gives the same decisions a punctual scheduler would have (live and replay agree).
 */
function runTimers(ctx: Ctx, scanFrom: number): void {
  // every fire latches its condition or moves the away state, so this ends; the bound is a guard
  for (let i = 0; i < 100; i++) {
    const t = earliest(ctx.cfg, ctx.state, scanFrom);
    if (!t || t.due > ctx.now) return;
    t.fire(ctx);
  }
}

export function decide(cfg: ResidentRulesConfig, state0: HomeState, input: RuleInput, now: number): { state: HomeState; decisions: Decision[] } {
  const state = upgrade(state0);
  const scanFrom = state.at;
  const ctx: Ctx = { cfg, state: cloneState(state), now, decisions: [] };
  ctx.state.at = Math.max(state.at, now);
  // a device added to the config since the state was saved starts its supervision now
  for (const d of cfg.devices) ctx.state.devices[d.id] ??= freshDevice(now);

  runTimers(ctx, scanFrom);
  switch (input.type) {
    case 'tick':
      break;
    case 'event': {
      const facts = onDeviceEvent(ctx, deviceSpec(cfg, input.event), input.event);
      if (facts.activity) onActivity(ctx, facts, input.event.at, input.event.deviceId);
      break;
    }
    case 'visit':
      onVisit(ctx, input.start, input.end);
      break;
    case 'acknowledged':
      if (personAcknowledged(ctx.state, input.key) && input.key === INACTIVITY_KEY) onPersonAcknowledged(ctx.state);
      break;
    case 'resolved':
      if (personResolved(ctx.state, input.key)) onPersonResolved(ctx.state, now, input.key);
      break;
    case 'absence':
      onPlannedAbsence(ctx, input.absence);
      break;
    case 'absence_cancelled':
      onPlannedAbsenceCancelled(ctx, input.id);
      break;
  }
  // an input can make something due at once (an offline grace of 0s, a visit that ended)
  runTimers(ctx, scanFrom);
  foldEndedVisits(ctx.state, ctx.state.at);
  foldEndedAbsences(ctx.state, ctx.state.at);
  return { state: ctx.state, decisions: ctx.decisions };
}

/** Epoch ms when the next tick is needed, or null when nothing is waiting on the clock. */
export function nextDue(cfg: ResidentRulesConfig, state0: HomeState): number | null {
  const state = upgrade(state0);
  return earliest(cfg, state, state.at)?.due ?? null;
}
