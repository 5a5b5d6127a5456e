// One JSON object a line, as printed by `rtl_433 -F json` (protocol `jsonl`), e.g.
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

/** 0/1, true/false, "1"/"0", "true"/"false" and "on"/"off" as rtl_433 decoders print flags. */
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
// `cmd` as a string (Chuango) or `event` as a string (X10: "DS10A DOOR/WINDOW CLOSED").
type Word = 'open' | 'closed' | 'motion' | 'still' | 'tamper' | 'battery_low' | 'test' | 'trigger' | 'clear' | 'panic' | 'arm' | 'disarm' | 'key' | 'leak';
const WORDS: Record<string, Word> = {
  open: 'open', opened: 'open',
  close: 'closed', closed: 'closed', closing: 'closed',
  water: 'leak', leak: 'leak', flood: 'leak',
  motion: 'motion',
  tamper: 'tamper',
  battery: 'battery_low', 'low battery': 'battery_low', battery_low: 'battery_low',
  test: 'test',
  // Chuango zones: the sensor's own trigger (door: Normal Zone, PIR: Home Mode Zone, smoke: 24H Zone)
  alarm: 'trigger', on: 'trigger',
  sos: 'panic', panic: 'panic', emergency: 'panic',
  '24h zone': 'trigger', 'normal zone': 'trigger', 'home mode zone': 'trigger', 'single delay zone': 'trigger',
  off: 'clear', restore: 'clear',
  arm: 'arm', 'arm away': 'arm', 'arm home': 'arm', away: 'arm', home: 'arm', 'home mode': 'arm', disarm: 'disarm',
};
/** Event sentences (X10 and similar): the first pattern that matches says it. */
const SENTENCES: Array<[RegExp, Word]> = [
  [/\bpanic\b|\bsos\b|\bemergency\b/i, 'panic'],
  [/\bdisarm\b/i, 'disarm'],
  [/\barm\b/i, 'arm'],
  [/\bclosed?\b/i, 'closed'],
  [/\bopen(ed)?\b/i, 'open'],
  // X10 "MOTION READY" is the sensor idle again, "MOTION TRIPPED" is motion
  [/\bmotion\b.*\b(ready|restore|normal)\b/i, 'still'],
  [/\bmotion\b|\btripped\b/i, 'motion'],
  [/\btamper\b/i, 'tamper'],
  [/\blow batt/i, 'battery_low'],
  [/\blights?\b/i, 'key'],
];

/** "KEY-FOB LIGHTS A ON" -> "key_fob_lights_a_on" */
function keyName(text: string): string {
  return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 64) || 'key';
}

function wordOf(v: string): Word | undefined {
  const w = WORDS[v.trim().toLowerCase()];
  if (w) return w;
  for (const [re, word] of SENTENCES) if (re.test(v)) return word;
  return undefined;
}

function eventWord(message: JsonlMessage): { word: Word | 'unknown'; text: string } | undefined {
  for (const field of ['state', 'cmd', 'event']) {
    const v = message[field];
    if (typeof v !== 'string' || v === '') continue;
    return { word: wordOf(v) ?? 'unknown', text: v };
  }
  return undefined;
}

/** The kind's own meaning of "the sensor fired" and "the sensor is quiet again". */
function trigger(kind: DeviceKind, r: Readings): void {
  if (kind === 'smoke') r.smoke ??= true;
  else if (kind === 'co') r.carbon_monoxide ??= true;
  else if (kind === 'gas') r.gas ??= true;
  else if (kind === 'water') r.water_leak ??= true;
  else if (kind === 'motion' || kind === 'presence') r.occupancy ??= true;
  else if (kind === 'door') r.contact ??= false;
  else r.action ??= 'sos';
}
function clear(kind: DeviceKind, r: Readings): void {
  if (kind === 'smoke') r.smoke ??= false;
  else if (kind === 'co') r.carbon_monoxide ??= false;
  else if (kind === 'gas') r.gas ??= false;
  else if (kind === 'water') r.water_leak ??= false;
  else if (kind === 'motion' || kind === 'presence') r.occupancy ??= false;
  else if (kind === 'door') r.contact ??= true;
}

/** What one line says, before it becomes readings: `event` is true once something said what happened. */
interface Reading { r: Readings; event: boolean }

/**
 * Device-specific quirks, one named entry per rtl_433 model (as its decoder prints `model`;
 * older rtl_433 versions printed spaces where newer ones print "-", so both spellings find it).
 * A quirk reads what the generic fields below cannot; it returns null when the line is not an
 * event at all (pairing), and sets `event` when it said what happened.
 */
type Quirk = (m: JsonlMessage, kind: DeviceKind, out: Reading) => null | void;

