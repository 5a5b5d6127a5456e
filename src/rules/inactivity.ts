// Inactivity: no sign of life for too long, in two modes, with away-from-home, planned
// absences and visits.
//
// Activity is a door change (any door), motion, a button press. The silence is measured from
// `silenceFrom`: the last activity, or later when a visit or a person resolving the alert
// vouched for the resident. Where the last activity was (its device's room) is kept with it.
//
// fixed: the alert comes when `after` of silence has passed counting only time inside
//   `activeHours`. With 12h in 07:00-22:00 a resident last seen at 21:00 is alerted on at 18:00
//   the next day, never in the small hours, and a long sleep is never silence.
// learned: see learned.ts: a prior for any home from the first hour, sharpened by the
//   resident's own silences by room and their own nights. If the learned block sets `after`
//   (and `activeHours`), that fixed rule also applies, as a safety net: whichever comes first.
// away: an entrance door opened and closed and then no indoor activity for AWAY_CONFIRM_MS
//   means the resident went out; inactivity waits until they come back (the entrance door
//   again, or any indoor activity). Going out is "inside, then the door": a door cycle after
//   ARRIVE_QUIET_MS without indoor activity brought someone in, and stillness
//   right after coming home is exactly when a fall must not be taken for an errand. In fixed
//   mode away needs a motion sensor; learned mode reads doors and switches as indoor activity
//   too (their silence after the door is the sign), so homes without motion sensors get it.
// long absence: away for ABSENCE_CHECK_MS with no planned absence asks the caseworker (an
//   `absence` alert), not the neighbour: a holiday nobody entered is a question for the person
//   who plans visits, and a run of inactivity alarms helps no one.
// planned absence: a caseworker (API), the family or the resident (SMS) says they are away
//   until a date. No inactivity alert until then; the resident coming home (the entrance door,
//   then indoor activity) ends it early. Not back ABSENCE_GRACE_MS after its end: the
//   caseworker is asked.
// quiet sensors: when most of the devices that report every day have been silent through a
//   day of the resident's time at home, the silence is the sensors', not the resident's: the learned mode's alert goes to the
//   caseworker as a `device_offline` alert (reason `sensors_quiet`) instead of an inactivity
//   alarm to the neighbour. See quietSensors. So does a silence in a home still being installed
//   (its first days, most of its activity devices never heard yet; see installing), with
//   `installing: true`: the sensors cannot see the resident yet, and the caseworker who arranged
//   the installation is the one to call and to finish it.
import { autoResolve, raise, record, release, update, type Ctx } from './alerts.ts';
import type { ActivityFacts, Timer } from './devices.ts';
import { PARAMS, baselineLearned, judgeSilence, learnDay, learnNight, roomClass, type LearnedLimits, type RoomClass } from './learned.ts';
import {
  ABSENCE_CHECK_MS, ABSENCE_GRACE_MS, ARRIVE_QUIET_MS, OCCUPIED_STUCK_MS, PRESENCE_MS, STIR_FLOOR_MS, STIR_MS, AWAY_CONFIRM_MS, DEFAULT_LEARNED_MAX_MS, DEFAULT_LEARNED_MIN_MS,
  COMPANY_AGAIN_MAX_MS, COMPANY_AGAIN_MIN_MS, COMPANY_LEFT_MS, TWO_ROOMS_MS,
  hasActivitySensor, hasMotionSensor,
  type HomeState, type PlannedAbsence, type ResidentRulesConfig,
} from './state.ts';
import { HOUR, addMsInWindow, inWindow, localTime, msInWindow } from '../time/index.ts';
import type { HourWindow } from '../config/index.ts';

const KEY = 'inactivity';
const ABSENCE_KEY = 'absence';

/** a daily device silent through this much of the resident's time at home is not reporting (or not being used) */
export const QUIET_DEVICE_MS = 24 * HOUR;
/** a device reported activity on at least this many days, and on this share of the days from its first to its last: it reports daily */
export const HABIT_MIN_DAYS = 4;
export const HABIT_SHARE = 0.8;
/** this share of them at least (and two) quiet at once: the sensors, not the resident */
export const QUIET_SHARE = 0.75;
/** a home whose activity devices have mostly (QUIET_SHARE) never shown activity is being installed, in its first this many local days */
export const INSTALL_DAYS = 3;

