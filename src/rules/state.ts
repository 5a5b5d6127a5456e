// The rules core's state and configuration types. HomeState is plain JSON on purpose: the store
// saves it after every decision (rule_state table) and a restart continues from it, so every
// running timer must be derivable from it alone (issue 3: "every running timer is rebuilt
// from the store"). No undefined, no Infinity, no Maps: JSON.parse(JSON.stringify(s)) equals s.
import type { AlertKind, DeviceEvent, DeviceSpec } from '../domain/types.ts';
import type { ResidentConfig } from '../config/index.ts';
import { HOUR, MINUTE } from './time.ts';
import type { Baseline } from './learned.ts';

export interface ResidentRulesConfig {
  residentId: string;
  /** IANA */
  timezone: string;
  /** already parsed: durations are ms, hours are {start,end,text} minutes after midnight */
  rules: ResidentConfig['rules'];
  devices: Array<DeviceSpec & { supervisionMs?: number }>;
}

export type RuleInput =
  | { type: 'event'; event: DeviceEvent }
  | { type: 'tick' }
  | { type: 'visit'; start: number; end: number }
  | { type: 'acknowledged'; key: string }
  | { type: 'resolved'; key: string };

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
  baseline: Baseline;
}

// ---- defaults (documented in index.ts) ----
export const DEFAULT_OFFLINE_AFTER_MS = 5 * MINUTE;
/** zigbee2mqtt's availability timeout for battery devices; all our device kinds run on batteries */
export const DEFAULT_SUPERVISION_MS = 25 * HOUR;
export const BATTERY_LOW_PERCENT = 10;
export const BATTERY_OK_PERCENT = 20;
/** an entrance door closed with no indoor activity for this long: the resident went out */
export const AWAY_CONFIRM_MS = 10 * MINUTE;
/** away-from-home suppresses inactivity for at most this long */
export const AWAY_MAX_MS = 36 * HOUR;
export const DEFAULT_FALLBACK_AFTER_MS = 12 * HOUR;
export const DEFAULT_FALLBACK_ACTIVE_HOURS = { start: 7 * 60, end: 22 * 60, text: '07:00-22:00' };
export const DEFAULT_LEARNING_DAYS = 14;
export const DEFAULT_LEARNED_MIN_MS = 1 * HOUR;
export const DEFAULT_LEARNED_MAX_MS = 12 * HOUR;

export function freshDevice(now: number): DeviceState {
  return { lastSeen: now, offlineSince: null, contact: null, openSince: null, countFrom: null };
}

export function deviceSpec(cfg: ResidentRulesConfig, event: DeviceEvent): DeviceSpec & { supervisionMs?: number } {
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
