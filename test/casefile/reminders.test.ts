// GET /api/reminders: each kind (problem deadlines, visits due, birthdays, lunar festivals,
// follow-up appointments, the knock day with its residents), read on the site's time zone.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, admin, type Workspace } from './setup.ts';

// Wednesday 4 March 2026, 10:00 in Shanghai
const NOW = Date.parse('2026-03-04T02:00:00Z');
const DAY = 86_400_000;

const residents = [
  { id: 'r-zhang', name: 'Zhang Xiuying', area: '幸福社区 3号楼', address: '3-601', birthday: '1948-03-12', timezone: 'Asia/Shanghai' },
  { id: 'r-chen', name: 'Chen Guoqiang', area: '幸福社区 3号楼', address: '3-202', birthday: '1940-02-29', timezone: 'Asia/Shanghai' },
  { id: 'r-wu', name: 'Wu Lan', area: '和平社区 1号楼', address: '1-101', visitCycle: '7d' },
  { id: 'r-zhao', name: 'Zhao Ming' },
];

let ws: Workspace;
const kinds = (items: any[], kind: string) => items.filter((i) => i.kind === kind);

beforeAll(async () => {
  ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai', knockDay: 'wednesday' }, residents }, NOW - 10 * DAY);
  // 22 Feb: Wu visited (7-day cycle: due 1 March, overdue now); Zhang visited with two problems
  const visit = (residentId: string, at: string, problems: unknown[] = []) => ws.call('POST', `/api/residents/${residentId}/visits`, { visitor: 'Li', at, purpose: 'routine', problems });
  expect((await visit('r-wu', '2026-02-22T10:00:00+08:00')).status).toBe(201);
  expect((await visit('r-chen', '2026-02-22T10:00:00+08:00')).status).toBe(201);
  ws.clock.t = NOW - 30 * 3_600_000;
  // a high problem found yesterday 04:00 local is due today 04:00: passed; one found 20 h ago is due in 4 h
  const v = await visit('r-zhang', '2026-03-03T04:00:00+08:00', [{ description: 'no medicine', category: 'health', urgency: 'high' }]);
  expect(v.status).toBe(201);
  ws.clock.t = NOW;
  await visit('r-zhang', '2026-03-03T14:00:00+08:00', [
    { description: 'bathroom light broken', category: 'livelihood', urgency: 'high', responsible: 'Wang (housing)' },
    // Tue 3 March normal: Wed, Thu, Fri -> due end of Friday 6 March
    { description: 'lonely', category: 'social', urgency: 'normal' },
  ]);
  expect((await ws.call('POST', '/api/residents/r-chen/appointments', { date: '2026-03-10', time: '09:30', place: '区人民医院 心内科', note: '复诊' })).status).toBe(201);
});
afterAll(async () => { await ws?.stop(); });

