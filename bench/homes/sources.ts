// Public single-resident home logs, read as binary sensor "on" intervals, and turned into the
// gateway's replay format (CONTRACT.md "Replay"): one {"at","device","payload"} line per report,
// in the zigbee2mqtt dialect, and a config naming each device's kind, room and entrance flag.
//
// Formats read (a folder may hold several homes, in any of them):
// - van Kasteren / TL: `houseX.sensors` (start epoch s, duration s, sensor id; tab separated)
//   with an optional `houseX.sensor_names` (id, name). The van Kasteren homes A-C and the MIT
//   PlaceLab homes in agnesvanbelle/TL use it. Their epochs are the home's wall clock written
//   as if UTC (house A's first event, 2008-02-25 00:20:14, is the local time of the original
//   log), so the resident's time zone is UTC.
// - Ordonez (UCI "ADLs recognition using binary sensors"): `<Name>_Sensors.txt` with lines
//   `start \t end \t Location \t Type \t Place`, local date-times.
//
// How a sensor becomes a device: a PIR is a `motion` device (occupancy true when it fires,
// false when it stops), and so is a switch whose end is nobody's doing (a flush, a float, a
// toaster or another appliance finishing its cycle); a bed or seat pressure mat is a
// `presence` device (presence true while someone is on it, as zigbee2mqtt's bed occupancy and
// mmWave sensors report). Everything else in these
// homes is a switch a person opens and closes (reed contacts on doors and cupboards, mercury
// switches on drawers, light switches, faucets), which is a contact input: `door`, open when it
// fires and closed when it stops, `entrance: true` only for the home's front door. Rooms come from the sensor's name (English
// and Dutch words, or the "Room,Thing" and Place columns where a format has them).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export type Room = 'bedroom' | 'bathroom' | 'kitchen' | 'living' | 'hall' | 'entrance' | 'other';

export interface SourceSensor {
  /** the id in the source log */
  sourceId: string;
  name: string;
  motion: boolean;
  /** a bed or seat mat: occupied while someone lies or sits on it */
  mat?: boolean;
  entrance: boolean;
  room: Room;
}

export interface Interval { sensor: string; start: number; end: number }

export interface SourceHome {
  /** e.g. "houseA" */
  name: string;
  format: 'tl' | 'ordonez';
  timezone: string;
  sensors: SourceSensor[];
  /** epoch ms, sorted by start */
  intervals: Interval[];
}

const ENTRANCE = /front ?door|frontdoor|main ?door|maindoor|voordeur|entrance|^(foyer|hallway|entry|porch|hal|gang),\s*door\b/i;
const WORDS: Array<[RegExp, Room]> = [
  // the room a door leads to names it ("Hall-Bedroom door" is the bedroom door)
  [/toilet|flush|bath|shower|badkamer|\bwc\b|basin|wastafel|medicine|hamper/i, 'bathroom'],
  [/bed|slaapkamer|dresser|wardrobe|kledingkast|jewel|nightstand/i, 'bedroom'],
  [/kitchen|keuken|fridge|refrigerator|koelkast|freezer|vriezer|microwave|magnetron|cupboard|kast|plates|cups|pans|grocer|dishwasher|vaatwasser|stove|cooktop|oven|toaster|cutl|kettle|waterkoker|sink|gootsteen|pantry|cereal|containers|burner|coffee|garbage|tuna|herb/i, 'kitchen'],
  [/living|woonkamer|couch|sofa|seat|\btv\b|stereo|\bden\b|dvd|dining|dinning/i, 'living'],
  [/hall|gang|foyer|corridor|landing|stairs/i, 'hall'],
  [/keys|sleutel|porch|coat/i, 'entrance'],
];
const PLACE: Record<string, Room> = {
  bathroom: 'bathroom', toilet: 'bathroom', bedroom: 'bedroom', kitchen: 'kitchen', 'butlers pantry': 'kitchen',
  living: 'living', 'living room': 'living', den: 'living', 'dinning room': 'living', 'dining room': 'living',
  hallway: 'hall', hall: 'hall', foyer: 'hall', entrance: 'entrance', porch: 'entrance', 'office/study': 'other', office: 'other',
};

export function roomOf(name: string, place?: string): Room {
  if (ENTRANCE.test(name)) return 'entrance';
  // "Room,Thing" (PlaceLab) or a Place column says where it is
  const where = (place ?? (name.includes(',') ? name.split(',')[0] : '')).trim().toLowerCase();
  if (PLACE[where]) return PLACE[where];
  for (const [re, room] of WORDS) if (re.test(name)) return room;
  return 'other';
}

