// The handbook's casefile through the API: the one-person-one-file fields and who may edit
// them, problems referred to a department, knock-on-door rounds, data warnings and the
// service-warmth index, and planning by area.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, admin, caseworker, type Workspace } from './setup.ts';
import { sqlOf } from '../helpers.ts';

const NOW = Date.parse('2026-03-04T02:00:00Z'); // Wednesday 10:00 in Shanghai
const DAY = 86_400_000;
const residents = [
  { id: 'r-zhang', name: 'Zhang Xiuying', area: '幸福社区 3号楼', address: '3-601', devices: [{ id: 'zhang-door', kind: 'door', secret: 'door-secret' }] },
  { id: 'r-chen', name: 'Chen Guoqiang', area: '幸福社区 3号楼', address: '3-202', devices: [{ id: 'chen-motion', kind: 'motion', secret: 'motion-secret' }] },
  { id: 'r-li', name: 'Li Hua', area: '幸福社区 3号楼', address: '3-404' },
  { id: 'r-wu', name: 'Wu Lan', area: '和平社区 1号楼', address: '1-101' },
];

let ws: Workspace;
const visit = (residentId: string, body: Record<string, unknown>, headers = caseworker) =>
  ws.call('POST', `/api/residents/${residentId}/visits`, { visitor: 'Li', purpose: 'routine', ...body }, headers);

beforeAll(async () => {
  ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai', knockDay: 'wednesday' }, residents }, NOW);
});
afterAll(async () => { await ws?.stop(); });

