// Conditions that come from one device: hazards (smoke, CO, gas, water leak), emergency,
// night door, device offline, battery low, tamper, and the facts about activity that
// inactivity.ts judges.
import { DEFAULT_EMERGENCY_ACTIONS, HAZARDS, type DeviceEvent, type DeviceSpec, type Readings } from '../domain/types.ts';
import { autoResolve, raise, record, release, update, writableDevice, type Ctx } from './alerts.ts';
import {
  BATTERY_LOW_PERCENT, BATTERY_OK_PERCENT, DEFAULT_OFFLINE_AFTER_MS, DEFAULT_SUPERVISION_MS, PRESENCE_MS,
  freshDevice, type DeviceState, type HomeState, type ResidentRulesConfig,
} from './state.ts';
import { addMsInWindow } from '../time/index.ts';

/**
 * `<kind>:<device>`, the key of a condition of one device. Kept once made: every event looks up
 * several of these for its device, and offline supervision one for every device of the home, and
 * a string built anew must be hashed again for each lookup.
 */
const conditionKeys = new Map<string, Map<string, string>>();
let conditionKeysKept = 0;
export function conditionKey(kind: string, deviceId: string): string {
  let ofKind = conditionKeys.get(kind);
  if (ofKind === undefined) conditionKeys.set(kind, ofKind = new Map());
  let key = ofKind.get(deviceId);
  if (key === undefined) {
    key = `${kind}:${deviceId}`;
    // bounded by the configured devices in practice; the bound guards against a stream of strangers
    if (conditionKeysKept++ < 100_000) ofKind.set(deviceId, key);
  }
  return key;
}

/** What an event tells inactivity.ts about the resident moving about. */
export interface ActivityFacts {
  activity: boolean;
  /** evidence of someone inside: motion, an inner door, a button */
  indoor: boolean;
  entranceOpened: boolean;
  entranceClosed: boolean;
}
const NO_ACTIVITY: ActivityFacts = { activity: false, indoor: false, entranceOpened: false, entranceClosed: false };

/**
 * A report that can raise a life-safety alarm (smoke, CO, gas, an emergency button). It is judged,
 * committed and handed to the outbox ahead of routine reports queued with it: under a flood of
 * motion reports an alarm waits for its own resident's earlier inputs only.
 */
export function isLifeSafety(event: DeviceEvent): boolean {
  if (event.type !== 'state' || !event.readings) return false;
  const r = event.readings;
  return r.smoke === true || r.carbon_monoxide === true || r.gas === true || r.sos === true
    || (event.kind === 'button' && r.action !== undefined);
}

export function isEntrance(spec: DeviceSpec): boolean {
  return spec.kind === 'door' && spec.entrance !== false;
}

/** actions that ask for help from any device: a keypad's panic key, an SOS fob */
const HELP_ACTIONS: ReadonlySet<string> = new Set(['sos', 'emergency', 'panic']);

/**
 * The press that raises an emergency, or null (CONTRACT.md "Real devices"): `sos: true`, or an
 * action sos/emergency/panic from any device, or on a `button` one of its emergencyActions
 * (default: those and the plain presses of a one-button caller). Arm, disarm, home, off and
 * "...release" (the end of a hold already reported) are recorded, never an emergency.
 */
export function emergencyAction(spec: DeviceSpec, r: Readings): string | null {
  if (r.sos === true) return 'sos';
  const a = r.action;
  if (typeof a !== 'string' || a === '') return null;
  const word = a.trim().toLowerCase();
  if (HELP_ACTIONS.has(word)) return a;
  if (spec.kind !== 'button') return null;
  const allowed = spec.emergencyActions ?? DEFAULT_EMERGENCY_ACTIONS;
  return allowed.some((x) => x.toLowerCase() === word) ? a : null;
}

/** The device's state in the working copy, ready to be written. */
export function deviceState(ctx: Ctx, deviceId: string, at: number): DeviceState {
  let dev = writableDevice(ctx, deviceId);
  if (!dev) ctx.state.devices[deviceId] = dev = freshDevice(at);
  return dev;
}

/** The device itself spoke: it is alive, whatever the availability topic said before. */
function heard(ctx: Ctx, deviceId: string, dev: DeviceState, at: number): void {
  dev.lastSeen = Math.max(dev.lastSeen, at);
  dev.offlineSince = null;
  const key = conditionKey('device_offline', deviceId);
  if (ctx.state.latched[key]) {
    release(ctx, key);
    autoResolve(ctx, key, 'back online');
  }
}