const latched = (v: unknown) => typeof v === 'string' && v.toUpperCase() === 'OPEN';

export const RTL433_QUIRKS: Readonly<Record<string, { about: string; aliases?: readonly string[]; read: Quirk }>> = {
  'Interlogix-Security': {
    aliases: ['Interlogix'],
    about: 'interlogix.c: switch1..5 are the five latch inputs; smoke: switch2 OPEN is the alarm, switch4 the cover; motion: switch3 is the cover, and motion is the F1 latch bit (raw_message first byte & 0x08), which switch1 (the debounced level) does not show',
    read(m, kind, out) {
      const subtype = String(m.subtype ?? m.device_type ?? '').toLowerCase();
      if (subtype === 'smoke' || subtype === 'heat') {
        out.r.smoke = latched(m.switch2);
        out.r.tamper = latched(m.switch4);
        out.event = true;
      } else if (subtype === 'motion') {
        const raw = String(m.raw_message ?? m.device_raw_message ?? '');
        if (/^[0-9a-f]{2}/i.test(raw)) out.r.occupancy = (parseInt(raw.slice(0, 2), 16) & 0x08) !== 0;
        out.r.tamper = latched(m.switch3);
        out.event = true;
      } else if (subtype === 'panic') {
        out.r.action = 'panic';
        out.event = true;
      } else if (subtype === 'keyfob') {
        // which key a fob's switches are is not known here: recorded as a key, never an emergency
        out.r.action = 'key';
        out.event = true;
      } else {
        // contact sensors multiplex their inputs over the latch bits: not read (battery only)
        out.event = true;
      }
      void kind;
    },
  },
  'Cavius-Security': {
    about: 'cavius.c: `message` bits 0x20 fire alarm, 0x40 test, 0x10 warning / water detected, 0x04 alarm muted, 0x80 pairing; battery low is its own bit (battery_ok)',
    read(m, _kind, out) {
      const msg = typeof m.message === 'number' ? m.message : NaN;
      const text = typeof m.text === 'string' ? m.text.toLowerCase() : '';
      if ((msg & 0x80) !== 0 || text === 'pairing') return null;
      if ((msg & 0x40) !== 0 || text.startsWith('test')) out.r.test = true;
      if ((msg & 0x20) !== 0 || text === 'fire alarm') out.r.smoke = true;
      if ((msg & 0x10) !== 0 || text.startsWith('warning')) out.r.water_leak = true;
      // muted or a battery report: the detector spoke, nothing happened
      out.event = true;
    },
  },
  'SimpliSafe-Sensor': {
    aliases: ['SimpliSafe-Keypad'],
    about: 'simplisafe.c: numeric `state` 1 = contact open (also what its keychain panic sends), 2 = contact closed, 3 = alarm off',
    read(m, kind, out) {
      const state = m.state;
      if (state === 1) trigger(kind, out.r);
      else if (state === 2) { if (kind === 'door') out.r.contact = true; else clear(kind, out.r); }
      else if (state === 3) out.r.action = 'alarm_off';
      out.event = true;
    },
  },
  'DSC-Security': {
    aliases: ['DSC-Contact', 'DSC-Motion', 'DSC-Smoke'],
    about: 'dsc.c: `closed` 1/0 is the loop closed/open (a door closed/open; an opened loop on other sensors is their trigger); `event` is a number, not a word',
    read(m, kind, out) {
      const closed = flag(m.closed);
      if (closed === undefined) return;
      if (kind === 'door') out.r.contact = closed;
      else if (closed) clear(kind, out.r);
      else trigger(kind, out.r);
      out.event = true;
    },
  },
};

const QUIRK_BY_NAME = new Map<string, Quirk>();
for (const [name, q] of Object.entries(RTL433_QUIRKS)) for (const n of [name, ...(q.aliases ?? [])]) QUIRK_BY_NAME.set(n.toLowerCase(), q.read);

function quirkOf(model: unknown): Quirk | undefined {
  if (typeof model !== 'string') return undefined;
  return QUIRK_BY_NAME.get(model.trim().replace(/\s+/g, '-').toLowerCase());
}

