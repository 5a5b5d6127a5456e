// Texts people can read: every kind in both languages names the resident, what happened,
// where, and how to confirm, within one segment for ordinary names and never more than three.
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '../../src/domain/types.ts';
import { countSegments } from '../../src/notify/segments.ts';
import {
  alertText, preAlarmText, residentInfoText, handledText, residentWellText, closedText, clearedText, unansweredText,
  sendFailedText, headline, shortHeadline, alertReason, REASONS, REASON_KIND, MAX_SEGMENTS, type Locale, type Subject,
} from '../../src/notify/templates.ts';

const LOCALES: Locale[] = ['en', 'zh-CN'];

const ordinary = [
  { residentName: 'Zhang Xiuying', address: 'Building 3, Unit 2, Room 601' },
  { residentName: '张秀英', address: '3号楼2单元601室' },
  { residentName: 'Mary Ellen O\'Brien', address: '14 Elm Street, Apt 2' },
];
const longish = [
  { residentName: 'Maximiliana Konstantinopoulou-Papadimitriou', address: 'Block 17, Lane 3, Sunshine Garden Residential Community, Unit 12, Room 1203, Pudong New District' },
  { residentName: '欧阳秀英', address: '上海市浦东新区张江镇阳光花园小区第十七栋三单元一二零三室靠近东门' },
  { residentName: 'Zhang Xiuying', address: 'x'.repeat(400) },
];

function everyText(locale: Locale, s: Subject): Record<string, string> {
  return {
    alert: alertText(locale, s),
    preAlarm: preAlarmText(locale, s),
    residentInfo: residentInfoText(locale, s),
    handled: handledText(locale, 'Wang Neighbor', s),
    residentWell: residentWellText(locale, s),
    closed: closedText(locale, 'li-caseworker', s),
    cleared: clearedText(locale, s),
    unanswered: unansweredText(locale, s),
    sendFailed: sendFailedText(locale, { name: 'Wang Neighbor', role: 'neighbor' }, s),
  };
}

describe('segment counting', () => {
  it('counts GSM-7 septets and UCS-2 units like the handsets do', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(countSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSegments('a'.repeat(307)).segments).toBe(3);
    // the extension table costs two septets
    expect(countSegments('[' + 'a'.repeat(159)).segments).toBe(2);
    expect(countSegments('烟'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(countSegments('烟'.repeat(71)).segments).toBe(2);
    expect(countSegments('a'.repeat(134) + '烟').segments).toBe(3);
  });
});

describe.each(LOCALES)('texts in %s', (locale) => {
  it.each(ALERT_KINDS)('%s: an ordinary name and address fit one segment', (kind) => {
    for (const who of ordinary) {
      const s: Subject = { kind, deviceId: 'zhang-smoke', ...who };
      for (const [name, text] of Object.entries(everyText(locale, s))) {
        expect({ name, text, segments: countSegments(text).segments }).toMatchObject({ segments: 1 });
      }
    }
  });

  it.each(ALERT_KINDS)('%s: long-ish names and addresses never pass three segments', (kind) => {
    for (const who of longish) {
      const s: Subject = { kind, deviceId: 'kitchen-smoke-detector-2', ...who };
      for (const [name, text] of Object.entries(everyText(locale, s))) {
        expect(countSegments(text).segments, `${name}: ${text}`).toBeLessThanOrEqual(MAX_SEGMENTS);
      }
    }
  });

  it.each(ALERT_KINDS)('%s: names the resident, what happened, where, and how to confirm', (kind) => {
    const s: Subject = { kind, residentName: 'Zhang Xiuying', address: 'Building 3, Unit 2, Room 601', deviceId: 'zhang-smoke' };
    const text = alertText(locale, s);
    expect(text).toContain('Zhang Xiuying');
    expect(text).toContain('Building 3, Unit 2, Room 601');
    // what happened: the full headline, or its short form when the full one would cost a segment
    expect([headline(locale, s), shortHeadline(locale, kind)].some((h) => text.includes(h)), text).toBe(true);
    expect(text).toMatch(locale === 'en' ? /Reply 1/ : /回复1/);
    expect(unansweredText(locale, s)).toMatch(locale === 'en' ? /Reply 1/ : /回复1/);
    expect(preAlarmText(locale, s)).toMatch(locale === 'en' ? /Reply 1 if all is well/ : /安好请回复1/);
  });
});

describe.each(LOCALES)('texts for a reason, in %s', (locale) => {
  it.each(REASONS)('the alert raised for %s says what it is, fits one segment, and asks for a 1', (reason) => {
    const kind = REASON_KIND[reason];
    for (const who of ordinary) {
      const s: Subject = { kind, deviceId: kind === 'device_offline' ? 'zhang-pir' : null, reason, ...who };
      const plain = alertText(locale, { ...s, reason: undefined });
      const text = alertText(locale, s);
      expect(text).not.toBe(plain);
      expect([headline(locale, s), shortHeadline(locale, s.kind, reason)].some((h) => text.includes(h)), text).toBe(true);
      expect(text).toContain(who.residentName);
      expect(text).toMatch(locale === 'en' ? /Reply 1/ : /回复1/);
      for (const [name, t] of Object.entries(everyText(locale, s))) expect({ name, t, segments: countSegments(t).segments }).toMatchObject({ segments: 1 });
    }
    for (const who of longish) {
      for (const t of Object.values(everyText(locale, { kind, reason, ...who }))) expect(countSegments(t).segments).toBeLessThanOrEqual(MAX_SEGMENTS);
    }
  });
});

describe('an alert\'s reason', () => {
  it('is read from its detail only when it is one the texts know', () => {
    expect(alertReason({ reason: 'sensors_quiet', quietDevices: ['a', 'b'] })).toBe('sensors_quiet');
    expect(alertReason({ reason: 'stir_while_away', stirDevice: 'zhang-pir' })).toBe('stir_while_away');
    expect(alertReason({ reason: 'company_left' })).toBe('company_left');
    for (const detail of [{}, { reason: 'receiver outage' }, { reason: 42 }, null, undefined]) expect(alertReason(detail)).toBeUndefined();
  });
});

describe('what a text leaves out', () => {
  it('never carries an alert\'s notes or other detail', () => {
    // the templates take only kind, name, address and device id: there is no way to pass notes
    const s = { kind: 'inactivity', residentName: 'Zhang Xiuying', address: 'Room 601', deviceId: null, note: 'diabetic, fell last week' } as Subject;
    for (const locale of LOCALES) for (const text of Object.values(everyText(locale, s))) expect(text).not.toContain('diabetic');
  });

  it('a long address is cut rather than a fourth segment sent, keeping its start', () => {
    const s: Subject = { kind: 'smoke', residentName: 'Zhang Xiuying', address: 'Building 3, ' + 'y'.repeat(600) };
    const text = alertText('en', s);
    expect(countSegments(text).segments).toBe(3);
    expect(text).toContain('Building 3, yyy');
    expect(text).toContain('...');
    expect(text).toMatch(/Reply 1/);
  });
});