type Judge =
  | { mode: 'off' }
  | { mode: 'fixed'; after: number; activeHours: HourWindow }
  | { mode: 'learned'; limits: LearnedLimits; net: { after: number; activeHours: HourWindow } | null };

/** Which rule judges silence right now. No inactivity block in the config means no inactivity alerts. */
export function judge(cfg: ResidentRulesConfig): Judge {
  const rule = cfg.rules.inactivity;
  if (!rule || !hasActivitySensor(cfg)) return { mode: 'off' };
  if (rule.mode === 'fixed') return { mode: 'fixed', after: rule.after, activeHours: rule.activeHours };
  const net = rule.after !== undefined ? { after: rule.after, activeHours: rule.activeHours ?? { start: 0, end: 1440, text: '00:00-24:00' } } : null;
  return { mode: 'learned', limits: learnedLimits(cfg), net };
}

export function learnedLimits(cfg: ResidentRulesConfig): LearnedLimits {
  const rule = cfg.rules.inactivity;
  const minMs = rule?.mode === 'learned' ? rule.min ?? DEFAULT_LEARNED_MIN_MS : DEFAULT_LEARNED_MIN_MS;
  const maxMs = rule?.mode === 'learned' ? rule.max ?? DEFAULT_LEARNED_MAX_MS : DEFAULT_LEARNED_MAX_MS;
  return { minMs, maxMs: Math.max(minMs, maxMs), params: { ...PARAMS, priorDays: priorDays(cfg), ...cfg.tuning } };
}

function priorDays(cfg: ResidentRulesConfig): number {
  const rule = cfg.rules.inactivity;
  return rule?.mode === 'learned' ? rule.learningDays ?? PARAMS.priorDays : PARAMS.priorDays;
}

function isLearning(cfg: ResidentRulesConfig): boolean {
  return cfg.rules.inactivity?.mode === 'learned';
}

/** The room class of a device, for the learned model. */
export function deviceRoomClass(cfg: ResidentRulesConfig, deviceId: string): RoomClass {
  return roomClass(cfg.devices.find((d) => d.id === deviceId)?.room);
}

/** A motion or presence device in the bedroom (a PIR, a bed mat): going to bed is seen. */
function seesBed(cfg: ResidentRulesConfig): boolean {
  return cfg.devices.some((d) => (d.kind === 'motion' || d.kind === 'presence') && d.room === 'bedroom');
}

interface Due { due: number; detail: Record<string, unknown> }

/** The first moment the silence from `from` is too long under `j`. */
function dueUnder(cfg: ResidentRulesConfig, state: HomeState, j: Judge, from: number): Due {
  if (j.mode === 'off') return { due: Infinity, detail: {} };
  if (j.mode === 'fixed') {
    return { due: addMsInWindow(from, j.after, cfg.timezone, j.activeHours), detail: { thresholdMs: j.after, activeHours: j.activeHours.text } };
  }
  const s = judgeSilence(state.baseline, cfg.timezone, from, state.activity.room, j.limits, state.activity.lastOutside, !seesBed(cfg));
  const learned: Due = { due: s.due, detail: { regime: s.regime, room: s.roomClass, thresholdMs: s.thresholdMs } };
  if (!j.net) return learned;
  const netDue = addMsInWindow(from, j.net.after, cfg.timezone, j.net.activeHours);
  return netDue < learned.due ? { due: netDue, detail: { ...learned.detail, safetyNet: j.net.after } } : learned;
}

/** A planned absence covering `at`, if any. */
function plannedAt(state: HomeState, at: number): PlannedAbsence | undefined {
  return state.absences.find((p) => p.from <= at && at < p.until);
}

