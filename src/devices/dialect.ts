// The device dialect (zigbee2mqtt's): state as a JSON object, availability as
// {"state":"online"|"offline"} or the plain words. Pure functions, tested on real payloads.
import type { Readings, Availability } from '../domain/types.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A payload larger than this is not a sensor report. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

type Check = (v: unknown) => boolean;
const bool: Check = (v) => typeof v === 'boolean';
const percent: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;
const shortText: Check = (v) => typeof v === 'string' && v.length <= 64;

/** The properties we read, with their types; everything else a device sends (linkquality, voltage...) is ignored. */
const PROPERTIES: Record<keyof Readings, Check> = {
  smoke: bool,
  contact: bool,
  occupancy: bool,
  action: shortText,
  sos: bool,
  battery: percent,
  battery_low: bool,
  tamper: bool,
  test: bool,
};

function parseJson(payload: Buffer): Decoded<unknown> {
  if (payload.length === 0) return { ok: false, reason: 'empty' };
  if (payload.length > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'too_large' };
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false, reason: 'not_json' };
  }
}

export function decodeState(payload: Buffer): Decoded<Readings> {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed;
  const obj = parsed.value;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, reason: 'not_object' };
  // Copy known keys into a fresh object: a "__proto__" key in the payload stays an inert own
  // property of the parsed value and never reaches anything we keep.
  const readings: Readings = {};
  for (const key of Object.keys(PROPERTIES) as Array<keyof Readings>) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const value = (obj as Record<string, unknown>)[key];
    // zigbee2mqtt reports null for a property it has not read yet, and "" for a cleared action
    if (value === null || (key === 'action' && value === '')) continue;
    if (!PROPERTIES[key](value)) return { ok: false, reason: `bad_type_${key}` };
    (readings as Record<string, unknown>)[key] = value;
  }
  return { ok: true, value: readings };
}

export function decodeAvailability(payload: Buffer): Decoded<Availability> {
  const text = payload.toString('utf8').trim();
  if (text === 'online' || text === 'offline') return { ok: true, value: text };
  const parsed = parseJson(payload);
  if (!parsed.ok) return { ok: false, reason: parsed.reason === 'not_json' ? 'bad_availability' : parsed.reason };
  const state = (parsed.value as { state?: unknown } | null)?.state;
  if (state === 'online' || state === 'offline') return { ok: true, value: state };
  return { ok: false, reason: 'bad_availability' };
}
