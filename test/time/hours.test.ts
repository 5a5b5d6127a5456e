import { describe, expect, it } from 'vitest';
import { addMsInWindow, inWindow, inWindowAt, localTime, msInWindow, nextLocalHour, wallToEpoch } from '../../src/time/index.ts';
import { HOUR, MIN, hours } from '../rules/driver.ts';

describe('local time in the resident zone', () => {
  it.each([
    // zone, instant, local hour, weekday (0 = Sunday)
    ['Asia/Shanghai', '2026-03-02T16:30:00Z', 0, 2], // Tue 00:30 in Shanghai, still Monday in UTC
    ['America/Los_Angeles', '2026-03-02T07:59:00Z', 23, 0], // Sun 23:59 (PST, UTC-8)
    ['America/Los_Angeles', '2026-07-02T07:59:00Z', 0, 4], // Thu 00:59 (PDT, UTC-7)
    ['Pacific/Auckland', '2026-01-15T11:00:00Z', 0, 5], // Fri 00:00 (NZDT, UTC+13)
    ['Asia/Kolkata', '2026-03-02T18:29:00Z', 23, 1], // Mon 23:59 (UTC+5:30)
  ])('%s at %s is local hour %i, weekday %i', (tz, at, hour, weekday) => {
    const lt = localTime(Date.parse(at), tz);
    expect(lt.hour).toBe(hour);
    expect(lt.weekday).toBe(weekday);
  });

  it('turns a local wall time back into the instant, across a DST change', () => {
    const tz = 'America/Los_Angeles';
    const before = localTime(Date.parse('2026-03-07T20:00:00Z'), tz); // Sat 12:00 PST
    // Sunday 8 March 2026 09:00 is PDT (UTC-7), the day after 09:00 PST (UTC-8)
    expect(new Date(wallToEpoch(before.day + 1, 9 * HOUR, tz)).toISOString()).toBe('2026-03-08T16:00:00.000Z');
    expect(new Date(wallToEpoch(before.day, 9 * HOUR, tz)).toISOString()).toBe('2026-03-07T17:00:00.000Z');
  });

  it('finds local hour boundaries in a half-hour zone', () => {
    expect(new Date(nextLocalHour(Date.parse('2026-03-02T10:10:00Z'), 'Asia/Kolkata')).toISOString()).toBe('2026-03-02T10:30:00.000Z');
  });
});

describe('hour windows', () => {
  it.each([
    // window, local HH:MM, inside?
    ['22:00-06:00', '23:30', true],
    ['22:00-06:00', '00:00', true],
    ['22:00-06:00', '05:59', true],
    ['22:00-06:00', '06:00', false],
    ['22:00-06:00', '21:59', false],
    ['07:00-22:00', '07:00', true],
    ['07:00-22:00', '22:00', false],
    ['00:00-24:00', '00:00', true],
    ['00:00-24:00', '23:59', true],
    ['07:00-24:00', '23:59', true],
    ['07:00-24:00', '06:59', false],
    ['08:00-08:00', '03:00', true], // equal ends: the whole day
  ])('%s contains %s: %s', (w, hm, inside) => {
    const [h, m] = hm.split(':').map(Number);
    expect(inWindowAt((h * 60 + m) * MIN, hours(w))).toBe(inside);
  });

  it('counts only in-window time, wrapping midnight, in the resident zone', () => {
    const tz = 'Asia/Shanghai';
    // 21:00 local Monday to 09:00 local Tuesday, window 22:00-06:00: 8 h inside
    expect(msInWindow(Date.parse('2026-03-02T13:00:00Z'), Date.parse('2026-03-03T01:00:00Z'), tz, hours('22:00-06:00'))).toBe(8 * HOUR);
    // 12 h of 07:00-22:00 from 21:00 local: 1 h tonight, 11 h tomorrow -> 18:00 local
    expect(new Date(addMsInWindow(Date.parse('2026-03-02T13:00:00Z'), 12 * HOUR, tz, hours('07:00-22:00'))).toISOString()).toBe('2026-03-03T10:00:00.000Z');
    expect(inWindow(Date.parse('2026-03-02T15:00:00Z'), tz, hours('22:00-06:00'))).toBe(true); // 23:00 local
    expect(inWindow(Date.parse('2026-03-02T15:00:00Z'), 'UTC', hours('22:00-06:00'))).toBe(false);
  });

  it('counts a window across the spring-forward night by the wall clock', () => {
    // Los Angeles, night of 7-8 March 2026: 22:00-06:00 is only 7 real hours
    const tz = 'America/Los_Angeles';
    expect(msInWindow(Date.parse('2026-03-08T04:00:00Z'), Date.parse('2026-03-08T16:00:00Z'), tz, hours('22:00-06:00'))).toBe(7 * HOUR);
  });
});