/** a visit in progress suppresses inactivity; the visitor saw the resident, so silence restarts at its end. */
export function inactivityTimer(cfg: ResidentRulesConfig, state: HomeState): Timer | null {
  const a = state.activity;
  if (state.latched[KEY]) return null;
  const j = judge(cfg);
  if (j.mode === 'off') return null;
  // out: no silence to judge, unless a sensor stirred since (were they back after all?), or the
  // door shut just after company (did only the visitor leave?) in a home whose rhythm is learned
  // and on an outing no planned absence accounts for (family fetching the resident for a planned
  // stay is company too; so is a plan entered once they had gone)
  const companyLeft = !!a.afterCompany && j.mode === 'learned' && a.awaySince !== null && !state.absences.some((p) => p.until > a.awaySince!);
  if (a.awaySince !== null && a.stir === null && !companyLeft) return null;
  const stir = a.awaySince !== null ? a.stir ?? { device: null, at: a.awaySince } : null;
  let from = stir ? stir.at : a.silenceFrom;
  const under = (t: number): Due => {
    const x = dueUnder(cfg, state, j, t);
    // most daily sensors quiet already: no second sensor can confirm the return, so the lone stir
    // waits no floor; the silence goes to the caseworker as quiet sensors at its own threshold
    if (stir && j.mode === 'learned' && quietSensors(cfg, state, t)) return { due: x.due, detail: { ...x.detail, afterStir: true } };
    return stir ? { due: Math.max(x.due, t + STIR_FLOOR_MS), detail: { ...x.detail, afterStir: true } } : x;
  };
  let d = under(from);
  for (let i = 0; i < 20; i++) {
    let moved = false;
    for (const v of state.visits) {
      // a visit under way, or one that will start before the alert would, vouches until its end
      if (v.start <= Math.max(d.due, state.at) && v.end > from) { from = v.end; moved = true; }
    }
    // a planned absence that has begun (or begins before the alert) holds the silence until it ends
    for (const p of state.absences) {
      if (p.from <= Math.max(d.due, state.at) && p.until > from) { from = p.until; moved = true; }
    }
    if (!moved) break;
    d = under(from);
  }
  if (!Number.isFinite(d.due)) return null;
  const silenceFrom = from;
  const detail = d.detail;
  return {
    due: d.due,
    fire: (ctx) => {
      const out: Record<string, unknown> = { mode: j.mode, lastActivityAt: a.last, silentForMs: ctx.now - silenceFrom, ...detail };
      if (j.mode === 'fixed') out.silentInActiveHoursMs = msInWindow(silenceFrom, ctx.now, cfg.timezone, j.activeHours);
      // most daily sensors silent for a day already: a device-health question for the caseworker, not the neighbour
      const quiet = j.mode === 'learned' ? quietSensors(cfg, ctx.state, silenceFrom) : null;
      // the home still being installed: most of its motion and presence sensors have not shown anything yet
      const unheard = j.mode === 'learned' && !quiet ? installing(cfg, ctx.state, silenceFrom) : null;
      if (quiet) raise(ctx, KEY, 'device_offline', null, { ...out, reason: 'sensors_quiet', quietDevices: quiet }, 'no activity again');
      else if (unheard) raise(ctx, KEY, 'device_offline', null, { ...out, reason: 'sensors_quiet', installing: true, quietDevices: unheard }, 'no activity again');
      // out by the door, one sensor stirred once and nothing since: where they are is the caseworker's question
      else if (stir && stir.device === null) raise(ctx, KEY, 'absence', null, { ...out, reason: 'company_left', awaySince: a.awaySince }, 'no activity again');
      else if (stir && j.mode === 'learned') raise(ctx, KEY, 'absence', null, { ...out, reason: 'stir_while_away', awaySince: a.awaySince, stirDevice: stir.device }, 'no activity again');
      else raise(ctx, KEY, 'inactivity', null, out, 'no activity again');
    },
  };
}

/**
 * The home's sensors, rather than its resident, have gone quiet: of the activity devices that
 * report every day (activity on HABIT_SHARE of the local days from their first to their last,
 * HABIT_MIN_DAYS at least), at least two and at least QUIET_SHARE have been silent for QUIET_DEVICE_MS
 * of the resident's time at home (time away does not count) before `from`. A collapse silences
 * every sensor at once, from the moment it happens; a network that is failing shows a day or
 * more in which the bathroom and the bedroom stay silent while one sensor still reports.
 * Devices that have never reported are not counted: a cupboard may go unopened for weeks, and
 * an appliance switch for days. The quiet devices' ids, or null.
 */
