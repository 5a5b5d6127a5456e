// The rules core as it was before copy-on-write states and the cached next due time: every
// decide() deep-copies the state and rebuilds every timer of every device three times (twice in
// decide, once in nextDue). Kept only as the reference the faster core must agree with, decision
// for decision and state for state (test/rules/equivalence.test.ts). It reuses the rules
// themselves (devices.ts, inactivity.ts): what it pins is how decide() copies and schedules.
import { personAcknowledged, personResolved, type Ctx } from '../../src/rules/alerts.ts';
import { nightDoorTimer, offlineTimer, onDeviceEvent, onReceiver, type Timer } from '../../src/rules/devices.ts';
import {
  INACTIVITY_KEY, awayTimer, foldEndedAbsences, foldEndedVisits, inactivityTimer, onActivity, onPersonAcknowledged,
  onPersonResolved, onPlannedAbsence, onPlannedAbsenceCancelled, onVisit,
} from '../../src/rules/inactivity.ts';
import { upgradeBaseline } from '../../src/rules/learned.ts';
import { deviceSpec, freshDevice, type Decision, type HomeState, type ResidentRulesConfig, type RuleInput } from '../../src/rules/state.ts';

function upgrade(state: HomeState): HomeState {
  if (state.absences && state.baseline?.v === 2 && state.activity.lastOutside !== undefined) return state;
  return {
    ...state,
    activity: { ...state.activity, room: state.activity.room ?? 'any', lastIndoor: state.activity.lastIndoor ?? state.activity.last, gapDoor: state.activity.gapDoor ?? false, lastOutside: state.activity.lastOutside ?? state.activity.last, outsideAtDoor: state.activity.outsideAtDoor ?? false, stir: state.activity.stir ?? null },
    absences: state.absences ?? [],
    baseline: upgradeBaseline(state.baseline),
  };
}

function timers(cfg: ResidentRulesConfig, state: HomeState): Timer[] {
  const out: Array<Timer | null> = [];
  for (const spec of cfg.devices) out.push(offlineTimer(cfg, state, spec), nightDoorTimer(cfg, state, spec));
  out.push(awayTimer(cfg, state), inactivityTimer(cfg, state));
  return out.filter((t): t is Timer => t !== null && Number.isFinite(t.due));
}

function earliest(cfg: ResidentRulesConfig, state: HomeState): Timer | null {
  let best: Timer | null = null;
  for (const t of timers(cfg, state)) if (!best || t.due < best.due) best = t;
  return best;
}

function runTimers(ctx: Ctx): void {
  for (let i = 0; i < 100; i++) {
    const t = earliest(ctx.cfg, ctx.state);
    if (!t || t.due > ctx.now) return;
    t.fire(ctx);
  }
}

export function referenceDecide(cfg: ResidentRulesConfig, state0: HomeState, input: RuleInput, now: number): { state: HomeState; decisions: Decision[] } {
  const state = upgrade(state0);
  // a deep copy: nothing the rules do to it can reach the caller's state
  const ctx: Ctx = { cfg, state: structuredClone(state), now, decisions: [] };
  ctx.state.at = Math.max(state.at, now);
  for (const d of cfg.devices) ctx.state.devices[d.id] ??= freshDevice(now);
  runTimers(ctx);
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
    case 'receiver':
      onReceiver(ctx, input.path, input.down, input.reason);
      break;
  }
  runTimers(ctx);
  foldEndedVisits(ctx.state, ctx.state.at);
  foldEndedAbsences(ctx.state, ctx.state.at);
  return { state: ctx.state, decisions: ctx.decisions };
}

export function referenceNextDue(cfg: ResidentRulesConfig, state0: HomeState): number | null {
  return earliest(cfg, upgrade(state0))?.due ?? null;
}
