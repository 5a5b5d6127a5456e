// Texts people can read: en and zh-CN, naming the resident, what happened,
// where, and how to confirm. No health details ever: an alert's notes stay in the casefile.
// Each text has a full and a compact wording; the fullest one that fits a single SMS segment
// wins, and an extreme name or address is cut so that no text costs more than three segments.
import type { AlertKind, ContactRole } from '../domain/types.ts';
import { countSegments } from './segments.ts';

export type Locale = 'en' | 'zh-CN';
export const MAX_SEGMENTS = 3;

/** What a text is about: the resident, where they live, what happened. */
export interface Subject {
  kind: AlertKind;
  residentName: string;
  address: string;
  deviceId?: string | null;
  /** a kind raised for a particular reason that people must be told apart (see REASONS) */
  reason?: AlertReason;
}

/**
 * Reasons that change what a text says (src/rules/inactivity.ts raises each). `sensors_quiet`: a
 * silence while most of the home's daily sensors had gone quiet, raised as device_offline to the
 * caseworker: both the resident and the sensors need a look. `stir_while_away`: the resident went
 * out, one sensor stirred once, nothing since: out again, or home and not moving; `company_left`:
 * visitors left by the entrance door and nothing has moved since: gone out with them, or alone and
 * not moving. Both are raised as absence to the caseworker, who may know where they are.
 */
export const REASONS = ['sensors_quiet', 'stir_while_away', 'company_left'] as const;
/** the alert kind each reason is raised as */
export const REASON_KIND: Record<AlertReason, AlertKind> = { sensors_quiet: 'device_offline', stir_while_away: 'absence', company_left: 'absence' };
export type AlertReason = (typeof REASONS)[number];
export function alertReason(detail: Record<string, unknown> | null | undefined): AlertReason | undefined {
  const r = detail?.reason;
  return (REASONS as readonly unknown[]).includes(r) ? (r as AlertReason) : undefined;
}

type Wording = (name: string, address: string) => string;

/** " <device id>" or nothing */
const sp = (d: string) => (d ? ` ${d}` : '');

const HEADLINE: Record<Locale, Record<AlertKind, (device: string) => string>> = {
  en: {
    smoke: () => 'SMOKE ALARM',
    co: () => 'CARBON MONOXIDE ALARM',
    gas: () => 'GAS LEAK ALARM',
    water_leak: () => 'Water leak',
    emergency: () => 'EMERGENCY BUTTON pressed',
    inactivity: () => 'No activity seen for a long time',
    night_door: () => 'Entrance door opened at night',
    device_offline: (d) => `Safety device${sp(d)} offline`,
    battery_low: (d) => `Low battery on safety device${sp(d)}`,
    tamper: (d) => `Safety device${sp(d)} tampered with`,
    absence: () => 'Away from home far longer than planned',
  },
  'zh-CN': {
    smoke: () => '烟雾报警',
    co: () => '一氧化碳报警',
    gas: () => '燃气泄漏报警',
    water_leak: () => '漏水报警',
    emergency: () => '紧急呼叫按钮被按下',
    inactivity: () => '长时间无活动',
    night_door: () => '夜间入户门被打开',
    device_offline: (d) => `安全设备${d}离线`,
    battery_low: (d) => `安全设备${d}电量低`,
    tamper: (d) => `安全设备${d}被拆动`,
    absence: () => '外出时间远超预期',
  },
};

// for the compact wordings: an English text naming a Chinese resident is UCS-2, 70 units
const SHORT: Record<Locale, Record<AlertKind, string>> = {
  en: {
    smoke: 'SMOKE ALARM', co: 'CO ALARM', gas: 'GAS ALARM', water_leak: 'Water leak', emergency: 'EMERGENCY', inactivity: 'No activity', night_door: 'Door opened at night',
    device_offline: 'Device offline', battery_low: 'Low battery', tamper: 'Device tampered', absence: 'Long absence',
  },
  'zh-CN': {
    smoke: '烟雾报警', co: '一氧化碳报警', gas: '燃气报警', water_leak: '漏水', emergency: '紧急呼叫', inactivity: '长时间无活动', night_door: '夜间开门',
    device_offline: '设备离线', battery_low: '设备电量低', tamper: '设备被拆动', absence: '长时间外出',
  },
};