export function quietSensors(cfg: ResidentRulesConfig, state: HomeState, from: number): string[] | null {
  const a = state.activity;
  const awayNow = (a.awayMs ?? 0) + (a.awaySince !== null && a.awaySince < from ? from - a.awaySince : 0);
  // the resident's time at home from `t` to `from`: a weekend away is no silence of the sensors
  const homeSince = (t: number, awayThen: number) => from - t - (awayNow - awayThen);
  let counted = 0;
  const quiet: string[] = [];
  for (const d of cfg.devices) {
    const doorInside = d.kind === 'door' && d.entrance === false;
    if (!(d.kind === 'motion' || d.kind === 'presence' || doorInside)) continue;
    const dev = state.devices[d.id];
    if (dev?.habitDays === undefined || dev.habitFrom === undefined || dev.habitLast === undefined) continue;
    if (dev.habitDays < HABIT_MIN_DAYS || dev.habitDays < HABIT_SHARE * (dev.habitLast - dev.habitFrom + 1)) continue;
    counted++;
    if (homeSince(dev.habitAt ?? from, dev.habitAway ?? awayNow) >= QUIET_DEVICE_MS) quiet.push(d.id);
  }
  return quiet.length >= 2 && quiet.length >= QUIET_SHARE * counted ? quiet : null;
}

/**
 * The home is still being installed: its first activity was on this local day or the two before
 * (INSTALL_DAYS), and most of its activity devices (motion, presence, doors other than the
 * entrance: at least two, and QUIET_SHARE of them) have never shown activity, as when the sensors
 * are still being fitted, switched on or paired (house B's first two days: 19 of 22 unheard, its
 * PIRs not yet reporting). A silence then says more about the sensors than about the resident. A
 * furnished home whose cupboards and appliances have not all been used yet is not installing: in
 * their first day the other homes here had at most 59 % of theirs unheard. The unheard devices'
 * ids, or null.
 */
export function installing(cfg: ResidentRulesConfig, state: HomeState, from: number): string[] | null {
  const acts = cfg.devices.filter((d) => d.kind === 'motion' || d.kind === 'presence' || (d.kind === 'door' && d.entrance === false));
  const unheard = acts.filter((d) => state.devices[d.id]?.habitDays === undefined).map((d) => d.id);
  if (unheard.length < 2 || unheard.length < QUIET_SHARE * acts.length) return null;
  let first = Infinity;
  for (const d of cfg.devices) first = Math.min(first, state.devices[d.id]?.habitFrom ?? Infinity);
  return Number.isFinite(first) && localTime(from, cfg.timezone).day - first < INSTALL_DAYS ? unheard : null;
}

/** One more local day with activity from this device (copy-on-write of the device's state). */
function noteHabit(ctx: Ctx, deviceId: string, at: number): void {
  const dev = ctx.state.devices[deviceId];
  if (!dev) return;
  const day = localTime(at, ctx.cfg.timezone).day;
  const a = ctx.state.activity;
  // time away until now, the absence under way included (it ends at this event if this is the return)
  const seen = { habitAt: Math.max(at, dev.habitAt ?? at), habitAway: (a.awayMs ?? 0) + (a.awaySince !== null ? Math.max(0, at - a.awaySince) : 0) };
  ctx.state.devices[deviceId] = dev.habitLast === day
    ? { ...dev, ...seen }
    : { ...dev, ...seen, habitDays: (dev.habitDays ?? 0) + 1, habitFrom: dev.habitFrom ?? day, habitLast: day };
}

