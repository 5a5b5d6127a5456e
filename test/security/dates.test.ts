// Dates the calendar cannot represent are a 400 with the reason, never a 500 (a RangeError
// thrown deep in Intl), and a problem cannot be solved before its visit or in the future.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { TestGateway } from '../helpers.ts';
import { rawHttp } from './net.ts';
import { startZhang, caseworkerPost, auth, HOUR, iso } from './zhang.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startZhang(); });
afterAll(async () => { await gw?.stop(); });

const post = (target: string, body: unknown) => caseworkerPost(gw, target, body);

describe('dates outside the calendar', () => {
  it.each([
    ['1000-01-01', '9999-12-31'], ['0001-01-01', '2026-01-01'], ['2026-01-01', '9999-12-31'], ['1969-12-31', '2026-01-01'],
    ['2026-01-01', '275760-09-13'], ['+02026-01-01', '2026-02-01'],
  ])('GET /api/reports?from=%s&to=%s is 400 with the reason, never 500', async (from, to) => {
    const res = await rawHttp(gw.app.httpPort(), { target: `/api/reports?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, headers: auth });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/from|to/);
  });

  it('a report within the calendar still answers', async () => {
    expect((await rawHttp(gw.app.httpPort(), { target: '/api/reports?from=2026-01-01&to=2026-12-31', headers: auth })).status).toBe(200);
  });

  it.each([['9999-12-31T23:59:59Z'], ['0001-01-01T00:00:00Z'], ['1000-01-01T00:00:00+08:00']])('time parameters such as before=%s are 400 or answered, never 500', async (t) => {
    for (const target of [`/api/residents/r-zhang/timeline?before=${encodeURIComponent(t)}`, `/api/residents/r-zhang/visits?before=${encodeURIComponent(t)}`]) {
      const res = await rawHttp(gw.app.httpPort(), { target, headers: auth });
      expect([200, 400], `${target} ${res.body}`).toContain(res.status);
    }
    const visit = await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: t, purpose: 'routine' });
    expect(visit.status, visit.body).toBe(400);
  });

  it("a problem's solvedAt before its visit or in the future is 400", async () => {
    const at = Date.now() - 2 * HOUR;
    const visit = await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(at), purpose: 'routine', problems: [{ description: 'no heating', category: 'livelihood', urgency: 'high' }] });
    const id = JSON.parse(visit.body).problems[0].id;
    const patch = (solvedAt: string) => rawHttp(gw.app.httpPort(), { method: 'PATCH', target: `/api/problems/${id}`, headers: auth, body: JSON.stringify({ status: 'solved', solvedAt, resolution: 'the heating was repaired' }) });
    for (const solvedAt of [iso(at - HOUR), iso(Date.now() + 24 * HOUR), '9999-12-31T00:00:00Z']) {
      const res = await patch(solvedAt);
      expect(res.status, solvedAt).toBe(400);
      expect(JSON.parse(res.body).error).toMatch(/^solvedAt:/);
    }
    expect((await patch(iso(at + HOUR))).status).toBe(200);
  });
});