describe('GET /api/reminders', () => {
  it('lists problem deadlines passed, within 24 h and in the span, with who is responsible', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-03-04&to=2026-03-04');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-03-04', to: '2026-03-04', timezone: 'Asia/Shanghai', today: '2026-03-04' });
    const deadlines = kinds(res.body.items, 'problem_deadline');
    expect(deadlines.map((d: any) => [d.problemId, d.overdue, d.within24h])).toEqual([
      ['WT2026001', true, false],
      ['WT2026002', false, true],
    ]);
    expect(deadlines[1]).toMatchObject({ residentId: 'r-zhang', due: '2026-03-04T06:00:00.000Z', date: '2026-03-04', responsible: 'Wang (housing)', urgency: 'high' });
    // the normal one is due Friday: not today, but in a span that reaches Friday
    const week = await ws.call('GET', '/api/reminders?from=2026-03-04&to=2026-03-06');
    expect(kinds(week.body.items, 'problem_deadline').map((d: any) => d.problemId)).toEqual(['WT2026001', 'WT2026002', 'WT2026003']);
    expect(kinds(week.body.items, 'problem_deadline')[2]).toMatchObject({ due: '2026-03-06T15:59:59.999Z', date: '2026-03-06', overdue: false });
  });

  it('lists visits due by cycle: overdue, never visited, and those falling due in the span', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-03-04&to=2026-03-31');
    const due = Object.fromEntries(kinds(res.body.items, 'visit_due').map((v: any) => [v.residentId, v]));
    expect(due['r-wu']).toMatchObject({ due: '2026-03-01T02:00:00.000Z', overdue: true, visitCycleDays: 7, lastVisitAt: '2026-02-22T02:00:00.000Z' });
    expect(due['r-zhao']).toMatchObject({ neverVisited: true, overdue: false, date: '2026-03-04' });
    // Chen: 30 days after 22 February is 24 March
    expect(due['r-chen']).toMatchObject({ due: '2026-03-24T02:00:00.000Z', date: '2026-03-24', overdue: false });
    // Zhang was visited yesterday: next due 2 April, outside the span
    expect(due['r-zhang']).toBeUndefined();
  });

  it('lists birthdays with the age, 29 February on the 28th in a common year', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-02-01&to=2026-03-31');
    expect(kinds(res.body.items, 'birthday')).toEqual([
      { kind: 'birthday', residentId: 'r-chen', due: '2026-02-28', date: '2026-02-28', birthday: '1940-02-29', age: 86 },
      { kind: 'birthday', residentId: 'r-zhang', due: '2026-03-12', date: '2026-03-12', birthday: '1948-03-12', age: 78 },
    ]);
    const leap = await ws.call('GET', '/api/reminders?from=2028-02-28&to=2028-03-01');
    expect(kinds(leap.body.items, 'birthday').map((b: any) => b.due)).toEqual(['2028-02-29']);
  });

  it('lists Spring Festival, Mid-Autumn and Double Ninth on their lunar dates, with everyone to visit', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-01-01&to=2026-12-31');
    expect(kinds(res.body.items, 'festival').map((f: any) => [f.festival, f.due, f.lunarDate])).toEqual([
      ['spring_festival', '2026-02-17', '2026-01-01'],
      ['mid_autumn', '2026-09-25', '2026-08-15'],
      ['double_ninth', '2026-10-18', '2026-09-09'],
    ]);
    expect(kinds(res.body.items, 'festival')[2].residentIds.sort()).toEqual(['r-chen', 'r-wu', 'r-zhang', 'r-zhao']);
    // 2025 and 2027 move with the moon
    const y2025 = await ws.call('GET', '/api/reminders?from=2025-01-01&to=2025-12-31');
    expect(kinds(y2025.body.items, 'festival').map((f: any) => f.due)).toEqual(['2025-01-29', '2025-10-06', '2025-10-29']);
    const y2027 = await ws.call('GET', '/api/reminders?from=2027-01-01&to=2027-12-31');
    expect(kinds(y2027.body.items, 'festival').map((f: any) => f.due)).toEqual(['2027-02-06', '2027-09-15', '2027-10-08']);
  });

  it('lists follow-up appointments (复诊日) recorded on the casefile', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-03-10&to=2026-03-10');
    expect(kinds(res.body.items, 'follow_up_appointment')).toEqual([expect.objectContaining({
      residentId: 'r-chen', due: '2026-03-10', time: '09:30', place: '区人民医院 心内科', note: '复诊', appointmentKind: 'follow_up',
    })]);
  });

  it('lists each knock day (Wednesday) with the residents on the round, by area', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-03-04&to=2026-03-17');
    const knocks = kinds(res.body.items, 'knock_day');
    expect(knocks.map((k: any) => k.due)).toEqual(['2026-03-04', '2026-03-11']);
    expect(knocks[0]).toMatchObject({ residentId: null, knockDay: 'wednesday' });
    expect(knocks[0].residentIds.sort()).toEqual(['r-chen', 'r-wu', 'r-zhang', 'r-zhao']);
    expect(knocks[0].areas).toEqual([
      { area: '和平社区 1号楼', residentIds: ['r-wu'] },
      { area: '幸福社区 3号楼', residentIds: ['r-chen', 'r-zhang'] },
      { area: null, residentIds: ['r-zhao'] },
    ]);
  });

  it('orders everything by when it is due', async () => {
    const res = await ws.call('GET', '/api/reminders?from=2026-03-01&to=2026-03-31');
    const at = (i: any) => Date.parse(i.due.length === 10 ? `${i.due}T00:00:00+08:00` : i.due);
    const times = res.body.items.map(at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(res.body.items.map((i: any) => i.kind))).toEqual(new Set(['problem_deadline', 'visit_due', 'birthday', 'follow_up_appointment', 'knock_day']));
  });

  it('answers a bad span with 400 and the reason, never 500', async () => {
    for (const [q, reason] of [
      ['from=2026-03-05&to=2026-03-04', /from: must not be after to/],
      ['from=2026-02-30&to=2026-03-04', /from: expected a date/],
      ['from=2026-01-01&to=2027-06-01', /at most 366 days/],
      ['from=0001-01-01&to=0001-01-02', /^from: /],
      ['from=1850-01-01&to=1850-01-02', /1901 to 2099/],
      ['from=2026-01-01', /to/],
    ] as const) {
      const res = await ws.call('GET', `/api/reminders?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error, q).toMatch(reason);
    }
    expect((await ws.call('GET', '/api/reminders?from=2026-03-01&to=2026-03-02', undefined, {})).status).toBe(401);
    expect((await ws.call('GET', '/api/reminders?from=2026-03-01&to=2026-03-02', undefined, admin)).status).toBe(200);
  });
});

describe('time zones', () => {
  it('reads days and the next knock day on the site clock', async () => {
    // Wednesday 4 March 20:00 UTC is already Thursday 5 March 04:00 in Shanghai
    const late = Date.parse('2026-03-04T20:00:00Z');
    ws.clock.t = late;
    const shanghai = await ws.call('GET', '/api/rounds/next');
    expect(shanghai.body).toMatchObject({ knockDay: 'wednesday', date: '2026-03-11' });
    const today = await ws.call('GET', '/api/reminders?from=2026-03-05&to=2026-03-05');
    expect(today.body.today).toBe('2026-03-05');
    ws.clock.t = NOW;
    const utc = await startWorkspace({ site: { timezone: 'UTC', knockDay: 'wednesday' }, residents }, late);
    try {
      // the same instant is still Wednesday in UTC: today is the knock day
      expect((await utc.call('GET', '/api/rounds/next')).body).toMatchObject({ date: '2026-03-04' });
      expect((await utc.call('GET', '/api/reminders?from=2026-03-04&to=2026-03-04')).body.today).toBe('2026-03-04');
    } finally {
      await utc.stop();
    }
  });

  it('puts a deadline on the local day it falls on', async () => {
    // WT2026003 is due at 23:59:59.999 Friday in Shanghai, which is 15:59 UTC Friday: the 6th, not the 7th
    const res = await ws.call('GET', '/api/reminders?from=2026-03-06&to=2026-03-06');
    expect(kinds(res.body.items, 'problem_deadline').find((d: any) => d.problemId === 'WT2026003')).toMatchObject({ date: '2026-03-06' });
  });
});
