// Visit planning and period reports on a known history: who is due and why, coverage,
// problems against deadlines, and alert answering against the 60 s / 180 s norms.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, caseworker, type Workspace } from './setup.ts';

const NOW = Date.parse('2026-03-31T12:00:00Z');
const DAY = 86_400_000;
let ws: Workspace;

const residents = [
  { id: 'r-zhang', name: 'Zhang Xiuying', devices: [{ id: 'zhang-door', kind: 'door', secret: 'door-secret' }] },
  { id: 'r-chen', name: 'Chen Guoqiang', devices: [{ id: 'chen-motion', kind: 'motion', secret: 'motion-secret' }] },
  { id: 'r-wu', name: 'Wu Lan', visitCycle: '7d' },
  { id: 'r-zhao', name: 'Zhao Ming' },
];

async function seed(): Promise<void> {
  // through the ports, so the file runs on either engine
  const { ingest: events, alerts } = ws.gw.app.store;
  const motion = (at: number) => events.append({ at, deviceId: 'chen-motion', residentId: 'r-chen', kind: 'motion', source: 'mqtt', type: 'state', readings: { occupancy: true } });
  // Chen: 30 motions a week for the four weeks before the last, 5 in the last week
  const appends: Promise<number>[] = [];
  for (let i = 0; i < 120; i++) appends.push(motion(NOW - 8 * DAY - i * (27 * DAY / 120)));
  for (let i = 0; i < 5; i++) appends.push(motion(NOW - 3_600_000 - i * DAY));
  // occupancy false and battery reports are not activity
  appends.push(events.append({ at: NOW - 2 * 3_600_000, deviceId: 'chen-motion', residentId: 'r-chen', kind: 'motion', source: 'mqtt', type: 'state', readings: { occupancy: false, battery: 80 } }));
  // Zhang: the door was heard two days ago (over 25 h: offline)
  appends.push(events.append({ at: NOW - 2 * DAY, deviceId: 'zhang-door', residentId: 'r-zhang', kind: 'door', source: 'mqtt', type: 'state', readings: { contact: false } }));
  await Promise.all(appends);

  // alerts in March: answered after 30 s, 90 s, 300 s, never; one that ended by itself in 100 s
  const base = Date.parse('2026-03-10T02:00:00Z');
  const open = (i: number, kind: 'smoke' | 'inactivity' | 'device_offline', residentId = 'r-chen') =>
    alerts.insert({ residentId, kind, conditionKey: `test:${i}`, deviceId: null, openedAt: base + i * 3_600_000, detail: {}, escalationDue: null });
  await alerts.acknowledge(await open(0, 'inactivity'), 'li-caseworker', base + 30_000);
  await alerts.acknowledge(await open(1, 'inactivity'), 'li-caseworker', base + 3_600_000 + 90_000);
  const late = await open(2, 'inactivity');
  await alerts.acknowledge(late, 'li-caseworker', base + 2 * 3_600_000 + 300_000);
  await alerts.resolve(late, 'li-caseworker', base + 2 * 3_600_000 + 400_000);
  await open(3, 'smoke', 'r-zhang');
  await alerts.resolve(await open(4, 'device_offline'), 'rules', base + 4 * 3_600_000 + 100_000);
  // February: outside the period
  await alerts.acknowledge(await alerts.insert({ residentId: 'r-chen', kind: 'inactivity', conditionKey: 'test:feb', deviceId: null, openedAt: Date.parse('2026-02-10T02:00:00Z'), detail: {}, escalationDue: null }), 'x', Date.parse('2026-02-10T02:10:00Z'));
}

async function visit(residentId: string, at: string, problems: Array<{ urgency: 'high' | 'normal' }> = []) {
  const res = await ws.call('POST', `/api/residents/${residentId}/visits`, {
    visitor: 'Li', at, purpose: 'routine', problems: problems.map((p) => ({ description: 'needs help', category: 'livelihood', ...p })),
  });
  expect(res.status).toBe(201);
  return res.body;
}

beforeAll(async () => {
  ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai', holidays: [] }, residents }, NOW);
  await seed();
  // Shanghai March: 00:30 on 1 March local is still February in UTC; 00:30 on 1 April is not March
  await visit('r-zhang', '2026-02-28T16:30:00Z', [{ urgency: 'normal' }]);   // due Wed 4 Mar: solved on time
  await visit('r-zhang', '2026-03-20T10:00:00+08:00', [{ urgency: 'high' }]); // due 21 Mar 10:00: never solved -> overdue
  await visit('r-chen', '2026-03-25T10:00:00+08:00', [{ urgency: 'normal' }]); // Wed: due Mon 30 Mar, solved late on 31st
  await visit('r-wu', '2026-03-01T10:00:00+08:00');
  await visit('r-wu', '2026-03-31T16:30:00Z');                                  // 1 April in Shanghai, in the future
  ws.clock.t = Date.parse('2026-03-03T02:00:00Z');
  expect((await ws.call('PATCH', '/api/problems/WT2026001', { status: 'solved', resolution: 'sorted out' })).status).toBe(200);
  ws.clock.t = Date.parse('2026-03-31T02:00:00Z');
  expect((await ws.call('PATCH', '/api/problems/WT2026003', { status: 'solved', resolution: 'sorted out' })).status).toBe(200);
  ws.clock.t = NOW;
});
afterAll(async () => { await ws?.stop(); });

