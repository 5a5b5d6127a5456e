// One time-zone implementation (src/time, on Temporal) for the rules, the rosters and the
// casefile calendar, checked across real DST changes: Europe/Berlin and America/New_York (at
// 02:00), America/Santiago (at midnight: 6 September 2026 begins at 01:00) and
// Australia/Lord_Howe (a 30-minute change). Before, the three copies put 02:30 on Berlin's
// spring night at 01:30 CET (calendar), 03:30 CEST (rules) and used Intl strings (rosters);
// Santiago's 6 September began at 23:00 the day before.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY, HOUR, MINUTE, inWindow, isTimeZone, localParts, localTime, msInWindow, nextTransition, parseHours, utcOffsetMs, wallInstants, wallToEpoch, zonedInstant } from '../../src/time/index.ts';
import { addDays, localDate, parseMoment, startOfDay } from '../../src/casefile/calendar.ts';
import { onCallAt } from '../../src/notify/roster.ts';

const iso = (t: number) => new Date(t).toISOString();
const at = (text: string) => Date.parse(text);
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY;
const wall = (t: number, tz: string) => {
  const p = localParts(t, tz);
  const n = (x: number) => String(x).padStart(2, '0');
  return `${p.year}-${n(p.month)}-${n(p.day)} ${n(p.hour)}:${n(p.minute)}:${n(p.second)}`;
};