const ACTION: Record<Locale, Record<AlertKind, string>> = {
  en: {
    smoke: 'Please go or call now.', emergency: 'Please go or call now.',
    co: 'Please go or call now. Do not stay inside.', gas: 'Please go or call now. No flames or switches.',
    water_leak: 'Please check the home.',
    inactivity: 'Please check on them.', night_door: 'Please check on them.',
    device_offline: 'Please check the device.', battery_low: 'Please change the battery.', tamper: 'Please check the device.',
    absence: 'Do you know where they are?',
  },
  'zh-CN': {
    smoke: '请立即前往或致电', emergency: '请立即前往或致电',
    co: '请立即前往或致电，勿在室内停留', gas: '请立即前往或致电，勿用明火和电器开关',
    water_leak: '请尽快查看',
    inactivity: '请尽快查看', night_door: '请尽快查看',
    device_offline: '请检查设备', battery_low: '请更换电池', tamper: '请检查设备',
    absence: '请确认其去向',
  },
};

const BY_REASON: Record<Locale, Record<AlertReason, { headline: string; short: string; action: string }>> = {
  en: {
    sensors_quiet: { headline: 'Most sensors quiet, no activity seen', short: 'Sensors quiet', action: 'Please check on them and the sensors.' },
    stir_while_away: { headline: 'Went out, one sensor stirred, no activity since', short: 'Quiet after going out', action: 'Do you know where they are? If not, please check the home.' },
    company_left: { headline: 'Visitors left, no activity since', short: 'Quiet after visitors', action: 'Did they go out with them? If not, please check the home.' },
  },
  'zh-CN': {
    sensors_quiet: { headline: '多数传感器无信号，未见活动', short: '传感器无信号', action: '请查看本人和设备' },
    stir_while_away: { headline: '外出后仅一处传感器有动静，此后无活动', short: '外出后无活动', action: '请确认其去向，不明请上门查看' },
    company_left: { headline: '访客离开后无活动', short: '访客离开后无活动', action: '请确认是否随访客外出，否则请上门查看' },
  },
};

const ROLE: Record<Locale, Record<ContactRole, string>> = {
  en: { neighbor: 'neighbour', family: 'family', caseworker: 'caseworker', resident: 'resident' },
  'zh-CN': { neighbor: '邻居', family: '家属', caseworker: '社工', resident: '本人' },
};

export function headline(locale: Locale, s: Subject): string {
  return s.reason ? BY_REASON[locale][s.reason].headline : HEADLINE[locale][s.kind](s.deviceId ?? '');
}

export function shortHeadline(locale: Locale, kind: AlertKind, reason?: AlertReason): string {
  return reason ? BY_REASON[locale][reason].short : SHORT[locale][kind];
}

function action(locale: Locale, s: Subject): string {
  return s.reason ? BY_REASON[locale][s.reason].action : ACTION[locale][s.kind];
}

/** one character-safe cut; "..." is GSM-7, an ellipsis character would force UCS-2 */
function cut(text: string, keep: number): string {
  const chars = Array.from(text);
  return chars.length <= keep ? text : chars.slice(0, Math.max(1, keep)).join('').trimEnd() + '...';
}

/**
 * The fullest wording with the fewest segments; past MAX_SEGMENTS the address, then the
 * name, is cut (only absurd lengths get there: the compact wordings are short).
 */
export function fit(wordings: Wording[], name: string, address: string): string {
  let best = wordings[0](name, address);
  let bestSegments = countSegments(best).segments;
  for (const w of wordings.slice(1)) {
    if (bestSegments === 1) break;
    const text = w(name, address);
    const n = countSegments(text).segments;
    if (n < bestSegments) { best = text; bestSegments = n; }
  }
  const shortest = wordings[wordings.length - 1];
  let [n, a] = [name, address];
  while (bestSegments > MAX_SEGMENTS) {
    const [nl, al] = [Array.from(n).length, Array.from(a).length];
    if (al > 20) a = cut(a, Math.floor(al * 0.8));
    else if (nl > 20) n = cut(n, Math.floor(nl * 0.8));
    else break;
    best = shortest(n, a);
    bestSegments = countSegments(best).segments;
  }
  return best;
}

