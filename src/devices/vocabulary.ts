// The device vocabulary as data (the zigbee-herdsman-converters way): for each property name
// a device may send, what it means and how to read it. Pure functions and tables only.
//
// A reader returns the readings a value gives, `{}` for a value that is readable but says
// nothing we act on ("detecting", a gas meter's m3), or `undefined` for a value it cannot read
// (that one field is dropped and counted as `bad_type_<property>`; the rest of the report counts).
// Several properties may say the same thing (`smoke` and `smoke_state`, `occupancy` and
// `presence`, `alarm_1` and `alarm_2`): an alarm raised by any of them is raised, and a door
// any of them calls open is open.
import type { DeviceKind, Readings } from '../domain/types.ts';

export type Part = Partial<Readings>;
export type Reader = (value: unknown, kind: DeviceKind | undefined) => Part | undefined;
export interface Property { meaning: string; read: Reader }

// ---- value readers ---------------------------------------------------------------------------

/** true/false, and the "ON"/"OFF" and "true"/"false" strings some converters and firmwares publish */
export function onOff(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'on' || s === 'true') return true;
    if (s === 'off' || s === 'false') return false;
  }
  return undefined;
}

const flagOf = (key: keyof Readings): Reader => (v) => {
  const b = onOff(v);
  return b === undefined ? undefined : { [key]: b };
};

/** an alarm-like flag, where 1/0 is as plain as true/false (not so a contact: is 0 open or closed?) */
const alarmOf = (key: keyof Readings): Reader => (v) => {
  if (v === 1 || v === 0) return { [key]: v === 1 };
  return flagOf(key)(v, undefined);
};

/** an enum whose words mean on / off; words not listed are readable and say nothing */
const wordsOf = (key: keyof Readings, on: readonly string[], off: readonly string[]): Reader => (v) => {
  if (typeof v !== 'string' || v.length > 64) return undefined;
  const w = v.trim().toLowerCase();
  if (on.includes(w)) return { [key]: true };
  if (off.includes(w)) return { [key]: false };
  return {};
};

/**
 * The generic IAS zone alarms (`alarm_1`, `alarm_2`) mean what the device is: a smoke
 * detector's alarm is smoke, a door contact's alarm 1 is "open", a PIR's is motion, an SOS
 * button's is a call for help. Unknown kind: readable, says nothing.
 */
function iasAlarm(zone: 1 | 2): Reader {
  return (v, kind) => {
    const b = v === 0 || v === 1 ? v === 1 : onOff(v);
    if (b === undefined) return undefined;
    switch (kind) {
      case 'smoke': return { smoke: b };
      case 'co': return { carbon_monoxide: b };
      case 'gas': return { gas: b };
      case 'water': return { water_leak: b };
      case 'motion': case 'presence': return { occupancy: b };
      // the second zone of a door contact is a second input (a wired loop), not the door
      case 'door': return zone === 1 ? { contact: !b } : {};
      case 'button': return { sos: b };
      default: return {};
    }
  };
}

const percent: Reader = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? { battery: v } : undefined);