export function awayTimer(cfg: ResidentRulesConfig, state: HomeState): Timer | null {
  const a = state.activity;
  if (a.awaySince !== null) {
    if (state.latched[ABSENCE_KEY]) return null;
    // the caseworker was asked about this outing already (the visitors left, or a sensor stirred,
    // and nothing since): the question stands until they are back, not asked a second time
    if (state.latched[KEY] && state.alerts[KEY]?.kind === 'absence') return null;
    // a planned absence holds the question until it should have ended, and a while after
    let due = a.awaySince + ABSENCE_CHECK_MS;
    for (let moved = true; moved;) {
      moved = false;
      for (const p of state.absences) {
        if (p.from <= due && p.until + ABSENCE_GRACE_MS > due) { due = p.until + ABSENCE_GRACE_MS; moved = true; }
      }
    }
    const since = a.awaySince;
    return {
      due,
      fire: (ctx) => {
        const planned = ctx.state.absences.filter((p) => p.until <= ctx.now).sort((x, y) => y.until - x.until)[0];
        raise(ctx, ABSENCE_KEY, 'absence', null, {
          awaySince: since, awayForMs: ctx.now - since, ...(planned ? { plannedUntil: planned.until } : { planned: false }),
        }, 'still away');
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
        // company just before the door: the visitor may have gone without the resident
        if (act.companyAt !== undefined && since - act.companyAt <= COMPANY_LEFT_MS) act.afterCompany = true;
        record(ctx, plannedAt(ctx.state, since) ? 'away from home (planned)' : 'away from home');
      },
    };
  }
  return null;
}

/**
 * A bed or living-room device occupied now (a bed or seat mat, a presence sensor): the resident
 * is lying or sitting there, whatever door they touched last. The one occupied longest counts; a
 * device occupied for more than a day is stuck, not occupied.
 */
function occupiedRoom(cfg: ResidentRulesConfig, state: HomeState, at: number): RoomClass | null {
  let best: { since: number; cls: RoomClass } | null = null;
  for (const d of cfg.devices) {
    if (d.kind !== 'motion' && d.kind !== 'presence') continue;
    const since = state.devices[d.id]?.occupiedSince;
    const cls = roomClass(d.room);
    if (since == null || at - since > OCCUPIED_STUCK_MS || (cls !== 'bed' && cls !== 'rest')) continue;
    if (!best || since < best.since) best = { since, cls };
  }
  return best?.cls ?? null;
}

/**
 * Planned absences that are over become facts, like visits: the silence is counted from their
 * end. Kept while the resident is still out, for the long-absence check to read.
 */
export function foldEndedAbsences(state: HomeState, now: number): void {
  if (state.activity.awaySince !== null) return;
  const ended = state.absences.filter((p) => p.until <= now);
  if (ended.length === 0) return;
  state.absences = state.absences.filter((p) => p.until > now);
  for (const p of ended) state.activity.silenceFrom = Math.max(state.activity.silenceFrom, p.until);
}

