// Working days on China's official calendar: public holidays and the make-up working days (调休)
// that go with them, from the chinese-days package, plus site.holidays / site.workdays; a
// problem's 3-working-day deadline across the 2026 Spring Festival and a make-up Saturday.
import { describe, it, expect, afterEach } from 'vitest';
import { dayKind, OFFICIAL_YEARS } from '../../src/casefile/official-calendar.ts';
import { problemDeadline } from '../../src/casefile/deadlines.ts';
import { startWorkspace, type Workspace } from './setup.ts';

const cn = { timeZone: 'Asia/Shanghai', holidays: new Set<string>(), official: true };
const weekendsOnly = { timeZone: 'Asia/Shanghai', holidays: new Set<string>() };

describe('the official calendar', () => {
  it('knows 2026: Saturday 14 February is a make-up working day, the Spring Festival week is off', () => {
    expect(dayKind('2026-02-14', cn)).toMatchObject({ working: true, reason: 'makeup_workday' });
    expect(dayKind('2026-02-17', cn)).toMatchObject({ working: false, reason: 'holiday', name: '春节' });
    expect(dayKind('2026-02-28', cn)).toMatchObject({ working: true, reason: 'makeup_workday' });
    expect(dayKind('2026-10-10', cn)).toMatchObject({ working: true, reason: 'makeup_workday' });
    expect(dayKind('2026-03-07', cn)).toMatchObject({ working: false, reason: 'weekend' });
    expect(dayKind('2026-03-09', cn)).toMatchObject({ working: true, reason: 'workday' });
    // without it, a Saturday is a Saturday
    expect(dayKind('2026-02-14', weekendsOnly)).toMatchObject({ working: false, reason: 'weekend' });
    expect(OFFICIAL_YEARS.last).toBeGreaterThanOrEqual(2026);
  });

  it('site lists add to it: a holiday the package lacks, a make-up day of a year it does not know yet', () => {
    const site = { ...cn, holidays: new Set(['2026-03-09']), workdays: new Set(['2027-02-20']) };
    expect(dayKind('2026-03-09', site)).toMatchObject({ working: false, reason: 'holiday' });
    expect(dayKind('2027-02-20', site)).toMatchObject({ working: true, reason: 'makeup_workday' });
  });

  it('counts 3 working days across Spring Festival 2026 with its make-up Saturday', () => {
    // Thursday 12 February: Fri 13, Sat 14 (make-up), then 15-23 off, Tue 24 is the third
    const visit = Date.parse('2026-02-12T10:00:00+08:00');
    expect(new Date(problemDeadline(visit, 'normal', cn)).toISOString()).toBe('2026-02-24T15:59:59.999Z');
    // on weekends alone it would have been Tuesday 17, in the middle of the holiday
    expect(new Date(problemDeadline(visit, 'normal', weekendsOnly)).toISOString()).toBe('2026-02-17T15:59:59.999Z');
    // a problem found on the make-up Saturday itself: the Saturday does not count (the visit day never does)
    const onSaturday = Date.parse('2026-02-14T09:00:00+08:00');
    expect(new Date(problemDeadline(onSaturday, 'normal', cn)).toISOString()).toBe('2026-02-26T15:59:59.999Z');
  });
});

describe('through the API', () => {
  let ws: Workspace | undefined;
  afterEach(async () => { await ws?.stop(); ws = undefined; });

  it('a visit on the Thursday before Spring Festival gets the official deadline; site.calendar: weekends turns it off', async () => {
    const body = { visitor: 'Li', at: '2026-02-12T10:00:00+08:00', purpose: 'routine', problems: [{ description: 'no heating', category: 'livelihood', subcategory: 'housing', urgency: 'normal' }] };
    ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai' } });
    const official = await ws.call('POST', '/api/residents/r-zhang/visits', body);
    expect(official.status).toBe(201);
    expect(official.body.problems[0]).toMatchObject({ deadline: '2026-02-24T15:59:59.999Z', subcategory: 'housing' });
    await ws.stop();
    ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai', calendar: 'weekends', workdays: ['2026-02-14'] } });
    const plain = await ws.call('POST', '/api/residents/r-zhang/visits', body);
    // Fri 13, Sat 14 (a configured make-up day), Mon 16
    expect(plain.body.problems[0].deadline).toBe('2026-02-16T15:59:59.999Z');
  });

  it('refuses a sub-kind that is not of the category, naming the field', async () => {
    ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai' } });
    const res = await ws.call('POST', '/api/residents/r-zhang/visits', {
      visitor: 'Li', at: '2026-03-02T10:00:00+08:00', purpose: 'routine', problems: [{ description: 'x', category: 'health', subcategory: 'housing', urgency: 'normal' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('problems[0].subcategory: housing is not a kind of health');
  });
});
