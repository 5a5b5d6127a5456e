import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

const auth = { authorization: `Bearer ${CASEWORKER_TOKEN}` };

describe('health', () => {
  it('says ok once broker and store are up, without a token', async () => {
    const res = await gw.app.http.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });
});

describe('auth on /api/', () => {
  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope-nope-nope' }],
    ['a non-bearer scheme', { authorization: `Basic ${CASEWORKER_TOKEN}` }],
  ])('401 with %s', async (_why, headers) => {
    for (const url of ['/api/residents', '/api/residents/r-zhang', '/api/residents/r-zhang/timeline']) {
      const res = await gw.app.http.inject({ method: 'GET', url, headers });
      expect(res.statusCode, url).toBe(401);
    }
  });
});

describe('residents', () => {
  it('lists residents with their devices, no secrets', async () => {
    const res = await gw.app.http.inject({ method: 'GET', url: '/api/residents', headers: auth });
    expect(res.statusCode).toBe(200);
    const ids = res.json().items.map((r: any) => r.id);
    expect(ids.sort()).toEqual(['r-chen', 'r-zhang']);
    expect(res.body).not.toContain('smoke-secret');
  });

  it('shows one resident, 404 for an unknown one, 400 for a malformed id', async () => {
    const one = await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang', headers: auth });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: 'r-zhang', name: 'Zhang Xiuying', contacts: [{ role: 'neighbor' }] });
    expect((await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-nobody', headers: auth })).statusCode).toBe(404);
    expect((await gw.app.http.inject({ method: 'GET', url: '/api/residents/R%20X', headers: auth })).statusCode).toBe(400);
  });
});

describe('timeline', () => {
  it('shows device events newest first, naming the device, and pages with limit and before', async () => {
    const c = await gw.connect('zhang-door', 'door-secret');
    for (const contact of [false, true, false, true, false]) await c.publishAsync('devices/zhang-door', JSON.stringify({ contact }), { qos: 1 });
    await c.endAsync();
    const first = await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline?limit=3', headers: auth });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items).toHaveLength(3);
    expect(page1.items[0]).toMatchObject({ type: 'device_event', deviceId: 'zhang-door', readings: { contact: false } });
    const times = page1.items.map((i: any) => Date.parse(i.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page1.nextBefore).toBeTruthy();
    const second = await gw.app.http.inject({ method: 'GET', url: `/api/residents/r-zhang/timeline?limit=3&before=${encodeURIComponent(page1.nextBefore)}`, headers: auth });
    const page2 = second.json();
    expect(page2.items).toHaveLength(2);
    expect(page2.nextBefore).toBeNull();
    const ids = [...page1.items, ...page2.items].map((i: any) => i.eventId);
    expect(new Set(ids).size).toBe(5);
  });

  it('rejects bad paging parameters with 400 and the reason', async () => {
    const bad = await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline?limit=0', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/limit/);
    const badBefore = await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline?before=yesterday', headers: auth });
    expect(badBefore.statusCode).toBe(400);
    expect(badBefore.json().error).toMatch(/before/);
  });

  it('needs a token', async () => {
    expect((await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline' })).statusCode).toBe(401);
  });
});
