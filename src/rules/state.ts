// The rules core's state and configuration types. HomeState is plain JSON on purpose: the store
// saves it after every decision (rule_state table) and a restart continues from it, so every
// running timer must be derivable from it alone ("every running timer is rebuilt
// from the store"). No undefined, no Infinity, no Maps: JSON.parse(JSON.stringify(s)) equals s.
import type { AlertKind, DeviceEvent, DeviceRoom, DeviceSpec } from '../domain/types.ts';
import type { ResidentConfig } from '../config/index.ts';
import { HOUR, MINUTE } from '../time/index.ts';
import type { Baseline, LearnedParams, RoomClass } from './learned.ts';

export interface ResidentRulesConfig {
  residentId: string;
  /** IANA */
  timezone: string;
  /** already parsed: durations are ms, hours are {start,end,text} minutes after midnight */
  rules: ResidentConfig['rules'];
  devices: Array<DeviceSpec & { supervisionMs?: number; room?: DeviceRoom }>;
  /** the evaluation's knob for the learned model's trade-off curve; never set from a config file */
  tuning?: Partial<LearnedParams>;
}

export type RuleInput =
  | { type: 'event'; event: DeviceEvent }
  | { type: 'tick' }
  | { type: 'visit'; start: number; end: number }
  | { type: 'acknowledged'; key: string }
  | { type: 'resolved'; key: string }
  /** a planned absence entered or changed (same id replaces) */
  | { type: 'absence'; absence: PlannedAbsence }
  | { type: 'absence_cancelled'; id: string }
  /** a serial receiver serving one of the home's devices went down (unplugged, silent) or came back */
  | { type: 'receiver'; path: string; down: boolean; reason: string };

/** The resident is away from `from` until `until` (epoch ms), as a person said. */
export interface PlannedAbsence { id: string; from: number; until: number }

export type Decision =
  | { type: 'open'; key: string; kind: AlertKind; deviceId?: string; detail: Record<string, unknown> }
  | { type: 'update'; key: string; note: string; detail?: Record<string, unknown> }
  | { type: 'resolve'; key: string; reason: string }
  | { type: 'record'; note: string; deviceId?: string };

/** An alert the core opened and nobody has resolved yet. */
export interface AlertState {
  kind: AlertKind;
  deviceId: string | null;
  openedAt: number;
  acknowledged: boolean;
}

export interface DeviceState {
  /** last message from the device itself (a state report or availability online) */
  lastSeen: number;
  /** availability offline reported at, until the device is heard again */
  offlineSince: number | null;
  /** last known contact (true = closed); null before the first report */
  contact: boolean | null;
  /** entrance doors: open since, and from when night-door time counts (a visit pushes it on) */
  openSince: number | null;
  countFrom: number | null;
  /** motion and presence: occupied since (occupancy true, not yet false); a bed or seat mat stays so for hours */
  occupiedSince?: number | null;
  /** activity reported on this many local days, from day habitFrom to day habitLast (a daily device's habit; inactivity.ts) */
  habitDays?: number;
  habitFrom?: number;
  habitLast?: number;
  /** its last activity, and the resident's time away from home until then (ActivityState.awayMs) */
  habitAt?: number;
  habitAway?: number;
}

export interface ActivityState {
  /** last activity: a door change, motion, a button press */
  last: number;
  /** silence is measured from here: last activity, or later when a visit or a person vouched for the resident */
  silenceFrom: number;
  /** an entrance door closed at this time and no indoor activity followed yet */
  awayPendingSince: number | null;
  /** the resident is taken to be out since this time (the door close) */
  awaySince: number | null;
  /** the entrance door opened while they were out: they are coming in, not going out */
  arriving: boolean;
  /** the silence in progress includes time away from home: do not learn it as a usual gap */
  gapAway: boolean;
  /** the silence in progress raised an alert a person acknowledged: likely an incident, do not learn it */
  gapIncident: boolean;
  /** where the last activity was, as the learned model groups rooms */
  room: RoomClass;
  /** the last indoor activity (not the entrance door): a door opened after a quiet spell brings someone in */
  lastIndoor: number;
  /** the silence in progress began at the entrance door: it may be time out of the home, do not learn it as time in */
  gapDoor: boolean;
  /** the last activity outside the bedroom (nights are learned from the stretches between) */
  lastOutside: number;
  /** ... and it was the entrance door */
  outsideAtDoor: boolean;
  /** while away: the one indoor sensor that stirred (a second one soon after means they are back) */
  stir: { device: string; at: number } | null;
  /** time spent away from home in absences that ended (a device's silence is counted in time at home) */
  awayMs?: number;
  /** company (inactivity.ts): the last motion or presence in a room, the last time two rooms moved at once, and company seen */
  moved?: { room: string; at: number };
  twoRoomsAt?: number;
  companyAt?: number;
  /** out through the door just after company: the visitor may have left without them (judged as after a stir) */
  afterCompany?: boolean;
}

