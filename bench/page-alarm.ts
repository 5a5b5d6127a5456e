// From a smoke detector's MQTT PUBLISH to the banner on a caseworker's page: the whole path
// through the broker, the store's commit, the rules, the alert service, GET /api/stream and the
// page's drawing, in Debian's chromium (playwright-core), signed in as a person. Each alarm is a
// different resident's detector (one condition is one alert). Two phases: one alarm at a time
// (each measured alone), and a burst of all at once (saturation), in the same run.
//
//   npx tsx bench/page-alarm.ts [--alarms 50]
//
// The time is taken in the page by a MutationObserver (Date.now(), the same clock as the
// publisher's on this machine), not by polling from the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium } from 'playwright-core';
import { parseConfig } from '../src/config/index.ts';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/log.ts';

export interface PageAlarmStats { alarms: number; p50: number; p99: number; max: number; mean: number }
export interface PageAlarmResult { residents: number; oneAtATime: PageAlarmStats; burst: PageAlarmStats }

function stats(latencies: number[]): PageAlarmStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { alarms: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1], mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

export async function pageAlarmBench(opts: { alarms?: number } = {}): Promise<PageAlarmResult> {
  const alarms = opts.alarms ?? 50;
  const residents = alarms * 2 + 5;
  const dir = mkdtempSync(join(tmpdir(), 'gw-page-bench-'));
  const config = parseConfig({
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    storage: { path: join(dir, 'bench.db'), sync: 'normal' },
    api: { tokens: [{ name: 'bench-admin', role: 'admin', token: 'bench-admin-token' }] },
    escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] },
    residents: Array.from({ length: residents }, (_v, r) => ({
      id: `r-${r}`, name: `住户${r}`, address: `${r % 20}号楼${100 + r}`, area: `${r % 20}号楼`, timezone: 'Asia/Shanghai',
      contacts: [{ name: `邻居${r}`, phone: `+8613${String(r).padStart(9, '0')}`, role: 'neighbor' }],
      devices: [{ id: `smoke-${r}`, kind: 'smoke', name: '厨房烟感', room: 'kitchen', secret: `s-${r}` }],
    })),
  }, {});
  const app = buildApp(config, { log: createLogger({ level: 'error' }) });
  await app.start();
  const base = `http://127.0.0.1:${app.httpPort()}`;
  const created = await fetch(`${base}/api/users`, {
    method: 'POST', headers: { authorization: 'Bearer bench-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', displayName: '测试社工', role: 'caseworker', password: 'bench-password-1' }),
  });
  if (created.status !== 201) throw new Error(`user: ${created.status}`);
  const profile = mkdtempSync(join(tmpdir(), 'gw-page-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    viewport: { width: 375, height: 800 }, locale: 'zh-CN',
  });
  const clients: MqttClient[] = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(`${base}/`);
    await page.fill('#username', 'bench');
    await page.fill('#password', 'bench-password-1');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#alert-board h2');
    await page.waitForFunction(() => document.getElementById('live-status')?.dataset.status === 'live');
    // when each banner appeared, by alert's resident, on the page's clock
    await page.evaluate(() => {
      const seen: Record<string, number> = {};
      (window as unknown as { __banners: Record<string, number> }).__banners = seen;
      new MutationObserver((records) => {
        const now = Date.now();
        for (const r of records) for (const n of r.addedNodes) {
          const el = n as HTMLElement;
          if (el.classList?.contains('banner')) seen[el.querySelector('.banner-who')?.textContent ?? '?'] ??= now;
        }
      }).observe(document.getElementById('banners')!, { childList: true });
    });
    for (let r = 0; r < residents; r++) {
      clients.push(await mqtt.connectAsync(`mqtt://127.0.0.1:${app.mqttPort()}`, { username: `smoke-${r}`, password: `s-${r}`, reconnectPeriod: 0 }));
    }
    const bannerAt = async (name: string) => {
      await page.waitForFunction((n) => (window as unknown as { __banners: Record<string, number> }).__banners[n] !== undefined, name, { timeout: 10_000 });
      return page.evaluate((n) => (window as unknown as { __banners: Record<string, number> }).__banners[n], name);
    };
    // warm up: two alarms not counted
    for (const r of [residents - 1, residents - 2]) {
      await clients[r].publishAsync(`devices/smoke-${r}`, '{"smoke":true}', { qos: 1 });
      await bannerAt(`住户${r}`);
    }

    const one: number[] = [];
    for (let r = 0; r < alarms; r++) {
      const sent = Date.now();
      await clients[r].publishAsync(`devices/smoke-${r}`, '{"smoke":true}', { qos: 1 });
      one.push((await bannerAt(`住户${r}`)) - sent);
      await page.evaluate(() => { for (const b of document.querySelectorAll('.banner button.secondary')) (b as HTMLButtonElement).click(); });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const burst: number[] = [];
    const sentAt: number[] = [];
    await Promise.all(Array.from({ length: alarms }, (_v, i) => {
      const r = alarms + i;
      sentAt[i] = Date.now();
      return clients[r].publishAsync(`devices/smoke-${r}`, '{"smoke":true}', { qos: 1 });
    }));
    for (let i = 0; i < alarms; i++) burst.push((await bannerAt(`住户${alarms + i}`)) - sentAt[i]);
    return { residents, oneAtATime: stats(one), burst: stats(burst) };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    await context.close();
    await app.stop();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--alarms');
  const result = await pageAlarmBench({ alarms: i > 0 ? Number(process.argv[i + 1]) : 50 });
  const row = (name: string, s: PageAlarmStats) => console.log(`${name.padEnd(22)} ${String(s.alarms).padStart(6)} ${s.p50.toFixed(0).padStart(7)} ${s.p99.toFixed(0).padStart(7)} ${s.max.toFixed(0).padStart(7)}`);
  console.log('PUBLISH to banner on the page (ms)');
  console.log('phase                  alarms     p50     p99     max');
  row('one at a time', result.oneAtATime);
  row(`burst of ${result.oneAtATime.alarms}`, result.burst);
  console.log(JSON.stringify(result));
}
