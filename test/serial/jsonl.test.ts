// The JSON-lines decoder against real rtl_433 -F json output (test/fixtures/serial/rtl433-lines.jsonl).
import { describe, expect, it } from 'vitest';
import type { DeviceKind, Readings } from '../../src/domain/types.ts';
import { jsonlKey, jsonlToReadings, parseJsonlLine, type JsonlMessage } from '../../src/devices/serial/index.ts';
import { fixtureLines, lineWith } from './fixtures.ts';

const F = 'rtl433-lines.jsonl';

function message(line: string): JsonlMessage {
  const result = parseJsonlLine(line);
  if ('ignored' in result) throw new Error(`ignored as ${result.ignored}: ${line}`);
  return result.message;
}

describe('parseJsonlLine', () => {
  it.each(fixtureLines(F))('reads %s', (line) => {
    expect(typeof message(line).model).toBe('string');
  });

  it('ignores what is not one JSON object', () => {
    expect(parseJsonlLine('')).toEqual({ ignored: 'empty' });
    expect(parseJsonlLine('Found Rafael Micro R820T tuner')).toEqual({ ignored: 'garbage' });
    expect(parseJsonlLine('{"model" : "Kerui-Security", "id" : 8408')).toEqual({ ignored: 'garbage' });
    expect(parseJsonlLine('[1, 2]')).toEqual({ ignored: 'garbage' });
    expect(parseJsonlLine('null')).toEqual({ ignored: 'garbage' });
    expect(parseJsonlLine(Buffer.from([0x7b, 0xff, 0x00, 0x22]).toString('utf8'))).toEqual({ ignored: 'garbage' });
    expect(parseJsonlLine(`{"model":"x","pad":"${'a'.repeat(5000)}"}`)).toEqual({ ignored: 'too_long' });
  });
});

describe('jsonlKey', () => {
  it('joins model and id by default, numbers as printed', () => {
    expect(jsonlKey(message(lineWith(F, 'Kerui-Security')))).toBe('Kerui-Security;840811');
    expect(jsonlKey(message(lineWith(F, 'Interlogix')))).toBe('Interlogix-Security;a55b4b');
  });
  it('uses the configured idFields, and names no device when one is missing', () => {
    const honeywell = message(lineWith(F, '"id" : 39809'));
    expect(jsonlKey(honeywell, ['model', 'id', 'channel'])).toBe('Honeywell-Security;39809;8');
    expect(jsonlKey(honeywell, ['model', 'unit'])).toBeUndefined();
    expect(jsonlKey({ model: 'x', id: { nested: 1 } })).toBeUndefined();
  });
});

describe('jsonlToReadings', () => {
  const cases: Array<[string, DeviceKind, Readings | null]> = [
    [lineWith(F, 'Kerui-Security'), 'motion', { occupancy: true }],
    [lineWith(F, '"id" : 39809'), 'door', { contact: false, tamper: false, battery_low: false }],
    // Honeywell raises `alarm` on a closed contact: the state wins
    [lineWith(F, '"id" : 125008'), 'door', { contact: true, tamper: false, battery_low: false }],
    [lineWith(F, '"id" : 73942'), 'door', { contact: false }],
    [lineWith(F, 'Smoke-GS558'), 'smoke', { smoke: true }],
    [lineWith(F, 'Generic-Remote'), 'button', { action: 'sos' }],
    [lineWith(F, 'Generic-Remote'), 'motion', { occupancy: true }],
    [lineWith(F, '24H Zone'), 'smoke', { smoke: true }],
    [lineWith(F, 'Normal Zone'), 'door', { contact: false }],
    [lineWith(F, '"cmd" : "On"'), 'motion', { occupancy: true }],
    // Interlogix switch loops are not mapped: only the battery is read
    [lineWith(F, 'Interlogix'), 'door', { battery_low: false }],
  ];
  it.each(cases)('%s as %s -> %j', (line, kind, readings) => {
    expect(jsonlToReadings(message(line), kind)).toEqual(readings);
  });

  it('reads the other Kerui and Chuango event words', () => {
    // the state words of rtl_433's kerui.c and cmd words of chuango.c
    expect(jsonlToReadings({ model: 'Kerui-Security', id: 1, cmd: 14, state: 'open' }, 'door')).toEqual({ contact: false });
    expect(jsonlToReadings({ model: 'Kerui-Security', id: 1, cmd: 7, state: 'close' }, 'door')).toEqual({ contact: true });
    expect(jsonlToReadings({ model: 'Kerui-Security', id: 1, cmd: 11, state: 'tamper' }, 'door')).toEqual({ tamper: true });
    expect(jsonlToReadings({ model: 'Kerui-Security', id: 1, cmd: 15, state: 'battery' }, 'motion')).toEqual({ battery_low: true });
    expect(jsonlToReadings({ model: 'Chuango-Security', id: 1, cmd: 'Low Battery', cmd_id: 13 }, 'smoke')).toEqual({ battery_low: true });
    expect(jsonlToReadings({ model: 'Chuango-Security', id: 1, cmd: 'Test', cmd_id: 0 }, 'smoke')).toEqual({ test: true });
    expect(jsonlToReadings({ model: 'Chuango-Security', id: 1, cmd: 'Alarm', cmd_id: 2 }, 'button')).toEqual({ action: 'sos' });
  });

  it('never takes pairing for an alarm, and reads battery fractions', () => {
    expect(jsonlToReadings({ model: 'Smoke-GS558', id: 3403, unit: 12, learn: 1, code: 'c1a96c' }, 'smoke')).toBeNull();
    expect(jsonlToReadings({ model: 'x', id: 1, battery_ok: 0.2, motion: 0 }, 'motion')).toEqual({ battery: 20, battery_low: true, occupancy: false });
  });
});