const enWhere = (a: string) => (a ? `, ${a}` : '');
const zhWhere = (a: string) => (a ? `（${a}）` : '');

/** To a neighbour, relative or caseworker: the alert and "Reply 1". */
export function alertText(locale: Locale, s: Subject): string {
  const h = headline(locale, s);
  const short = shortHeadline(locale, s.kind, s.reason);
  const act = action(locale, s);
  return locale === 'zh-CN'
    ? fit([
      (n, a) => `【平安】${n}家${zhWhere(a)}${h}，${act}。由您处理请回复1。`,
      (n, a) => `${n}家${zhWhere(a)}${h}，由您处理请回复1`,
      (n, a) => `${short}：${n}${a ? `，${a}` : ''}。处理请回复1`,
    ], s.residentName, s.address)
    : fit([
      (n, a) => `${h} at ${n}'s home${enWhere(a)}. ${act} Reply 1 if you are handling it.`,
      (n, a) => `${h}: ${n}${enWhere(a)}. Reply 1 if you handle it.`,
      (n, a) => `${short}: ${n}${enWhere(a)}. Reply 1 to handle.`,
    ], s.residentName, s.address);
}

/** To the resident's own phone for inactivity and night-door: the telecare pre-alarm. */
export function preAlarmText(locale: Locale, s: Subject): string {
  return locale === 'zh-CN'
    ? fit([(n) => `${n}您好，这里是平安服务。请问您一切安好吗？安好请回复1。`, (n) => `${n}，您安好吗？安好请回复1。`], s.residentName, '')
    : fit([(n) => `Hello ${n}, this is your home safety service. Are you all right? Reply 1 if all is well.`,
      (n) => `${n}, are you all right? Reply 1 if all is well.`], s.residentName, '');
}

/** To the resident for other kinds: information only, a reply does not stop the escalation. */
export function residentInfoText(locale: Locale, s: Subject): string {
  const h = headline(locale, s);
  return locale === 'zh-CN' ? `您家${h}，已通知您的联系人。` : `${h} at your home. Your contacts are being told.`;
}

/** To the others already told, once someone acknowledged. */
export function handledText(locale: Locale, by: string, s: Subject): string {
  return locale === 'zh-CN'
    ? fit([(n) => `${cut(by, 30)}正在处理${n}的报警，谢谢。`], s.residentName, '')
    : fit([(n) => `${cut(by, 40)} is handling the alert for ${n}. Thank you.`], s.residentName, '');
}

/** To the others already told, when the resident answered the pre-alarm. */
export function residentWellText(locale: Locale, s: Subject): string {
  return locale === 'zh-CN' ? fit([(n) => `${n}已回复一切安好，无需处理。`], s.residentName, '')
    : fit([(n) => `${n} replied that all is well. No action needed.`], s.residentName, '');
}

/** To the others already told, when an alert was closed before anyone acknowledged it. */
export function closedText(locale: Locale, by: string, s: Subject): string {
  return locale === 'zh-CN' ? fit([(n) => `${n}的报警已由${cut(by, 30)}关闭，无需处理。`], s.residentName, '')
    : fit([(n) => `The alert for ${n} was closed by ${cut(by, 40)}. No action needed.`], s.residentName, '');
}

/**
 * To the others already told, when the condition itself cleared (the gateway resolved it).
 * Only the fact: whether anyone still needs to look is theirs to judge.
 */
export function clearedText(locale: Locale, s: Subject): string {
  return locale === 'zh-CN' ? fit([(n) => `更新：${n}的报警已解除。`], s.residentName, '')
    : fit([(n) => `Update: the alert for ${n} has cleared.`], s.residentName, '');
}

/** To the caseworkers when the last step passed with nobody acknowledging. */
export function unansweredText(locale: Locale, s: Subject): string {
  const h = headline(locale, s);
  const short = shortHeadline(locale, s.kind, s.reason);
  return locale === 'zh-CN'
    ? fit([
      (n, a) => `【无人响应】${n}家${zhWhere(a)}${h}，无人确认。请立即处理，由您处理请回复1。`,
      (n, a) => `无人响应：${n}${a ? `，${a}` : ''}，${short}。处理请回复1`,
    ], s.residentName, s.address)
    : fit([
      (n, a) => `NO ANSWER: nobody confirmed "${h}" at ${n}'s home${enWhere(a)}. Please act now. Reply 1 if you are handling it.`,
      (n, a) => `NO ANSWER: ${h}, ${n}${enWhere(a)}. Reply 1 to handle.`,
      (n, a) => `NO ANSWER: ${short}, ${n}${enWhere(a)}. Reply 1 to handle.`,
    ], s.residentName, s.address);
}

