// The caseworker's week on a phone (375 px) in real Chromium, in English and Chinese:
// reminders, planning, a knock-on-door round, warnings, reports with a chart and CSV, the
// casefile's handbook fields (solve asks what was done, refer, photo), and provisioning for an
// admin (the device secret shown once). Then a district of 1,000 residents: how fast planning
// and reports load. Screenshots and timings go to test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { sqliteStores, startGateway, CASEWORKER_TOKEN, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';
import { openBrowser, addPeople, signIn as signInAs, englishOnScreen, missingKeys, PEOPLE, type Browser } from './browser-kit.ts';

const DAY = 86_400_000;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const shanghaiDate = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

let gw: TestGateway;
let baseUrl: string;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const timings: Record<string, number> = {};
// names, ids and numbers a Chinese screen may show as they are
const NAMES = ['Safe Home', 'ops-admin', 'English', 'WT', 'CSV', 'li-caseworker', 'r-zhang', 'r-chen', 'r-wu', 'r-wang', 'wang-button', 'gas hose cracked',
  'Chuango;ID=0a1b2c', '0x00158d0001a2b3c4', 'Zigbee2MQTT', 'RFLink'];

async function signIn(person: { username: string; password: string }) {
  if (await page.$('#sign-out')) {
    await page.click('#sign-out');
    await page.waitForSelector('#username');
  }
  await signInAs(page, baseUrl, person);
}

async function go(screen: string) {
  await page.click(`#nav a[data-screen="${screen}"]`);
}

/** a zh-CN screen: every word Chinese but names and ids, no key missing */
async function allChinese() {
  expect(await englishOnScreen(page, NAMES)).toEqual([]);
  expect(await missingKeys(page)).toEqual([]);
}

async function shot(name: string) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} fits the phone`).toBeLessThanOrEqual(375);
  await page.screenshot({ path: `test-artifacts/${name}.png`, fullPage: true });
}

async function toChinese() {
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
}
async function toEnglish() {
  if (await page.evaluate(() => document.documentElement.lang) === 'zh-CN') {
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en-GB');
  }
}

beforeAll(async () => {
  const now = Date.now();
  const today = shanghaiDate(now);
  const birthday = `1946-${shanghaiDate(now + 2 * DAY).slice(5)}`;
  gw = await startGateway({
    site: { timezone: 'Asia/Shanghai', knockDay: WEEKDAYS[new Date(`${today}T00:00:00Z`).getUTCDay()] },
    residents: [
      { id: 'r-zhang', name: '张秀英', address: '3号楼 601', area: '幸福社区 3号楼', birthday, timezone: 'Asia/Shanghai', locale: 'zh-CN',
        devices: [{ id: 'zhang-door', kind: 'door', name: '大门', room: 'entrance', secret: 'door-secret' }] },
      { id: 'r-chen', name: '陈国强', address: '3号楼 202', area: '幸福社区 3号楼', timezone: 'Asia/Shanghai' },
      { id: 'r-wu', name: '吴兰', address: '1号楼 101', area: '和平社区 1号楼', timezone: 'Asia/Shanghai', visitCycle: '7d' },
    ],
  });
  baseUrl = `http://127.0.0.1:${gw.app.httpPort()}`;
  const api = async (method: string, path: string, body?: unknown, token = CASEWORKER_TOKEN) => {
    const res = await fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.json();
  };
  // a visit 10 days ago with a problem now overdue, one 3 days ago with an open one; Wu last seen 9 days ago (7-day cycle)
  await api('POST', '/api/residents/r-zhang/visits', { visitor: '李社工', at: new Date(now - 10 * DAY).toISOString(), purpose: 'routine',
    problems: [{ description: '卫生间扶手松动', category: 'livelihood', subcategory: 'home_safety', urgency: 'normal' }] });
  await api('POST', '/api/residents/r-zhang/visits', { visitor: '李社工', at: new Date(now - 3 * DAY).toISOString(), purpose: 'routine',
    problems: [{ description: '降压药快吃完了', category: 'health', subcategory: 'medication', urgency: 'normal' }] });
  await api('POST', '/api/residents/r-wu/visits', { visitor: '李社工', at: new Date(now - 9 * DAY).toISOString(), purpose: 'follow_up', satisfaction: 4 });
  await api('POST', '/api/residents/r-zhang/appointments', { date: shanghaiDate(now + DAY), time: '09:30', place: '区人民医院 心内科' });
  await api('PATCH', '/api/residents/r-zhang/casefile', { category: 'elderly_alone', household: '独居，儿子在外地', health: '高血压' }, ADMIN_TOKEN);
  // away at her son's for a few days, then a second plan made and cancelled: the timeline says both in words
  await api('POST', '/api/residents/r-zhang/absences', { until: shanghaiDate(now + 5 * DAY) });
  const second = await api('POST', '/api/residents/r-zhang/absences', { from: new Date(now + 10 * DAY).toISOString(), until: shanghaiDate(now + 12 * DAY) });
  await api('DELETE', `/api/residents/r-zhang/absences/${second.id}`);

  await addPeople(baseUrl);
  mkdirSync('test-artifacts', { recursive: true });
  browser = await openBrowser({ width: 375, height: 800, locale: 'en-GB', mobile: true });
  browser.context.setDefaultTimeout(15_000);
  page = browser.page;
  pageErrors = browser.errors;
}, 60_000);