describe('one person, one file', () => {
  it('admins edit every field; caseworkers difficulties and notes only; every change audited by field', async () => {
    const empty = await ws.call('GET', '/api/residents/r-zhang/casefile');
    expect(empty.status).toBe(200);
    expect(empty.body.profile).toMatchObject({ category: null, household: '', difficulties: '', notes: '', updatedAt: null });
    expect(empty.body.resident).toMatchObject({ id: 'r-zhang', area: '幸福社区 3号楼' });
    expect(empty.body.devices).toEqual([expect.objectContaining({ id: 'zhang-door', availability: 'unknown', lastSeen: null, battery: null })]);

    const byAdmin = await ws.call('PATCH', '/api/residents/r-zhang/casefile', {
      category: 'elderly_alone', household: '独居, 儿子在外地', health: '高血压, 糖尿病',
    }, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toMatchObject({ category: 'elderly_alone', household: '独居, 儿子在外地', updatedBy: 'ops-admin' });

    const notTheirs = await ws.call('PATCH', '/api/residents/r-zhang/casefile', { health: 'fine', notes: 'x' }, caseworker);
    expect(notTheirs.status).toBe(403);
    expect(notTheirs.body.error).toMatch(/^health: only an admin/);
    const theirs = await ws.call('PATCH', '/api/residents/r-zhang/casefile', { difficulties: '行动不便, 上下楼困难', notes: '喜欢下象棋' }, caseworker);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toMatchObject({ category: 'elderly_alone', health: '高血压, 糖尿病', difficulties: '行动不便, 上下楼困难', updatedBy: 'li-caseworker' });

    const audit = await ws.call('GET', '/api/audit?limit=5', undefined, admin);
    const entries = audit.body.items.filter((e: any) => e.action === 'casefile.update');
    expect(entries.map((e: any) => [e.actor, e.detail.fields])).toEqual([
      ['li-caseworker', ['difficulties', 'notes']],
      ['ops-admin', ['category', 'household', 'health']],
    ]);
    // the audit says which fields, never the words
    expect(JSON.stringify(audit.body)).not.toContain('象棋');
    expect((await ws.call('PATCH', '/api/residents/r-zhang/casefile', { category: 'pensioner' }, admin)).status).toBe(400);
    expect((await ws.call('PATCH', '/api/residents/r-nobody/casefile', { notes: 'x' })).status).toBe(404);
    expect((await ws.call('PATCH', '/api/residents/r-zhang/casefile', { notes: 'x'.repeat(20001) })).status).toBe(400);
  });
});

describe('problems as a closed loop', () => {
  it('refers a problem to a department, records who took it and the answer, then solves it with what was done', async () => {
    const v = await visit('r-chen', { at: '2026-03-02T10:00:00+08:00', problems: [{ description: '低保复核材料不会填', category: 'livelihood', subcategory: 'benefits', urgency: 'normal' }] });
    const id = v.body.problems[0].id;
    const referred = await ws.call('POST', `/api/problems/${id}/referrals`, { department: 'civil_affairs', note: '请民政科协助', at: '2026-03-02T15:00:00+08:00' });
    expect(referred.status).toBe(201);
    expect(referred.body).toMatchObject({ problemId: id, department: 'civil_affairs', referredBy: 'li-caseworker', status: 'referred', takenBy: null });
    expect((await ws.call('GET', `/api/problems/${id}`)).body).toMatchObject({ status: 'in_progress', referrals: [expect.objectContaining({ department: 'civil_affairs' })] });

    const noTaker = await ws.call('PATCH', `/api/referrals/${referred.body.id}`, { answer: 'done' });
    expect(noTaker.status).toBe(400);
    const taken = await ws.call('PATCH', `/api/referrals/${referred.body.id}`, { takenBy: '民政科 刘科长', takenAt: '2026-03-03T09:00:00+08:00' });
    expect(taken.body).toMatchObject({ status: 'taken', takenBy: '民政科 刘科长', takenAt: '2026-03-03T01:00:00.000Z' });
    const answered = await ws.call('PATCH', `/api/referrals/${referred.body.id}`, { answer: '已上门帮助填写, 复核通过' });
    expect(answered.body).toMatchObject({ status: 'answered', answer: '已上门帮助填写, 复核通过', answeredAt: new Date(NOW).toISOString() });
    expect((await ws.call('POST', `/api/problems/${id}/referrals`, { department: 'police' })).status).toBe(400);

    const solved = await ws.call('PATCH', `/api/problems/${id}`, { status: 'solved', resolution: '民政科上门协助, 复核通过', satisfaction: 5 });
    expect(solved.status).toBe(200);
    expect(solved.body).toMatchObject({ status: 'solved', resolution: '民政科上门协助, 复核通过', satisfaction: 5 });
    expect((await ws.call('POST', `/api/problems/${id}/referrals`, { department: 'housing' })).status).toBe(409);
    const timeline = await ws.call('GET', '/api/residents/r-chen/timeline?type=problem_referral,referral_update');
    expect(timeline.body.items.map((i: any) => i.type)).toEqual(['referral_update', 'referral_update', 'problem_referral']);
  });

  it('shows open problems on the casefile by deadline', async () => {
    await visit('r-li', { at: '2026-03-03T10:00:00+08:00', problems: [{ description: 'a', category: 'social', urgency: 'normal' }, { description: 'b', category: 'health', urgency: 'high' }] });
    const file = await ws.call('GET', '/api/residents/r-li/casefile');
    expect(file.body.openProblems.map((p: any) => p.description)).toEqual(['b', 'a']);
  });
});

describe('knock-on-door rounds', () => {
  it('starts the round of the next knock day for an area, records doors as short visits, shows progress and findings', async () => {
    const next = await ws.call('GET', '/api/rounds/next?area=' + encodeURIComponent('幸福社区 3号楼'));
    expect(next.body).toMatchObject({ knockDay: 'wednesday', date: '2026-03-04', roundId: null });
    expect(next.body.residents.map((r: any) => r.residentId)).toEqual(['r-chen', 'r-li', 'r-zhang']);

    const round = await ws.call('POST', '/api/rounds', { area: '幸福社区 3号楼' });
    expect(round.status).toBe(201);
    expect(round.body).toMatchObject({ date: '2026-03-04', area: '幸福社区 3号楼', progress: { total: 3, seen: 0, noAnswer: 0, pending: 3, percent: 0 }, findings: [] });
    expect((await ws.call('POST', '/api/rounds', { area: '幸福社区 3号楼' })).status).toBe(409);

    const chen = await ws.call('POST', `/api/rounds/${round.body.id}/doors/r-chen`, {
      answered: true, checklist: { health: 'ok', safety: 'concern', needs: 'ok', info: 'done' }, note: '煤气管老化',
      problems: [{ description: '煤气管老化', category: 'livelihood', subcategory: 'home_safety', urgency: 'high' }],
    });
    expect(chen.status).toBe(200);
    expect(chen.body).toMatchObject({ residentId: 'r-chen', status: 'seen', concerns: ['safety'], visitId: expect.any(Number) });
    const visits = await ws.call('GET', '/api/residents/r-chen/visits?limit=1');
    expect(visits.body.items[0]).toMatchObject({
      id: chen.body.visitId, purpose: 'knock_round', visitor: 'li-caseworker', notes: '煤气管老化',
      observations: { knockHealth: 'ok', knockSafety: 'concern', knockNeeds: 'ok', knockInfo: 'done', knockConcerns: 'safety' },
      problems: [expect.objectContaining({ subcategory: 'home_safety', urgency: 'high' })],
    });
    expect((await ws.call('POST', `/api/rounds/${round.body.id}/doors/r-chen`, { answered: true })).status).toBe(409);

    const li = await ws.call('POST', `/api/rounds/${round.body.id}/doors/r-li`, { answered: false, note: '敲门无人应' });
    expect(li.body).toMatchObject({ status: 'no_answer', visitId: null });
    expect((await ws.call('POST', `/api/rounds/${round.body.id}/doors/r-wu`, { answered: true })).status).toBe(404);

    const view = await ws.call('GET', `/api/rounds/${round.body.id}`);
    expect(view.body.progress).toEqual({ total: 3, seen: 1, noAnswer: 1, pending: 1, percent: 67 });
    expect(view.body.findings).toEqual([
      { residentId: 'r-chen', name: 'Chen Guoqiang', kind: 'concern', concerns: ['safety'], note: '煤气管老化' },
      { residentId: 'r-li', name: 'Li Hua', kind: 'no_answer', concerns: [], note: '敲门无人应' },
    ]);
    // nobody answered at Li's: a later knock the same day still counts
    expect((await ws.call('POST', `/api/rounds/${round.body.id}/doors/r-li`, { answered: true, checklist: { health: 'ok' } })).body.status).toBe('seen');
    const list = await ws.call('GET', '/api/rounds?from=2026-03-01&to=2026-03-31');
    expect(list.body.items.map((r: any) => r.id)).toEqual([round.body.id]);
    expect((await ws.call('POST', '/api/rounds', { area: '没有这个小区' })).status).toBe(400);
    expect((await ws.call('POST', `/api/rounds/${round.body.id}/doors/r-zhang`, { answered: true, checklist: { health: 'maybe' } })).status).toBe(400);
  });
});

describe('planning', () => {
  it('filters by area and gives overdue problems as a reason', async () => {
    ws.clock.t = NOW + 3 * DAY;
    const all = await ws.call('GET', '/api/visits/due');
    const one = await ws.call('GET', '/api/visits/due?area=' + encodeURIComponent('和平社区 1号楼'));
    expect(one.body.area).toBe('和平社区 1号楼');
    expect(one.body.items.map((i: any) => i.residentId)).toEqual(['r-wu']);
    expect(all.body.items.length).toBeGreaterThan(1);
    const li = all.body.items.find((i: any) => i.residentId === 'r-li');
    expect(li.reasons.map((r: any) => r.code)).toContain('problems_overdue');
    expect(li.area).toBe('幸福社区 3号楼');
    ws.clock.t = NOW;
  });
});

describe('warnings', () => {
  it('warns of long-unvisited residents, overdue problems, a cluster in one area and a week-over-week decline', async () => {
    const events = ws.gw.app.store.ingest;
    // two more livelihood problems in 幸福社区 3号楼 within 30 days: with Chen's two, a cluster
    await visit('r-zhang', { at: '2026-03-01T10:00:00+08:00', problems: [{ description: 'leaking pipe', category: 'livelihood', urgency: 'normal' }] });
    // Wu: on record since 50 days ago, never visited
    await sqlOf(ws.gw.app).run('UPDATE residents SET created_at = ? WHERE id = ?', NOW - 50 * DAY, 'r-wu');
    // Chen's motion sensor: 40, 30, 20, 10 a week over the last four weeks
    const appends: Promise<number>[] = [];
    [10, 20, 30, 40].forEach((n, week) => {
      for (let i = 0; i < n; i++) {
        appends.push(events.append({ at: NOW - week * 7 * DAY - 3_600_000 - i * 600_000, deviceId: 'chen-motion', residentId: 'r-chen', kind: 'motion', source: 'mqtt', type: 'state', readings: { occupancy: true } }));
      }
    });
    // Zhang's door: steady, no warning
    for (let week = 0; week < 4; week++) for (let i = 0; i < 20; i++) {
      appends.push(events.append({ at: NOW - week * 7 * DAY - 7_200_000 - i * 600_000, deviceId: 'zhang-door', residentId: 'r-zhang', kind: 'door', source: 'mqtt', type: 'state', readings: { contact: i % 2 === 0 } }));
    }
    await Promise.all(appends);
    ws.clock.t = NOW + 3 * DAY;
    const res = await ws.call('GET', '/api/warnings');
    ws.clock.t = NOW;
    expect(res.status).toBe(200);
    const by = (code: string) => res.body.items.filter((w: any) => w.code === code);
    expect(by('long_unvisited')).toEqual([expect.objectContaining({ residentId: 'r-wu', lastVisitAt: null, days: 53 })]);
    expect(by('problem_cluster')).toEqual([expect.objectContaining({ area: '幸福社区 3号楼', category: 'livelihood', problems: 3, residents: 2 })]);
    expect(by('activity_decline')).toEqual([expect.objectContaining({ residentId: 'r-chen', weekly: [40, 30, 20, 10] })]);
    expect(by('problem_overdue').map((w: any) => w.residentId).sort()).toEqual(['r-chen', 'r-li', 'r-li', 'r-zhang']);
    // most severe first
    const severities = res.body.items.map((w: any) => w.severity);
    expect([...severities].sort((a, b) => b - a)).toEqual(severities);
    const area = await ws.call('GET', '/api/warnings?area=' + encodeURIComponent('和平社区 1号楼'));
    expect(area.body.items.map((w: any) => w.code)).toEqual(['long_unvisited']);
  });
});

describe('the service-warmth index', () => {
  it('averages satisfaction on solved problems and follow-up visits, with monthly history, per resident and per area', async () => {
    const before = await ws.call('GET', '/api/residents/r-wu/warmth');
    expect(before.body).toEqual({ index: null, stars: null, ratings: 0, history: [] });
    ws.clock.t = Date.parse('2026-02-10T02:00:00Z');
    const v = await visit('r-wu', { at: '2026-02-10T10:00:00+08:00', problems: [{ description: 'x', category: 'social', urgency: 'normal' }] });
    await ws.call('PATCH', `/api/problems/${v.body.problems[0].id}`, { status: 'solved', resolution: 'joined the choir', satisfaction: 3 });
    ws.clock.t = NOW;
    await visit('r-wu', { at: '2026-03-03T10:00:00+08:00', purpose: 'follow_up', satisfaction: 5 });
    await visit('r-wu', { at: '2026-03-04T09:00:00+08:00', purpose: 'follow_up', satisfaction: 4 });
    const res = await ws.call('GET', '/api/residents/r-wu/warmth');
    expect(res.body).toEqual({ index: 4, stars: 4, ratings: 3, history: [{ month: '2026-02', index: 3, ratings: 1 }, { month: '2026-03', index: 4.5, ratings: 2 }] });
    expect((await ws.call('GET', '/api/residents/r-wu/casefile')).body.warmth.index).toBe(4);
    const area = await ws.call('GET', '/api/warmth?area=' + encodeURIComponent('和平社区 1号楼'));
    expect(area.body.ratings).toBe(3);
    // Chen's solved referral (5) counts for the site
    const site = await ws.call('GET', '/api/warmth');
    expect(site.body).toMatchObject({ ratings: 4, index: 4.3, stars: 4 });
    expect((await visit('r-wu', { at: '2026-03-04T09:00:00+08:00', satisfaction: 6 })).status).toBe(400);
  });
});
