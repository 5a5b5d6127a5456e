// What comes back from Twilio: replies to texts, key presses on calls
// and delivery reports. The webhook plugin has already checked the signature.
import type { Logger } from 'pino';
import type { AlertRow, ContactRow } from '../store/index.ts';
import { contactOf } from './follow-ups.ts';
import type { NotifierDeps } from './notifier.ts';
import { stepFields, type OutboxRow, type OutboxStatus } from './outbox.ts';
import { PRE_ALARM_KINDS } from './escalation.ts';
import { replies, type Locale } from './templates.ts';
import { emptyTwiml, messageTwiml, sayTwiml } from './twiml.ts';

export interface InboundHooks {
  acknowledged(alert: AlertRow, by: string): void;
  resolvedByResident(alert: AlertRow, by: string): void;
  /** a step's text or call was not delivered */
  deliveryFailed(row: OutboxRow): void;
}

// CONTRACT.md: "A reply of 1, OK, YES, 收到 or 好 ... acknowledges". NFKC folds full-width
// "１" and "ＯＫ" from Chinese keyboards; punctuation around the word is ignored.
const CONFIRMATIONS = new Set(['1', 'ok', 'yes', '收到', '好']);
const EDGE_PUNCTUATION = /^[\s"'“”‘’.,!?。，！？、~]+|[\s"'“”‘’.,!?。，！？、~]+$/gu;

export function isConfirmation(text: string): boolean {
  return CONFIRMATIONS.has(text.normalize('NFKC').toLowerCase().replace(EDGE_PUNCTUATION, ''));
}

type Outcome = 'acknowledged' | 'resident_well' | 'resident_noted' | 'already_handled';

export class Inbound {
  constructor(private readonly deps: NotifierDeps, private readonly log: Logger, private readonly hooks: InboundHooks) {}

  /** true the first time this provider message id is seen, by any process of the site, ever */
  private firstTime(sid: string): Promise<boolean> {
    return this.deps.store.inbound.firstTime(sid, this.deps.clock.now());
  }

  /**
   * POST /twilio/sms: the answer, as TwiML. Each MessageSid acts once: it is remembered in the
   * store before anything is done, so a captured request posted again (its signature is still
   * valid) acknowledges nothing. A crash between the two loses the reply, never repeats it: the
   * alert then goes on escalating, which is the safe side.
   */
  async sms(from: string, text: string, messageSid: string): Promise<string> {
    const { metrics } = this.deps;
    const { residents, alerts, outbox } = this.deps.store;
    if (!(await this.firstTime(messageSid))) {
      metrics.inc('gateway_notify_replies_total', { action: 'replayed' });
      this.log.warn({ messageSid: messageSid.slice(0, 64) }, 'reply with a MessageSid already handled: ignored');
      return emptyTwiml();
    }
    const contacts = await residents.contactsByPhone(from);
    if (contacts.length === 0) {
      metrics.inc('gateway_notify_replies_total', { action: 'unknown_number' });
      this.log.info('reply from a number that is no contact');
      return messageTwiml(replies.unknownNumber());
    }
    // a planned absence from the resident or the family ("AWAY 12-20", "外出 3天", "BACK")
    const absence = await this.deps.absenceSms?.(contacts, text);
    if (absence) {
      metrics.inc('gateway_notify_replies_total', { action: 'absence' });
      return messageTwiml(absence);
    }
    // the newest alert this number was asked about that still needs someone; failing that the
    // newest taken one (to say who has it, and for a resident's late "all is well")
    const now = this.deps.clock.now();
    const openId = (await outbox.newestAlertFor(from, ['open'], now)) ?? (await outbox.newestAlertFor(from, ['acknowledged'], now));
    const alert = openId === null ? undefined : await alerts.get(openId);
    const contact = (alert && contacts.find((c) => c.residentId === alert.residentId)) ?? contacts[0];
    const { locale, name } = await this.speaker(contact);
    if (!alert) {
      metrics.inc('gateway_notify_replies_total', { action: 'no_open_alert' });
      return messageTwiml(replies.noOpenAlert(locale));
    }
    if (!isConfirmation(text)) {
      await this.note(alert, contact, 'sms', 'not_understood');
      return messageTwiml(replies.notUnderstood(locale, name));
    }
    const outcome = await this.confirm(alert, contact, 'sms');
    if (outcome === 'already_handled') return messageTwiml(replies.alreadyHandled(locale, (await alerts.get(alert.id))?.acknowledgedBy ?? '?', name));
    const answer = {
      acknowledged: () => replies.acknowledged(locale, name),
      resident_well: () => replies.residentWell(locale, name),
      resident_noted: () => replies.residentHelpComing(locale),
    }[outcome];
    return messageTwiml(answer());
  }

  /** POST /twilio/voice: the Gather's key press on one of our calls */
  async voice(a: Record<string, string>, alertParam: number | null): Promise<string> {
    const { outbox, residents, alerts } = this.deps.store;
    let row = a.CallSid ? await outbox.byProviderId(a.CallSid) : undefined;
    if (!row && alertParam !== null && a.To) row = await outbox.callOf(alertParam, a.To);
    const contact = row && contactOf(await residents.contactsOf(row.residentId), row);
    const alert = row?.alertId != null ? await alerts.get(row.alertId) : undefined;
    if (!row || !contact || !alert) return sayTwiml('en', 'Goodbye.');
    const { locale } = await this.speaker(contact);
    // any other key: ask again with the same message
    if ((a.Digits ?? '').trim() !== '1') return row.body;
    const outcome = await this.confirm(alert, contact, 'call');
    if (outcome === 'resident_well') return sayTwiml(locale, replies.voiceResidentWell(locale));
    return sayTwiml(locale, replies.voiceThanks(locale));
  }

  /** POST /twilio/status: a delivery report for a text or a call */
  async status(params: Record<string, string>, outboxParam: number | null): Promise<void> {
    const { outbox, residents, timeline } = this.deps.store;
    const sid = params.MessageSid ?? params.SmsSid ?? params.CallSid ?? null;
    const reported = params.MessageStatus ?? params.SmsStatus ?? params.CallStatus;
    let row = outboxParam !== null ? await outbox.get(outboxParam) : undefined;
    if (!row && sid) row = await outbox.byProviderId(sid);
    if (!row || !reported) return;
    const status = deliveryStatus(row.channel, reported);
    if (!status) return;
    const errorCode = params.ErrorCode || null;
    if (!(await outbox.markDelivery(row.id, status, errorCode ? `twilio ${errorCode}` : null, sid))) return;
    const contact = contactOf(await residents.contactsOf(row.residentId), row);
    await timeline.add(row.residentId, this.deps.clock.now(), 'delivery', {
      alertId: row.alertId, outboxId: row.id, contact: contact?.name ?? null, role: contact?.role ?? null,
      channel: row.channel, ...stepFields(row.step), status, ...(errorCode ? { errorCode } : {}),
    });
    this.deps.metrics.inc('gateway_notify_delivery_total', { channel: row.channel, status });
    if (status === 'undelivered' || status === 'failed') this.hooks.deliveryFailed({ ...row, status });
  }

  /**
   * A contact said "yes" about `alert`. A resident's answer to a pre-alarm resolves it
   * ("resident confirmed well"); elsewhere the resident's answer stops nothing, since smoke
   * and emergency never wait for them. Anyone else acknowledges.
   */
  private async confirm(alert: AlertRow, contact: ContactRow, channel: 'sms' | 'call'): Promise<Outcome> {
    const { clock } = this.deps;
    const { alerts } = this.deps.store;
    const now = clock.now();
    if (contact.role === 'resident') {
      if (!PRE_ALARM_KINDS.has(alert.kind)) {
        await this.note(alert, contact, channel, 'noted');
        return 'resident_noted';
      }
      if (alert.status !== 'resolved' && (await this.deps.resolve(alert.id, contact.name, 'resident confirmed well', now))) {
        this.hooks.resolvedByResident((await alerts.get(alert.id)) ?? alert, contact.name);
      }
      await this.note(alert, contact, channel, 'resolved');
      return 'resident_well';
    }
    if (alert.status === 'open' && (await this.deps.acknowledge(alert.id, contact.name, now))) {
      this.hooks.acknowledged((await alerts.get(alert.id)) ?? alert, contact.name);
      await this.note(alert, contact, channel, 'acknowledged');
      return 'acknowledged';
    }
    await this.note(alert, contact, channel, 'already_handled');
    return 'already_handled';
  }

  /** the contact's language and the resident's name, for the answer */
  private async speaker(contact: ContactRow): Promise<{ locale: Locale; name: string }> {
    const resident = await this.deps.store.residents.getResident(contact.residentId);
    return { locale: contact.locale ?? resident?.locale ?? 'en', name: resident?.name ?? '' };
  }

  /** the casefile entry for an answer: who (never the number or the words) and what it did */
  private async note(alert: AlertRow, contact: ContactRow, channel: 'sms' | 'call', action: string): Promise<void> {
    await this.deps.store.timeline.add(alert.residentId, this.deps.clock.now(), 'reply', {
      alertId: alert.id, contact: contact.name, role: contact.role, channel, action,
    });
    this.deps.metrics.inc('gateway_notify_replies_total', { action });
    this.log.info({ alertId: alert.id, contactId: contact.id, channel, action }, 'reply');
  }
}

/** Twilio's message and call statuses, as the outbox keeps them; null for in-between states */
function deliveryStatus(channel: string, reported: string): OutboxStatus | null {
  const s = reported.toLowerCase();
  if (channel === 'call') {
    if (s === 'completed') return 'delivered';
    if (s === 'busy' || s === 'no-answer' || s === 'canceled') return 'undelivered';
    return s === 'failed' ? 'failed' : null;
  }
  if (s === 'delivered' || s === 'read') return 'delivered';
  if (s === 'undelivered' || s === 'failed') return s;
  return null;
}
