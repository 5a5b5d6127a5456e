// The alert service: turns the rules core's decisions into alert rows and casefile entries,
// and carries people's acknowledgements and resolutions back. One ongoing condition is one
// alert (a partial unique index on the store enforces it); repeats become updates.
import type { Logger } from 'pino';
import type { AlertKind } from '../domain/types.ts';
import type { Metrics } from '../metrics.ts';
import type { AlertRow, Store, Tx } from '../store/index.ts';
import type { Decision } from '../rules/index.ts';
import type { EventBus } from '../bus.ts';

export interface AlertServiceDeps {
  /** people's acknowledgements and resolutions: a unit of work each, on either engine */
  store: Store;
  /**
   * The notifier's: when a new alert's first escalation step is due (null: none for its kind).
   * Written with the alert in the same unit of work, so a crash before any text is sent still
   * leaves it due for whoever starts next; from then on only the notifier moves the cursor.
   */
  firstStepDue(kind: AlertKind, openedAt: number): number | null;
  log: Logger;
  metrics: Metrics;
  /** where alerts opened, updated, acknowledged and resolved are told, and people's actions for the rules (after commit) */
  bus: EventBus;
}

/** at most this many notes kept on an alert's detail (the timeline keeps them all) */
const MAX_NOTES = 20;

export class AlertService {
  constructor(private readonly deps: AlertServiceDeps) {
    deps.metrics.describe('gateway_alerts_opened_total', 'Alerts opened, by kind');
  }

  /**
   * Applies one resident's decisions inside the caller's unit of work (so the rules state and
   * the alerts commit together) and returns what to announce once it has committed. Counts and
   * announcements wait for the commit: a unit of work may run again.
   */
  async apply(tx: Tx, residentId: string, decisions: Decision[], at: number): Promise<() => void> {
    const { alerts, timeline } = tx;
    const announce: Array<() => void> = [];
    for (const d of decisions) {
      if (d.type === 'record') {
        await timeline.add(residentId, at, 'note', { note: d.note, deviceId: d.deviceId });
        continue;
      }
      const ongoing = await alerts.ongoing(residentId, d.key);
      if (d.type === 'open' && !ongoing) {
        const id = await alerts.insert({
          residentId, kind: d.kind, conditionKey: d.key, deviceId: d.deviceId ?? null, openedAt: at, detail: d.detail,
          escalationDue: this.deps.firstStepDue(d.kind, at),
        });
        await timeline.add(residentId, at, 'alert', { alertId: id, kind: d.kind, status: 'open', deviceId: d.deviceId, detail: d.detail });
        const row = (await alerts.get(id))!;
        announce.push(() => {
          this.deps.metrics.inc('gateway_alerts_opened_total', { kind: d.kind });
          this.deps.bus.emit('alertOpened', row);
        });
      } else if (d.type === 'open' || d.type === 'update') {
        // an 'open' for a condition that already has an alert (a replay after a restart) is an update
        if (!ongoing) continue;
        const note = d.type === 'update' ? d.note : 'repeated';
        const notes = [...((ongoing.detail.notes as Array<unknown>) ?? []), { at: new Date(at).toISOString(), note }].slice(-MAX_NOTES);
        await alerts.setDetail(ongoing.id, { ...ongoing.detail, ...(d.detail ?? {}), notes });
        await timeline.add(residentId, at, 'alert_update', { alertId: ongoing.id, kind: ongoing.kind, note });
        announce.push(() => this.deps.bus.emit('alertUpdated', ongoing));
      } else if (d.type === 'resolve') {
        if (!ongoing) continue;
        if (await alerts.resolve(ongoing.id, 'system', at)) {
          await timeline.add(residentId, at, 'alert_resolved', { alertId: ongoing.id, kind: ongoing.kind, by: 'system', reason: d.reason });
          const row = (await alerts.get(ongoing.id))!;
          announce.push(() => this.deps.bus.emit('alertResolved', row, 'system'));
        }
      }
    }
    return () => { for (const a of announce) a(); };
  }

  /** A person acknowledges: "I'm on it". true when this call acknowledged an open alert. */
  acknowledge(alertId: number, by: string, at: number, via = 'api'): Promise<boolean> {
    return this.personActs(alertId, 'acknowledged', at, by, (tx) => tx.alerts.acknowledge(alertId, by, at),
      (row) => ({ type: 'acknowledgement', data: { by, via, secondsToAcknowledge: Math.round((at - row.openedAt) / 1000) } }));
  }

  /** A person resolves: the condition is dealt with; `note` is what they wrote about it. */
  resolve(alertId: number, by: string, reason: string, at: number, note?: string): Promise<boolean> {
    return this.personActs(alertId, 'resolved', at, by, (tx) => tx.alerts.resolve(alertId, by, at),
      () => ({ type: 'alert_resolved', data: { by, reason, ...(note ? { note } : {}) } }));
  }

  /**
   * A device taken out of the config or deleted through the API leaves no alert open behind it:
   * every unresolved alert of a device `exists` no longer knows is resolved by the system, with
   * its casefile entry ("device removed"), the rules and listeners told. Alerts of no device (an
   * inactivity, a receiver outage) are not its business. Returns how many it closed.
   */
  async closeOfRemovedDevices(exists: (deviceId: string) => boolean, at: number): Promise<number> {
    let closed = 0;
    for (const alert of await this.deps.store.alerts.unresolved()) {
      if (alert.deviceId && !exists(alert.deviceId) && await this.resolve(alert.id, 'system', 'device removed', at)) closed++;
    }
    return closed;
  }

  /** the change, its casefile entry in the same unit of work, then (after commit) the rules and listeners told */
  private async personActs(
    alertId: number, action: 'acknowledged' | 'resolved', at: number, by: string,
    change: (tx: Tx) => Promise<boolean>, entry: (row: AlertRow) => { type: string; data: Record<string, unknown> },
  ): Promise<boolean> {
    const row = await this.deps.store.tx(async (tx) => {
      if (!(await change(tx))) return null;
      const row = (await tx.alerts.get(alertId))!;
      const { type, data } = entry(row);
      await tx.timeline.add(row.residentId, at, type, { alertId, kind: row.kind, ...data });
      return row;
    });
    if (!row) return false;
    this.deps.bus.emit('personAction', row.residentId, action, row.conditionKey, at);
    this.deps.bus.emit(action === 'acknowledged' ? 'alertAcknowledged' : 'alertResolved', row, by);
    return true;
  }
}
