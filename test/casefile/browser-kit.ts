// What the browser tests share: Debian's chromium through playwright-core, a gateway with
// residents whose devices have names and rooms, people who sign in, and the checks every zh-CN
// screen must pass (no untranslated key, no English word but names and ids).
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../helpers.ts';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export const ARTIFACTS = 'test-artifacts';

export const PEOPLE = {
  li: { username: 'li', displayName: '李社工', role: 'caseworker', password: 'li-password-2026' },
  wang: { username: 'wang', displayName: '王社工', role: 'caseworker', password: 'wang-password-2026' },
  boss: { username: 'zhou', displayName: '周主任', role: 'admin', password: 'zhou-password-2026' },
} as const;

/** two residents in two buildings, devices named as people name them */
export function residentsConfig() {
  return [
    {
      id: 'r-zhang', name: '张秀英', address: '3号楼2单元601', timezone: 'Asia/Shanghai', locale: 'zh-CN', area: '幸福社区 3号楼',
      contacts: [{ name: '王阿姨', phone: '+8613800000001', role: 'neighbor' }, { name: '张伟', phone: '+8613800000002', role: 'family' }],
      devices: [
        { id: 'zhang-smoke', kind: 'smoke', name: '卧室烟感', room: 'bedroom', secret: 'smoke-secret' },
        { id: 'zhang-door', kind: 'door', name: '大门', room: 'entrance', secret: 'door-secret' },
        { id: 'zhang-button', kind: 'button', name: '紧急按钮', room: 'bedroom', secret: 'button-secret' },
        { id: 'zhang-motion', kind: 'motion', room: 'living', secret: 'motion-secret' },
      ],
    },
    {
      id: 'r-chen', name: '陈国强', address: '7号楼1单元302', timezone: 'Asia/Shanghai', locale: 'zh-CN', area: '幸福社区 7号楼',
      contacts: [{ name: '刘大爷', phone: '+8613800000011', role: 'neighbor' }],
      devices: [
        { id: 'chen-button', kind: 'button', name: '紧急按钮', room: 'bedroom', secret: 'chen-button-secret' },
        { id: 'chen-door', kind: 'door', name: '大门', room: 'entrance', secret: 'chen-door-secret' },
      ],
    },
  ];
}

export const ESCALATION = {
  smoke: [{ notify: ['neighbor', 'family'], after: '0s' }],
  emergency: [{ notify: ['neighbor'], after: '0s' }],
  battery_low: [{ notify: ['caseworker'], after: '0s' }],
};

export async function addPeople(baseUrl: string): Promise<void> {
  for (const p of Object.values(PEOPLE)) {
    const res = await fetch(`${baseUrl}/api/users`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(p),
    });
    if (res.status !== 201) throw new Error(`adding ${p.username}: ${res.status} ${await res.text()}`);
  }
}

export interface Browser { context: BrowserContext; page: Page; errors: string[]; close(): Promise<void> }

/** a fresh profile (its own cookies and storage): one person's phone or desktop */
export async function openBrowser(opts: { width: number; height: number; locale: 'zh-CN' | 'en-GB'; mobile?: boolean }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'gw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    viewport: { width: opts.width, height: opts.height }, deviceScaleFactor: opts.mobile ? 2 : 1,
    isMobile: opts.mobile ?? false, hasTouch: opts.mobile ?? false, locale: opts.locale, timezoneId: 'Asia/Shanghai',
  });
  // anything the content policy refused is a console error (and so a failed test), whichever page
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`content policy refused ${e.violatedDirective}: ${e.blockedURI || 'inline'}`));
  });
  // what the page asked of the phone: vibrations, and tones it started
  await context.addInitScript(() => {
    const w = window as unknown as { __vibrations: unknown[]; __tones: number };
    w.__vibrations = [];
    w.__tones = 0;
    navigator.vibrate = ((pattern: unknown) => { w.__vibrations.push(pattern); return true; }) as typeof navigator.vibrate;
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function createOscillator(this: AudioContext) { w.__tones++; return create.call(this); };
  });
  const page = context.pages()[0] ?? await context.newPage();
  // a step that does not happen fails with its own name, well inside the test's time
  context.setDefaultTimeout(5000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  return {
    context, page, errors,
    async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

export async function signIn(page: Page, baseUrl: string, person: { username: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.fill('#username', person.username);
  await page.fill('#password', person.password);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#alert-board h2');
}

export async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/**
 * Every word on a zh-CN screen is Chinese but names and ids: the visible text (and the
 * accessible names and placeholders) with the allowed words taken out has no Latin word left,
 * and no key was asked for that the string tables lack.
 */
export async function englishOnScreen(page: Page, allowed: readonly string[], opts: { skipCode?: boolean } = {}): Promise<string[]> {
  const text = await page.evaluate((skipCode) => {
    const parts = [document.title];
    // every text node a person can see; code (paths, JSON schemas on the docs page) is not prose
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent?.trim()) continue;
      if (skipCode && el.closest('code, pre')) continue;
      if (el.closest('script, style, noscript') || !el.checkVisibility()) continue;
      parts.push(node.textContent);
    }
    for (const el of document.querySelectorAll('[placeholder],[aria-label]')) {
      for (const a of ['placeholder', 'aria-label']) if (el.getAttribute(a)) parts.push(el.getAttribute(a)!);
    }
    for (const el of document.querySelectorAll('option')) parts.push(el.textContent ?? '');
    return parts.join('\n');
  }, opts.skipCode ?? false);
  let rest = text;
  for (const word of [...allowed].sort((a, b) => b.length - a.length)) rest = rest.split(word).join(' ');
  // WT numbers, times, percentages and the like are not words
  const words = rest.match(/[A-Za-z][A-Za-z'’-]*[A-Za-z]|\b[A-Za-z]\b/g) ?? [];
  return [...new Set(words)];
}

export async function missingKeys(page: Page): Promise<string[]> {
  return page.evaluate(() => [...((window as unknown as { __i18nMissing?: Set<string> }).__i18nMissing ?? [])]);
}
