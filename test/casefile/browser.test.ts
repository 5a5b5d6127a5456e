// The caseworker page in a real browser (Debian's chromium via playwright-core) on a phone-sized
// screen, against a real gateway: a device event published over MQTT and an alert opened by the
// alert service appear on the timeline; a visit with a problem is recorded and gets its WT
// number; the alert is acknowledged. Screenshots go to test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildHttp } from '../../src/api/index.ts';
import { casefilePlugins } from '../../src/api/casefile.ts';
import { alertRoutes } from '../../src/api/alerts.ts';
import { AlertService } from '../../src/alerts/index.ts';
import { startGateway, waitFor, countEvents, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let gw: TestGateway;
let http: FastifyInstance | undefined;
let baseUrl: string;
let context: BrowserContext;
let page: Page;
let profile: string;
let service: AlertService;
const pageErrors: string[] = [];

beforeAll(async () => {
  gw = await startGateway({ site: { timezone: 'Asia/Shanghai', holidays: [] } });
  const { stores } = gw.app;
  service = new AlertService({
    db: stores.db, alerts: stores.alerts, timeline: stores.timeline, escalation: gw.config.escalation, log: gw.app.log, metrics: gw.app.metrics,
  });
  const wired = gw.app.http.hasRoute({ method: 'POST', url: '/api/residents/:id/visits' })
    && gw.app.http.hasRoute({ method: 'POST', url: '/api/alerts/:id/acknowledge' });
  if (wired) {
    baseUrl = `http://127.0.0.1:${gw.app.httpPort()}`;
  } else {
    // until app.ts mounts the casefile and alert routes, serve them from a second server on the same stores
    http = buildHttp({
      config: gw.config, log: gw.app.log, metrics: gw.app.metrics, residents: stores.residents, timeline: stores.timeline,
      openAlertCounts: () => stores.alerts.openCounts(), health: () => gw.app.health(),
      plugins: [
        ...casefilePlugins({ db: stores.db, residents: stores.residents, timeline: stores.timeline, alerts: stores.alerts, config: gw.config, clock: gw.app.clock, devicesChanged: () => gw.app.loadRegistry() }),
        (app) => alertRoutes(app, { alerts: stores.alerts, service, now: () => Date.now() }),
      ],
    });
    await http.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;
  }
  profile = mkdtempSync(join(tmpdir(), 'gw-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 375, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-GB',
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await http?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the caseworker page on a 375 px screen', () => {
  it('signs in, shows the casefile with device event and alert, records a visit, acknowledges the alert', async () => {
    // a device event through the broker, and an alert as the rules would open it
    const door = await gw.connect('zhang-door', 'door-secret');
    await door.publishAsync('devices/zhang-door', JSON.stringify({ contact: false, battery: 87 }), { qos: 1 });
    await door.endAsync();
    await waitFor(() => countEvents(gw.app, 'zhang-door') === 1, 5000, 'the door event');
    service.apply('r-zhang', [{ type: 'open', key: 'smoke:zhang-smoke', kind: 'smoke', deviceId: 'zhang-smoke', detail: { smoke: true } }], Date.now())();
    const alertId = gw.app.stores.alerts.unresolved()[0].id;

    await page.goto(`${baseUrl}/`);
    await page.fill('#token', 'not-the-token');
    await page.click('form.sign-in button[type=submit]');
    await page.waitForSelector('text=That token was not accepted.');
    // the refused token was the one expected failure in the console
    expect(pageErrors).toEqual([expect.stringContaining('401')]);
    pageErrors.length = 0;
    await page.fill('#token', CASEWORKER_TOKEN);
    await page.click('form.sign-in button[type=submit]');

    // residents: the one with an open alert first
    await page.waitForSelector('#residents a.resident');
    const order = await page.$$eval('#residents a.resident', (links) => links.map((a) => a.getAttribute('data-resident')));
    expect(order[0]).toBe('r-zhang');
    expect(await page.textContent('#residents a[data-resident="r-zhang"] .badge')).toBe('1 open alert(s)');
    expect(await page.evaluate(() => sessionStorage.getItem('gw.token'))).toBe(CASEWORKER_TOKEN);

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/residents-375.png' });
    await page.click('#residents a[data-resident="r-zhang"]');
    await page.waitForSelector('#timeline li.entry[data-type="device_event"]');
    expect(await page.textContent('#timeline li.entry[data-type="device_event"]')).toContain('zhang-door: door opened, battery 87%');
    expect(await page.textContent('#timeline li.entry[data-type="alert"]')).toContain('Smoke (zhang-smoke)');
    expect(await page.textContent('#alerts')).toContain('Smoke');
    // the door opening is this month's one activity: one full-height bar of 24
    await page.waitForSelector('#activity svg.chart');
    const heights = await page.$$eval('#activity rect.bar', (bars) => bars.map((b) => Number(b.getAttribute('height'))));
    expect(heights).toHaveLength(24);
    expect(heights.filter((x) => x > 0)).toEqual([80]);

    // record a visit with a problem
    await page.click('#record-visit summary');
    await page.fill('#visitor', 'Li Caseworker');
    await page.selectOption('#purpose', 'routine');
    await page.fill('#notes', 'Kitchen smoke from burnt rice; talked about the stove timer.');
    await page.fill('#obs-mood', 'calm');
    await page.click('#add-problem');
    await page.fill('#problem-rows textarea[name=description]', 'Needs an automatic stove shut-off');
    await page.selectOption('#problem-rows select[name=category]', 'livelihood');
    await page.selectOption('#problem-rows select[name=urgency]', 'high');
    await page.click('#save-visit');
    await page.waitForSelector('#new-problems .wt');
    const wt = (await page.textContent('#new-problems .wt'))!;
    expect(wt).toMatch(/^WT\d{4}\d{3,}$/);
    // the form's "now" is on the resident's clock (Asia/Shanghai) and arrives as the same moment
    const recorded = gw.app.stores.db.prepare('SELECT at FROM visits').get() as { at: number };
    expect(Math.abs(recorded.at - Date.now())).toBeLessThan(120_000);
    await page.waitForSelector(`#timeline li.entry[data-type="problem"] >> text=${wt}`);
    expect(await page.textContent('#timeline li.entry[data-type="visit"]')).toContain('Routine visit by Li Caseworker');
    expect(await page.textContent('#problems')).toContain(wt);

    // acknowledge the alert
    await page.click(`#alerts button[data-action="acknowledge"][data-alert="${alertId}"]`);
    await page.waitForSelector('#alerts .chip.status-acknowledged');
    await page.waitForSelector('#timeline li.entry[data-type="acknowledgement"]');
    expect(gw.app.stores.alerts.get(alertId)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'li-caseworker' });
    expect(await page.textContent('#timeline li.entry[data-type="acknowledgement"]')).toContain('by li-caseworker');

    // nothing wider than the phone, no script errors or blocked resources
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: 'test-artifacts/casefile-375-en.png', fullPage: true });

    // the same casefile in Chinese
    await page.click('#lang');
    await page.waitForSelector('text=时间线');
    expect(await page.textContent('#timeline li.entry[data-type="device_event"]')).toContain('门打开');
    expect(await page.textContent('#alerts')).toContain('已确认');
    await page.screenshot({ path: 'test-artifacts/casefile-375-zh.png', fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