export function onActivity(ctx: Ctx, facts: ActivityFacts, at: number, deviceId: string): void {
  const { cfg } = ctx;
  const s = ctx.state;
  const a = s.activity;
  const learning = isLearning(cfg);
  if (learning) noteHabit(ctx, deviceId, at);
  if (learning && a.awaySince !== null && !facts.entranceOpened && !facts.entranceClosed) {
    // Out, and one sensor stirs: a pet, the sun on a PIR, a draught on a cupboard. They are back
    // when the entrance door opens, or when two different sensors show life within STIR_MS.
    // Until then the stir is a sign of life of sorts: the silence after it is judged, with a
    // floor of STIR_FLOOR_MS (a pet stirs again within hours, a resident who came in unseen and
    // fell does not), and it is not learned.
    if (!a.stir || a.stir.device === deviceId || at - a.stir.at > STIR_MS) {
      a.stir = { device: deviceId, at };
      if (s.latched[KEY] || s.alerts[KEY]) {
        release(ctx, KEY);
        update(ctx, KEY, 'activity resumed');
        if (s.alerts[KEY] && !s.alerts[KEY].acknowledged) autoResolve(ctx, KEY, 'activity resumed');
      }
      return;
    }
  }
  a.stir = null;
  const atDoor = facts.entranceOpened || facts.entranceClosed;
  if (at > a.last && learning && !a.gapAway && !a.gapIncident && !a.gapDoor && !atDoor) {
    // A usual silence of this home, between two signs of life inside. Silences spent out, that a
    // person had to check on, or that begin or end at the entrance door (maybe time out) are not.
    s.baseline = learnDay(s.baseline, cfg.timezone, a.last, at, a.room, learnedLimits(cfg).params);
  }
  const room = deviceRoomClass(cfg, deviceId);
  // a bed or seat still occupied while the resident has been busy in another room for a while is
  // stuck, or someone else's (the flush a few seconds after sitting down is no such thing)
  for (const d of cfg.devices) {
    const dev = s.devices[d.id];
    if ((d.kind === 'motion' || d.kind === 'presence') && d.id !== deviceId && dev?.occupiedSince != null && at - dev.occupiedSince > PRESENCE_MS && roomClass(d.room) !== room) s.devices[d.id] = { ...dev, occupiedSince: null };
  }
  // where the resident is while the silence lasts: on a bed or seat that is still occupied, else where the activity was
  const where = occupiedRoom(cfg, s, at) ?? room;
  if (learning && room !== 'bed') {
    // nights: stretches with nothing outside the bedroom
    // (not a night out: a stretch that begins or ends at the entrance door)
    if (at > a.lastOutside && !a.gapAway && !a.outsideAtDoor && !atDoor) s.baseline = learnNight(s.baseline, cfg.timezone, a.lastOutside, at);
    a.lastOutside = Math.max(a.lastOutside, at);
    a.outsideAtDoor = atDoor;
  }
  if (learning) {
    if (!s.baseline.noted && baselineLearned(s.baseline, priorDays(cfg))) {
      s.baseline = { ...s.baseline, noted: true };
      record(ctx, 'inactivity baseline learned');
    }
  }
  if (s.latched[KEY] || s.alerts[KEY]) {
    release(ctx, KEY);
    update(ctx, KEY, 'activity resumed');
    // resolves it if nobody has acknowledged yet; an acknowledged alert is someone's to close,
    // they may be on their way
    if (s.alerts[KEY] && !s.alerts[KEY].acknowledged) autoResolve(ctx, KEY, 'activity resumed');
  }
  const quietBefore = at - a.lastIndoor;
  a.last = Math.max(a.last, at);
  a.silenceFrom = Math.max(a.silenceFrom, at);
  a.room = where;
  a.gapIncident = false;
  a.gapDoor = atDoor;

  if (learning && facts.indoor) noteCompany(cfg, a, deviceId, at);
  if (a.awaySince !== null && (facts.indoor || facts.entranceOpened)) {
    a.awayMs = (a.awayMs ?? 0) + Math.max(0, at - a.awaySince);
    a.awaySince = null;
    delete a.afterCompany;
    a.arriving = facts.entranceOpened;
    record(ctx, 'back home');
    backHome(ctx, at);
  }
  if (facts.indoor) {
    a.awayPendingSince = null;
    a.arriving = false;
    a.lastIndoor = Math.max(a.lastIndoor, at);
    // life inside after a long quiet, during a planned absence: they came home early (safer than
    // assuming they are still away); the bustle of getting ready to go is no such thing
    if (plannedAt(s, at) && at - a.lastIndoor >= ARRIVE_QUIET_MS) endPlanned(ctx, at);
  }
  // the door opened after a quiet spell inside: someone is coming in, not going out
  if (facts.entranceOpened && learning && quietBefore >= ARRIVE_QUIET_MS) a.arriving = true;
  if (facts.entranceClosed) {
    // Going out is "inside, then the door": a door cycle that brought them in is not one, and
    // stillness right after coming home is exactly when a fall must not be taken for an errand.
    if (!a.arriving && (learning || hasMotionSensor(cfg)) && !atNight(cfg, at)) a.awayPendingSince = at;
    a.arriving = false;
  }
  a.gapAway = a.awaySince !== null;
}

/** rooms where one person is at a time (a hall or an entrance PIR sees the way between them) */
const COMPANY_ROOMS: ReadonlySet<string> = new Set(['bedroom', 'bathroom', 'kitchen', 'living']);

/**
 * Company: motion or presence in two different rooms within TWO_ROOMS_MS, and again one to ten
 * minutes later (once can be two sensors' coincidence, or a PIR that sees through a doorway).
 * One person cannot be in both. What it changes: a door that shuts soon after (COMPANY_LEFT_MS)
 * may have let out only the visitor, so the time "away" after it is judged as after a stir.
 */