describe('an instant\'s wall clock across a DST change', () => {
  it.each([
    ['Europe/Berlin', '2026-03-29T00:59:59Z', '2026-03-29 01:59:59', 1], ['Europe/Berlin', '2026-03-29T01:00:00Z', '2026-03-29 03:00:00', 2],
    ['Europe/Berlin', '2026-10-25T00:59:59Z', '2026-10-25 02:59:59', 2], ['Europe/Berlin', '2026-10-25T01:00:00Z', '2026-10-25 02:00:00', 1],
    ['America/New_York', '2026-03-08T06:59:59Z', '2026-03-08 01:59:59', -5], ['America/New_York', '2026-03-08T07:00:00Z', '2026-03-08 03:00:00', -4],
    ['America/New_York', '2026-11-01T06:00:00Z', '2026-11-01 01:00:00', -5],
    ['America/Santiago', '2026-09-06T03:59:59Z', '2026-09-05 23:59:59', -4], ['America/Santiago', '2026-09-06T04:00:00Z', '2026-09-06 01:00:00', -3],
    ['Australia/Lord_Howe', '2026-10-03T15:29:59Z', '2026-10-04 01:59:59', 10.5], ['Australia/Lord_Howe', '2026-10-03T15:30:00Z', '2026-10-04 02:30:00', 11],
    ['Asia/Shanghai', '2026-03-29T01:00:00Z', '2026-03-29 09:00:00', 8],
  ])('%s at %s reads %s (UTC%+d)', (tz, instant, reads, hours) => {
    expect(wall(at(instant), tz)).toBe(reads);
    expect(utcOffsetMs(at(instant), tz)).toBe(hours * HOUR);
  });

  it('knows when the offset next changes, and that Shanghai has not changed since 1991', () => {
    expect(iso(nextTransition(at('2026-03-01T00:00:00Z'), 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(nextTransition(at('2026-03-29T01:00:00Z'), 'Europe/Berlin'))).toBe('2026-10-25T01:00:00.000Z');
    expect(nextTransition(at('2026-03-01T00:00:00Z'), 'Asia/Shanghai')).toBe(Infinity);
  });
});

describe('a wall-clock time\'s instant: a time in the gap is the jump, one in the overlap the earlier', () => {
  it.each([
    // Berlin, spring: 02:00-03:00 does not happen
    ['Europe/Berlin', '2026-03-29', 1, 59, '2026-03-29T00:59:00.000Z'],
    ['Europe/Berlin', '2026-03-29', 2, 0, '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29', 2, 30, '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29', 3, 0, '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29', 3, 1, '2026-03-29T01:01:00.000Z'],
    // Berlin, autumn: 02:00-03:00 happens twice, CEST then CET
    ['Europe/Berlin', '2026-10-25', 2, 30, '2026-10-25T00:30:00.000Z'],
    ['Europe/Berlin', '2026-10-25', 3, 0, '2026-10-25T02:00:00.000Z'],
    // New York
    ['America/New_York', '2026-03-08', 2, 15, '2026-03-08T07:00:00.000Z'],
    ['America/New_York', '2026-11-01', 1, 30, '2026-11-01T05:30:00.000Z'],
    // Santiago: 6 September has no midnight; it begins at 01:00
    ['America/Santiago', '2026-09-06', 0, 0, '2026-09-06T04:00:00.000Z'],
    ['America/Santiago', '2026-09-06', 0, 30, '2026-09-06T04:00:00.000Z'],
  ])('%s %s %i:%i is %s', (tz, date, h, m, expected) => {
    const [y, mo, d] = date.split('-').map(Number);
    expect(iso(zonedInstant(tz, y, mo, d, h, m))).toBe(expected);
    expect(iso(wallToEpoch(dayOf(date), (h * 60 + m) * MINUTE, tz))).toBe(expected);
    // a form's datetime-local text means the same
    expect(iso(parseMoment(`${date}T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`, tz))).toBe(expected);
  });

  it('gives both readings of a time in the overlap, the earlier first', () => {
    expect(wallInstants(dayOf('2026-10-25'), 150 * MINUTE, 'Europe/Berlin').map(iso)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(wallInstants(dayOf('2026-10-24'), 150 * MINUTE, 'Europe/Berlin').map(iso)).toEqual(['2026-10-24T00:30:00.000Z']);
  });

  it('never runs backwards, and reads back every time the clock shows, on DST days in every zone', () => {
    const zone = fc.constantFrom('Europe/Berlin', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Shanghai');
    const date = fc.constantFrom('2026-03-29', '2026-10-25', '2026-03-08', '2026-11-01', '2026-04-05', '2026-09-06', '2026-10-04', '2026-04-04');
    fc.assert(fc.property(zone, date, fc.integer({ min: 0, max: 1438 }), (tz, d, minute) => {
      const a = wallToEpoch(dayOf(d), minute * MINUTE, tz);
      const b = wallToEpoch(dayOf(d), (minute + 1) * MINUTE, tz);
      expect(b).toBeGreaterThanOrEqual(a);
      // the clock reads the time asked for, unless it jumped past it: then it reads just after
      const lt = localTime(a, tz);
      if (lt.day === dayOf(d) && lt.msOfDay === minute * MINUTE) return;
      expect(utcOffsetMs(a - 1, tz)).toBeLessThan(utcOffsetMs(a, tz));
      expect(lt.day * DAY + lt.msOfDay).toBeGreaterThan(dayOf(d) * DAY + minute * MINUTE);
    }), { numRuns: 2000 });
  });
});

describe('one calendar for the casefile', () => {
  it('a day begins at its first moment, midnight or the jump past it, and ends where the next begins', () => {
    expect(iso(startOfDay('2026-09-06', 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z');
    expect(localDate(startOfDay('2026-09-06', 'America/Santiago'), 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(startOfDay('2026-09-06', 'America/Santiago') - 1, 'America/Santiago')).toBe('2026-09-05');
    // the day the clocks go forward is 23 h long, the day they go back 25 h
    const length = (d: string, tz: string) => (startOfDay(addDays(d, 1), tz) - startOfDay(d, tz)) / HOUR;
    expect(length('2026-03-29', 'Europe/Berlin')).toBe(23);
    expect(length('2026-10-25', 'Europe/Berlin')).toBe(25);
    expect(length('2026-09-06', 'America/Santiago')).toBe(23);
    expect(length('2026-10-04', 'Australia/Lord_Howe')).toBe(23.5);
    expect(length('2026-03-30', 'Europe/Berlin')).toBe(24);
  });

  it('reads zone names as the config does, and refuses a bare offset the page could not format', () => {
    expect(['Asia/Shanghai', 'UTC', 'Europe/Berlin'].every(isTimeZone)).toBe(true);
    expect(['Mars/Olympus', '+08:00', ''].some(isTimeZone)).toBe(false);
  });
});

describe('one hour window for the rules and the rosters', () => {
  const tz = 'Europe/Berlin';
  const nights = [['2026-03-28T20:00:00Z', '2026-03-29T08:00:00Z'], ['2026-10-24T20:00:00Z', '2026-10-25T08:00:00Z']];

  it('a neighbour is on call exactly when the rules\' window is open, every minute of both DST nights', () => {
    for (const hours of ['22:00-06:00', '02:30-05:00', '01:00-02:15', '00:00-24:00']) {
      const w = parseHours(hours)!;
      for (const [from, to] of nights) {
        for (let t = at(from); t < at(to); t += MINUTE) expect(onCallAt(hours, t, tz), `${hours} at ${iso(t)}`).toBe(inWindow(t, tz, w));
      }
    }
  });

  it('counts the wall clock\'s hours: an edge in the gap opens the window when the clocks jump, one in the overlap twice', () => {
    const [spring, autumn] = nights;
    const counted = (hours: string, [from, to]: string[]) => msInWindow(at(from), at(to), tz, parseHours(hours)!) / HOUR;
    expect(counted('22:00-06:00', spring)).toBe(7);
    expect(counted('22:00-06:00', autumn)).toBe(9);
    // spring: open from the jump (03:00 CEST) to 05:00
    expect(counted('02:30-05:00', spring)).toBe(2);
    // autumn: 02:30-03:00 CEST, then the clocks go back to 02:00: 02:30-05:00 CET
    expect(counted('02:30-05:00', autumn)).toBe(3);
    // the same, minute by minute
    for (const night of nights) {
      let minutes = 0;
      for (let t = at(night[0]); t < at(night[1]); t += MINUTE) if (inWindow(t, tz, parseHours('02:30-05:00')!)) minutes++;
      expect(minutes * MINUTE).toBe(msInWindow(at(night[0]), at(night[1]), tz, parseHours('02:30-05:00')!));
    }
  });
});
