import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeState, decodeAvailability, MAX_PAYLOAD_BYTES } from '../../src/devices/index.ts';

interface Valid { device: string; payload: unknown; readings: object }
interface Invalid { why: string; raw: string; reason: string }
const fixtures: { valid: Valid[]; invalid: Invalid[] } = JSON.parse(readFileSync(new URL('../fixtures/zigbee2mqtt-payloads.json', import.meta.url), 'utf8'));

describe('zigbee2mqtt dialect: state', () => {
  it.each(fixtures.valid.map((f) => [f.device, f] as const))('%s', (_name, f) => {
    // JSON.parse of the fixture file keeps "__proto__" as an own key, so stringify writes it back as sent
    const raw = Buffer.from(typeof f.payload === 'string' ? f.payload : JSON.stringify(f.payload));
    const decoded = decodeState(raw);
    expect(decoded).toEqual({ ok: true, value: f.readings });
  });

  it('keeps a literal "__proto__" key from reaching any prototype', () => {
    const decoded = decodeState(Buffer.from('{"__proto__":{"polluted":true},"smoke":true}'));
    expect(decoded).toEqual({ ok: true, value: { smoke: true } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (decoded.ok) expect(Object.getPrototypeOf(decoded.value)).toBe(Object.prototype);
  });

  it.each(fixtures.invalid.map((f) => [f.why, f] as const))('drops %s', (_why, f) => {
    expect(decodeState(Buffer.from(f.raw))).toMatchObject({ ok: false, reason: f.reason });
  });

  it('drops an action with a control character or half a surrogate pair, and keeps the rest of the report', () => {
    // both are valid JSON; PostgreSQL's jsonb refuses them (a stored one failed its whole group commit)
    for (const bad of ['"\\u0000"', '"sos\\u0007"', '"\\ud800"', '"x\\udc00"', '"\\u009b"']) {
      expect(decodeState(Buffer.from(`{"action":${bad}}`)), bad).toMatchObject({ ok: false, reason: 'bad_type_action' });
      expect(decodeState(Buffer.from(`{"action":${bad},"battery":80}`)), bad).toEqual({ ok: true, value: { battery: 80 }, dropped: ['bad_type_action'] });
    }
    // a whole pair, CJK and the usual names stay
    for (const good of ['single', '1_double', '收到', '\\ud83d\\udd14']) expect(decodeState(Buffer.from(`{"action":"${good}"}`)).ok, good).toBe(true);
  });

  it('drops a payload larger than a sensor report', () => {
    const big = Buffer.from(JSON.stringify({ smoke: true, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) }));
    expect(decodeState(big)).toEqual({ ok: false, reason: 'too_large' });
  });
});

describe('zigbee2mqtt dialect: availability', () => {
  it.each([
    ['{"state":"online"}', 'online'],
    ['{"state":"offline"}', 'offline'],
    ['online', 'online'],
    ['offline\n', 'offline'],
  ])('%s -> %s', (raw, expected) => {
    expect(decodeAvailability(Buffer.from(raw))).toEqual({ ok: true, value: expected });
  });

  it.each(['{"state":"gone"}', 'maybe', '', '[]', '{"status":"online"}'])('rejects %j', (raw) => {
    expect(decodeAvailability(Buffer.from(raw)).ok).toBe(false);
  });
});
