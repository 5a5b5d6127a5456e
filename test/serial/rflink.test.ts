// The RFLink decoder against real receiver lines (test/fixtures/serial/rflink-*.txt).
import { describe, expect, it } from 'vitest';
import type { DeviceKind, Readings } from '../../src/domain/types.ts';
import { parseRflinkLine, rflinkKeys, rflinkToReadings, type RflinkPacket } from '../../src/devices/serial/index.ts';
import { fixtureGroups, fixtureLines, lineWith } from './fixtures.ts';

function packet(line: string): RflinkPacket {
  const result = parseRflinkLine(line);
  if ('ignored' in result) throw new Error(`ignored as ${result.ignored}: ${line}`);
  return result;
}

describe('parseRflinkLine', () => {
  it.each(fixtureLines('rflink-packets.txt'))('reads a device packet: %s', (line) => {
    const p = packet(line);
    const fields = line.trim().split(';');
    expect(p.name).toBe(fields[2]);
    expect(`ID=${p.id}`).toBe(fields.find((f) => f.startsWith('ID=')));
  });

  it.each(fixtureGroups('rflink-gateway.txt'))('ignores $line as $expect', ({ expect: reason, line }) => {
    expect(parseRflinkLine(line)).toEqual({ ignored: reason });
  });

  it('keeps names, id case and switch as printed', () => {
    expect(packet(lineWith('rflink-packets.txt', 'MiLightv1'))).toEqual({
      counter: '01', name: 'MiLightv1', id: 'F746', switch: '00',
      labels: { ID: 'F746', SWITCH: '00', RGBW: '3c00', CMD: 'ON' },
    });
    expect(packet(lineWith('rflink-packets.txt', 'Oregon UVN128/138')).name).toBe('Oregon UVN128/138');
    expect(packet(lineWith('rflink-packets.txt', 'FA20RF')).switch).toBeUndefined();
  });

  it('splits a field on its first = only, and tolerates trailing space and CR', () => {
    const p = packet(lineWith('rflink-packets.txt', 'SET_LEVEL'));
    expect(p.labels.CMD).toBe('SET_LEVEL=14');
    expect(packet('20;63;SmokeAlert;ID=123456;SMOKEALERT=ON;\r').labels.SMOKEALERT).toBe('ON');
  });

  it('drops bare words a bridge appends after the fields', () => {
    expect(packet(lineWith('rflink-packets.txt', 'Nano')).labels).toEqual({ ID: '00004a', SWITCH: '00', CMD: 'OFF' });
  });

  it('calls binary junk garbage and over-long lines too long', () => {
    const junk = Buffer.from([0x00, 0xff, 0x13, 0x80, 0xfe, 0x32, 0x30, 0x3b, 0x07, 0x9c]).toString('utf8');
    expect(parseRflinkLine(junk)).toEqual({ ignored: 'garbage' });
    expect(parseRflinkLine('20;63;Smoke\u0000Alert;ID=1;SMOKEALERT=ON;')).toEqual({ ignored: 'garbage' });
    const long = `20;2D;UPM/Esic;ID=0001;${'TEMP=00cf;'.repeat(200)}`;
    expect(parseRflinkLine(long)).toEqual({ ignored: 'too_long' });
    expect(parseRflinkLine('   ')).toEqual({ ignored: 'empty' });
  });
});

describe('rflinkKeys', () => {
  it('tries the switch-specific key first, then the plain one', () => {
    expect(rflinkKeys(packet('20;06;Kaku;ID=41;SWITCH=1;CMD=ON;'))).toEqual(['Kaku;ID=41;SWITCH=1', 'Kaku;ID=41']);
    expect(rflinkKeys(packet('20;12;Pir;ID=aa66;PIR=ON;'))).toEqual(['Pir;ID=aa66']);
  });
});

describe('rflinkToReadings', () => {
  const P = 'rflink-packets.txt';
  const cases: Array<[string, DeviceKind, Readings | null]> = [
    // smoke detectors
    [lineWith(P, 'SmokeAlert;ID=123456'), 'smoke', { smoke: true }],
    [lineWith(P, 'FA20RF'), 'smoke', { smoke: true }],
    ['20;64;SmokeAlert;ID=123456;SMOKEALERT=OFF;', 'smoke', { smoke: false }],
    [lineWith(P, 'ID=0f7499'), 'smoke', { smoke: true }], // an EV1527 smoke alarm reports as a switch
    // the same switch frames from CO, gas and water sensors, and an mmWave sensor as a PIR
    [lineWith(P, 'ID=0f7499'), 'co', { carbon_monoxide: true }],
    [lineWith(P, 'ID=0f7499'), 'gas', { gas: true }],
    [lineWith(P, 'ID=0f7499'), 'water', { water_leak: true }],
    [lineWith(P, '20;0C;Kaku;ID=41;SWITCH=2;CMD=OFF;'), 'water', { water_leak: false }],
    [lineWith(P, 'X10;ID=27fd49'), 'presence', { occupancy: true }],
    // PIRs
    [lineWith(P, 'Pir;ID=aa66'), 'motion', { occupancy: true }],
    ['20;13;Pir;ID=aa66;PIR=OFF;', 'motion', { occupancy: false }],
    [lineWith(P, 'X10;ID=27fd49'), 'motion', { occupancy: true }],
    [lineWith(P, 'ID=07a410'), 'motion', { occupancy: true }],
    // door contacts: ON = opened, OFF = closed
    [lineWith(P, '20;06;Kaku;ID=41;SWITCH=1;CMD=ON;'), 'door', { contact: false }],
    [lineWith(P, '20;0C;Kaku;ID=41;SWITCH=2;CMD=OFF;'), 'door', { contact: true }],
    [lineWith(P, 'NewKaku;ID=cac142;SWITCH=1'), 'door', { contact: true }],
    [lineWith(P, 'HomeEasy'), 'door', { contact: false }],
    [lineWith(P, 'Chuango;ID=127478'), 'door', { contact: false }],
    [lineWith(P, 'RTS;ID=1a602a'), 'door', null], // a shutter's DOWN says nothing about a door
    [lineWith(P, 'SET_LEVEL'), 'door', null],
    // emergency buttons: every press is an emergency press
    [lineWith(P, 'ID=005DF'), 'button', { action: 'sos' }],
    [lineWith(P, '20;0C;Kaku;ID=41;SWITCH=2;CMD=OFF;'), 'button', { action: 'sos' }],
    [lineWith(P, 'SET_LEVEL'), 'button', { action: 'sos' }],
    // doorbells are activity, never an emergency and never a door opening
    [lineWith(P, 'SelectPlus'), 'motion', { occupancy: true }],
    [lineWith(P, 'Byron SX'), 'door', { occupancy: true }],
    [lineWith(P, 'SilvercrestDB'), 'button', { occupancy: true }],
    // batteries
    [lineWith(P, 'Auriol V2'), 'motion', { battery_low: true }],
    [lineWith(P, 'UPM/Esic'), 'smoke', { battery_low: false }],
    [lineWith(P, 'Cresta'), 'door', { battery_low: true }],
    ['20;0E;Pir;ID=aa66;PIR=ON;BAT=LOW;', 'motion', { occupancy: true, battery_low: true }],
    // nothing we model
    [lineWith(P, 'Oregon UVN128/138'), 'motion', { battery_low: false }],
    ['20;31;Mebus;ID=c201;TEMP=00cf;', 'smoke', null],
  ];
  it.each(cases)('%s as %s -> %j', (line, kind, readings) => {
    expect(rflinkToReadings(packet(line), kind)).toEqual(readings);
  });
});
