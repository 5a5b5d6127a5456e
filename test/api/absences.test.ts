// Planned absences end to end: the caseworker's API, the resident's or family's SMS keyword, the
// rules holding inactivity until the end date, and a cancelled absence watched again at once.
import { afterEach, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { parseUntil } from '../../src/api/absences.ts';
import { virtualClock } from '../../src/rules/index.ts';
import { startGateway, waitFor, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';

const auth = { authorization: `Bearer ${CASEWORKER_TOKEN}` };
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T10:00:00+08:00');
const AUTH_TOKEN = 'absence-test-twilio-token';
const PUBLIC_URL = 'https://gateway.example.org';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

const residents = [{
  id: 'r-zhang', name: 'Zhang Xiuying', timezone: 'Asia/Shanghai', locale: 'zh-CN',
  rules: { inactivity: { mode: 'fixed', after: '2h' } },
  contacts: [
    { name: 'Zhang Wei', phone: '+8613800000002', role: 'family', locale: 'en' },
    { name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' },
    { name: 'Zhang Xiuying', phone: '+8613800000009', role: 'resident' },
  ],
  devices: [{ id: 'zhang-fridge', kind: 'door', entrance: false, room: 'kitchen', secret: 'fridge-secret' }],
}];

async function start(clock = virtualClock(T0)) {
  gw = await startGateway({
    residents, http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
    twilio: { accountSid: 'AC' + '0'.repeat(32), authToken: AUTH_TOKEN, from: '+15005550006', apiBaseUrl: 'http://127.0.0.1:9' },
    sms: { provider: 'log' },
  }, { clock });
  return { gw, clock };
}

const post = (g: TestGateway, body: unknown, headers: Record<string, string> = auth) =>
  g.app.http.inject({ method: 'POST', url: '/api/residents/r-zhang/absences', headers, payload: body as object });

const inactivity = async (g: TestGateway) => (await g.app.store.alerts.list(undefined)).filter((a) => a.kind === 'inactivity');

describe('the absences API', () => {
  it('plans, lists and cancels, each on the timeline; asks a token and checks every field', async () => {
    const { gw: g } = await start();
    const res = await post(g, { until: '2026-03-20', note: 'with her daughter in Hangzhou' });
    expect(res.statusCode).toBe(201);
    // a day is the resident's day: until its end, midnight in Shanghai
    expect(res.json()).toMatchObject({ residentId: 'r-zhang', from: new Date(T0).toISOString(), until: '2026-03-20T16:00:00.000Z', via: 'api', setBy: 'li-caseworker', status: 'current' });
    const id = res.json().id;
    const list = await g.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/absences', headers: auth });
    expect(list.json().items.map((a: { id: number }) => a.id)).toEqual([id]);
    const del = await g.app.http.inject({ method: 'DELETE', url: `/api/residents/r-zhang/absences/${id}`, headers: auth });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ status: 'cancelled', cancelledBy: 'li-caseworker' });
    const timeline = await g.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline', headers: auth });
    expect(timeline.json().items.map((i: { type: string }) => i.type)).toEqual(expect.arrayContaining(['absence_planned', 'absence_cancelled']));

    expect((await post(g, { until: '2026-03-20' }, {})).statusCode).toBe(401);
    for (const [body, why] of [
      [{}, /until/], [{ until: 'next week' }, /until: expected/], [{ until: '2026-03-01' }, /already past/],
      [{ from: '2026-03-05T00:00:00+08:00', until: '2026-03-04T00:00:00+08:00' }, /after from/],
      [{ until: '2026-12-31' }, /180 days/], [{ until: '2026-02-30' }, /expected/], [{ until: '2026-03-20T00:00:00' }, /offset/],
      [{ until: '2026-03-20', extra: 1 }, /must NOT have additional properties/],
    ] as const) {
      const r = await post(g, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().error).toMatch(why);
    }
    // the page says the reason in the reader's language from its code
    expect((await post(g, { until: '2026-03-01' })).json()).toMatchObject({ code: 'absence_past', params: { field: 'until' } });
    expect((await post(g, { until: '2026-12-31' })).json()).toMatchObject({ code: 'absence_too_long', params: { field: 'until', maxDays: 180 } });
    const unknown = await g.app.http.inject({ method: 'POST', url: '/api/residents/r-nobody/absences', headers: auth, payload: { until: '2026-03-20' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'resident_not_found' });
    expect((await g.app.http.inject({ method: 'DELETE', url: '/api/residents/r-zhang/absences/999', headers: auth })).statusCode).toBe(404);
  });

  it('holds the inactivity rule while it lasts; cancelled, the silence is judged again at once', async () => {
    const { gw: g, clock } = await start();
    expect((await post(g, { until: '2026-03-10' })).statusCode).toBe(201);
    clock.advanceTo(T0 + 5 * HOUR);
    await g.app.rules.idle();
    expect(await inactivity(g)).toHaveLength(0);
    const id = (await g.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/absences', headers: auth })).json().items[0].id;
    await g.app.http.inject({ method: 'DELETE', url: `/api/residents/r-zhang/absences/${id}`, headers: auth });
    const [alert] = await waitFor(async () => { const a = await inactivity(g); return a.length ? a : null; }, 3000, 'inactivity after the cancel');
    expect(alert.openedAt).toBe(T0 + 5 * HOUR);
  });
});

describe('the SMS keyword', () => {
  const sms = async (g: TestGateway, from: string, body: string, sid = 'SM' + Math.random().toString(16).slice(2).padEnd(32, '0')) => {
    const form = { From: from, To: '+15005550006', Body: body, MessageSid: sid, AccountSid: 'ACx' };
    const res = await g.app.http.inject({
      method: 'POST', url: '/twilio/sms', payload: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + '/twilio/sms', form) },
    });
    return res.body;
  };

  it('the family texts AWAY with a date, the resident texts 回来了: planned, then over', async () => {
    const { gw: g, clock } = await start();
    const sid = 'SM' + 'a'.repeat(32);
    expect(await sms(g, '+8613800000002', 'AWAY 3-20', sid)).toContain('Noted: Zhang Xiuying away until 2026-03-20. Reply BACK when home.');
    // the same message again (a replayed request) plans nothing more
    expect(await sms(g, '+8613800000002', 'AWAY 3-20', sid)).not.toContain('Noted');
    const planned = (await g.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/absences', headers: auth })).json().items;
    expect(planned).toHaveLength(1);
    const [a] = planned;
    expect(a).toMatchObject({ via: 'sms', setBy: 'Zhang Wei (family)', until: '2026-03-20T16:00:00.000Z', status: 'current' });
    clock.advanceTo(T0 + 4 * HOUR);
    await g.app.rules.idle();
    expect(await inactivity(g)).toHaveLength(0);
    expect(await sms(g, '+8613800000009', '回来了')).toContain('已记录Zhang Xiuying已回家');
    const [b] = (await g.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/absences', headers: auth })).json().items;
    expect(b).toMatchObject({ status: 'over', until: new Date(T0 + 4 * HOUR).toISOString() });
    // someone said they are back: the silence is watched from that moment
    await g.app.rules.idle();
    clock.advanceTo(T0 + 6 * HOUR + 1000);
    const [alert] = await waitFor(async () => { const a = await inactivity(g); return a.length ? a : null; }, 3000, 'inactivity after BACK');
    expect(alert.openedAt).toBe(T0 + 6 * HOUR);
  });

  it('a neighbour cannot plan one, a date it cannot read gets the usage, other words are ordinary replies', async () => {
    const { gw: g } = await start();
    expect(await sms(g, '+8613800000001', '外出 3月20日')).toContain('无法登记外出');
    expect(await sms(g, '+8613800000002', 'away sometime')).toContain('Please give the day of return');
    expect(await sms(g, '+8613800000002', 'hello')).not.toMatch(/absence|away/i);
    const list = (await g.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/absences', headers: auth })).json().items;
    expect(list).toEqual([]);
  });
});

describe('parseUntil', () => {
  const tz = 'Asia/Shanghai';
  const now = Date.parse('2026-12-28T10:00:00+08:00');
  it.each([
    ['3d', '2026-12-31T16:00:00.000Z'], ['3 days', '2026-12-31T16:00:00.000Z'], ['3天', '2026-12-31T16:00:00.000Z'],
    ['12-30', '2026-12-30T16:00:00.000Z'], ['12/30', '2026-12-30T16:00:00.000Z'], ['12月30日', '2026-12-30T16:00:00.000Z'],
    // a day already past this year is next year's
    ['1-5', '2027-01-05T16:00:00.000Z'], ['2027-01-05', '2027-01-05T16:00:00.000Z'], ['１２月３０日', '2026-12-30T16:00:00.000Z'],
  ])('%s -> %s', (words, iso) => {
    expect(new Date(parseUntil(words, tz, now)!).toISOString()).toBe(iso);
  });
  it.each(['', 'soon', '0d', '200d', '2-30', '13-01', '2026-11-01', '2027-12-01'])('%s is not a return day', (words) => {
    expect(parseUntil(words, tz, now)).toBeNull();
  });
});
