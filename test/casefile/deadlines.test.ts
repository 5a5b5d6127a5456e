// Pure tables: working-day deadlines and WT numbering on the site's calendar (Asia/Shanghai).
import { describe, it, expect } from 'vitest';
import { problemDeadline, problemId, problemYear } from '../../src/casefile/index.ts';
import { parseMoment, startOfDay, localDate, isCivilDate } from '../../src/casefile/calendar.ts';

const shanghai = { timeZone: 'Asia/Shanghai', holidays: new Set(['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07']) };
const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();

describe('normal problems: end of the 3rd working day after the visit day', () => {
  it.each([
    ['Monday morning', '2026-03-02T09:00:00+08:00', '2026-03-05T23:59:59.999+08:00'],
    ['Wednesday: runs over the weekend to Monday', '2026-03-04T15:00:00+08:00', '2026-03-09T23:59:59.999+08:00'],
    ['Friday afternoon: Mon, Tue, Wed', '2026-03-06T16:30:00+08:00', '2026-03-11T23:59:59.999+08:00'],
    ['Saturday: the weekend does not count', '2026-03-07T10:00:00+08:00', '2026-03-11T23:59:59.999+08:00'],
    ['Sunday late evening', '2026-03-08T23:59:00+08:00', '2026-03-11T23:59:59.999+08:00'],
    // Friday 17:00 UTC is already Saturday 01:00 in Shanghai: the site's calendar decides
    ['a UTC Friday that is a Shanghai Saturday', '2026-03-06T17:00:00Z', '2026-03-11T23:59:59.999+08:00'],
    // National Day: Oct 1, 2, 5, 6, 7 are holidays, Oct 3-4 a weekend -> Thu 8, Fri 9, Mon 12
    ['the day before National Day', '2026-09-30T11:00:00+08:00', '2026-10-12T23:59:59.999+08:00'],
    ['during the holidays', '2026-10-03T11:00:00+08:00', '2026-10-12T23:59:59.999+08:00'],
  ])('%s', (_why, visit, due) => {
    expect(iso(problemDeadline(at(visit), 'normal', shanghai))).toBe(iso(at(due)));
  });

  it('uses UTC when the site has no time zone', () => {
    const utc = { timeZone: 'UTC', holidays: new Set<string>() };
    expect(iso(problemDeadline(at('2026-03-06T17:00:00Z'), 'normal', utc))).toBe('2026-03-11T23:59:59.999Z');
  });
});

describe('high urgency: 24 h after the visit, weekends and holidays or not', () => {
  it.each(['2026-03-06T16:30:00+08:00', '2026-09-30T23:00:00+08:00'])('%s', (visit) => {
    expect(problemDeadline(at(visit), 'high', shanghai) - at(visit)).toBe(24 * 3_600_000);
  });
});

describe('WT numbers', () => {
  it('take the year of the visit in the site time zone', () => {
    expect(problemYear(at('2026-12-31T15:59:59Z'), 'Asia/Shanghai')).toBe(2026);
    expect(problemYear(at('2026-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe(2027);
    expect(problemYear(at('2026-12-31T16:00:00Z'), 'UTC')).toBe(2026);
  });
  it('pad the sequence to three digits and grow past 999', () => {
    expect(problemId(2026, 1)).toBe('WT2026001');
    expect(problemId(2026, 42)).toBe('WT2026042');
    expect(problemId(2026, 1000)).toBe('WT20261000');
  });
});

describe('calendar', () => {
  it('reads moments with an offset exactly and without one in the site zone', () => {
    expect(iso(parseMoment('2026-03-02T09:30:00+08:00', 'UTC'))).toBe('2026-03-02T01:30:00.000Z');
    expect(iso(parseMoment('2026-03-02T09:30', 'Asia/Shanghai'))).toBe('2026-03-02T01:30:00.000Z');
    expect(iso(parseMoment('2026-03-02T09:30:00.5Z', 'Asia/Shanghai'))).toBe('2026-03-02T09:30:00.500Z');
    for (const bad of ['yesterday', '2026-02-30T10:00', '2026-03-02', '2026-03-02T25:00Z']) expect(parseMoment(bad, 'UTC')).toBeNaN();
  });
  it('finds local midnight across a DST change', () => {
    expect(iso(startOfDay('2026-03-08', 'America/New_York'))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(startOfDay('2026-03-09', 'America/New_York'))).toBe('2026-03-09T04:00:00.000Z');
    expect(localDate(at('2026-03-08T04:59:59Z'), 'America/New_York')).toBe('2026-03-07');
  });
  it('knows real dates', () => {
    expect(isCivilDate('2026-02-28')).toBe(true);
    expect(isCivilDate('2026-02-29')).toBe(false);
    expect(isCivilDate('2026-13-01')).toBe(false);
  });
});
