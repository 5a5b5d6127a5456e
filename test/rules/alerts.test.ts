import { describe, expect, it } from 'vitest';
import type { Readings } from '../../src/domain/types.ts';
import { HOUR, MIN, home, homeConfig, hours } from './driver.ts';

const START = '2026-03-02T02:00:00Z'; // 10:00 in Shanghai
const at = (min: number) => Date.parse(START) + min * MIN;

type Step = [minute: number, device: string, readings: Readings | 'offline' | 'online' | 'ack' | 'resolve'];

/** Runs steps against a fresh home and lists what happened to one condition key. */
function run(key: string, steps: Step[], rules = homeConfig().rules) {
  const h = home(homeConfig(rules), START);
  for (const [minute, device, what] of steps) {
    h.at(at(minute));
    if (what === 'offline' || what === 'online') h.availability(device, what);
    else if (what === 'ack') h.acknowledge(key);
    else if (what === 'resolve') h.resolve(key);
    else h.send(device, what);
  }
  return h.ofKey(key);
}

describe('one ongoing condition is one alert; clear rules', () => {
  it.each<[string, string, Step[], string[]]>([
    ['smoke opens once; repeats are silent', 'smoke:smoke',
      [[0, 'smoke', { smoke: true }], [1, 'smoke', { smoke: true }], [2, 'smoke', { smoke: true, battery: 80 }]],
      ['open']],
    ['smoke that clears says so and stays open', 'smoke:smoke',
      [[0, 'smoke', { smoke: true }], [5, 'smoke', { smoke: false }], [6, 'smoke', { smoke: false }]],
      ['open', 'update:cleared']],
    ['smoke back while still open is an update, not a second alert', 'smoke:smoke',
      [[0, 'smoke', { smoke: true }], [5, 'smoke', { smoke: false }], [7, 'smoke', { smoke: true }]],
      ['open', 'update:cleared', 'update:smoke again']],
    ['a person resolving a still-smoky detector is not reopened by its next report', 'smoke:smoke',
      [[0, 'smoke', { smoke: true }], [3, 'smoke', 'resolve'], [4, 'smoke', { smoke: true }], [9, 'smoke', { smoke: false }], [20, 'smoke', { smoke: true }]],
      ['open', 'open']],
    ['a button press is an emergency; another press updates it', 'emergency:btn',
      [[0, 'btn', { action: 'single' }], [1, 'btn', { action: 'double' }], [2, 'btn', { action: 'release' }]],
      ['open', 'update:pressed again']],
    ['emergency is never resolved by the device; after a person resolves, a press opens again', 'emergency:btn',
      [[0, 'btn', { action: 'hold' }], [5, 'btn', 'ack'], [6, 'btn', 'resolve'], [8, 'btn', { action: 'single' }]],
      ['open', 'open']],
    ['sos:true from any device is an emergency', 'emergency:smoke', [[0, 'smoke', { sos: true }]], ['open']],
    ['action sos on a door is an emergency', 'emergency:door', [[0, 'door', { action: 'sos' }]], ['open']],
    ['a self-test never alarms', 'smoke:smoke', [[0, 'smoke', { test: true, smoke: true }], [1, 'smoke', { test: true, smoke: false }]], []],
    ['a self-test press is no emergency', 'emergency:btn', [[0, 'btn', { test: true, action: 'single' }]], []],
    ['battery at 10 % is low; the same low level again is silent; 20 % resolves', 'battery_low:pir',
      [[0, 'pir', { battery: 10 }], [60, 'pir', { battery: 9 }], [120, 'pir', { battery: 15 }], [180, 'pir', { battery: 100 }]],
      ['open', 'resolve:battery ok']],
    ['battery_low flag and its clearing', 'battery_low:door',
      [[0, 'door', { battery_low: true }], [60, 'door', { battery_low: false }]],
      ['open', 'resolve:battery ok']],
    ['battery at 11 % is not low', 'battery_low:door', [[0, 'door', { battery: 11 }]], []],
    ['tamper opens once and tamper:false resolves', 'tamper:pir',
      [[0, 'pir', { tamper: true }], [1, 'pir', { tamper: true }], [2, 'pir', { tamper: false }]],
      ['open', 'resolve:tamper cleared']],
    ['offline past the 5 min default grace opens; back online resolves', 'device_offline:pir',
      [[0, 'pir', 'offline'], [6, 'pir', 'offline'], [30, 'pir', 'online']],
      ['open', 'resolve:back online']],
    ['offline shorter than the grace is nothing', 'device_offline:pir',
      [[0, 'pir', 'offline'], [4, 'pir', 'online'], [20, 'pir', { occupancy: true }]],
      []],
    ['any state message from an offline device resolves the outage, acknowledged or not', 'device_offline:door',
      [[0, 'door', 'offline'], [10, 'door', 'ack'], [20, 'door', { contact: true }]],
      ['open', 'resolve:back online']],
  ])('%s', (_name, key, steps, expected) => {
    expect(run(key, steps)).toEqual(expected);
  });

  it('uses the configured offline grace', () => {
    expect(run('device_offline:pir', [[0, 'pir', 'offline'], [6, 'pir', 'online']], { offline: { after: 10 * MIN } })).toEqual([]);
    const h = home(homeConfig({ offline: { after: 0 } }), START);
    expect(h.availability('pir', 'offline').map((d) => d.type)).toEqual(['open']);
  });

  it('a device silent past its supervision period is offline (25 h default, per-device override)', () => {
    const cfg = homeConfig({}, 'Asia/Shanghai', [
      { id: 'pir', kind: 'motion', entrance: false },
      { id: 'smoke', kind: 'smoke', entrance: false, supervisionMs: 2 * HOUR },
    ]);
    const h = home(cfg, START);
    h.wait(2 * HOUR + MIN);
    expect(h.opened().map((d) => [d.key, d.at - Date.parse(START)])).toEqual([['device_offline:smoke', 2 * HOUR]]);
    h.send('pir', { occupancy: false }, Date.parse(START) + 20 * HOUR); // heard: supervision restarts
    h.wait(24 * HOUR + 59 * MIN);
    expect(h.opened('device_offline:pir')).toHaveLength(0);
    h.wait(2 * MIN);
    expect(h.opened('device_offline:pir')).toHaveLength(1);
    expect(h.opened('device_offline:pir')[0].detail).toMatchObject({ reason: 'silent' });
  });

  it('never raises a second open for a key that is open, whatever is repeated', () => {
    const h = home(homeConfig({ offline: { after: MIN } }), START);
    for (let i = 0; i < 20; i++) {
      h.send('smoke', { smoke: true, battery: 5, tamper: true }, at(i));
      h.availability('pir', 'offline', at(i) + 30_000);
    }
    h.wait(HOUR);
    const keys = h.opened().map((d) => d.key).sort();
    expect(keys).toEqual(['battery_low:smoke', 'device_offline:pir', 'smoke:smoke', 'tamper:smoke']);
  });
});