function noteCompany(cfg: ResidentRulesConfig, a: HomeState['activity'], deviceId: string, at: number): void {
  const d = cfg.devices.find((x) => x.id === deviceId);
  if (!d || (d.kind !== 'motion' && d.kind !== 'presence') || !d.room || !COMPANY_ROOMS.has(d.room)) return;
  const m = a.moved;
  if (m && m.room !== d.room && at - m.at <= TWO_ROOMS_MS && at >= m.at) {
    const since = at - (a.twoRoomsAt ?? -Infinity);
    if (since >= COMPANY_AGAIN_MIN_MS && since <= COMPANY_AGAIN_MAX_MS) a.companyAt = at;
    if (since >= COMPANY_AGAIN_MIN_MS) a.twoRoomsAt = at;
  }
  a.moved = { room: d.room, at };
}

/** The resident came home: a long-absence question is answered, a planned absence is over. */
function backHome(ctx: Ctx, at: number): void {
  const s = ctx.state;
  if (s.latched[ABSENCE_KEY] || s.alerts[ABSENCE_KEY]) {
    release(ctx, ABSENCE_KEY);
    update(ctx, ABSENCE_KEY, 'back home');
    if (s.alerts[ABSENCE_KEY] && !s.alerts[ABSENCE_KEY].acknowledged) autoResolve(ctx, ABSENCE_KEY, 'back home');
  }
  if (plannedAt(s, at)) record(ctx, 'back home before the planned absence ended');
  // over, whether it ended early or a while ago (kept for the long-absence check until now)
  s.absences = s.absences.filter((p) => p.from > at);
}

function endPlanned(ctx: Ctx, at: number): void {
  ctx.state.absences = ctx.state.absences.filter((p) => !(p.from <= at && at < p.until));
  record(ctx, 'back home before the planned absence ended');
}

/** A planned absence entered (or changed) by a caseworker, the family or the resident. */
export function onPlannedAbsence(ctx: Ctx, absence: PlannedAbsence): void {
  const s = ctx.state;
  if (!(absence.until > absence.from)) return;
  s.absences = [...s.absences.filter((p) => p.id !== absence.id), absence].sort((x, y) => x.from - y.from).slice(-10);
  // someone knows where they are: a pending question is answered
  if (absence.from <= ctx.now && (s.alerts[ABSENCE_KEY] || s.latched[ABSENCE_KEY])) {
    update(ctx, ABSENCE_KEY, 'absence planned');
    if (s.alerts[ABSENCE_KEY] && !s.alerts[ABSENCE_KEY].acknowledged) autoResolve(ctx, ABSENCE_KEY, 'absence planned');
    release(ctx, ABSENCE_KEY);
  }
  // and a silence alarm raised while they were in fact away is settled
  if (s.alerts[KEY] && absence.from <= s.alerts[KEY].openedAt && !s.alerts[KEY].acknowledged) {
    update(ctx, KEY, 'absence planned');
    autoResolve(ctx, KEY, 'absence planned');
    release(ctx, KEY);
  }
}

export function onPlannedAbsenceCancelled(ctx: Ctx, id: string): void {
  ctx.state.absences = ctx.state.absences.filter((p) => p.id !== id);
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
  s.visits = [...s.visits, { start, end }].sort((x, y) => x.start - y.start || x.end - y.end);
}

/** Visits that are over become plain facts: the resident was seen at their end. */
export function foldEndedVisits(state: HomeState, now: number): void {
  const ended = state.visits.filter((v) => v.end <= now);
  if (ended.length === 0) return;
  state.visits = state.visits.filter((v) => v.end > now);
  for (const v of ended) {
    state.activity.silenceFrom = Math.max(state.activity.silenceFrom, v.end);
    for (const [id, dev] of Object.entries(state.devices)) {
      if (dev.countFrom !== null && v.end > dev.countFrom) state.devices[id] = { ...dev, countFrom: v.end };
    }
  }
}

export function onPersonResolved(state: HomeState, now: number, key: string): void {
  // other conditions keep their latch (the absence question: one per absence, until they are back)
  if (key !== KEY) return;
  // the person vouched for the resident now: a new alert needs a whole new silence
  delete state.latched[KEY];
  state.activity.silenceFrom = Math.max(state.activity.silenceFrom, now);
  state.activity.gapIncident = true;
}

export function onPersonAcknowledged(state: HomeState): void {
  state.activity.gapIncident = true;
}

export { KEY as INACTIVITY_KEY, ABSENCE_KEY };