export interface Visit { start: number; end: number }

export interface HomeState {
  v: 1;
  /** the last clock reading decide() saw; nextDue() looks forward from here */
  at: number;
  /** alerts opened and not yet resolved, by condition key */
  alerts: Record<string, AlertState>;
  /**
   * Conditions that already raised their alert during the current episode. A person resolving
   * the alert does not re-arm it; the condition clearing does (smoke false, back online, ...).
   */
  latched: Record<string, true>;
  devices: Record<string, DeviceState>;
  activity: ActivityState;
  /** visits not yet over */
  visits: Visit[];
  /** planned absences not yet over (or over while the resident is still out) */
  absences: PlannedAbsence[];
  baseline: Baseline;
}

// ---- defaults (documented in index.ts) ----
export const DEFAULT_OFFLINE_AFTER_MS = 5 * MINUTE;
/** zigbee2mqtt's availability timeout for battery devices; all our device kinds run on batteries */
export const DEFAULT_SUPERVISION_MS = 25 * HOUR;
export const BATTERY_LOW_PERCENT = 10;
export const BATTERY_OK_PERCENT = 20;
/**
 * Occupied this long and then vacated is someone getting up from a bed or seat mat (or leaving a
 * presence sensor's view): a sign of life in learned mode. A PIR's "clear" a minute or two
 * after it fired is not.
 */
export const PRESENCE_MS = 5 * MINUTE;
/** occupied for longer than this, a mat or sensor is stuck: its room says nothing about the resident */
export const OCCUPIED_STUCK_MS = 24 * HOUR;
/** while away, two different indoor sensors within this long show the resident is back (one alone is a pet, the sun, a draught) */
export const STIR_MS = 15 * MINUTE;
/** motion or presence in two different rooms this close together: two people (one cannot be in both) */
export const TWO_ROOMS_MS = 2_000;
/** two rooms at once again, from one to ten minutes after the first time: company, not a sensor's coincidence */
export const COMPANY_AGAIN_MIN_MS = 1 * MINUTE;
export const COMPANY_AGAIN_MAX_MS = 10 * MINUTE;
/** the entrance door shut this soon after company was seen: maybe only the visitor left */
export const COMPANY_LEFT_MS = 30 * MINUTE;
/** a silence after such a stir alarms no sooner than this */
export const STIR_FLOOR_MS = 6 * HOUR;
/** an entrance door closed with no indoor activity for this long: the resident went out */
export const AWAY_CONFIRM_MS = 10 * MINUTE;
/** away this long with no planned absence: the caseworker is asked where the resident is */
export const ABSENCE_CHECK_MS = 36 * HOUR;
/** not back this long after a planned absence should have ended: the caseworker is asked */
export const ABSENCE_GRACE_MS = 12 * HOUR;
/**
 * The entrance door opening after this long without indoor activity brings someone in: they
 * were out (unnoticed, or at night) rather than sitting still for so long and then leaving.
 * Shorter spells are common before going out (putting on a coat in a room without a sensor).
 */
export const ARRIVE_QUIET_MS = 2 * HOUR;
export const DEFAULT_LEARNED_MIN_MS = 1 * HOUR;
export const DEFAULT_LEARNED_MAX_MS = 12 * HOUR;

export function freshDevice(now: number): DeviceState {
  return { lastSeen: now, offlineSince: null, contact: null, openSince: null, countFrom: null, occupiedSince: null };
}

export function deviceSpec(cfg: ResidentRulesConfig, event: DeviceEvent): ResidentRulesConfig['devices'][number] {
  // an event for a device the config no longer lists is judged by its own kind; doors are
  // entrances unless configured otherwise (CONTRACT.md)
  return cfg.devices.find((d) => d.id === event.deviceId) ?? { id: event.deviceId, kind: event.kind, entrance: true };
}

export function hasMotionSensor(cfg: ResidentRulesConfig): boolean {
  // an mmWave presence sensor sees someone indoors as a PIR does
  return cfg.devices.some((d) => d.kind === 'motion' || d.kind === 'presence');
}

/** Can anything in this home show activity at all? Without such devices inactivity is meaningless. */
export function hasActivitySensor(cfg: ResidentRulesConfig): boolean {
  return cfg.devices.some((d) => d.kind === 'motion' || d.kind === 'presence' || d.kind === 'door' || d.kind === 'button');
}
