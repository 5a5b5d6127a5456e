// Hazards other than smoke (CO, gas, water leak), and which button actions are emergencies
// (CONTRACT.md "Real devices"), in the pure core.
import { describe, expect, it } from 'vitest';
import { home, homeConfig, MIN } from './driver.ts';

const T0 = '2026-03-02T09:00:00+08:00';
const devices = [
  { id: 'combo', kind: 'smoke' as const, entrance: false },
  { id: 'leak', kind: 'water' as const, entrance: false },
  { id: 'fob', kind: 'button' as const, entrance: false },
  { id: 'fob2', kind: 'button' as const, entrance: false, emergencyActions: ['arm_all_zones'] },
  { id: 'keypad', kind: 'door' as const, entrance: false },
  { id: 'mmwave', kind: 'presence' as const, entrance: false },
];

describe('hazards', () => {
  it('a smoke+CO combo raises smoke and CO, each one alert however often it repeats', () => {
    const h = home(homeConfig({}, 'Asia/Shanghai', devices), T0);
    h.send('combo', { carbon_monoxide: true });
    h.wait(MIN).send('combo', { carbon_monoxide: true, smoke: true });
    h.wait(MIN).send('combo', { carbon_monoxide: true, smoke: true });
    expect(h.opened().map((d) => [d.key, d.kind])).toEqual([['co:combo', 'co'], ['smoke:combo', 'smoke']]);
  });

  it('cleared is noted, the alert stays for a person; a new episode after resolve opens again', () => {
    const h = home(homeConfig({}, 'Asia/Shanghai', devices), T0);
    h.send('leak', { water_leak: true });
    h.wait(MIN).send('leak', { water_leak: false });
    expect(h.ofKey('water_leak:leak')).toEqual(['open', 'update:cleared']);
    expect(h.state.alerts['water_leak:leak']).toBeDefined();
    h.resolve('water_leak:leak');
    h.wait(MIN).send('leak', { water_leak: true });
    expect(h.opened('water_leak:leak')).toHaveLength(2);
  });

  it('gas from a device of any kind, never while it says it is testing', () => {
    const h = home(homeConfig({}, 'Asia/Shanghai', devices), T0);
    h.send('combo', { gas: true, test: true });
    expect(h.opened()).toHaveLength(0);
    expect(h.records()).toEqual(['self-test']);
    h.send('keypad', { gas: true });
    expect(h.opened().map((d) => d.key)).toEqual(['gas:keypad']);
  });
});

describe('which actions are emergencies', () => {
  it.each([
    ['sos', true], ['emergency', true], ['panic', true], ['single', true], ['double', true], ['hold', true], ['long', true], ['press', true],
    ['disarm', false], ['arm_all_zones', false], ['arm_away', false], ['arm_day_zones', false], ['home', false], ['off', false], ['release', false], ['hold_release', false],
  ])('a button saying %s: emergency %s', (action, emergency) => {
    const h = home(homeConfig({}, 'Asia/Shanghai', devices), T0);
    h.send('fob', { action });
    expect(h.opened('emergency:fob')).toHaveLength(emergency ? 1 : 0);
  });

  it("a button's own emergencyActions replace the presses, never sos, emergency or panic", () => {
    const h = home(homeConfig({}, 'Asia/Shanghai', devices), T0);
    h.send('fob2', { action: 'single' });
    expect(h.opened()).toHaveLength(0);
    h.send('fob2', { action: 'arm_all_zones' });
    h.resolve('emergency:fob2');
    h.send('fob2', { action: 'panic' });
    expect(h.opened('emergency:fob2')).toHaveLength(2);
  });

  it('panic counts on a keypad configured as a door; a press there is no emergency', () => {
    const h = home(homeConfig({}, 'Asia/Shanghai', devices), T0);
    h.send('keypad', { action: 'single' });
    expect(h.opened()).toHaveLength(0);
    h.send('keypad', { action: 'panic' });
    expect(h.opened().map((d) => d.key)).toEqual(['emergency:keypad']);
  });
});

describe('presence', () => {
  it('an mmWave sensor seeing someone keeps an inactivity alert away; going idle does not', () => {
    const h = home(homeConfig({ inactivity: { mode: 'fixed', after: 2 * 60 * MIN, activeHours: { start: 0, end: 1440, text: '00:00-24:00' } } }, 'Asia/Shanghai', devices), T0);
    for (let i = 0; i < 6; i++) h.wait(60 * MIN).send('mmwave', { occupancy: true });
    expect(h.opened('inactivity')).toHaveLength(0);
    h.wait(MIN).send('mmwave', { occupancy: false });
    h.wait(2 * 60 * MIN + MIN);
    expect(h.opened('inactivity')).toHaveLength(1);
  });
});
