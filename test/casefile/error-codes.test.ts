// A casefile request that fails says why as a code and its parameters, never just "invalid":
// the page turns them into a sentence in the reader's language (web/api.js describeError), so
// a caseworker reads "a visit is at most 12 hours long", not "some of what was entered is not
// valid". Each case here goes through the real routes and is then said in both languages.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startWorkspace, admin, caseworker, type Workspace } from './setup.ts';

const NOW = Date.parse('2026-03-04T02:00:00Z');
const residents = [
  { id: 'r-zhang', name: 'Zhang Xiuying', area: '幸福社区 3号楼', address: '3-601', devices: [{ id: 'zhang-door', kind: 'door', secret: 'door-secret' }] },
  { id: 'r-li', name: 'Li Hua', area: '幸福社区 3号楼', address: '3-404' },
];

let ws: Workspace;
let problemId: string;
const i18n = await import(new URL('../../web/i18n.js', import.meta.url).href);

/** what describeError() shows: the field in the reader's words, then the code's sentence */
function say(lang: 'en' | 'zh', body: { code: string; params?: Record<string, unknown> }): string {
  i18n.setLanguage(lang);
  const params: Record<string, unknown> = { ...body.params };
  if (params.field) params.field = i18n.tCode('field', params.field, {}, 'field.other');
  expect(i18n.has(`err.${body.code}`), `${lang} err.${body.code}`).toBe(true);
  return i18n.t(`err.${body.code}`, params);
}

beforeAll(async () => {
  ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai', knockDay: 'wednesday' }, residents }, NOW);
  const v = await ws.call('POST', '/api/residents/r-zhang/visits', {
    visitor: 'Li', purpose: 'routine', at: '2026-03-03T10:00:00+08:00', problems: [{ category: 'livelihood', urgency: 'normal', description: 'stove knob loose' }],
  });
  expect(v.status).toBe(201);
  problemId = v.body.problems[0].id;
});
afterAll(async () => { await ws?.stop(); });