/**
 * rtl_433 fields to our dialect, for a device of the configured kind.
 *  - model quirks first (RTL433_QUIRKS: Interlogix latches, Cavius message bits, SimpliSafe and
 *    DSC numeric states);
 *  - `battery_ok` 1/0 -> battery_low false/true (a fraction 0..1 also gives `battery` %, low
 *    below 0.25); `tamper`; `test`; `motion` -> occupancy; `smoke`. These never hide the
 *    open/close or alarm reading of the same line.
 *  - the event word (`state`, or a string `cmd` / `event`, words or X10-style sentences):
 *    open/closed are a door's contact (on a motion sensor an opened loop is motion); motion;
 *    "MOTION READY" (idle again); tamper; low battery; test; alarm and Chuango zone words fire
 *    the sensor; sos/panic/emergency is a call for help from any device; arm/disarm/home and
 *    other keys are recorded as actions, never an emergency;
 *  - `contact_open` / `opened` 1/0, then `alarm` 1/0 fires / clears the sensor when nothing
 *    above said what happened (Honeywell contacts raise `alarm` with `state: closed`);
 *  - a line that said nothing happened (Generic-Remote, Generic-Motion, Smoke-GS558, EV1527
 *    remotes: the transmission is the event) fires the sensor, unless it is a tamper or
 *    self-test report. `learn: 1` is pairing, never an alarm.
 * Returns null when nothing maps.
 */
export function jsonlToReadings(message: JsonlMessage, kind: DeviceKind): Readings | null {
  if (flag(message.learn) === true) return null;
  const out: Reading = { r: {}, event: false };
  const r = out.r;

  const quirk = quirkOf(message.model);
  if (quirk && quirk(message, kind, out) === null) return null;

  const batteryOk = message.battery_ok;
  if (typeof batteryOk === 'number' && batteryOk >= 0 && batteryOk <= 1) {
    if (batteryOk === 0 || batteryOk === 1) r.battery_low ??= batteryOk === 0;
    else {
      r.battery ??= Math.round(batteryOk * 100);
      r.battery_low ??= batteryOk < 0.25;
    }
  } else if (typeof message.battery_low === 'number' || typeof message.battery_low === 'boolean') {
    // older rtl_433 printed battery_low (DSC Contact) where newer versions print battery_ok
    r.battery_low ??= flag(message.battery_low);
  } else if (typeof message.battery === 'string') {
    // older rtl_433 printed "battery" : "OK" / "LOW"
    const b = message.battery.toUpperCase();
    if (b === 'OK' || b === 'LOW') r.battery_low ??= b === 'LOW';
  }
  for (const [field, set] of [
    ['tamper', (v: boolean) => (r.tamper ??= v)],
    ['test', (v: boolean) => (r.test ??= v)],
  ] as const) {
    const v = flag(message[field]);
    if (v !== undefined) set(v);
  }
  for (const [field, set] of [
    ['motion', (v: boolean) => (r.occupancy ??= v)],
    ['smoke', (v: boolean) => (r.smoke ??= v)],
    ['water', (v: boolean) => (r.water_leak ??= v)],
  ] as const) {
    const v = flag(message[field]);
    if (v !== undefined) { set(v); out.event = true; }
  }

  const said = quirk && out.event ? undefined : eventWord(message);
  if (said && said.word !== 'unknown') out.event = true;
  switch (said?.word) {
    case 'open':
      if (kind === 'door') r.contact = false;
      else if (kind === 'motion' || kind === 'presence') r.occupancy ??= true;
      break;
    case 'closed':
      if (kind === 'door') r.contact = true;
      break;
    case 'motion': r.occupancy = true; break;
    case 'still': r.occupancy = false; break;
    case 'tamper': r.tamper = true; break;
    case 'battery_low': r.battery_low = true; break;
    case 'test': r.test = true; break;
    case 'trigger': trigger(kind, r); break;
    case 'clear': clear(kind, r); break;
    case 'leak': r.water_leak = true; break;
    case 'panic': r.action = 'panic'; break;
    case 'arm': r.action = 'arm'; break;
    case 'disarm': r.action = 'disarm'; break;
    case 'key': r.action = keyName(said.text); break;
    // a word we do not know: a button records it as its key; other sensors fire, as a bare transmitter would
    case 'unknown': if (kind === 'button') r.action = keyName(said.text); break;
  }

  if (!out.event) {
    const open = flag(message.contact_open) ?? flag(message.opened);
    if (open !== undefined) {
      out.event = true;
      if (kind === 'door') r.contact ??= !open;
      else if ((kind === 'motion' || kind === 'presence') && open) r.occupancy ??= true;
    }
  }
  if (!out.event || (said?.word === 'closed' && kind !== 'door')) {
    const alarm = flag(message.alarm);
    if (alarm !== undefined) {
      out.event = true;
      if (alarm) trigger(kind, r);
      else clear(kind, r);
    }
  }

  // a bare transmitter: the message itself is the event (a self-test or tamper report is not)
  if (!out.event && (said === undefined || said.word === 'unknown') && r.test !== true && r.tamper !== true) trigger(kind, r);
  return Object.keys(r).length > 0 ? r : null;
}
