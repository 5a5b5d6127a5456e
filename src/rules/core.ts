// decide(), nextDue() and initialState(): the rules listed at the top of index.ts, wired.
import { personAcknowledged, personResolved, copyState, writableAlerts, writableLatched, type Ctx } from './alerts.ts';
import { nightDoorTimer, offlineDue, offlineTimer, onDeviceEvent, onReceiver, type Timer } from './devices.ts';
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

/**
 * The first timer due (the earliest; on a tie the first in this order: each device's offline
 * then night-door timer in config order, then away, then inactivity), or null.
 */
function earliest(cfg: ResidentRulesConfig, state: HomeState): Timer | null {
  // the offline timer of a device is built only if it is the one due first
  let best: Timer | null = null;
  let bestOffline: ResidentRulesConfig['devices'][number] | null = null;
  let bestDue = Infinity;
  for (const spec of cfg.devices) {
    const offline = offlineDue(cfg, state, spec);
    if (offline < bestDue && Number.isFinite(offline)) {
      bestDue = offline;
      bestOffline = spec;
      best = null;
    }
    const door = nightDoorTimer(cfg, state, spec);
    if (door !== null && door.due < bestDue && Number.isFinite(door.due)) {
      bestDue = door.due;
      best = door;
      bestOffline = null;
    }
  }
  // away before inactivity: on a tie, knowing they are out comes first
  for (const t of [awayTimer(cfg, state), inactivityTimer(cfg, state)]) {
    if (t !== null && t.due < bestDue && Number.isFinite(t.due)) {
      bestDue = t.due;
      best = t;
      bestOffline = null;
    }
  }
  return bestOffline !== null ? offlineTimer(cfg, state, bestOffline) : best;
}

/**
 * The next due time of each state decide() returned or nextDue() was asked about, for the config
 * it was judged under. A HomeState is never changed once made (decide() works on a copy), so a
 * state's next due time never changes either: the scheduler's nextDue() after decide() and the
 * next decide()'s first look at the timers need not rebuild every timer of every device again.
 */
const dueOf = new WeakMap<HomeState, { cfg: ResidentRulesConfig; due: number | null }>();

/**
 * Fire, in time order, every timer due by now. A late tick or an event arriving after a missed
 * tick gives the same decisions a punctual scheduler would have (live and replay agree).
 * Returns the next due time of the state it leaves (undefined if the guard stopped it).
 */
function runTimers(ctx: Ctx): number | null | undefined {
  // every fire latches its condition or moves the away state, so this ends; the bound is a guard
  for (let i = 0; i < 100; i++) {
    const t = earliest(ctx.cfg, ctx.state);
    if (!t || t.due > ctx.now) return t ? t.due : null;
    t.fire(ctx);
  }
  return undefined;
}

export function decide(cfg: ResidentRulesConfig, state0: HomeState, input: RuleInput, now: number): { state: HomeState; decisions: Decision[] } {
  const state = upgrade(state0);
  const ctx: Ctx = { cfg, state: copyState(state), now, decisions: [], shared: state };
  ctx.state.at = Math.max(state.at, now);
  // a device added to the config since the state was saved starts its supervision now
  let added = false;
  for (const d of cfg.devices) {
    if (ctx.state.devices[d.id] === undefined) {
      ctx.state.devices[d.id] = freshDevice(now);
      added = true;
    }
  }

  // Nothing is due yet if the state's next due time, known from when it was made, is still
  // ahead. That time is this copy's too unless a device was added or there are visits or planned
  // absences (the only timers that read state.at, which just moved).
  const known = dueOf.get(state);
  let due: number | null | undefined;
  if (known !== undefined && known.cfg === cfg && !added && state.visits.length === 0 && state.absences.length === 0
    && (known.due === null || known.due > now)) due = known.due;
  else due = runTimers(ctx);
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
    case 'resolved':
      // a person's word edits the alert and latch maps in place (and inactivity.ts the activity)
      writableAlerts(ctx);
      writableLatched(ctx);
      if (input.type === 'resolved') {
        if (personResolved(ctx.state, input.key)) onPersonResolved(ctx.state, now, input.key);
      } else if (personAcknowledged(ctx.state, input.key) && input.key === INACTIVITY_KEY) onPersonAcknowledged(ctx.state);
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
  // an input can make something due at once (an offline grace of 0s, a visit that ended); a tick
  // changes nothing after the timers ran, so their look ahead stands
  if (input.type !== 'tick' || due === undefined) due = runTimers(ctx);
  const { visits, absences } = ctx.state;
  foldEndedVisits(ctx.state, ctx.state.at);
  foldEndedAbsences(ctx.state, ctx.state.at);
  // folding replaces the lists when it changes anything (and then moves the silence): look again
  if (due !== undefined && ctx.state.visits === visits && ctx.state.absences === absences) dueOf.set(ctx.state, { cfg, due });
  return { state: ctx.state, decisions: ctx.decisions };
}

/** Epoch ms when the next tick is needed, or null when nothing is waiting on the clock. */
export function nextDue(cfg: ResidentRulesConfig, state0: HomeState): number | null {
  const known = dueOf.get(state0);
  if (known !== undefined && known.cfg === cfg) return known.due;
  const due = earliest(cfg, upgrade(state0))?.due ?? null;
  dueOf.set(state0, { cfg, due });
  return due;
}
