// What the people already reached are told after an alert's escalation: who took it on, that it
// cleared or who closed it, that the resident is well, that a text to someone could not be sent.
// Each is queued in a unit of work of its own and goes once per phone (the outbox's once index).
import type { AlertRow, ContactRow, Store, Tx } from '../store/index.ts';
import { PRE_ALARM_KINDS } from './escalation.ts';
import { localeOf, subjectOf } from './messages.ts';
import { STEP_FOLLOW_UP, STEP_UNANSWERED, type Channel, type OutboxRow } from './outbox.ts';
import { handledText, residentWellText, closedText, clearedText, sendFailedText, type Locale, type Subject } from './templates.ts';

/** who the alert service names when it resolves an alert on its own */
export const SYSTEM = 'system';

/** what a follow-up says, in the recipient's language */
export type FollowUp = (locale: Locale, subject: Subject) => string;

/** the row's contact: contact ids change when the config re-seeds contacts; the phone within a resident does not */
export function contactOf(contacts: ContactRow[], row: Pick<OutboxRow, 'phone'>): ContactRow | undefined {
  return contacts.find((c) => c.phone === row.phone);
}

/** queues one outbox row for `contact` about `alert` inside `tx` */
export function enqueueFor(tx: Tx, alert: AlertRow, contact: ContactRow, step: number | null, channel: Channel, body: string, at: number): Promise<number | null> {
  return tx.outbox.enqueue({
    alertId: alert.id, residentId: alert.residentId, contactId: contact.id, phone: contact.phone, channel, step, body, at,
  });
}

export interface FollowUpDeps {
  store: Store;
  now(): number;
  /** the delivery worker should look at the outbox now */
  flush(): void;
}

export class FollowUps {
  constructor(private readonly deps: FollowUpDeps) {}

  /** Someone acknowledged: the others reached are told who has it. */
  acknowledged(alert: AlertRow, by: string): Promise<void> {
    return this.tell(alert, (locale, s) => handledText(locale, by, s), by);
  }

  /**
   * Resolved: the others are told once (STEP_FOLLOW_UP) that the resident is well (their own
   * answer to a pre-alarm); or, if nobody had taken the alert on, that it cleared (the alert
   * service resolved it) or who closed it. After an acknowledgement they already know who has it.
   */
  async resolved(alert: AlertRow, by: string, residentConfirmed: boolean): Promise<void> {
    if (residentConfirmed) await this.tell(alert, residentWellText, by);
    else if (alert.acknowledgedAt === null) await this.tell(alert, by === SYSTEM ? clearedText : (locale, s) => closedText(locale, by, s), by);
  }

  /** is `by` the resident, answering their own pre-alarm? */
  async residentConfirmed(alert: AlertRow, by: string): Promise<boolean> {
    if (!PRE_ALARM_KINDS.has(alert.kind)) return false;
    return (await this.deps.store.residents.contactsOf(alert.residentId)).some((c) => c.role === 'resident' && c.name === by);
  }

  /**
   * A text that was already on its way when someone acknowledged or closed the alert: its reader
   * missed the follow-up the others got, so they get it now (still once: the index).
   */
  async toldTooLate(row: OutboxRow): Promise<void> {
    if (row.alertId === null || row.step === null || row.step < 0) return;
    const alert = await this.deps.store.alerts.get(row.alertId);
    if (alert?.status === 'acknowledged' && alert.acknowledgedBy) await this.acknowledged(alert, alert.acknowledgedBy);
    else if (alert?.status === 'resolved' && alert.resolvedBy) await this.resolved(alert, alert.resolvedBy, await this.residentConfirmed(alert, alert.resolvedBy));
  }

  /** An alert text to `row`'s phone was refused or given up: the other caseworkers are told whom it did not reach. */
  async sendFailed(row: OutboxRow): Promise<void> {
    if (row.alertId === null || row.step === null || row.step < 0) return;
    const alertId = row.alertId;
    await this.deps.store.tx(async (tx) => {
      const alert = await tx.alerts.get(alertId);
      const resident = await tx.residents.getResident(row.residentId);
      const contacts = await tx.residents.contactsOf(row.residentId);
      const failed = contactOf(contacts, row);
      if (!alert || !resident || !failed) return;
      for (const c of contacts.filter((c) => c.role === 'caseworker' && c.phone !== row.phone)) {
        await enqueueFor(tx, alert, c, null, 'sms', sendFailedText(localeOf(c, resident), failed, subjectOf(alert, resident)), this.deps.now());
      }
    });
    this.deps.flush();
  }

  /** Tells everyone already reached about this alert (not the resident, not `except`), once each. */
  private async tell(alert: AlertRow, say: FollowUp, except: string): Promise<void> {
    await this.deps.store.tx(async (tx) => {
      const resident = await tx.residents.getResident(alert.residentId);
      if (!resident) return;
      const contacts = await tx.residents.contactsOf(resident.id);
      const reached = new Set((await tx.outbox.ofAlert(alert.id))
        .filter((r) => r.step !== null && (r.step >= 0 || r.step === STEP_UNANSWERED) && (r.status === 'sent' || r.status === 'delivered'))
        .map((r) => r.phone));
      const told = new Set<string>();
      for (const c of contacts) {
        if (!reached.has(c.phone) || told.has(c.phone) || c.role === 'resident' || c.name === except) continue;
        told.add(c.phone);
        await enqueueFor(tx, alert, c, STEP_FOLLOW_UP, 'sms', say(localeOf(c, resident), subjectOf(alert, resident)), this.deps.now());
      }
    });
    this.deps.flush();
  }
}
