// What a text or call says to whom: the reader's language, the alert as the templates see it,
// and the body of an escalation step's text or call. Pure: no store, no clock.
import type { AlertRow, ContactRow, ResidentRow } from '../store/index.ts';
import { PRE_ALARM_KINDS } from './escalation.ts';
import type { Channel } from './outbox.ts';
import { callTwiml } from './twiml.ts';
import { alertText, preAlarmText, residentInfoText, alertSpeech, alertReason, type Locale, type Subject } from './templates.ts';

/** the contact's own language, else the resident's */
export function localeOf(contact: ContactRow, resident: ResidentRow): Locale {
  return contact.locale ?? resident.locale;
}

/** the alert as the templates name it */
export function subjectOf(alert: AlertRow, resident: ResidentRow): Subject {
  return { kind: alert.kind, residentName: resident.name, address: resident.address, deviceId: alert.deviceId, reason: alertReason(alert.detail) };
}

/**
 * An escalation step's text or call to `contact`. The resident is told what is happening, and
 * asked to answer only for a pre-alarm (elsewhere their key press stops nothing); a call asks
 * for a key press only when there is a public URL for Twilio to send it to.
 */
export function alertBody(alert: AlertRow, resident: ResidentRow, contact: ContactRow, channel: Channel, publicUrl: string | undefined): string {
  const locale = localeOf(contact, resident);
  const s = subjectOf(alert, resident);
  const toResident = contact.role === 'resident';
  const preAlarm = toResident && PRE_ALARM_KINDS.has(alert.kind);
  if (channel === 'call') {
    const asks = !toResident || preAlarm;
    return callTwiml(locale, alertSpeech(locale, s, toResident, preAlarm), asks && publicUrl ? `${publicUrl}/twilio/voice?alert=${alert.id}` : undefined);
  }
  return preAlarm ? preAlarmText(locale, s) : toResident ? residentInfoText(locale, s) : alertText(locale, s);
}

/** the configured public URL without a trailing slash (undefined when unset) */
export function publicBase(url: string | undefined): string | undefined {
  return url?.replace(/\/$/, '') || undefined;
}