/**
 * A control character or half a surrogate pair is in no device's action name; stored, it is text
 * PostgreSQL's jsonb refuses (`\u0000`, a lone `\ud800`), so one such report would fail the
 * whole group commit it joined, and every alarm in it, on each resend.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;

const action: Reader = (v) => {
  if (typeof v !== 'string' || v.length > 64 || UNPRINTABLE.test(v)) return undefined;
  // zigbee2mqtt publishes "" to clear an action (legacy): readable, nothing pressed
  return v === '' ? {} : { action: v };
};

// ---- the zigbee2mqtt vocabulary ------------------------------------------------------------

/** Every property we read; everything else a device sends (linkquality, voltage, illuminance...) is ignored. */
export const PROPERTIES: Readonly<Record<string, Property>> = {
  // hazards
  smoke: { meaning: 'smoke detected (true/false)', read: alarmOf('smoke') },
  smoke_state: { meaning: 'smoke detector state: "alarm" is smoke; "normal"/"none" is clear', read: wordsOf('smoke', ['alarm'], ['normal', 'none', 'idle']) },
  smoke_alarm_1: { meaning: 'smoke, IAS zone alarm 1', read: alarmOf('smoke') },
  smoke_alarm_2: { meaning: 'smoke, IAS zone alarm 2', read: alarmOf('smoke') },
  carbon_monoxide: { meaning: 'carbon monoxide detected (true/false)', read: alarmOf('carbon_monoxide') },
  co_state: { meaning: 'CO detector state: "alarm" is CO; "normal" is clear', read: wordsOf('carbon_monoxide', ['alarm'], ['normal', 'none']) },
  carbon_monoxide_alarm_1: { meaning: 'carbon monoxide, IAS zone alarm 1', read: alarmOf('carbon_monoxide') },
  carbon_monoxide_alarm_2: { meaning: 'carbon monoxide, IAS zone alarm 2', read: alarmOf('carbon_monoxide') },
  gas: {
    meaning: 'gas detected (true/false); a number is a meter or concentration reading (gas meters, Lincukoo E04CF), not an alarm',
    read: (v) => (typeof v === 'number' ? {} : flagOf('gas')(v, undefined)),
  },
  gas_alarm_1: { meaning: 'gas, IAS zone alarm 1', read: alarmOf('gas') },
  gas_alarm_2: { meaning: 'gas, IAS zone alarm 2', read: alarmOf('gas') },
  water_leak: { meaning: 'water leak detected (true/false)', read: alarmOf('water_leak') },
  water_leak_alarm_1: { meaning: 'water leak, IAS zone alarm 1', read: alarmOf('water_leak') },
  water_leak_alarm_2: { meaning: 'water leak, IAS zone alarm 2', read: alarmOf('water_leak') },
  alarm_1: { meaning: 'generic IAS zone alarm 1: means what the device kind is (smoke, CO, gas, water, door open, motion, SOS)', read: iasAlarm(1) },
  alarm_2: { meaning: 'generic IAS zone alarm 2: as alarm_1, except on a door (a second input)', read: iasAlarm(2) },
  // doors
  contact: { meaning: 'door contact: true (or "ON") = closed, false = open', read: flagOf('contact') },
  contact_alarm_1: { meaning: 'door contact, IAS zone 1: true = closed, false = open', read: flagOf('contact') },
  // activity
  occupancy: { meaning: 'motion / someone there (true); idle again (false)', read: alarmOf('occupancy') },
  occupancy_alarm_1: { meaning: 'motion, IAS zone alarm 1', read: alarmOf('occupancy') },
  occupancy_alarm_2: { meaning: 'motion, IAS zone alarm 2', read: alarmOf('occupancy') },
  presence: { meaning: 'mmWave presence: someone there (true), nobody (false)', read: alarmOf('occupancy') },
  presence_state: {
    meaning: 'mmWave presence state: "none" is nobody; "presence", "motion", "stationary", "peaceful", "small_movement", "large_movement" someone there',
    read: wordsOf('occupancy', ['presence', 'motion', 'move', 'moving', 'stationary', 'static', 'peaceful', 'small_movement', 'large_movement'], ['none', 'no_presence', 'unoccupied']),
  },
  // buttons
  action: { meaning: 'a button or keypad action ("sos", "emergency", "panic", "single", "arm_away", "disarm"...)', read: action },
  sos: { meaning: 'SOS pressed (true)', read: alarmOf('sos') },
  // battery and care
  battery: { meaning: 'battery percent, 0-100 (anything else is dropped: e.g. the 200 % some devices report)', read: percent },
  battery_low: { meaning: 'battery low (true/false)', read: alarmOf('battery_low') },
  battery_state: { meaning: 'battery level word: "low" is low; "middle"/"medium"/"high"/"full" is not', read: wordsOf('battery_low', ['low'], ['middle', 'medium', 'high', 'full']) },
  tamper: { meaning: 'cover opened or device removed (true); closed again (false)', read: alarmOf('tamper') },
  test: {
    meaning: 'a self-test (true, or the word "test"; other words such as "idle" say none): recorded, never an alarm',
    read: (v) => {
      if (typeof v === 'string' && onOff(v) === undefined) return v.length > 64 ? undefined : v.trim().toLowerCase() === 'test' ? { test: true } : {};
      return alarmOf('test')(v, undefined);
    },
  },
  test_mode: { meaning: 'a detector in test mode ("ON"): recorded, never an alarm', read: alarmOf('test') },
};

// ---- combining readings --------------------------------------------------------------------

/** alarms: any source that raises one raises it */
const ANY_TRUE: ReadonlySet<keyof Readings> = new Set(['smoke', 'carbon_monoxide', 'gas', 'water_leak', 'occupancy', 'sos', 'tamper', 'battery_low', 'test']);

/** Fold one property's readings into the report's. */
export function merge(into: Readings, part: Part): void {
  const target = into as Record<string, unknown>;
  for (const [key, value] of Object.entries(part) as Array<[keyof Readings, unknown]>) {
    if (value === undefined) continue;
    const before = target[key];
    if (before === undefined) target[key] = value;
    else if (ANY_TRUE.has(key)) target[key] = before === true || value === true;
    // a door any source calls open is open
    else if (key === 'contact') target[key] = before === true && value === true;
    // action, battery: the first reading stands
  }
}

export interface ReadResult {
  readings: Readings;
  /** properties we know whose value could not be read, as `bad_type_<property>` */
  dropped: string[];
  /** properties we know that were read (even when they said nothing we act on) */
  read: number;
}

/**
 * Read a report's properties with a vocabulary. Own keys only: a "__proto__" key in the
 * payload is an inert own property and never reaches anything we keep.
 */
export function readProperties(obj: Record<string, unknown>, kind: DeviceKind | undefined, vocabulary: Readonly<Record<string, Property>> = PROPERTIES): ReadResult {
  const readings: Readings = {};
  const dropped: string[] = [];
  let read = 0;
  for (const key of Object.keys(obj)) {
    if (!Object.prototype.hasOwnProperty.call(vocabulary, key)) continue;
    const value = obj[key];
    // zigbee2mqtt reports null for a property it has not read yet
    if (value === null) continue;
    const part = vocabulary[key].read(value, kind);
    if (part === undefined) {
      dropped.push(`bad_type_${key}`);
      continue;
    }
    read++;
    merge(readings, part);
  }
  return { readings, dropped, read };
}
