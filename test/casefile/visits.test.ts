// Visits and problems through the API: roles, 400s with reasons, WT numbers across a year
// boundary, deadlines in the answer, the casefile timeline, problem follow-up.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, caseworker, admin, type Workspace } from './setup.ts';

let ws: Workspace;
beforeAll(async () => {
  ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai', holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'] } });
});
afterAll(async () => { await ws?.stop(); });

const visit = (over: Record<string, unknown> = {}) => ({
  visitor: 'Li Caseworker', at: '2026-03-06T16:30:00+08:00', purpose: 'routine', notes: 'tidy flat, fridge well stocked',
  observations: { homeSafety: 'loose rug in the hall', mood: 'cheerful', familyRelations: 'son calls weekly', supportNetwork: 'neighbour Wang' },
  problems: [
    { description: 'complains of loneliness in the evenings', category: 'social', urgency: 'normal' },
    { description: 'out of blood pressure tablets', category: 'health', urgency: 'high', responsible: 'Dr. Sun' },
  ],
  ...over,
});

describe('recording a visit', () => {
  it('needs a token', async () => {
    const res = await ws.call('POST', '/api/residents/r-zhang/visits', visit(), {});
    expect(res.status).toBe(401);
    expect((await ws.call('GET', '/api/residents/r-zhang/visits', undefined, {})).status).toBe(401);
    expect((await ws.call('GET', '/api/visits/due', undefined, {})).status).toBe(401);
    expect((await ws.call('PATCH', '/api/problems/WT2026001', { status: 'solved' }, {})).status).toBe(401);
  });

  it('answers 201 with WT-numbered problems, deadlines on the site calendar and the visitor responsible by default', async () => {
    const res = await ws.call('POST', '/api/residents/r-zhang/visits', visit());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(Number), residentId: 'r-zhang', visitor: 'Li Caseworker', at: '2026-03-06T08:30:00.000Z', purpose: 'routine',
      notes: 'tidy flat, fridge well stocked', recordedBy: 'li-caseworker', observations: { mood: 'cheerful' },
    });
    expect(res.body.problems).toEqual([
      expect.objectContaining({
        id: 'WT2026001', category: 'social', urgency: 'normal', status: 'pending', responsible: 'Li Caseworker',
        // Friday afternoon -> Monday, Tuesday, Wednesday: due at the end of Wednesday in Shanghai
        deadline: '2026-03-11T15:59:59.999Z',
      }),
      expect.objectContaining({
        id: 'WT2026002', category: 'health', urgency: 'high', status: 'pending', responsible: 'Dr. Sun',
        deadline: '2026-03-07T08:30:00.000Z',
      }),
    ]);
  });

  it('lets an admin record visits too, and numbers on', async () => {
    const res = await ws.call('POST', '/api/residents/r-chen/visits', visit({ at: '2026-09-30T11:00:00+08:00', problems: [{ description: 'broken window latch', category: 'livelihood', urgency: 'normal' }] }), admin);
    expect(res.status).toBe(201);
    expect(res.body.recordedBy).toBe('ops-admin');
    // National Day holidays skipped: Thu 8, Fri 9 and Saturday 10 October, the make-up working day (调休) of
    // China's official calendar
    expect(res.body.problems).toEqual([expect.objectContaining({ id: 'WT2026003', deadline: '2026-10-10T15:59:59.999Z' })]);
  });

  it('numbers problems by the visit year in the site time zone, restarting at 001 each year', async () => {
    const late = await ws.call('POST', '/api/residents/r-chen/visits', visit({ at: '2026-12-31T15:59:00Z', problems: [{ description: 'a', category: 'health', urgency: 'normal' }] }));
    const newYear = await ws.call('POST', '/api/residents/r-chen/visits', visit({ at: '2026-12-31T16:00:00Z', problems: [
      { description: 'b', category: 'health', urgency: 'normal' }, { description: 'c', category: 'social', urgency: 'normal' }] }));
    expect(late.body.problems.map((p: any) => p.id)).toEqual(['WT2026004']);
    expect(newYear.body.problems.map((p: any) => p.id)).toEqual(['WT2027001', 'WT2027002']);
  });

  it('gives every problem a distinct number when visits are recorded at once', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () =>
      ws.call('POST', '/api/residents/r-zhang/visits', visit({ at: '2025-05-05T10:00:00+08:00' }))));
    const ids = results.flatMap((r) => r.body.problems.map((p: any) => p.id));
    expect(new Set(ids).size).toBe(20);
    expect(ids.every((id: string) => /^WT2025\d{3}$/.test(id))).toBe(true);
  });

  it('reads a time without an offset as site time', async () => {
    const res = await ws.call('POST', '/api/residents/r-chen/visits', visit({ at: '2026-03-02T09:30', problems: [] }));
    expect(res.status).toBe(201);
    expect(res.body.at).toBe('2026-03-02T01:30:00.000Z');
  });

  it.each([
    ['no visitor', { visitor: undefined }, /visitor/],
    ['an unknown urgency', { problems: [{ description: 'x', category: 'health', urgency: 'urgent' }] }, /urgency/],
    ['an unknown category', { problems: [{ description: 'x', category: 'money', urgency: 'high' }] }, /category/],
    ['an empty description', { problems: [{ description: '', category: 'health', urgency: 'high' }] }, /description/],
    ['a bad time', { at: 'last Tuesday' }, /at: expected an ISO-8601 time/],
    ['an end before the start', { endedAt: '2026-03-06T08:00:00+08:00' }, /endedAt/],
    ['an unknown field', { mood: 'fine' }, /additional properties/],
    ['problems not a list', { problems: 'none' }, /problems/],
    ['a follow-up of a problem that does not exist', { followUpOf: ['WT1999001'] }, /WT1999001/],
  ])('400 with the reason for %s', async (_why, over, reason) => {
    const res = await ws.call('POST', '/api/residents/r-zhang/visits', visit(over));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(reason);
  });

  it.each([
    ['POST', '/api/residents/r-zhang/visits', 'null'], ['POST', '/api/residents/r-zhang/visits', '[]'],
    ['POST', '/api/residents/r-zhang/visits', '"visit"'], ['POST', '/api/residents/r-zhang/visits', '{"visitor":{"a":1},"at":"x","purpose":"y"}'],
    ['PATCH', '/api/problems/WT2026001', 'null'], ['PATCH', '/api/problems/WT2026001', '{"status":null}'],
    ['GET', '/api/residents/r-zhang/visits?limit=abc', undefined], ['GET', '/api/residents/r-zhang/visits?before=yesterday', undefined],
    ['GET', '/api/residents/r-zhang/problems?status=late', undefined], ['GET', '/api/reports?from=2026-01-01&to=2026-01-02&x=1', undefined],
  ])('%s %s with %s: 400, never 500', async (method, url, payload) => {
    const res = await ws.http.inject({ method: method as 'GET', url, headers: { ...caseworker, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual(expect.any(String));
  });

  it('400 for a body that is not JSON, 404 for an unknown resident', async () => {
    const raw = await ws.http.inject({ method: 'POST', url: '/api/residents/r-zhang/visits', headers: { ...caseworker, 'content-type': 'application/json' }, payload: '{"visitor":' });
    expect(raw.statusCode).toBe(400);
    expect((await ws.call('POST', '/api/residents/r-nobody/visits', visit())).status).toBe(404);
  });
});

describe('the casefile', () => {
  it('shows the visit and its problems on the timeline, newest first, filterable by type', async () => {
    const res = await ws.call('GET', '/api/residents/r-zhang/timeline?type=visit,problem&before=2026-03-07T00:00:00Z&limit=10');
    expect(res.status).toBe(200);
    const [first, second, third] = res.body.items;
    expect(first).toMatchObject({ type: 'visit', at: '2026-03-06T08:30:00.000Z', visitor: 'Li Caseworker', purpose: 'routine', problems: ['WT2026001', 'WT2026002'] });
    expect(second).toMatchObject({ type: 'problem', problemId: 'WT2026002', urgency: 'high', deadline: '2026-03-07T08:30:00.000Z' });
    expect(third).toMatchObject({ type: 'problem', problemId: 'WT2026001', category: 'social' });
  });

  it('lists visits newest first with their problems, paged', async () => {
    const page1 = await ws.call('GET', '/api/residents/r-chen/visits?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((v: any) => v.at)).toEqual(['2026-12-31T16:00:00.000Z', '2026-12-31T15:59:00.000Z']);
    expect(page1.body.items[0].problems.map((p: any) => p.id)).toEqual(['WT2027001', 'WT2027002']);
    const page2 = await ws.call('GET', `/api/residents/r-chen/visits?limit=2&before=${page1.body.nextBefore}`);
    expect(page2.body.items.map((v: any) => v.at)).toEqual(['2026-09-30T03:00:00.000Z', '2026-03-02T01:30:00.000Z']);
    expect(page2.body.nextBefore).toBeNull();
  });
});

describe('following a problem to its solution', () => {
  it('moves pending -> in_progress -> solved, with the follow-up visit and satisfaction, never back', async () => {
    ws.clock.t = Date.parse('2026-03-09T02:00:00Z');
    const started = await ws.call('PATCH', '/api/problems/WT2026001', { status: 'in_progress' });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ id: 'WT2026001', status: 'in_progress', solvedAt: null, overdue: false });

    const followUp = await ws.call('POST', '/api/residents/r-zhang/visits', visit({ at: '2026-03-10T10:00:00+08:00', purpose: 'follow_up', problems: [] }));
    // marking it solved asks what was done
    const unsaid = await ws.call('PATCH', '/api/problems/WT2026001', { status: 'solved', followUpVisitId: followUp.body.id, satisfaction: 5 });
    expect(unsaid.status).toBe(400);
    expect(unsaid.body.error).toMatch(/^resolution: /);
    const solved = await ws.call('PATCH', '/api/problems/WT2026001', { status: 'solved', followUpVisitId: followUp.body.id, satisfaction: 5, resolution: 'grab bar fitted by the housing office' });
    expect(solved.status).toBe(200);
    expect(solved.body).toMatchObject({ status: 'solved', followUpVisitId: followUp.body.id, satisfaction: 5, solvedAt: '2026-03-10T02:00:00.000Z', resolution: 'grab bar fitted by the housing office' });

    const back = await ws.call('PATCH', '/api/problems/WT2026001', { status: 'pending' });
    expect(back.status).toBe(409);
    expect(back.body.error).toMatch(/never back/);

    const timeline = await ws.call('GET', '/api/residents/r-zhang/timeline?type=problem_update&limit=5');
    expect(timeline.body.items[0]).toMatchObject({ type: 'problem_update', problemId: 'WT2026001', from: 'in_progress', status: 'solved', satisfaction: 5 });
  });

  it('a follow-up visit can confirm problems solved as it is recorded', async () => {
    const res = await ws.call('POST', '/api/residents/r-zhang/visits', visit({ at: '2026-03-08T10:00:00+08:00', purpose: 'follow_up', problems: [], followUpOf: ['WT2026002'] }));
    expect(res.status).toBe(201);
    expect(res.body.confirmedSolved).toEqual(['WT2026002']);
    const p = await ws.call('GET', '/api/problems/WT2026002');
    // solved after its 24 h deadline: late, but no longer overdue
    expect(p.body).toMatchObject({ status: 'solved', followUpVisitId: res.body.id, solvedAt: '2026-03-08T02:00:00.000Z', overdue: false });
  });

  it('refuses a follow-up of another resident\'s problem', async () => {
    const res = await ws.call('POST', '/api/residents/r-zhang/visits', visit({ problems: [], followUpOf: ['WT2026003'] }));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/WT2026003 is not a problem of r-zhang/);
  });

  it.each([
    ['satisfaction out of range', { status: 'solved', satisfaction: 6 }, 400],
    ['an unknown status', { status: 'done' }, 400],
    ['an empty patch', {}, 400],
    ['satisfaction on an unsolved problem', { satisfaction: 3 }, 409],
  ])('%s', async (_why, body, status) => {
    const res = await ws.call('PATCH', '/api/problems/WT2026003', body);
    expect(res.status).toBe(status);
    expect(res.body.error).toEqual(expect.any(String));
  });

  it('404 for an unknown problem, 400 for a malformed id', async () => {
    expect((await ws.call('PATCH', '/api/problems/WT2099999', { status: 'solved' })).status).toBe(404);
    expect((await ws.call('PATCH', '/api/problems/XX1', { status: 'solved' })).status).toBe(400);
  });

  it('lists a resident\'s open and overdue problems', async () => {
    ws.clock.t = Date.parse('2026-10-13T00:00:00Z');
    const open = await ws.call('GET', '/api/residents/r-chen/problems?status=overdue');
    expect(open.status).toBe(200);
    expect(open.body.items.map((p: any) => p.id)).toEqual(['WT2026003']);
    expect(open.body.items[0].overdue).toBe(true);
  });

  it('writes who recorded and changed what to the audit log', async () => {
    const res = await ws.call('GET', '/api/audit?limit=100', undefined, admin);
    const actions = res.body.items.map((e: any) => `${e.actor} ${e.action} ${e.target}`);
    expect(actions).toContain('li-caseworker problem.update WT2026001');
    expect(actions).toContain('ops-admin visit.record r-chen');
  });
});