const MOTION = /\bpir\b|motion|beweging/i;
/** bed and seat pressure mats: occupied while someone lies or sits on them */
const MAT = /\bmatt?\b|press\b|pressure|drukmat/i;

/**
 * Switches whose end is no person's doing: a flush's tank refills, a float drops back, a
 * toaster pops, an appliance's cycle ends. Only their start is a sign of life.
 */
const ONSET_ONLY = /flush|float|toaster|microwave|magnetron|dishwasher|vaatwasser|washing ?machine|wasmachine|dryer|kettle|waterkoker|coffee|garbage|electric/i;

/**
 * Reported like a motion sensor (occupancy true when it starts, false when it ends, the end being
 * no sign of life): a PIR, and an event-only switch (a flush or an appliance, as a vibration or
 * power sensor would see it). Mats are `presence` devices (isMat).
 */
export function isMotion(name: string, type?: string): boolean {
  return [MOTION, MAT, ONSET_ONLY].some((re) => re.test(type ?? '') || re.test(name));
}

export function isMat(name: string, type?: string): boolean {
  return MAT.test(type ?? '') || MAT.test(name);
}

/** Reads every home in a folder (not recursive). */
export function readHomes(dir: string, opts: { entrance?: string[] } = {}): SourceHome[] {
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort();
  const homes: SourceHome[] = [];
  for (const f of files) {
    if (f.endsWith('.sensors')) homes.push(readTl(join(dir, f), opts));
    else if (/_Sensors\.txt$/i.test(f)) homes.push(readOrdonez(join(dir, f), opts));
  }
  return homes;
}

function markEntrance(sensors: SourceSensor[], extra: string[] | undefined): void {
  for (const s of sensors) {
    if (extra?.some((n) => n.toLowerCase() === s.name.toLowerCase() || n === s.sourceId)) s.entrance = true;
    if (s.entrance) s.room = 'entrance';
  }
}

/**
 * Known faults of published name files, keyed by the file's SHA-256 (only that exact file is
 * corrected). agnesvanbelle/TL's houseB.sensor_names names a front door (7) that never reports
 * and leaves out five sensors that do. Sensor 4 opens and closes within seconds of 69 of its
 * 106 reports near the starts and ends of the annotated leave-house periods, as a front door
 * does; 20, 22, 24 and 25 carry the names of the original van Kasteren house B
 * (pressure mats on the office chair and the server-corner chair, the balcony door, a window;
 * as listed by pyadlml).
 */
const NAME_FIXES: Record<string, Record<string, string>> = {
  f4c626d00f52e660a10d5afd7e3783940bbb88e7241240dd00b2e311fd36ed27: {
    4: 'front door (reports as sensor 4)', 20: 'pressure mat office chair', 22: 'pressure mat chair server corner',
    24: 'balcony door', 25: 'window frame',
  },
};

/** van Kasteren / TL: `.sensors` + optional `.sensor_names`. */
export function readTl(file: string, opts: { entrance?: string[] } = {}): SourceHome {
  const names = new Map<string, string>();
  let namesText = '';
  try {
    namesText = readFileSync(file.replace(/\.sensors$/, '.sensor_names'), 'utf8');
  } catch { /* names are optional */ }
  for (const line of namesText.split(/\r?\n/)) {
    const [id, ...rest] = line.split('\t');
    if (id?.trim() && rest.join(' ').trim()) names.set(id.trim(), rest.join(' ').trim());
  }
  const fixes = NAME_FIXES[createHash('sha256').update(namesText).digest('hex')] ?? {};
  for (const [id, name] of Object.entries(fixes)) names.set(id, name);
  const intervals: Interval[] = [];
  const ids = new Set<string>();
  readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || cols[0] === '') return;
    const [start, dur] = [Number(cols[0]), Number(cols[1])];
    if (!Number.isFinite(start) || !Number.isFinite(dur) || dur < 0) throw new Error(`${file}:${i + 1}: expected "start duration id"`);
    ids.add(cols[2]);
    intervals.push({ sensor: cols[2], start: start * 1000, end: (start + dur) * 1000 });
  });
  const sensors = [...ids].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)).map((id): SourceSensor => {
    const name = names.get(id) ?? `sensor ${id}`;
    return { sourceId: id, name, motion: isMotion(name), mat: isMat(name), entrance: ENTRANCE.test(name), room: names.has(id) ? roomOf(name) : 'other' };
  });
  markEntrance(sensors, opts.entrance);
  intervals.sort((a, b) => a.start - b.start);
  return { name: basename(file).replace(/\.sensors$/, ''), format: 'tl', timezone: 'UTC', sensors, intervals };
}