/** To the caseworkers when Twilio refused a contact's number for good (e.g. 21211). */
export function sendFailedText(locale: Locale, contact: { name: string; role: ContactRole }, s: Subject): string {
  const role = ROLE[locale][contact.role];
  return locale === 'zh-CN'
    ? fit([(n) => `无法通知${cut(contact.name, 20)}（${role}）${n}的报警：号码被拒绝，请核对联系人信息。`], s.residentName, '')
    : fit([
      (n) => `Could not reach ${cut(contact.name, 30)} (${role}) about the alert for ${n}: the number was rejected. Please check it.`,
      (n) => `Could not text ${cut(contact.name, 30)} (${role}) about ${n}: number rejected.`,
    ], s.residentName, '');
}

// Spoken texts for calls (`via: call`): no segment limit, but short enough to take in at once.
export function alertSpeech(locale: Locale, s: Subject, toResident: boolean, preAlarm: boolean): string {
  const h = headline(locale, s);
  if (locale === 'zh-CN') {
    if (preAlarm) return `${s.residentName}您好，这里是平安服务。如果您一切安好，请按1。`;
    if (toResident) return `这里是平安服务。您家${h}，已通知您的联系人。`;
    return `这里是平安服务。${s.residentName}家${s.address ? `，${s.address}` : ''}，${h}。如由您处理，请按1。`;
  }
  if (preAlarm) return `Hello ${s.residentName}. This is your home safety service checking on you. If all is well, press 1.`;
  if (toResident) return `This is your home safety service. ${h} at your home. Your contacts are being told.`;
  return `This is the home safety service. ${h} at the home of ${s.residentName}${enWhere(s.address)}. Press 1 if you will handle it.`;
}

/** Answers to an inbound SMS or a key press. */
export const replies = {
  acknowledged: (l: Locale, name: string) => l === 'zh-CN'
    ? `谢谢，已确认由您处理${name}的报警，已通知其他人。` : `Thank you. You are handling the alert for ${name}; the others have been told.`,
  alreadyHandled: (l: Locale, by: string, name: string) => l === 'zh-CN'
    ? `${by}已在处理${name}的报警，谢谢。` : `${by} is already handling the alert for ${name}. Thank you.`,
  residentWell: (l: Locale, name: string) => l === 'zh-CN' ? `谢谢${name}，祝您安好。` : `Thank you, ${name}. Glad all is well.`,
  residentHelpComing: (l: Locale) => l === 'zh-CN'
    ? '谢谢，已通知您的联系人，他们会来查看。' : 'Thank you. Your contacts are being told and will check on you.',
  notUnderstood: (l: Locale, name: string) => l === 'zh-CN'
    ? `抱歉，无法识别您的回复。如由您处理${name}的报警，请回复1。` : `Sorry, we did not understand. Reply 1 if you are handling the alert for ${name}.`,
  noOpenAlert: (l: Locale) => l === 'zh-CN' ? '谢谢，目前没有需要您处理的报警。' : 'Thank you. No alert needs you right now.',
  // the sender is unknown, so the language is too: both
  unknownNumber: () => 'This number only sends home-safety alerts and does not know yours. Please call the service office. 本号码仅发送平安提醒，请联系服务站。',
  voiceThanks: (l: Locale) => l === 'zh-CN' ? '谢谢，我们会通知其他人由您处理。再见。' : 'Thank you. The others will be told you are handling it. Goodbye.',
  voiceResidentWell: (l: Locale) => l === 'zh-CN' ? '谢谢，祝您安好。再见。' : 'Thank you. Glad all is well. Goodbye.',
  voiceNoInput: (l: Locale) => l === 'zh-CN' ? '没有收到按键，再见。' : 'We did not hear a key press. Goodbye.',
};
