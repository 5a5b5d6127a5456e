// Provisioning on a 375 px phone in real Chromium: an admin edits a resident (the handbook's
// fields too), a contact and a device, rotates a device's secret (shown once), deletes a device
// and a contact after a confirmation, and is told in words, in both languages, why a resident
// with an alarm not resolved cannot be deleted yet. What the page did is read back from the
// gateway, and the broker is asked whether the old and new secrets work.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Page, Dialog } from 'playwright-core';
import { startGateway, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';
import { openBrowser, addPeople, signIn, englishOnScreen, missingKeys, PEOPLE, type Browser } from './browser-kit.ts';

let gw: TestGateway;
let baseUrl: string;
let browser: Browser;
let page: Page;
// what the confirmations asked, and whether the test said yes
const asked: string[] = [];
let answer = true;
const NAMES = ['Safe Home', 'r-wang', 'r-zhang', 'r-chen', 'zhang-door', 'zhang-motion', 'chen-smoke', 'English', 'Zigbee2MQTT', 'RFLink', 'MB', '0x00158d0001a2b3c4', 'Chuango;ID=0a1b2c'];

const get = async (path: string) => (await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
const card = (id: string) => `#admin-residents li[data-resident="${id}"]`;

async function shot(name: string) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} fits the phone`).toBeLessThanOrEqual(375);
  await page.screenshot({ path: `test-artifacts/${name}.png`, fullPage: true });
}

/** a save's reply re-renders the list with every card closed: the open form is gone then */
async function reRendered(id: string) {
  await page.waitForSelector(`${card(id)} form.resident-edit`, { state: 'hidden' });
}

/**
 * Opens a resident's edit form. A save re-renders the whole list (closed cards) when its reply
 * comes, so a click can land on a card that is about to be replaced: opened again until the
 * form shows on the card that stays.
 */
async function openEdit(id: string) {
  for (let attempt = 1; ; attempt++) {
    const open = await page.$eval(`${card(id)} details.edit-resident`, (d) => (d as HTMLDetailsElement).open).catch(() => false);
    if (!open) await page.click(`${card(id)} details.edit-resident summary`);
    try {
      await page.waitForSelector(`${card(id)} form.resident-edit`, { timeout: 4000 });
      return;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

beforeAll(async () => {
  gw = await startGateway({
    site: { timezone: 'Asia/Shanghai' },
    residents: [
      { id: 'r-zhang', name: '张秀英', address: '3号楼 601', area: '幸福社区 3号楼', timezone: 'Asia/Shanghai', locale: 'zh-CN',
        contacts: [{ name: '王阿姨', phone: '+8613800000001', role: 'neighbor' }, { name: '张伟', phone: '+8613800000002', role: 'family' }],
        devices: [{ id: 'zhang-door', kind: 'door', name: '大门', room: 'entrance', secret: 'door-secret' },
          { id: 'zhang-motion', kind: 'motion', room: 'living', secret: 'motion-secret' }] },
      { id: 'r-chen', name: '陈国强', address: '7号楼 302', area: '幸福社区 7号楼', timezone: 'Asia/Shanghai',
        devices: [{ id: 'chen-smoke', kind: 'smoke', name: '厨房烟感', room: 'kitchen', secret: 'chen-smoke-secret' }] },
    ],
  });
  baseUrl = `http://127.0.0.1:${gw.app.httpPort()}`;
  await addPeople(baseUrl);
  mkdirSync('test-artifacts', { recursive: true });
  browser = await openBrowser({ width: 375, height: 800, locale: 'en-GB', mobile: true });
  browser.context.setDefaultTimeout(15_000);
  page = browser.page;
  page.on('dialog', (d: Dialog) => { asked.push(d.message()); void (answer ? d.accept() : d.dismiss()); });
  await signIn(page, baseUrl, PEOPLE.boss);
  await page.click('#nav a[data-screen="admin"]');
  await page.waitForSelector(card('r-zhang'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('an admin edits and deletes on the phone', () => {
  it('edits a resident: area, birthday, visit cycle and the handbook\'s fields', async () => {
    await openEdit('r-zhang');
    const form = `${card('r-zhang')} form.resident-edit`;
    expect(await page.inputValue(`${form} [name=area]`)).toBe('幸福社区 3号楼');
    await page.fill(`${form} [name=area]`, '幸福社区 5号楼');
    await page.fill(`${form} [name=birthday]`, '1946-05-12');
    await page.fill(`${form} [name=visitCycleDays]`, '14');
    await page.selectOption(`${form} [name=category]`, 'elderly_alone');
    await page.fill(`${form} [name=health]`, '高血压');
    await page.click(`${form} button[type=submit]`);
    await page.waitForFunction(() => document.querySelector('#admin-residents li[data-resident="r-zhang"] .muted.block')?.textContent?.includes('5号楼'));
    expect(await get('/api/residents/r-zhang')).toMatchObject({ area: '幸福社区 5号楼', birthday: '1946-05-12', visitCycleMs: 14 * 86_400_000 });
    expect((await get('/api/residents/r-zhang/casefile')).profile).toMatchObject({ category: 'elderly_alone', health: '高血压' });
    // emptied, the cycle goes back to the default
    await openEdit('r-zhang');
    await page.fill(`${form} [name=visitCycleDays]`, '');
    await page.click(`${form} button[type=submit]`);
    await expect.poll(async () => (await get('/api/residents/r-zhang')).visitCycleMs).toBeNull();
    await reRendered('r-zhang');
  }, 60_000);

  it('edits a contact; a phone without its country code is refused in words', async () => {
    await openEdit('r-zhang');
    const row = `${card('r-zhang')} li[data-contact]:has-text("王阿姨")`;
    await page.click(`${row} button[data-edit-contact]`);
    await page.fill(`${row} form.contact-edit [name=phone]`, '13800000009');
    await page.fill(`${row} form.contact-edit [name=onCall]`, '08:00-22:00');
    await page.click(`${row} form.contact-edit button[type=submit]`);
    await page.waitForSelector(`${row} form.contact-edit .error`);
    expect(await page.textContent(`${row} form.contact-edit .error`)).toBe('Phone: a phone number with its country code, such as +8613800000001.');
    await shot('admin-edit-375-en');
    await page.fill(`${row} form.contact-edit [name=phone]`, '+8613800000009');
    await page.click(`${row} form.contact-edit button[type=submit]`);
    await expect.poll(async () => (await get('/api/residents/r-zhang')).contacts.find((c: { name: string }) => c.name === '王阿姨'))
      .toMatchObject({ phone: '+8613800000009', onCall: '08:00-22:00' });
    await reRendered('r-zhang');
  }, 60_000);

  it('edits a device: name, room and its Zigbee2MQTT key; rotates its secret, shown once', async () => {
    const row = `${card('r-zhang')} li[data-device="zhang-door"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button[data-edit-device]`);
    await page.fill(`${row} form.device-edit [name=name]`, '前门');
    await page.selectOption(`${row} form.device-edit [name=room]`, 'hall');
    await page.fill(`${row} form.device-edit [name=zigbee2mqtt]`, '0x00158d0001a2b3c4');
    await page.click(`${row} form.device-edit button[type=submit]`);
    await page.waitForFunction(() => document.querySelector('#admin-residents li[data-device="zhang-door"]')?.textContent?.startsWith('前门'));
    const door = (await get('/api/residents/r-zhang')).devices.find((d: { id: string }) => d.id === 'zhang-door');
    expect(door).toMatchObject({ name: '前门', room: 'hall', zigbee2mqtt: '0x00158d0001a2b3c4', entrance: true });

    await page.click(`${card('r-zhang')} li[data-device="zhang-door"] button[data-rotate]`);
    await page.waitForSelector('#device-secret');
    expect(asked.at(-1)).toBe('Give zhang-door a new secret? The old one stops working at once.');
    const secret = (await page.textContent('#device-secret'))!;
    expect(secret.length).toBeGreaterThanOrEqual(20);
    await (await gw.connect('zhang-door', secret)).endAsync();
    await expect(gw.connect('zhang-door', 'door-secret')).rejects.toThrow(/authori/i);
    await page.click('#secret-box button');
    expect(await page.$('#device-secret')).toBeNull();
  }, 60_000);

  it('deletes a device and a contact after asking; saying no keeps them', async () => {
    const motion = `${card('r-zhang')} li[data-device="zhang-motion"]`;
    answer = false;
    await page.click(`${motion} button[data-delete-device]`);
    expect(asked.at(-1)).toMatch(/^Delete the device zhang-motion\?/);
    expect(await page.$(motion)).not.toBeNull();
    answer = true;
    await page.click(`${motion} button[data-delete-device]`);
    await page.waitForSelector(motion, { state: 'detached' });
    expect((await get('/api/residents/r-zhang')).devices.map((d: { id: string }) => d.id)).toEqual(['zhang-door']);
    await expect(gw.connect('zhang-motion', 'motion-secret')).rejects.toThrow(/authori/i);

    await openEdit('r-zhang');
    const zhangWei = `${card('r-zhang')} li[data-contact]:has-text("张伟")`;
    await page.click(`${zhangWei} button[data-delete-contact]`);
    expect(asked.at(-1)).toBe('Delete the contact 张伟? They will no longer be texted.');
    await expect.poll(async () => (await get('/api/residents/r-zhang')).contacts.map((c: { name: string }) => c.name)).toEqual(['王阿姨']);
  }, 60_000);

  it('a resident with an alarm not resolved: refused in words, in both languages; resolved, deleted', async () => {
    const c = await gw.connect('chen-smoke', 'chen-smoke-secret');
    await c.publishAsync('devices/chen-smoke', JSON.stringify({ smoke: true }), { qos: 1 });
    await c.endAsync();
    await expect.poll(async () => (await get('/api/alerts?status=open')).items.filter((a: { residentId: string }) => a.residentId === 'r-chen').length).toBe(1);

    await page.reload();
    await page.waitForSelector(card('r-chen'));
    await openEdit('r-chen');
    await page.click(`${card('r-chen')} button[data-delete-resident]`);
    expect(asked.at(-1)).toBe('Delete 陈国强 with their contacts, devices, visits and problems? This cannot be undone.');
    const refusal = `${card('r-chen')} details.edit-resident .error`;
    await page.waitForSelector(refusal);
    expect(await page.textContent(refusal)).toBe('This resident has 1 alert(s) not resolved. Resolve them first, then delete.');

    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await page.waitForSelector(card('r-chen'));
    await openEdit('r-chen');
    await page.click(`${card('r-chen')} button[data-delete-resident]`);
    await page.waitForSelector(refusal);
    expect(await page.textContent(refusal)).toBe('该服务对象还有 1 条警报未解决。请先处理完警报，再删除。');
    expect(asked.at(-1)).toBe('删除陈国强及其联系人、设备、探访和问题记录？删除后无法恢复。');
    // and an error said in Chinese, with the field's name in Chinese
    await openEdit('r-zhang');
    const row = `${card('r-zhang')} li[data-contact]:has-text("王阿姨")`;
    await page.click(`${row} button[data-edit-contact]`);
    await page.fill(`${row} form.contact-edit [name=onCall]`, '8点到22点');
    await page.click(`${row} form.contact-edit button[type=submit]`);
    await page.waitForSelector(`${row} form.contact-edit .error`);
    expect(await page.textContent(`${row} form.contact-edit .error`)).toBe('值守时段：请填写时段，例如 22:00-06:00。');
    await page.click(`${card('r-zhang')} li[data-device="zhang-door"] button[data-edit-device]`);
    expect(await englishOnScreen(page, NAMES)).toEqual([]);
    expect(await missingKeys(page)).toEqual([]);
    await shot('admin-edit-375-zh');

    const alert = (await get('/api/alerts?status=open')).items.find((a: { residentId: string }) => a.residentId === 'r-chen');
    const resolved = await fetch(`${baseUrl}/api/alerts/${alert.id}/resolve`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'false alarm, cooking' }),
    });
    expect(resolved.status).toBe(200);
    await page.click(`${card('r-chen')} button[data-delete-resident]`);
    await page.waitForSelector(card('r-chen'), { state: 'detached' });
    expect((await fetch(`${baseUrl}/api/residents/r-chen`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
    expect(browser.errors.filter((e) => !/409|Conflict|400|Bad Request/.test(e))).toEqual([]);
  }, 90_000);
});