describe('GET /api/reports', () => {
  it('counts March in Shanghai: visits, residents visited, coverage, problems, alert answering', async () => {
    const res = await ws.call('GET', '/api/reports?from=2026-03-01&to=2026-03-31');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-03-01', to: '2026-03-31', timezone: 'Asia/Shanghai',
      visits: 4, residentsVisited: 3, residents: 4, coverage: 75,
      problemsOpened: 3, problemsSolved: 2, problemsOverdue: 1, problemsDue: 3, onTimeRate: 33.3,
      alerts: {
        total: 5, answerable: 4, acknowledged: 3,
        acknowledgedWithin60s: 25, acknowledgedWithin180s: 50, medianSecondsToAcknowledge: 90,
      },
    });
  });

  it('counts a single day, and an empty period as zeros and nulls', async () => {
    const day = await ws.call('GET', '/api/reports?from=2026-03-01&to=2026-03-01');
    expect(day.body).toMatchObject({ visits: 2, residentsVisited: 2, coverage: 50 });
    const empty = await ws.call('GET', '/api/reports?from=2025-01-01&to=2025-01-31');
    expect(empty.body).toMatchObject({ visits: 0, coverage: 0, onTimeRate: null, alerts: { total: 0, acknowledgedWithin60s: null, medianSecondsToAcknowledge: null } });
  });

  it.each([
    ['from after to', '?from=2026-03-31&to=2026-03-01', /from/],
    ['a date that does not exist', '?from=2026-02-30&to=2026-03-01', /from/],
    ['not a date', '?from=march&to=2026-03-01', /from/],
    ['a missing bound', '?from=2026-03-01', /to/],
  ])('400 for %s', async (_why, query, reason) => {
    const res = await ws.call('GET', `/api/reports${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(reason);
  });

  it('401 without a token', async () => {
    expect((await ws.call('GET', '/api/reports?from=2026-03-01&to=2026-03-31', undefined, {})).status).toBe(401);
  });
});

describe('GET /api/visits/due', () => {
  it('lists who to visit, most urgent first, each with the reasons', async () => {
    const res = await ws.call('GET', '/api/visits/due', undefined, caseworker);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.items.map((i: any) => [i.residentId, i]));
    expect(res.body.items[0].residentId).toBe('r-zhang');
    // the high-urgency problem of 20 March was due on the 21st and is still open
    expect(byId['r-zhang'].reasons.map((r: any) => r.code)).toEqual(['open_alerts', 'problems_overdue', 'devices_offline']);
    expect(byId['r-zhang'].reasons[1]).toEqual({ code: 'problems_overdue', score: 65, problems: [{ id: 'WT2026002', urgency: 'high', deadline: '2026-03-21T02:00:00.000Z' }] });
    expect(byId['r-zhang'].reasons[0].alerts).toEqual([expect.objectContaining({ kind: 'smoke', status: 'open' })]);
    // three acknowledged inactivity alerts (someone is on them: half weight, +5 for each more) and a quiet week
    expect(byId['r-chen'].reasons).toEqual([
      { code: 'low_activity', score: 60, lastWeek: 5, usualWeekly: 30 },
      expect.objectContaining({ code: 'open_alerts', score: 45 + 2 * 5 }),
    ]);
    // Wu: every 7 days; last seen 1 March (the 1 April visit is still ahead)
    expect(byId['r-wu'].reasons).toEqual([expect.objectContaining({ code: 'visit_overdue', lastVisitAt: '2026-03-01T02:00:00.000Z', daysOverdue: 23 })]);
    expect(byId['r-wu'].visitCycleDays).toBe(7);
    expect(byId['r-zhao'].reasons).toEqual([expect.objectContaining({ code: 'never_visited' })]);
    const scores = res.body.items.map((i: any) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('leaves out a resident visited within their cycle with nothing else to say', async () => {
    const res = await ws.call('GET', '/api/visits/due');
    expect(res.body.items.map((i: any) => i.residentId)).not.toContain('r-nobody');
    ws.clock.t = Date.parse('2026-03-02T00:00:00Z');
    const early = await ws.call('GET', '/api/visits/due');
    expect(early.body.items.map((i: any) => i.residentId)).not.toContain('r-wu');
    ws.clock.t = NOW;
  });
});

describe('GET /api/residents/:id/activity', () => {
  it('counts activity per local hour over the last days', async () => {
    const res = await ws.call('GET', '/api/residents/r-chen/activity?days=7');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ residentId: 'r-chen', days: 7, total: 5 });
    expect(res.body.hours).toHaveLength(24);
    // 11:00 UTC is 19:00 in Shanghai
    expect(res.body.hours[19]).toBe(5);
    const month = await ws.call('GET', '/api/residents/r-chen/activity');
    expect(month.body.days).toBe(28);
    // the 5 of the last week and the earlier ones that fall within 28 days
    expect(month.body.total).toBeGreaterThan(80);
  });
  it('400 for days out of range, 404 for an unknown resident', async () => {
    expect((await ws.call('GET', '/api/residents/r-chen/activity?days=0')).status).toBe(400);
    expect((await ws.call('GET', '/api/residents/r-chen/activity?days=abc')).status).toBe(400);
    expect((await ws.call('GET', '/api/residents/r-nobody/activity')).status).toBe(404);
  });
});
