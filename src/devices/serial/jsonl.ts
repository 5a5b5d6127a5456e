// One JSON object a line, as printed by `rtl_433 -F json` (issue 6, protocol `jsonl`), e.g.
//   {"time" : "2022-03-17 21:58:46", "model" : "Kerui-Security", "id" : 840811, "cmd" : 10, "motion" : 1, "state" : "motion"}
// Pure functions only. A device's `jsonl` key is the values of the port's `idFields`
// joined with ";" (default model and id: "Kerui-Security;840811").
import type { DeviceKind, Readings } from '../../domain/types.ts';

export type JsonlMessage = Record<string, unknown>;
export type JsonlIgnoreReason = 'empty' | 'too_long' | 'garbage';
export type JsonlParseResult = { message: JsonlMessage } | { ignored: JsonlIgnoreReason };

export const DEFAULT_ID_FIELDS: readonly string[] = ['model', 'id'];
export const MAX_JSONL_LINE = 4096;

export function parseJsonlLine(raw: string): JsonlParseResult {
  const line = raw.trim();
  if (line === '') return { ignored: 'empty' };
  if (line.length > MAX_JSONL_LINE) return { ignored: 'too_long' };
  // rtl_433 prints its log to stderr, but a shared tty may carry other text: only objects count
  if (!line.startsWith('{')) return { ignored: 'garbage' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ignored: 'garbage' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ignored: 'garbage' };
  return { message: value as JsonlMessage };
}

/**
 * The device key of a message: the idFields' values joined with ";". Numbers print as JSON
 * prints them (rtl_433 ids are decimal integers in JSON even where its text output shows hex).
 * Undefined when a field is missing or not a scalar: such a message names no device.
 */
export function jsonlKey(message: JsonlMessage, idFields: readonly string[] = DEFAULT_ID_FIELDS): string | undefined {
  const parts: string[] = [];
  for (const field of idFields) {
    const v = message[field];
    if (typeof v === 'string' && v !== '') parts.push(v);
    else if (typeof v === 'number' && Number.isFinite(v)) parts.push(String(v));
    else return undefined;
  }
  return parts.length > 0 ? parts.join(';') : undefined;
}

/** 0/1, true/false, "1"/"0" and "true"/"false" as rtl_433 decoders print flags. */
function flag(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === '1' || s === 'true' || s === 'on') return true;
    if (s === '0' || s === 'false' || s === 'off') return false;
  }
  return undefined;
}

// What a device's event word means. rtl_433 decoders name it `state` (Kerui, Honeywell),
// `cmd` as a string (Chuango) or `event` as a string.
type Word = 'open' | 'closed' | 'motion' | 'tamper' | 'battery_low' | 'test' | 'trigger' | 'clear';
const WORDS: Record<string, Word> = {
  open: 'open', opened: 'open',
  close: 'closed', closed: 'closed',
  motion: 'motion',
  tamper: 'tamper',
  battery: 'battery_low', 'low battery': 'battery_low', battery_low: 'battery_low',
  test: 'test',
  // Chuango zones: the sensor's own trigger (door: Normal Zone, PIR: Home Mode Zone, smoke: 24H Zone)
  alarm: 'trigger', sos: 'trigger', panic: 'trigger', emergency: 'trigger', on: 'trigger',
  '24h zone': 'trigger', 'normal zone': 'trigger', 'home mode zone': 'trigger', 'single delay zone': 'trigger',
  off: 'clear', restore: 'clear',
};

function eventWord(message: JsonlMessage): Word | 'unknown' | undefined {
  for (const field of ['state', 'cmd', 'event']) {
    const v = message[field];
    if (typeof v !== 'string' || v === '') continue;
    return WORDS[v.trim().toLowerCase()] ?? 'unknown';
  }
  return undefined;
}

/** The kind's own meaning of "the sensor fired" and "the sensor is quiet again". */
function trigger(kind: DeviceKind, r: Readings): void {
  if (kind === 'smoke') r.smoke ??= true;
  else if (kind === 'motion') r.occupancy ??= true;
  else if (kind === 'door') r.contact ??= false;
  else r.action ??= 'sos';
}
function clear(kind: DeviceKind, r: Readings): void {
  if (kind === 'smoke') r.smoke ??= false;
  else if (kind === 'motion') r.occupancy ??= false;
  else if (kind === 'door') r.contact ??= true;
}

/**
 * rtl_433 fields to our dialect, for a device of the configured kind.
 *  - `battery_ok` 1/0 -> battery_low false/true (a fraction 0..1 also gives `battery` %,
 *    low below 0.25); `tamper` -> tamper; `test` -> test; `motion` -> occupancy; `smoke` -> smoke.
 *  - the event word (`state`, or a string `cmd` / `event`): open/opened and close/closed are
 *    the door's contact (on a motion sensor an opened loop is motion); `motion`; `tamper`;
 *    `battery` / `Low Battery`; `Test`; alarm/sos/panic/Chuango zone words fire the sensor.
 *  - `contact_open` / `opened` 1/0 when no word said it; `alarm` 1/0 fires / clears the sensor
 *    when nothing above did (Honeywell door contacts raise `alarm` with `state: closed`).
 *  - a message with none of these (Generic-Remote, Smoke-GS558, EV1527 remotes: the
 *    transmission is the event) fires the sensor: smoke -> smoke, motion -> occupancy,
 *    door -> open, button -> action 'sos'. `learn: 1` is pairing, never an alarm.
 * Returns null when nothing maps.
 */
export function jsonlToReadings(message: JsonlMessage, kind: DeviceKind): Readings | null {
  if (flag(message.learn) === true) return null;
  const r: Readings = {};
  let recognised = false;

  const batteryOk = message.battery_ok;
  if (typeof batteryOk === 'number' && batteryOk >= 0 && batteryOk <= 1) {
    recognised = true;
    if (batteryOk === 0 || batteryOk === 1) r.battery_low = batteryOk === 0;
    else {
      r.battery = Math.round(batteryOk * 100);
      r.battery_low = batteryOk < 0.25;
    }
  }
  for (const [field, set] of [
    ['tamper', (v: boolean) => (r.tamper = v)],
    ['test', (v: boolean) => (r.test = v)],
    ['motion', (v: boolean) => (r.occupancy = v)],
    ['smoke', (v: boolean) => (r.smoke = v)],
  ] as const) {
    const v = flag(message[field]);
    if (v !== undefined) {
      recognised = true;
      set(v);
    }
  }

  const word = eventWord(message);
  if (word !== undefined && word !== 'unknown') recognised = true;
  switch (word) {
    case 'open':
      if (kind === 'door') r.contact = false;
      else if (kind === 'motion') r.occupancy ??= true;
      break;
    case 'closed':
      if (kind === 'door') r.contact = true;
      break;
    case 'motion': r.occupancy = true; break;
    case 'tamper': r.tamper = true; break;
    case 'battery_low': r.battery_low = true; break;
    case 'test': r.test = true; break;
    case 'trigger': trigger(kind, r); break;
    case 'clear': clear(kind, r); break;
  }

  const open = flag(message.contact_open) ?? flag(message.opened);
  if (open !== undefined) {
    recognised = true;
    if (kind === 'door') r.contact ??= !open;
    else if (kind === 'motion' && open) r.occupancy ??= true;
  }
  const alarm = flag(message.alarm);
  if (alarm !== undefined) {
    recognised = true;
    if (alarm) trigger(kind, r);
    else clear(kind, r);
  }

  // a bare transmitter: the message itself is the event (a self-test or battery report is not)
  if (!recognised) trigger(kind, r);
  return Object.keys(r).length > 0 ? r : null;
}
