// A serial receiver's outage is the rules core's decision: one device_offline alert per home it
// serves, under the key receiver_offline:<path>, resolved when the receiver is back.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/rules/index.ts';
import { MIN, home, homeConfig } from './driver.ts';

const START = '2026-03-02T02:00:00Z';
const USB = '/dev/ttyUSB0';
const KEY = `receiver_offline:${USB}`;

describe('receiver outage in the rules core', () => {
  it('down opens a device_offline alert with the receiver and reason; back resolves it with its reason', () => {
    const h = home(homeConfig(), START);
    const opened = h.receiver(USB, true, 'port closed: unplugged');
    expect(opened).toEqual([{ type: 'open', key: KEY, kind: 'device_offline', detail: { receiver: USB, reason: 'port closed: unplugged' } }]);
    // no device of its own: the device-removal clean-up never closes it
    expect('deviceId' in opened[0]).toBe(false);
    h.wait(3 * MIN);
    expect(h.receiver(USB, false, 'back after 180 s')).toEqual([{ type: 'resolve', key: KEY, reason: 'back after 180 s' }]);
    expect(h.state.alerts[KEY]).toBeUndefined();
    expect(h.state.latched[KEY]).toBeUndefined();
  });

  it('reported down again while open is an update, never a second alert', () => {
    const h = home(homeConfig(), START);
    h.receiver(USB, true, 'silent for 3 pings');
    h.wait(MIN);
    h.receiver(USB, true, 'port closed');
    expect(h.ofKey(KEY)).toEqual(['open', 'update:still offline']);
  });

  it('an acknowledged outage is still resolved when the receiver is back: the fact settles it', () => {
    const h = home(homeConfig(), START);
    h.receiver(USB, true, 'unplugged');
    h.acknowledge(KEY);
    h.receiver(USB, false, 'back after 60 s');
    expect(h.ofKey(KEY)).toEqual(['open', 'resolve:back after 60 s']);
  });

  it('a person resolving it during the outage does not reopen it for that outage; the next outage opens again', () => {
    const h = home(homeConfig(), START);
    h.receiver(USB, true, 'unplugged');
    h.resolve(KEY);
    // the same outage reported again (a restart while it is still unplugged)
    expect(h.receiver(USB, true, 'unplugged')).toEqual([]);
    // back: nothing open to resolve, the latch is released
    expect(h.receiver(USB, false, 'back after 600 s')).toEqual([]);
    h.wait(MIN);
    expect(h.receiver(USB, true, 'silent for 3 pings').map((d) => d.type)).toEqual(['open']);
    expect(h.opened(KEY)).toHaveLength(2);
  });

  it('back without an outage decides nothing; two receivers are two alerts', () => {
    const h = home(homeConfig(), START);
    expect(h.receiver(USB, false, 'back after 1 s')).toEqual([]);
    h.receiver(USB, true, 'unplugged');
    h.receiver('/dev/ttyACM0', true, 'unplugged');
    h.receiver(USB, false, 'back after 5 s');
    expect(Object.keys(h.state.alerts)).toEqual(['receiver_offline:/dev/ttyACM0']);
    expect(h.opened().map((o) => o.key)).toEqual([KEY, 'receiver_offline:/dev/ttyACM0']);
  });

  it('an outage survives a restart: the saved state (plain JSON) is resolved when the receiver is back', () => {
    const h = home(homeConfig(), START);
    h.receiver(USB, true, 'unplugged');
    const saved = JSON.parse(JSON.stringify(h.state));
    const later = Date.parse(START) + 30 * MIN;
    const { decisions } = decide(h.cfg, saved, { type: 'receiver', path: USB, down: false, reason: 'back after 1800 s' }, later);
    expect(decisions).toEqual([{ type: 'resolve', key: KEY, reason: 'back after 1800 s' }]);
  });

  it('does not touch the caller\'s state (the core copies on write)', () => {
    const h = home(homeConfig(), START);
    const before = h.state;
    const frozen = JSON.stringify(before);
    decide(h.cfg, before, { type: 'receiver', path: USB, down: true, reason: 'unplugged' }, Date.parse(START) + MIN);
    expect(JSON.stringify(before)).toBe(frozen);
  });
});