export function onDeviceEvent(ctx: Ctx, spec: ResidentRulesConfig['devices'][number], event: DeviceEvent): ActivityFacts {
  const id = event.deviceId;
  const at = event.at;
  const dev = deviceState(ctx, id, at);
  if (event.type === 'availability') {
    // the offline notice comes from the broker or bridge, not from the device: not "heard"
    if (event.availability === 'offline') dev.offlineSince ??= at;
    else if (event.availability === 'online') heard(ctx, id, dev, at);
    return NO_ACTIVITY;
  }
  heard(ctx, id, dev, at);
  const r = event.readings ?? {};
  // a self-test is recorded, never an alarm (CONTRACT.md), and nothing else in it is judged
  if (r.test === true) {
    record(ctx, 'self-test', id);
    return NO_ACTIVITY;
  }
  for (const h of HAZARDS) onHazard(ctx, id, r, h.reading, h.alert);
  const press = emergencyAction(spec, r);
  if (press) {
    raise(ctx, `emergency:${id}`, 'emergency', id, { action: press }, 'pressed again');
    // every press is news; there is no episode to latch
    release(ctx, `emergency:${id}`);
  }
  onBattery(ctx, id, r);
  onTamper(ctx, id, r);
  const facts = onContact(ctx, spec, dev, r, at);
  if (r.occupancy === true) {
    facts.activity = facts.indoor = true;
    dev.occupiedSince ??= at;
  } else if (r.occupancy === false) {
    // up from a bed or seat after a while on it: learned mode reads it as a sign of life
    const onFurniture = spec.room === 'bedroom' || spec.room === 'living';
    if (dev.occupiedSince != null && at - dev.occupiedSince >= PRESENCE_MS && onFurniture && ctx.cfg.rules.inactivity?.mode === 'learned') facts.activity = facts.indoor = true;
    dev.occupiedSince = null;
  }
  // any press of a button is the resident moving about, an emergency or not
  if (press || (spec.kind === 'button' && typeof r.action === 'string' && r.action !== '' && !/release$/i.test(r.action))) facts.activity = facts.indoor = true;
  return facts;
}

// A hazard that clears says so but stays open until a person resolves it: a fire
// that stopped smoking, a CO level that fell, a leak that dried are still worth a look.
function onHazard(ctx: Ctx, id: string, r: Readings, reading: (typeof HAZARDS)[number]['reading'], kind: (typeof HAZARDS)[number]['alert']): void {
  const key = conditionKey(kind, id);
  if (r[reading] === true && !ctx.state.latched[key]) {
    raise(ctx, key, kind, id, { [reading]: true }, `${kind === 'water_leak' ? 'leak' : kind} again`);
  } else if (r[reading] === false && ctx.state.latched[key]) {
    release(ctx, key);
    update(ctx, key, 'cleared');
  }
}

// Low at battery_low or <= 10 %; ok again at battery_low false with >= 20 %. The gap between
// the two stops a battery hovering at 10-11 % from opening an alert every report.
function onBattery(ctx: Ctx, id: string, r: Readings): void {
  const key = conditionKey('battery_low', id);
  const pct = typeof r.battery === 'number' ? r.battery : null;
  const low = r.battery_low === true || (pct !== null && pct <= BATTERY_LOW_PERCENT);
  const ok = !low && (pct === null ? r.battery_low === false : pct >= BATTERY_OK_PERCENT);
  if (low && !ctx.state.latched[key]) {
    raise(ctx, key, 'battery_low', id, pct === null ? { battery_low: true } : { battery: pct }, 'still low');
  } else if (ok && ctx.state.latched[key]) {
    release(ctx, key);
    autoResolve(ctx, key, 'battery ok');
  }
}

function onTamper(ctx: Ctx, id: string, r: Readings): void {
  const key = conditionKey('tamper', id);
  if (r.tamper === true && !ctx.state.latched[key]) {
    raise(ctx, key, 'tamper', id, { tamper: true }, 'tampered again');
  } else if (r.tamper === false && ctx.state.latched[key]) {
    release(ctx, key);
    autoResolve(ctx, key, 'tamper cleared');
  }
}

// A door's change is activity; only entrance doors drive night-door and away-from-home
// (CONTRACT.md "Replay": other doors are activity). A first report of "closed" is no change:
// it is what a door says on its hourly check-in.
function onContact(ctx: Ctx, spec: DeviceSpec, dev: DeviceState, r: Readings, at: number): ActivityFacts {
  const facts = { ...NO_ACTIVITY };
  if (typeof r.contact !== 'boolean') return facts;
  const before = dev.contact;
  dev.contact = r.contact;
  const changed = before === null ? r.contact === false : before !== r.contact;
  if (!changed) return facts;
  facts.activity = true;
  if (!isEntrance(spec)) {
    facts.indoor = true;
    return facts;
  }
  if (r.contact === false) {
    dev.openSince = dev.countFrom = at;
    facts.entranceOpened = true;
  } else {
    dev.openSince = dev.countFrom = null;
    facts.entranceClosed = before === false;
    const key = `night_door:${spec.id}`;
    if (ctx.state.latched[key]) {
      // closing is noted but settles nothing: who went through the door at night (a wandering
      // resident?) is for a person to check, so the alert stays until a person resolves it
      release(ctx, key);
      update(ctx, key, 'door closed');
    }
  }
  return facts;
}

