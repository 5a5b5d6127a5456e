// One visit must not switch alarms off for ever: `endedAt: 9999-12-31` suppressed inactivity and
// night-door alarms indefinitely. A visit lasts at most 12 h, suppresses nothing beyond 12 h
// after it was entered (so visits cannot be chained over the days ahead), and without endedAt
// counts for one hour.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { waitFor, type TestGateway } from '../helpers.ts';
import { startZhang, caseworkerPost, HOUR, iso } from './zhang.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startZhang(); });
afterAll(async () => { await gw?.stop(); });

const post = (target: string, body: unknown) => caseworkerPost(gw, target, body);

describe('a visit suppresses alarms for a bounded time', () => {
  it('a visit longer than 12 h is refused with the reason', async () => {
    const at = Date.now() - HOUR;
    for (const endedAt of ['9999-12-31T00:00:00Z', '2999-12-31T00:00:00Z', iso(at + 12 * HOUR + 60_000)]) {
      const res = await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(at), endedAt, purpose: 'routine' });
      expect(res.status, endedAt).toBe(400);
      expect(JSON.parse(res.body).error).toMatch(/^endedAt: /);
    }
    const long = await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(at), endedAt: iso(at + 12 * HOUR + 60_000), purpose: 'routine' });
    expect(JSON.parse(long.body).error).toMatch(/at most 12 h/);
    expect((await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(at), endedAt: iso(at + 12 * HOUR), purpose: 'routine' })).status).toBe(201);
  });

  it('visits entered for the days ahead cannot be chained to keep alarms off', async () => {
    const start = Date.now() + 2 * HOUR;
    for (let i = 0; i < 4; i++) {
      const res = await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(start + i * 12 * HOUR), endedAt: iso(start + (i + 1) * 12 * HOUR), purpose: 'routine' });
      expect(res.status).toBe(201);
    }
    // a visit now, after them: once the rules hold it, they have judged the four before it
    const marker = Date.now() - 5 * 60_000;
    expect((await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(marker), purpose: 'routine' })).status).toBe(201);
    const visits = await waitFor(async () => {
      const row = await gw.app.store.ruleState.get('r-zhang');
      const list = row ? ((row.state as { visits: Array<{ start: number; end: number }> }).visits) : [];
      return list.some((v) => v.start === Date.parse(iso(marker))) ? list : null;
    }, 5000, 'the last visit in the rules state');
    // what the rules hold: nothing reaches further than 12 h past the moment it was entered
    for (const v of visits) expect(v.end).toBeLessThanOrEqual(Date.now() + 12 * HOUR);
  });

  it('a visit without endedAt suppresses alarms for one hour from its start', async () => {
    const at = Date.now() - 10 * 60_000;
    const res = await post('/api/residents/r-zhang/visits', { visitor: 'Li', at: iso(at), purpose: 'routine' });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).endedAt).toBeNull();
    const visits = await waitFor(async () => {
      const row = await gw.app.store.ruleState.get('r-zhang');
      const list = row ? ((row.state as { visits: Array<{ start: number; end: number }> }).visits) : [];
      return list.find((v) => v.start === Date.parse(iso(at))) ? list : null;
    }, 5000, 'the visit in the rules state');
    const mine = visits.find((v) => v.start === Date.parse(iso(at)))!;
    expect(mine.end - mine.start).toBe(HOUR);
  });
});
