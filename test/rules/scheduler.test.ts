import { describe, expect, it } from 'vitest';
import { RuleScheduler, virtualClock } from '../../src/rules/index.ts';
// the live clock lives with the app (src/clock.ts); the rules folder keeps no real time
import { systemClock } from '../../src/clock.ts';
import { MIN, homeConfig } from './driver.ts';
import { initialState } from '../../src/rules/index.ts';

describe('virtual clock', () => {
  it('runs due timers in time order, ties in the order set, including timers set while running', () => {
    const clock = virtualClock(1000);
    const ran: string[] = [];
    clock.setTimer(3000, () => ran.push(`c@${clock.now()}`));
    clock.setTimer(2000, () => {
      ran.push(`a@${clock.now()}`);
      clock.setTimer(2500, () => ran.push(`d@${clock.now()}`));
    });
    clock.setTimer(2000, () => ran.push(`b@${clock.now()}`));
    clock.setTimer(9000, () => ran.push('late'));
    clock.advanceTo(5000);
    expect(ran).toEqual(['a@2000', 'b@2000', 'd@2500', 'c@3000']);
    expect(clock.now()).toBe(5000);
    expect(clock.nextTimer()).toBe(9000);
  });

  it('never goes backwards; a timer set in the past runs at the next advance, at now', () => {
    const clock = virtualClock(5000);
    clock.advanceTo(4000);
    expect(clock.now()).toBe(5000);
    let at = 0;
    clock.setTimer(1000, () => (at = clock.now()));
    clock.advanceTo(5000);
    expect(at).toBe(5000);
  });

  it('a cancelled timer does not run', () => {
    const clock = virtualClock(0);
    let ran = false;
    clock.setTimer(10, () => (ran = true)).cancel();
    clock.advanceTo(100);
    expect(ran).toBe(false);
  });
});

describe('RuleScheduler', () => {
  it('keeps one timer per resident: the latest schedule wins, null cancels', () => {
    const clock = virtualClock(0);
    const due: Array<[string, number]> = [];
    const s = new RuleScheduler(clock, (id) => due.push([id, clock.now()]));
    s.schedule('r-a', 100);
    s.schedule('r-a', 50);
    s.schedule('r-b', 70);
    s.schedule('r-c', 80);
    s.schedule('r-c', null);
    expect(s.dueAt('r-a')).toBe(50);
    clock.advanceTo(1000);
    expect(due).toEqual([['r-a', 50], ['r-b', 70]]);
    expect(s.dueAt('r-a')).toBeNull();
  });

  it('arms at the state\'s next due time, and can be re-armed from inside onDue', () => {
    const cfg = homeConfig({ offline: { after: 5 * MIN } });
    const state = initialState(cfg, 0);
    const clock = virtualClock(0);
    let calls = 0;
    const s = new RuleScheduler(clock, () => {
      calls++;
      if (calls < 3) s.schedule(cfg.residentId, clock.now() + MIN);
    });
    s.reschedule(cfg, state); // 25 h of supervision for devices just heard
    expect(s.dueAt(cfg.residentId)).toBe(25 * 60 * MIN);
    clock.advanceTo(30 * 60 * MIN);
    expect(calls).toBe(3);
    s.stop();
  });

  it('the system clock fires and cancels real timers', async () => {
    const clock = systemClock;
    const fired: string[] = [];
    clock.setTimer(clock.now() + 20, () => fired.push('kept'));
    clock.setTimer(clock.now() + 20, () => fired.push('cancelled')).cancel();
    clock.setTimer(clock.now() - 1000, () => fired.push('past'));
    // a timer set after the others and due later fires after them (timers run in due order);
    // between 'kept' and 'past' no order is promised: a loaded machine may pass 20 ms between the calls
    await new Promise<void>((resolve) => clock.setTimer(clock.now() + 40, resolve));
    expect([...fired].sort()).toEqual(['kept', 'past']);
  });
});
