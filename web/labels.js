// The domain's vocabulary in words people read: alert kinds and their severity, devices by
// their name and room (never their id), readings, button presses, the reasons the gateway
// notes on alerts, and who did something.
import { t, tCode, has } from './i18n.js';

/** life-safety first, then the person's wellbeing, then the equipment ("severity first") */
export const SEVERITY = {
  smoke: 0, co: 0, gas: 0, emergency: 0,
  water_leak: 1,
  inactivity: 2, night_door: 2, absence: 2,
  device_offline: 3, battery_low: 3, tamper: 3,
};
/** alarms that get a banner, a sound, and a confirmation with a note before they are resolved */
export const LIFE_SAFETY = new Set(['smoke', 'co', 'gas', 'emergency']);

export const severityOf = (kind) => SEVERITY[kind] ?? 3;

/** unresolved alerts, most urgent first: severity, then unanswered, open before acknowledged, newest */
export function byUrgency(a, b) {
  return severityOf(a.kind) - severityOf(b.kind)
    || Number(Boolean(b.unanswered)) - Number(Boolean(a.unanswered))
    || Number(b.status === 'open') - Number(a.status === 'open')
    || Date.parse(b.openedAt) - Date.parse(a.openedAt);
}

/** an alert's kind in words; a reason the gateway names (a quiet-sensors silence) has its own */
export function kindLabel(kind, detail) {
  const reason = detail && typeof detail.reason === 'string' ? detail.reason : '';
  if (reason && has(`kindFor.${reason}`)) return t(`kindFor.${reason}`);
  return tCode('kind', kind, {}, 'kind.other');
}

/** "卧室烟感 · 卧室" from the device's name and room; its kind when it has no name */
export function deviceLabel(device, deviceId) {
  if (!device) return deviceId ? t('device.unknown') : '';
  const name = device.name || tCode('deviceKind', device.kind, {}, 'deviceKind.other');
  const room = device.room ? tCode('room', device.room, {}, 'room.other') : '';
  return room && !name.includes(room) ? `${name} · ${room}` : name;
}

/** a button press the way the person pressed it ("单击", "长按"); one we do not know is just a press */
export function actionLabel(action) {
  return has(`action.${action}`) ? t(`action.${action}`) : t('action.other');
}

/** what a device report said, in words */
export function describeReadings(r = {}) {
  const out = [];
  if (r.test) return [t('ev.test')];
  if (r.contact === false) out.push(t('ev.open'));
  if (r.contact === true) out.push(t('ev.closed'));
  if (r.occupancy === true) out.push(t('ev.motion'));
  if (r.occupancy === false) out.push(t('ev.still'));
  if (r.smoke === true) out.push(t('ev.smoke'));
  if (r.smoke === false) out.push(t('ev.smokeClear'));
  if (r.carbon_monoxide === true) out.push(t('ev.co'));
  if (r.carbon_monoxide === false) out.push(t('ev.coClear'));
  if (r.gas === true) out.push(t('ev.gas'));
  if (r.gas === false) out.push(t('ev.gasClear'));
  if (r.water_leak === true) out.push(t('ev.water'));
  if (r.water_leak === false) out.push(t('ev.waterClear'));
  if (r.sos === true) out.push(t('ev.sos'));
  if (r.action) out.push(t('ev.button', { action: actionLabel(r.action) }));
  if (r.tamper === true) out.push(t('ev.tamper'));
  if (r.tamper === false) out.push(t('ev.tamperClear'));
  if (r.battery_low === true) out.push(t('ev.batteryLow'));
  if (typeof r.battery === 'number') out.push(t('ev.battery', { n: r.battery }));
  if (!out.length) out.push(t('ev.report'));
  return out;
}

/**
 * The gateway notes conditions in a fixed vocabulary ("activity resumed", "back online",
 * "device removed"...). Each is a code the page translates; words a person typed (a resolve
 * note) are shown as they are.
 */
export function noteCode(text) {
  return String(text ?? '').trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}
export function noteLabel(text, params = {}) {
  if (!text) return '';
  const receiverBack = /^back after (\d+) s$/.exec(text);
  if (receiverBack) return t('note.receiver_back', { n: receiverBack[1] });
  const code = noteCode(text);
  return has(`note.${code}`) ? t(`note.${code}`, params) : text;
}

/** who did it: the gateway itself, or a person's display name */
export function whoLabel(by) {
  if (!by) return '';
  return by === 'system' ? t('who.system') : by;
}

/** a resident's devices by id, for naming a device in an alert or an event */
export function devicesById(resident) {
  return new Map((resident?.devices ?? []).map((d) => [d.id, d]));
}
