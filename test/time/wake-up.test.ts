// WakeUp: the one timer a worker keeps for its earliest due time (escalation, outbox retries).
import { describe, expect, it } from 'vitest';
import { WakeUp, type Clock } from '../../src/clock.ts';

/** a clock whose timers fire only when told */
function manualClock() {
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  let t = 0;
  const clock: Clock = {
    now: () => t,
    setTimer(at, fn) {
      const timer = { at, fn, live: true };
      timers.push(timer);
      return { cancel: () => { timer.live = false; } };
    },
  };
  return {
    clock,
    live: () => timers.filter((x) => x.live).map((x) => x.at),
    advance(to: number) {
      t = to;
      for (const x of timers.filter((y) => y.live && y.at <= to).sort((a, b) => a.at - b.at)) { x.live = false; x.fn(); }
    },
  };
}

describe('WakeUp', () => {
  it('keeps one timer: set moves it either way, the same time again arms nothing new, null cancels', () => {
    const m = manualClock();
    let fired = 0;
    const wake = new WakeUp(m.clock, () => fired++);
    wake.set(100);
    wake.set(100);
    expect(m.live()).toEqual([100]);
    wake.set(300);
    expect(m.live()).toEqual([300]);
    expect(wake.at).toBe(300);
    wake.set(null);
    expect(m.live()).toEqual([]);
    expect(wake.at).toBe(Infinity);
    wake.set(50);
    m.advance(60);
    expect(fired).toBe(1);
    expect(wake.at).toBe(Infinity);
    m.advance(1000);
    expect(fired).toBe(1);
  });

  it('setEarlier only brings it forward', () => {
    const m = manualClock();
    let fired = 0;
    const wake = new WakeUp(m.clock, () => fired++);
    wake.setEarlier(500);
    wake.setEarlier(900);
    expect(m.live()).toEqual([500]);
    wake.setEarlier(200);
    expect(m.live()).toEqual([200]);
    m.advance(200);
    expect(fired).toBe(1);
    // once fired, a later time is taken again
    wake.setEarlier(900);
    expect(m.live()).toEqual([900]);
  });
});