/** `receiver_offline:<path>`, the key of a serial receiver's outage in each home it serves */
export function receiverKey(path: string): string { return `receiver_offline:${path}`; }

/**
 * A serial receiver that went silent or was unplugged: the home's devices on it cannot be heard,
 * one device_offline alert (no device of its own; the caseworker hears through that kind's
 * escalation). Reported again while its alert is open: an update. Back: resolved, even if
 * acknowledged (the fact settles it, as a device heard again does). A person resolving it while
 * the receiver is still down does not reopen it for the same outage.
 */
export function onReceiver(ctx: Ctx, path: string, down: boolean, reason: string): void {
  const key = receiverKey(path);
  if (down) {
    if (!ctx.state.latched[key] || ctx.state.alerts[key]) raise(ctx, key, 'device_offline', null, { receiver: path, reason }, 'still offline');
    return;
  }
  release(ctx, key);
  autoResolve(ctx, key, reason);
}

// ---- timers ----

export interface Timer { due: number; fire: (ctx: Ctx) => void }

/**
 * When the device is overdue (silent past its supervision, or reported unavailable past the
 * grace), or Infinity if it is not supervised now. offlineTimer's due, without building the timer:
 * the core asks this of every device on every event.
 */
export function offlineDue(cfg: ResidentRulesConfig, state: HomeState, spec: ResidentRulesConfig['devices'][number]): number {
  const dev = state.devices[spec.id];
  if (!dev || state.latched[conditionKey('device_offline', spec.id)]) return Infinity;
  const silentDue = dev.lastSeen + (spec.supervisionMs ?? DEFAULT_SUPERVISION_MS);
  return dev.offlineSince === null ? silentDue : Math.min(silentDue, dev.offlineSince + (cfg.rules.offline?.after ?? DEFAULT_OFFLINE_AFTER_MS));
}

export function offlineTimer(cfg: ResidentRulesConfig, state: HomeState, spec: ResidentRulesConfig['devices'][number]): Timer | null {
  const dev = state.devices[spec.id];
  const key = `device_offline:${spec.id}`;
  if (!dev || state.latched[key]) return null;
  const silentDue = dev.lastSeen + (spec.supervisionMs ?? DEFAULT_SUPERVISION_MS);
  const graceDue = dev.offlineSince === null ? Infinity : dev.offlineSince + (cfg.rules.offline?.after ?? DEFAULT_OFFLINE_AFTER_MS);
  const due = Math.min(silentDue, graceDue);
  return {
    due,
    fire: (ctx) => raise(ctx, key, 'device_offline', spec.id, graceDue <= silentDue
      ? { reason: 'unavailable', since: dev.offlineSince }
      : { reason: 'silent', lastSeen: dev.lastSeen }, 'still offline'),
  };
}

/**
 * A door open during nightDoor.hours longer than nightDoor.after: only the open time inside
 * the hours counts, so a door opened at 21:55 for hours 22:00-06:00 counts from 22:00, and one
 * opened at 05:55 is not an alert at 06:05. Time while a visit is in progress does not count.
 */
export function nightDoorTimer(cfg: ResidentRulesConfig, state: HomeState, spec: ResidentRulesConfig['devices'][number]): Timer | null {
  const rule = cfg.rules.nightDoor;
  const dev = state.devices[spec.id];
  const key = `night_door:${spec.id}`;
  if (!rule || !isEntrance(spec) || !dev || dev.countFrom === null || state.latched[key]) return null;
  let from = dev.countFrom;
  let due = addMsInWindow(from, rule.after, cfg.timezone, rule.hours);
  for (const v of state.visits) {
    if (v.start <= Math.max(due, state.at) && v.end > from) {
      from = v.end;
      due = addMsInWindow(from, rule.after, cfg.timezone, rule.hours);
    }
  }
  if (!Number.isFinite(due)) return null;
  const openSince = dev.openSince;
  return { due, fire: (ctx) => raise(ctx, key, 'night_door', spec.id, { openSince, hours: rule.hours.text }, 'still open') };
}