/** Ordonez: `start \t end \t Location \t Type \t Place` with a two-line header. */
export function readOrdonez(file: string, opts: { entrance?: string[] } = {}): SourceHome {
  const sensors = new Map<string, SourceSensor>();
  const intervals: Interval[] = [];
  const time = (s: string) => Date.parse(s.trim().replace(' ', 'T') + 'Z');
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(.+)$/.exec(line.trim());
    if (!m) continue;
    const [location, type, place] = m[3].split(/\t+/).map((s) => s.trim()).filter(Boolean);
    if (!location) continue;
    const key = `${location} ${place ?? ''}`.trim();
    if (!sensors.has(key)) {
      const entrance = ENTRANCE.test(location) || (place ?? '').toLowerCase() === 'entrance' && /door/i.test(location);
      sensors.set(key, { sourceId: key, name: `${location}${place ? ` (${place})` : ''}`, motion: isMotion(location, type), mat: isMat(location, type), entrance, room: roomOf(location, place) });
    }
    const start = time(m[1]);
    const end = Math.max(start, time(m[2]));
    if (Number.isFinite(start)) intervals.push({ sensor: key, start, end });
  }
  const list = [...sensors.values()];
  markEntrance(list, opts.entrance);
  intervals.sort((a, b) => a.start - b.start);
  return { name: basename(file).replace(/_Sensors\.txt$/i, ''), format: 'ordonez', timezone: 'UTC', sensors: list, intervals };
}

// ---- to the replay format ----

export interface ReplayDevice { id: string; kind: 'door' | 'motion' | 'presence'; name: string; room: Room; entrance?: boolean; zigbee2mqtt: string }
export interface ReplayLine { at: string; device: string; payload: Record<string, unknown> }

function slug(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'sensor';
}

export function residentId(home: SourceHome): string {
  return slug(home.name);
}

export function replayDevices(home: SourceHome): Map<string, ReplayDevice> {
  const out = new Map<string, ReplayDevice>();
  const used = new Set<string>();
  const prefix = residentId(home);
  for (const s of home.sensors) {
    let id = `${prefix}-${slug(s.name)}`.slice(0, 60).replace(/-$/, '');
    for (let n = 2; used.has(id); n++) id = `${prefix}-${slug(s.name)}-${n}`;
    used.add(id);
    out.set(s.sourceId, {
      id, kind: s.mat ? 'presence' : s.motion ? 'motion' : 'door', name: s.name, room: s.room,
      ...(s.motion ? {} : { entrance: s.entrance }),
      zigbee2mqtt: `${prefix}/${s.name}`,
    });
  }
  return out;
}

/**
 * Each interval is two reports: a switch opens and closes (contact false, then true), a PIR
 * sees movement and then stops (occupancy true, then false). A zero-length interval closes a
 * second later, as a real contact does. Sorted by time; at equal times the source order holds.
 */
export function replayLines(home: SourceHome, devices = replayDevices(home)): ReplayLine[] {
  const rows: Array<{ at: number; seq: number; device: string; payload: Record<string, unknown> }> = [];
  let seq = 0;
  for (const iv of home.intervals) {
    const d = devices.get(iv.sensor)!;
    const end = Math.max(iv.end, iv.start + 1000);
    if (d.kind === 'presence') {
      rows.push({ at: iv.start, seq: seq++, device: d.id, payload: { presence: true } });
      rows.push({ at: end, seq: seq++, device: d.id, payload: { presence: false } });
    } else if (d.kind === 'motion') {
      rows.push({ at: iv.start, seq: seq++, device: d.id, payload: { occupancy: true } });
      rows.push({ at: end, seq: seq++, device: d.id, payload: { occupancy: false } });
    } else {
      rows.push({ at: iv.start, seq: seq++, device: d.id, payload: { contact: false } });
      rows.push({ at: end, seq: seq++, device: d.id, payload: { contact: true } });
    }
  }
  rows.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return rows.map((r) => ({ at: new Date(r.at).toISOString(), device: r.device, payload: r.payload }));
}

/** The config the converted home replays under (devices only; the evaluation sets the rules). */
export function replayConfig(home: SourceHome, devices = replayDevices(home)): Record<string, unknown> {
  return {
    residents: [{
      id: residentId(home),
      name: home.name,
      timezone: home.timezone,
      rules: { inactivity: { mode: 'learned' } },
      // these logs carry no check-ins: a sensor nobody touched for a day is not offline
      devices: [...devices.values()].map((d) => ({ ...d, supervision: '60d' })),
    }],
  };
}