afterAll(async () => {
  writeFileSync('test-artifacts/workspace-timings.json', JSON.stringify(timings, null, 2));
  await browser?.close();
  await gw?.stop();
});

describe('the workspace on a 375 px phone', () => {
  it('reminders: the overdue problem, the appointment, the birthday and today\'s knock day; in both languages', async () => {
    await signIn(PEOPLE.li);
    expect(await page.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('data-screen')))).toEqual(['home', 'reminders', 'planning', 'rounds', 'warnings', 'reports']);
    await go('reminders');
    await page.waitForSelector('#reminders .reminder');
    const kinds = await page.$$eval('#reminders .reminder', (li) => [...new Set(li.map((x) => x.getAttribute('data-kind')))].sort());
    expect(kinds).toEqual(['birthday', 'follow_up_appointment', 'knock_day', 'problem_deadline', 'visit_due']);
    expect(await page.textContent('#reminders')).toContain('区人民医院 心内科');
    expect(await page.textContent('#reminders [data-day="overdue"]')).toContain('WT');
    await shot('reminders-375-en');
    await toChinese();
    await page.waitForSelector('text=复诊日');
    expect(await page.textContent('#reminders')).toContain('生日');
    expect(await page.textContent('#reminders')).toContain('暖心敲门');
    await allChinese();
    await shot('reminders-375-zh');
    await toEnglish();
  }, 60_000);

  it('planning: most urgent first with reasons, filtered by area', async () => {
    await go('planning');
    await page.waitForSelector('#planning li.due');
    const order = await page.$$eval('#planning li.due', (li) => li.map((x) => x.getAttribute('data-resident')));
    expect(order[0]).toBe('r-zhang');
    expect(await page.textContent('#planning li[data-resident="r-zhang"]')).toContain('1 problem(s) overdue');
    expect(await page.textContent('#planning li[data-resident="r-wu"]')).toContain('visit 2 day(s) overdue');
    await shot('planning-375-en');
    await page.selectOption('#plan-area', '和平社区 1号楼');
    await page.waitForFunction(() => document.querySelectorAll('#planning li.due').length === 1);
    await toChinese();
    await page.waitForSelector('#planning li.due');
    expect(await page.textContent('#planning')).toContain('走访已逾期');
    await allChinese();
    await shot('planning-375-zh');
    await page.selectOption('#plan-area', '');
    await toEnglish();
  }, 60_000);

  it('a knock-on-door round: start it, one door seen with a safety concern, one with nobody home', async () => {
    await go('rounds');
    await page.selectOption('#round-area', '幸福社区 3号楼');
    await page.waitForSelector('#start-round');
    await page.click('#start-round');
    await page.waitForSelector('#doors li.door');
    const zhang = '#doors li[data-resident="r-zhang"]';
    await page.click(`${zhang} button[data-item="safety"]`);
    await page.fill(`${zhang} input[name=note]`, 'gas hose cracked');
    await page.click(`${zhang} button[data-action="seen"]`);
    await page.waitForSelector(`${zhang}.status-seen`);
    await page.click('#doors li[data-resident="r-chen"] button[data-action="no-answer"]');
    await page.waitForSelector('#doors li[data-resident="r-chen"].status-no_answer');
    expect(await page.textContent('#round-progress')).toContain('1 seen, 1 no answer, 0 to go, of 2');
    expect(await page.textContent('#findings')).toContain('Safety checked · gas hose cracked');
    const visit = sqliteStores(gw.app).db.prepare(`SELECT purpose, observations FROM visits WHERE resident_id = 'r-zhang' ORDER BY id DESC LIMIT 1`).get() as { purpose: string; observations: string };
    expect(visit.purpose).toBe('knock_round');
    expect(JSON.parse(visit.observations)).toMatchObject({ knockSafety: 'concern', knockHealth: 'ok' });
    await shot('round-375-en');
    await toChinese();
    await page.waitForSelector('text=无人应门');
    await allChinese();
    await shot('round-375-zh');
    await toEnglish();
  }, 60_000);

  it('warnings and reports: figures, a chart, the table by area and a CSV download', async () => {
    await go('warnings');
    await page.waitForSelector('#warnings li.warning');
    expect(await page.textContent('#warnings')).toContain('Problem overdue');
    await shot('warnings-375-en');
    await toChinese();
    await page.waitForSelector('text=问题超期');
    await allChinese();
    await shot('warnings-375-zh');
    await toEnglish();

    await go('reports');
    await page.waitForSelector('#report-figures .tile');
    await page.waitForSelector('#report-chart canvas');
    expect(await page.textContent('#report-figures [data-figure="visits"] .value')).toMatch(/^\d+$/);
    expect(await page.$$eval('#area-table tbody tr', (rows) => rows.length)).toBe(2);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-area')]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.replace(/^\ufeff/, '').split('\r\n')[0]).toBe('area,residents,visits,residentsVisited,coverage,problemsOpened,problemsSolved,problemsOverdue,alerts');
    expect(download.suggestedFilename()).toMatch(/^report-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.csv$/);
    await shot('reports-375-en');
    await toChinese();
    await page.waitForSelector('text=走访覆盖率');
    await page.waitForSelector('#report-chart canvas');
    await allChinese();
    await shot('reports-375-zh');
    await toEnglish();
  }, 60_000);

  it('the casefile: fields a caseworker may edit, solve asks what was done, refer, a photo from the phone', async () => {
    await page.goto(`${baseUrl}/#/r/r-zhang`);
    await page.waitForSelector('#casefile-fields dl.fields');
    expect(await page.textContent('#casefile-fields [data-field="category"]')).toBe('Elderly living alone');
    expect(await page.textContent('#devices')).toContain('大门');
    expect(await page.textContent('#appointments')).toContain('区人民医院 心内科');
    await page.waitForLoadState('networkidle');
    await page.click('#edit-fields summary');
    expect(await page.isDisabled('#cf-health')).toBe(true);
    expect(await page.isDisabled('#cf-category')).toBe(true);
    await page.fill('#cf-notes', '喜欢下象棋');
    await page.click('#cf-save');
    await page.waitForSelector('#casefile-fields [data-field="notes"] >> text=喜欢下象棋');

    const first = page.locator('#problems li.problem').first();
    const id = await first.getAttribute('data-problem');
    await first.locator('button[data-action="refer"]').click();
    await first.locator('form.refer select').selectOption('housing');
    await first.locator('form.refer button[type=submit]').click();
    await page.waitForSelector(`#problems li[data-problem="${id}"] .referral`);

    const photo = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: '#8899aa' } }).jpeg().toBuffer();
    await page.setInputFiles(`#photo-${id}`, { name: 'handrail.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.waitForSelector(`#problems li[data-problem="${id}"] img.thumb`);
    // shown (fetched with the token as a blob), not just an empty frame: 1600 px wide once sized down
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLImageElement | null)?.naturalWidth === 1600, `#problems li[data-problem="${id}"] img.thumb`);

    // a photo on a visit, from its timeline entry: the newest visit of hers
    const visitId = (sqliteStores(gw.app).db.prepare(`SELECT id FROM visits WHERE resident_id = 'r-zhang' ORDER BY at DESC, id DESC LIMIT 1`).get() as { id: number }).id;
    const entry = `#timeline li[data-type="visit"]:has(#visit-photo-${visitId})`;
    await page.waitForSelector(entry);
    const doorPhoto = await sharp({ create: { width: 1200, height: 1600, channels: 3, background: '#445566' } }).jpeg().toBuffer();
    await page.setInputFiles(`#visit-photo-${visitId}`, { name: 'door.jpg', mimeType: 'image/jpeg', buffer: doorPhoto });
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLImageElement | null)?.naturalHeight === 1600, `${entry} img.thumb`);
    expect(sqliteStores(gw.app).db.prepare('SELECT COUNT(*) AS n FROM photos WHERE visit_id = ?').get(visitId)).toEqual({ n: 1 });
    // not a photo: said in words, and nothing stored (the browser logs the 400 it asked for)
    const before = pageErrors.length;
    await page.setInputFiles(`#visit-photo-${visitId}`, { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a jpeg at all') });
    await page.waitForSelector(`${entry} .error`);
    expect(await page.textContent(`${entry} .error`)).toBe('This is not a photo the gateway can read (JPEG, PNG, WebP or HEIC).');
    expect(sqliteStores(gw.app).db.prepare('SELECT COUNT(*) AS n FROM photos WHERE visit_id = ?').get(visitId)).toEqual({ n: 1 });
    expect(pageErrors.splice(before)).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);

    await page.locator(`#problems li[data-problem="${id}"] button[data-action="solve"]`).click();
    await page.locator(`#problems li[data-problem="${id}"] form.solve button[type=submit]`).click();
    await page.waitForSelector(`#problems li[data-problem="${id}"] form.solve .error`);
    await page.fill(`#solve-${id}`, '物业更换了扶手');
    await page.selectOption(`#sat-${id}`, '5');
    await page.locator(`#problems li[data-problem="${id}"] form.solve button[type=submit]`).click();
    await page.waitForSelector(`#problems li[data-problem="${id}"]`, { state: 'detached' });
    expect(sqliteStores(gw.app).db.prepare('SELECT status, resolution, satisfaction FROM problems WHERE id = ?').get(id)).toEqual({ status: 'solved', resolution: '物业更换了扶手', satisfaction: 5 });
    await page.waitForSelector('#warmth .stars');
    // the planned absence on the timeline: its kind and the last day away, in words
    const lastDayAway = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', month: 'short', day: 'numeric' }).format(Date.parse(`${shanghaiDate(Date.now() + 5 * DAY)}T12:00:00+08:00`));
    await page.waitForSelector('#timeline li[data-type="absence_planned"]');
    expect(await page.textContent('#timeline li[data-type="absence_planned"] >> nth=-1')).toContain(`Absence plannedaway until ${lastDayAway}`);
    expect(await page.textContent('#timeline li[data-type="absence_cancelled"]')).toContain('Absence cancelled');
    await shot('casefile-fields-375-en');
    await toChinese();
    await page.waitForSelector('text=一人一档');
    expect(await page.textContent('#timeline li[data-type="absence_cancelled"]')).toContain('取消外出登记');
    expect(await page.textContent('#timeline')).toContain('外出至');
    await page.waitForSelector('#timeline li[data-type="visit"] .visit-photos img.thumb');
    expect(await page.textContent('#timeline li[data-type="visit"] .visit-photos label >> nth=0')).toBe('拍照');
    await allChinese();
    await shot('casefile-fields-375-zh');
    await toEnglish();
  }, 60_000);

  it('provisioning for an admin: a new resident, a device whose secret is shown once', async () => {
    await signIn(PEOPLE.boss);
    expect(await page.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('data-screen')))).toContain('admin');
    await go('admin');
    await page.click('#new-resident summary');
    await page.fill('#new-id', 'r-wang');
    await page.fill('#new-name', '王大爷');
    await page.fill('#new-area', '和平社区 1号楼');
    await page.click('#create-resident-save');
    await page.waitForSelector('#admin-residents li[data-resident="r-wang"]');
    const wang = page.locator('#admin-residents li[data-resident="r-wang"]');
    await wang.locator('details:has(form.device-form) summary').click();
    await wang.locator('form.device-form input[name=id]').fill('wang-button');
    await wang.locator('form.device-form select[name=kind]').selectOption('button');
    await wang.locator('form.device-form button[type=submit]').click();
    await page.waitForSelector('#device-secret');
    const secret = (await page.textContent('#device-secret'))!;
    expect(secret.length).toBeGreaterThanOrEqual(20);
    // the secret works on the broker, and is nowhere to be read again
    const client = await gw.connect('wang-button', secret);
    await client.endAsync();
    const again = await (await fetch(`${baseUrl}/api/residents/r-wang`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(again).not.toContain(secret);
    await shot('admin-375-en');
    await toChinese();
    await page.waitForSelector('text=新建服务对象');
    await allChinese();
    await shot('admin-375-zh');
    await toEnglish();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe('a district of 1,000 residents', () => {
  it('loads the planning list and the reports screen fast', async () => {
    const { db } = sqliteStores(gw.app);
    const now = Date.now();
    db.transaction(() => {
      const r = db.prepare(`INSERT INTO residents (id, name, address, timezone, locale, area, rules, source, created_at, updated_at) VALUES (?, ?, ?, 'Asia/Shanghai', 'zh-CN', ?, '{}', 'api', ?, ?)`);
      const v = db.prepare(`INSERT INTO visits (resident_id, visitor, at, purpose, notes, recorded_by, created_at) VALUES (?, 'li', ?, 'routine', '', 'li', ?)`);
      const p = db.prepare(`INSERT INTO problems (id, visit_id, resident_id, description, category, urgency, responsible, deadline, status, opened_at) VALUES (?, ?, ?, 'x', ?, 'normal', 'li', ?, 'pending', ?)`);
      for (let i = 0; i < 1000; i++) {
        const id = `r-d${i}`;
        r.run(id, `居民 ${i}`, `${i % 30}号楼 ${i}`, `社区 ${i % 20}`, now - 90 * DAY, now);
        for (let k = 0; k < 6; k++) {
          const at = now - (k * 9 + (i % 7)) * DAY;
          const visitId = Number(v.run(id, at, at).lastInsertRowid);
          if ((i + k) % 5 === 0) p.run(`WT1999${String(i * 10 + k).padStart(5, '0')}`, visitId, id, ['livelihood', 'health', 'social'][k % 3], at + 3 * DAY, at);
        }
      }
    })();
    const measure = async (section: string, selector: string) => {
      const t0 = Date.now();
      await page.goto(`${baseUrl}/#/${section}`);
      await page.waitForSelector(selector, { timeout: 30_000 });
      return Date.now() - t0;
    };
    const apiTime = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } });
      await res.json();
      return Math.round(performance.now() - t0);
    };
    const month = `from=${shanghaiDate(now).slice(0, 8)}01&to=${shanghaiDate(now)}`;
    timings.planningApi1000Ms = await apiTime('/api/visits/due');
    timings.reportApi1000Ms = await apiTime(`/api/reports?${month}`);
    timings.reportSeriesApi1000Ms = await apiTime(`/api/reports/series?${month}`);
    // the morning's list: the 50 most urgent of all 1,000, more on request
    timings.planning1000Ms = await measure('planning', '#planning li.due >> nth=49');
    expect(await page.textContent('#planning-summary')).toMatch(/^100\d residents to visit/);
    expect(await page.$$eval('#planning li.due', (li) => li.length)).toBe(50);
    await page.click('#planning-more');
    expect(await page.$$eval('#planning li.due', (li) => li.length)).toBe(100);
    await page.screenshot({ path: 'test-artifacts/planning-1000-375.png' });
    timings.reports1000Ms = await measure('reports', '#report-chart canvas');
    await page.waitForSelector('#area-table tbody tr >> nth=19');
    timings.warnings1000Ms = await measure('warnings', '#warnings li.warning');
    // reminders: grouped by kind, 20 each, then every row drawn (as the screen did before it paged)
    const week = `from=${shanghaiDate(now)}&to=${shanghaiDate(now + 6 * DAY)}`;
    timings.remindersApi1000Ms = await apiTime(`/api/reminders?${week}`);
    const total = (await (await fetch(`${baseUrl}/api/reminders?${week}`, { headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } })).json()).items.length;
    expect(total).toBeGreaterThan(900);
    timings.remindersItems1000 = total;
    const rows = () => page.$$eval('#reminders .reminder', (li) => li.length);
    timings.reminders1000Ms = await measure('reminders', '#reminders .reminder');
    timings.remindersPagedRows1000 = await rows();
    expect(timings.remindersPagedRows1000).toBeLessThan(total / 4);
    // the rest of a group on request, and its count in the heading
    const late = '#reminders [data-day="overdue"] [data-group="problem_deadline"]';
    const overdueProblems = Number((await page.textContent(`${late} h3`))!.match(/(\d+)$/)![1]);
    expect(overdueProblems).toBeGreaterThan(120);
    expect(await page.$$eval(`${late} li.reminder`, (li) => li.length)).toBe(20);
    await page.screenshot({ path: 'test-artifacts/reminders-1000-375.png' });
    await page.click(`${late} button.more`);
    expect(await page.$$eval(`${late} li.reminder`, (li) => li.length)).toBe(120);
    expect(await page.textContent(`${late} button.more`)).toBe(`Show more (${overdueProblems - 120} left)`);
    const t0 = Date.now();
    await page.click('#rem-all');
    await page.waitForFunction((n) => document.querySelectorAll('#reminders .reminder').length === n, total, { timeout: 30_000 });
    timings.remindersEveryRow1000Ms = Date.now() - t0;
    console.log(`reminders, 1,000 residents: every row ${timings.remindersEveryRow1000Ms} ms, paged ${timings.reminders1000Ms} ms (${(timings.remindersEveryRow1000Ms / timings.reminders1000Ms).toFixed(1)}x)`);
    console.log('1,000 residents, page load to list shown (ms):', JSON.stringify(timings));
    // "fast" on a shared 2-core machine: well under the 3 s a caseworker would wait
    expect(timings.planning1000Ms).toBeLessThan(3000);
    expect(timings.reports1000Ms).toBeLessThan(3000);
    expect(timings.reminders1000Ms).toBeLessThan(3000);
    // paging bounds what is drawn (rows above: under a quarter of them); both times include the same
    // request, so on a quiet machine drawing 1,200 rows instead of ~100 is within their noise (a CI
    // run had 391 vs 387 ms): the ratio is printed above, not asserted
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
