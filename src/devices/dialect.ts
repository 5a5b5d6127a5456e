// The device dialect (zigbee2mqtt's): state as a JSON object, availability as
// {"state":"online"|"offline"} or the plain words. Pure functions, tested on real payloads.
// The properties and what they mean are in vocabulary.ts; one bad field drops that field only.
import type { Readings, Availability, DeviceKind } from '../domain/types.ts';
import { PROPERTIES, readProperties } from './vocabulary.ts';

export type Decoded<T> = { ok: true; value: T; dropped?: string[] } | { ok: false; reason: string; dropped?: string[] };

/** A payload larger than this is not a sensor report. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

function parseJson(payload: Buffer): Decoded<unknown> {
  if (payload.length === 0) return { ok: false, reason: 'empty' };
  if (payload.length > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'too_large' };
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false, reason: 'not_json' };
  }
}

/**
 * A state report, read by meaning for a device of this kind (the kind decides what a generic
 * IAS `alarm_1` means). A field whose value cannot be read is left out and named in `dropped`;
 * the report is dropped whole only when it had fields we know and none of them could be read.
 * A report with no field we know (linkquality only) is kept: the device spoke.
 */
export function decodeState(payload: Buffer, kind?: DeviceKind): Decoded<Readings> {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed;
  const obj = parsed.value;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, reason: 'not_object' };
  const { readings, dropped, read } = readProperties(obj as Record<string, unknown>, kind);
  if (read === 0 && dropped.length > 0) return { ok: false, reason: dropped[0], dropped };
  return dropped.length > 0 ? { ok: true, value: readings, dropped } : { ok: true, value: readings };
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

/**
 * One property on its own topic (zigbee2mqtt `advanced.output: attribute`, or
 * `attribute_and_json`): `{base}/{name}/{property}` with the bare value as payload: `true`,
 * `85`, `"ON"` or an unquoted word such as `sos`. Undefined when we do not read that property.
 */
export function decodeAttribute(property: string, payload: Buffer, kind?: DeviceKind): Decoded<Readings> | undefined {
  if (!Object.prototype.hasOwnProperty.call(PROPERTIES, property)) return undefined;
  if (payload.length === 0) return { ok: false, reason: 'empty' };
  if (payload.length > 1024) return { ok: false, reason: 'too_large' };
  const text = payload.toString('utf8').trim();
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // a bare word: zigbee2mqtt publishes string values unquoted
  }
  const { readings, dropped, read } = readProperties({ [property]: value }, kind);
  if (read === 0) return { ok: false, reason: dropped[0] ?? `bad_type_${property}`, dropped };
  return { ok: true, value: readings };
}
