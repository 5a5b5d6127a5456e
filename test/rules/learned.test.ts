import { describe, expect, it } from 'vitest';
import type { ResidentRulesConfig } from '../../src/rules/index.ts';
import { HOUR, MIN, home, homeConfig, iso } from './driver.ts';

const TZ = 'Asia/Shanghai';
const DAY0 = Date.parse('2026-03-01T16:00:00Z'); // Monday 2 March 2026, 00:00 in Shanghai
const local = (day: number, hour: number) => DAY0 + day * 24 * HOUR + hour * HOUR;
const learned = (extra: object = {}): ResidentRulesConfig['rules'] => ({ inactivity: { mode: 'learned', ...extra } });

/** A plain routine: up at `wake` (later at weekends if asked), about every 20 minutes until 22:00, then asleep. */
function live(h: ReturnType<typeof home>, fromDay: number, days: number, weekendWake?: number) {
  for (let d = fromDay; d < fromDay + days; d++) {
    const weekend = d % 7 === 5 || d % 7 === 6;
    const wake = weekend && weekendWake !== undefined ? weekendWake : 7;
    for (let t = local(d, wake); t <= local(d, 22); t += 20 * MIN) h.send('pir', { occupancy: true }, t);
  }
}

describe('learned inactivity', () => {
  it('falls back to the fixed rule (12 h within 07:00-22:00) while learning', () => {
    const h = home(homeConfig(learned(), TZ), local(0, 6));
    live(h, 0, 3);
    h.send('pir', { occupancy: true }, local(3, 10));
    h.at(local(4, 12));
    expect(h.opened('inactivity').map((d) => d.at)).toEqual([local(3, 22)]);
    expect(h.opened('inactivity')[0].detail).toMatchObject({ mode: 'learning' });
  });

  it('after learning: sleep is no silence to alarm on, a morning silence is, within the floor of 1 h', () => {
    const h = home(homeConfig(learned(), TZ), local(0, 6));
    live(h, 0, 16);
    expect(h.records()).toEqual(['inactivity baseline learned']);
    expect(h.opened('inactivity')).toHaveLength(0); // sixteen nights of sleep
    // day 16 (a Wednesday): up at 07:00, last seen 09:40
    for (let t = local(16, 7); t <= local(16, 9) + 40 * MIN; t += 20 * MIN) h.send('pir', { occupancy: true }, t);
    h.at(local(16, 14));
    const [alert] = h.opened('inactivity');
    expect(alert.at - (local(16, 9) + 40 * MIN)).toBe(HOUR);
    expect(alert.detail).toMatchObject({ mode: 'learned', thresholdMs: HOUR });
  });

  it('the floor and the ceiling are configurable', () => {
    const h = home(homeConfig(learned({ min: 2 * HOUR, max: 10 * HOUR }), TZ), local(0, 6));
    live(h, 0, 16);
    for (let t = local(16, 7); t <= local(16, 10); t += 20 * MIN) h.send('pir', { occupancy: true }, t);
    h.at(local(16, 14));
    expect(h.opened('inactivity').map((d) => d.at)).toEqual([local(16, 12)]);
    // a night far longer than usual: the ceiling holds it to 10 h after the last sign of life
    h.send('pir', { occupancy: true }, local(16, 21));
    h.at(local(17, 12));
    expect(h.opened('inactivity').map((d) => d.at).slice(1)).toEqual([local(17, 7)]);
  });

  it('learns by time of week: a weekend lie-in is usual, the same silence on a weekday is not', () => {
    const h = home(homeConfig(learned(), TZ), local(0, 6));
    live(h, 0, 28, 9.5);
    expect(h.opened('inactivity')).toHaveLength(0);
    // Monday 30 March (day 28) up at 07:00, then nothing: judged on weekdays, where 09:00 is busy
    h.send('pir', { occupancy: true }, local(28, 7));
    h.at(local(28, 12));
    const weekday = h.opened('inactivity').map((d) => iso(d.at));
    expect(weekday).toHaveLength(1);
    expect(h.opened('inactivity')[0].at).toBeLessThanOrEqual(local(28, 9));
    // the next Saturday (day 33): asleep until 09:30 as on every weekend
    live(h, 28, 5);
    h.send('pir', { occupancy: true }, local(33, 9.5));
    expect(h.opened('inactivity')).toHaveLength(1);
  });
});