type Case = [string, string, string, () => unknown, Record<string, string> | undefined, number, string, Record<string, unknown>, RegExp, RegExp];
const cases: Case[] = [
  ['a 13-hour visit', 'POST', '/api/residents/r-zhang/visits',
    () => ({ visitor: 'Li', purpose: 'routine', at: '2026-03-03T08:00:00+08:00', endedAt: '2026-03-03T21:00:00+08:00' }), caseworker,
    400, 'visit_too_long', { field: 'endedAt', maxHours: 12 }, /at most 12 hours/, /最长 12 小时/],
  ['a visit ending before it starts', 'POST', '/api/residents/r-zhang/visits',
    () => ({ visitor: 'Li', purpose: 'routine', at: '2026-03-03T08:00:00+08:00', endedAt: '2026-03-03T07:00:00+08:00' }), caseworker,
    400, 'visit_ends_before_start', { field: 'endedAt' }, /cannot end before/, /不能早于开始/],
  ['a problem solved before the visit that found it', 'PATCH', '/api/problems/:p',
    () => ({ status: 'solved', resolution: 'tightened', solvedAt: '2026-03-01T09:00:00+08:00' }), caseworker,
    400, 'solved_before_visit', { field: 'solvedAt' }, /before the visit that found it/, /不能早于发现它的那次探访/],
  ['solved without saying what was done', 'PATCH', '/api/problems/:p', () => ({ status: 'solved' }), caseworker,
    400, 'resolution_required', { field: 'resolution' }, /what was done/, /做了什么/],
  ['a caseworker editing the health field', 'PATCH', '/api/residents/r-zhang/casefile', () => ({ health: 'fine' }), caseworker,
    403, 'field_not_editable', { field: 'health', fields: ['health'] }, /^Health: only an administrator/, /^健康状况：只有管理员/],
  ['a contact with a phone number lacking its country code', 'POST', '/api/residents/r-zhang/contacts',
    () => ({ name: 'Wang', phone: '13800000001', role: 'neighbor' }), admin,
    400, 'invalid_phone', { field: 'phone', path: 'phone' }, /^Phone: a phone number with its country code/, /^电话：请填写带国家代码/],
  ['a resident whose nested contact has a bad phone', 'POST', '/api/residents',
    () => ({ id: 'r-new', name: 'New', contacts: [{ name: 'Wang', phone: '+86 138', role: 'family' }] }), admin,
    400, 'invalid_phone', { field: 'phone', path: 'contacts[0].phone' }, /^Phone:/, /^电话：/],
  ['a resident without a name', 'POST', '/api/residents', () => ({ id: 'r-noname', name: '' }), admin,
    400, 'field_required', { field: 'name' }, /^Please fill in Name/, /^请填写姓名/],
  ['a birthday that is no date', 'PATCH', '/api/residents/r-li', () => ({ birthday: '1940-02-30' }), admin,
    400, 'invalid_date', { field: 'birthday', path: 'birthday' }, /^Date of birth: enter a date/, /^出生日期：请填写日期/],
  ['a visit cycle that is no duration', 'PATCH', '/api/residents/r-li', () => ({ visitCycle: 'weekly' }), admin,
    400, 'invalid_duration', { field: 'visitCycle' }, /^Visit cycle: a duration/, /^探访周期：请填写时长/],
  ['a device with a kind the gateway does not know', 'POST', '/api/residents/r-li/devices', () => ({ id: 'li-x', kind: 'toaster' }), admin,
    400, 'invalid_choice', { field: 'kind' }, /^Kind: choose one/, /^类型：请从选项中选择/],
  ['a device id taken already', 'POST', '/api/residents/r-li/devices', () => ({ id: 'zhang-door', kind: 'door' }), admin,
    409, 'device_exists', { id: 'zhang-door' }, /device zhang-door already/, /zhang-door 的设备已存在/],
  ['a report from the 30th of February', 'GET', '/api/reports?from=2026-02-30&to=2026-03-03', () => undefined, caseworker,
    400, 'invalid_date', { field: 'from' }, /^Start date: enter a date/, /^开始日期：请填写日期/],
  ['reminders ending before they start', 'GET', '/api/reminders?from=2026-03-10&to=2026-03-01', () => undefined, caseworker,
    400, 'from_after_to', { field: 'from' }, /must not be after/, /不能晚于/],
  ['a second round on the same day', 'POST', '/api/rounds', () => ({ date: '2026-03-04' }), caseworker,
    409, 'round_exists', { date: '2026-03-04' }, /round for 2026-03-04 exists/, /2026-03-04 的敲门已经建立/],
  ['a visit to nobody', 'POST', '/api/residents/r-nobody/visits', () => ({ visitor: 'Li', purpose: 'routine', at: '2026-03-03T08:00:00+08:00' }), caseworker,
    404, 'resident_not_found', { id: 'r-nobody' }, /no such resident/, /该服务对象不存在/],
];

describe('casefile errors carry their reason', () => {
  it('a first round is made, so the second clashes', async () => {
    expect((await ws.call('POST', '/api/rounds', { date: '2026-03-04' })).status).toBe(201);
  });

  it.each(cases)('%s: %s %s', async (_what, method, url, body, headers, status, code, params, en, zh) => {
    const res = await ws.call(method as never, url.replace(':p', problemId), body(), headers);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body).toMatchObject({ code, params: expect.objectContaining(params) });
    expect(res.body.error).toEqual(expect.any(String));
    const inEnglish = say('en', res.body);
    const inChinese = say('zh', res.body);
    expect(inEnglish).toMatch(en);
    expect(inChinese).toMatch(zh);
    // every placeholder filled
    expect(`${inEnglish} ${inChinese}`).not.toMatch(/[{}]/);
  });
});
