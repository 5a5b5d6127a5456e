// Every word in the reader's language: the page's string tables have each key in English and
// Chinese with the same placeholders; every key the page's code names is in them; and every
// code the server can send (alert kinds, device kinds, rooms, button presses, planning reasons,
// the rules' notes on alerts, error codes) has its words. The browser tests then fail on any key
// asked for at run time that is missing, and on English words on a zh-CN screen.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALERT_KINDS } from '../../src/domain/types.ts';
import { REASONS } from '../../src/notify/templates.ts';
import { ROOMS, configSchema } from '../../src/config/schema.ts';
import { CASEFILE_ERROR_CODES } from '../../src/casefile/errors.ts';

const WEB = new URL('../../web/', import.meta.url).pathname;

function files(dir: string, ext = '.js'): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
  });
}

async function tables(): Promise<Array<{ file: string; en: Record<string, string>; zh: Record<string, string> }>> {
  const out = [];
  for (const file of files(join(WEB, 'strings'))) {
    const mod = await import(file);
    for (const table of Object.values(mod) as Array<{ en?: Record<string, string>; zh?: Record<string, string> }>) {
      if (table && typeof table === 'object' && table.en && table.zh) out.push({ file, en: table.en, zh: table.zh });
    }
  }
  return out;
}

async function allKeys(): Promise<{ en: Record<string, string>; zh: Record<string, string> }> {
  const en: Record<string, string> = {};
  const zh: Record<string, string> = {};
  for (const t of await tables()) { Object.assign(en, t.en); Object.assign(zh, t.zh); }
  return { en, zh };
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
/** the page's noteCode(): "activity resumed" -> activity_resumed */
const noteCode = (text: string) => text.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

describe('the page\'s string tables', () => {
  it('have every key in both languages, with the same placeholders, and Chinese that is Chinese', async () => {
    const found = await tables();
    expect(found.length).toBeGreaterThan(0);
    for (const { file, en, zh } of found) {
      expect(Object.keys(zh).sort(), file).toEqual(Object.keys(en).sort());
      for (const key of Object.keys(en)) {
        expect(placeholders(zh[key]), `${file} ${key}`).toEqual(placeholders(en[key]));
        // a Chinese string with no Chinese in it is an English one left behind (names of the other language excepted)
        // (a name the same in both, one word such as a file name, is no sentence left untranslated)
        const aName = zh[key] === en[key] && !/\s/.test(zh[key]);
        if (key !== 'otherLanguage' && !aName && /[A-Za-z]{3,}/.test(zh[key].replace(/\{\w+\}/g, ''))) {
          expect(/[\u4e00-\u9fff]/.test(zh[key]), `${key}: ${zh[key]}`).toBe(true);
        }
      }
    }
  });

  it('have every key the page\'s code asks for by name', async () => {
    const { en } = await allKeys();
    const missing: string[] = [];
    for (const file of files(WEB)) {
      // comments show how to use t(), they do not ask for keys
      const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const m of source.matchAll(/\bt\(\s*'([^'`]+)'/g)) if (!(m[1] in en)) missing.push(`${file.slice(WEB.length)}: ${m[1]}`);
      for (const m of source.matchAll(/\b(?:label|heading):\s*'([a-z]+\.[A-Za-z.]+)'/g)) if (!(m[1] in en)) missing.push(`${file.slice(WEB.length)}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('have words for every code the server sends', async () => {
    const { en } = await allKeys();
    const need: string[] = [];
    for (const kind of ALERT_KINDS) need.push(`kind.${kind}`);
    // the reasons that change how an alert is named (the texts' REASONS)
    for (const reason of REASONS) need.push(`kindFor.${reason}`);
    // the contract's device kinds, and what a device may report in
    for (const kind of ['smoke', 'co', 'gas', 'water', 'button', 'door', 'motion', 'presence']) need.push(`deviceKind.${kind}`);
    for (const room of ROOMS) need.push(`room.${room}`);
    // CONTRACT.md "Buttons": the presses that ask for help, and the keyfob's that do not
    for (const action of ['sos', 'emergency', 'panic', 'single', 'double', 'hold', 'long', 'press', 'release', 'off', 'disarm', 'arm_all_zones']) need.push(`action.${action}`);
    for (const status of ['open', 'acknowledged', 'resolved', 'pending', 'in_progress', 'solved']) need.push(`status.${status}`);
    for (const a of ['online', 'offline', 'unknown']) need.push(`availability.${a}`);
    for (const type of ['device_event', 'alert', 'alert_update', 'alert_resolved', 'acknowledgement', 'notification', 'escalation', 'delivery', 'reply', 'note', 'visit', 'problem', 'problem_update']) need.push(`entry.${type}`);
    // and every type the server writes on a timeline: timeline.add(residentId, at, '<type>', ...) anywhere in src/
    const timelineTypes = new Set<string>();
    for (const file of files(new URL('../../src/', import.meta.url).pathname.replace(/\/$/, ''), '.ts')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\btimeline\.add\([^,]+,[^,]+,\s*'([a-z_]+)'/g)) timelineTypes.add(m[1]);
    }
    expect([...timelineTypes]).toEqual(expect.arrayContaining(['absence_planned', 'absence_cancelled', 'absence_ended', 'problem_referral', 'casefile_update']));
    for (const type of timelineTypes) need.push(`entry.${type}`);
    for (const s of ['pending', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'cancelled', 'retrying']) need.push(`send.${s}`);
    for (const r of ['acknowledged', 'already_handled', 'not_understood', 'noted', 'resolved']) need.push(`reply.${r}`);
    for (const e of ['step', 'repeat', 'unanswered', 'early']) need.push(`escalation.${e}`);
    for (const role of ['neighbor', 'family', 'caseworker', 'resident']) need.push(`role.${role}`);

    // the planning's reason codes, as its schema lists them
    const visits = readFileSync(new URL('../../src/api/visits.ts', import.meta.url), 'utf8');
    const reasons = /code: \{ type: 'string', enum: \[([^\]]+)\]/.exec(visits)![1].match(/'([a-z_]+)'/g)!.map((s) => s.slice(1, -1));
    expect(reasons.length).toBeGreaterThan(3);
    for (const r of reasons) need.push(`reason.${r}`);

    // what the rules note on an alert or resolve it with: the literal phrases passed to raise(),
    // update(), autoResolve() and record(), and the notifier's and the shell's reasons
    const phrases = new Set<string>();
    const rules = new URL('../../src/rules/', import.meta.url).pathname;
    for (const file of readdirSync(rules).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(rules, file), 'utf8');
      for (const m of source.matchAll(/\b(?:raise|update|autoResolve|record)\(ctx,[^;]*?'([^']+)'\s*\)/g)) phrases.add(m[1]);
      for (const m of source.matchAll(/\b(?:update|autoResolve|record)\(ctx,\s*(?:KEY|key|`[^`]*`),\s*'([^']+)'/g)) phrases.add(m[1]);
      for (const m of source.matchAll(/\brecord\(ctx,\s*'([^']+)'/g)) phrases.add(m[1]);
    }
    // a hazard's "again" note is built from its kind (devices.ts: `${kind === 'water_leak' ? 'leak' : kind} again`)
    expect(readFileSync(join(rules, 'devices.ts'), 'utf8')).toContain("`${kind === 'water_leak' ? 'leak' : kind} again`");
    for (const kind of ['smoke', 'co', 'gas', 'leak']) phrases.add(`${kind} again`);
    for (const p of ['device removed', 'resident confirmed well', 'repeated', 'nobody on call', 'does not wait for the resident',
      'nobody in the previous step could be reached', 'resolved_by_person']) phrases.add(p);
    expect(phrases.size).toBeGreaterThan(15);
    for (const p of phrases) need.push(`note.${noteCode(p)}`);

    // the error codes the API answers with
    const api = new URL('../../src/api/', import.meta.url).pathname;
    for (const file of readdirSync(api).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(api, file), 'utf8').matchAll(/\bcode: '([a-z_]+)'/g)) need.push(`err.${m[1]}`);
    }
    // the casefile's own codes, each failure its reason (visit_too_long, field_not_editable, ...)
    expect(CASEFILE_ERROR_CODES.length).toBeGreaterThan(40);
    for (const c of CASEFILE_ERROR_CODES) need.push(`err.${c}`);
    // and the fields they name: every key of a resident, contact and device, and the casefile's own
    const resident = (configSchema.shape.residents as any).unwrap().element.shape;
    const keys = [resident, resident.contacts.unwrap().element.shape, resident.devices.unwrap().element.shape].flatMap((s) => Object.keys(s));
    expect(keys).toEqual(expect.arrayContaining(['birthday', 'phone', 'zigbee2mqtt']));
    for (const f of [...keys, 'category', 'household', 'health', 'difficulties', 'notes', 'date', 'time', 'from', 'to', 'at', 'endedAt', 'solvedAt', 'resolution',
      'department', 'takenBy', 'takenAt', 'answeredAt', 'subcategory', 'after', 'hours', 'activeHours']) need.push(`field.${f}`);
    const missing = [...new Set(need)].filter((key) => !(key in en));
    expect(missing).toEqual([]);
  });
});

describe('dates on the page', () => {
  it('carry the year when it is not this year, on the resident\'s clock', async () => {
    // the page's own module, as the browser runs it (plain JS: no types to check)
    const { when, setLanguage } = await import(new URL('../../web/i18n.js', import.meta.url).href);
    const thisYear = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));
    setLanguage('zh');
    // a visit planned for next January must not read as "1月20日" at the top of this year's list
    expect(when(`${thisYear + 1}-01-20T02:00:00Z`, 'Asia/Shanghai')).toBe(`${thisYear + 1}年1月20日 10:00`);
    expect(when(`${thisYear}-06-15T02:00:00Z`, 'Asia/Shanghai')).toBe('6月15日 10:00');
    // 23:30 UTC on New Year's Eve is already next year in Shanghai
    expect(when(`${thisYear - 1}-12-31T23:30:00Z`, 'Asia/Shanghai')).toBe(`1月1日 07:30`);
    setLanguage('en');
    expect(when(`${thisYear + 1}-01-20T02:00:00Z`, 'Asia/Shanghai')).toBe(`20 Jan ${thisYear + 1}, 10:00`);
  });
});
