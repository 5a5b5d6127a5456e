// A visit sent again from a phone that lost the answer is recorded once: POST
// /api/residents/{id}/visits with the same Idempotency-Key answers what it answered the first
// time, and records nothing new; the key is the caller's own.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, sqlOf, CASEWORKER_TOKEN, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';

let gw: TestGateway;
const visit = { visitor: 'Li', at: '2026-03-02T09:30:00+08:00', purpose: 'routine', problems: [{ description: 'stove', category: 'livelihood', urgency: 'high' }] };
const visits = async () => (await sqlOf(gw.app).one<{ n: number }>('SELECT COUNT(*) AS n FROM visits'))!.n;

async function post(key: string | undefined, token = CASEWORKER_TOKEN) {
  const res = await gw.app.http.inject({
    method: 'POST', url: '/api/residents/r-zhang/visits', payload: visit,
    headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });
  return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] };
}

beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

describe('Idempotency-Key on a visit', () => {
  it('records a visit sent twice with one key once, and answers the same both times', async () => {
    const first = await post('phone-visit-0001');
    expect(first.status).toBe(201);
    expect(await visits()).toBe(1);
    const again = await post('phone-visit-0001');
    expect(again.status).toBe(201);
    expect(again.replayed).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.problems.map((p: { id: string }) => p.id)).toEqual(first.body.problems.map((p: { id: string }) => p.id));
    expect(await visits()).toBe(1);
    // no second WT number was drawn either
    expect((await sqlOf(gw.app).one<{ n: number }>('SELECT COUNT(*) AS n FROM problems'))!.n).toBe(1);
  });

  it('records a new key, or no key, as a new visit; another caller\'s same key is theirs', async () => {
    expect((await post('phone-visit-0002')).status).toBe(201);
    expect((await post(undefined)).status).toBe(201);
    expect(await visits()).toBe(3);
    const otherCaller = await post('phone-visit-0001', ADMIN_TOKEN);
    expect(otherCaller.status).toBe(201);
    expect(otherCaller.replayed).toBeUndefined();
    expect(await visits()).toBe(4);
  });

  it('refuses a malformed key with the reason', async () => {
    const bad = await post('x');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_field', params: { field: 'idempotencyKey' } });
    expect(await visits()).toBe(4);
  });
});