describe('night door', () => {
  const rules = { nightDoor: { hours: hours('22:00-06:00'), after: 10 * MIN } };
  // Shanghai is UTC+8: local 22:00 is 14:00Z
  const local = (hm: string, day = '2026-03-02') => {
    const [h, m] = hm.split(':').map(Number);
    return Date.parse(`${day}T00:00:00Z`) + ((h - 8) * 60 + m) * MIN;
  };
  const cases: Array<[string, Array<[string, string, boolean | null]>, string[]]> = [
    // [name, [[local time, device, contact (null: just let time pass)]], what happened to night_door:<device>]
    ['open at 23:00 past 10 min alerts', [['23:00', 'door', false], ['23:30', 'door', null]], ['open@23:10']],
    ['closed again in time: nothing', [['23:00', 'door', false], ['23:09', 'door', true], ['23:30', 'door', null]], []],
    ['opened at 21:55 counts from 22:00', [['21:55', 'door', false], ['22:30', 'door', null]], ['open@22:10']],
    ['opened at 05:55: the night is over at 06:00', [['05:55', 'door', false], ['07:00', 'door', true]], []],
    ['not at daytime', [['12:00', 'door', false], ['13:00', 'door', true]], []],
    ['only entrance doors', [['23:00', 'fridge', false], ['23:30', 'fridge', null]], []],
    ['closing after the alert is noted; the alert stays for a person', [['23:00', 'door', false], ['23:20', 'door', true], ['23:40', 'door', null]], ['open@23:10', 'update:door closed@23:20']],
  ];
  it.each(cases)('%s', (_name, steps, expected) => {
    const device = steps[0][1];
    const h = home(homeConfig(rules), local('12:00', '2026-03-02'));
    // times before noon are the next morning
    for (const [hm, dev, contact] of steps) {
      const t = local(hm, Number(hm.slice(0, 2)) < 12 ? '2026-03-03' : '2026-03-02');
      if (contact === null) h.at(t);
      else h.send(dev, { contact }, t);
    }
    const fmt = (t: number) => new Date(t + 8 * HOUR).toISOString().slice(11, 16);
    expect(h.log.filter((d) => 'key' in d && d.key === `night_door:${device}`)
      .map((d) => `${d.type === 'update' ? `update:${d.note}` : d.type}@${fmt(d.at)}`)).toEqual(expected);
  });

  it('a visit in progress holds the night-door alert until the visit ends', () => {
    const h = home(homeConfig(rules), local('12:00'));
    h.at(local('22:50'));
    h.visit(local('22:50'), local('23:30'));
    h.send('door', { contact: false }, local('23:00'));
    h.at(local('23:35'));
    expect(h.opened('night_door:door')).toHaveLength(0);
    h.at(local('23:45'));
    expect(h.opened('night_door:door').map((d) => d.at)).toEqual([local('23:40')]);
  });

  it('a visit never holds smoke or an emergency', () => {
    const h = home(homeConfig(rules), local('12:00'));
    h.visit(local('12:00'), local('14:00'));
    h.send('smoke', { smoke: true }, local('12:30'));
    h.send('btn', { action: 'single' }, local('12:31'));
    expect(h.opened().map((d) => d.key)).toEqual(['smoke:smoke', 'emergency:btn']);
  });
});
