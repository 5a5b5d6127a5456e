// Alerts: one row per ongoing condition (a partial unique index keeps it so), with its
// lifecycle open -> acknowledged -> resolved and the escalation cursor of the notifier.
import type { Db } from './db.ts';
import type { AlertKind, AlertStatus } from '../domain/types.ts';

export interface AlertRow {
  id: number;
  residentId: string;
  kind: AlertKind;
  conditionKey: string;
  deviceId: string | null;
  status: AlertStatus;
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  detail: Record<string, unknown>;
  escalationStep: number;
  escalationDue: number | null;
  unanswered: boolean;
}

const cols = `id, resident_id AS residentId, kind, condition_key AS conditionKey, device_id AS deviceId, status,
  opened_at AS openedAt, acknowledged_at AS acknowledgedAt, acknowledged_by AS acknowledgedBy,
  resolved_at AS resolvedAt, resolved_by AS resolvedBy, detail, escalation_step AS escalationStep,
  escalation_due AS escalationDue, unanswered`;

function fromRow(row: any): AlertRow {
  return { ...row, detail: JSON.parse(row.detail), unanswered: row.unanswered === 1 };
}

export function alertRepository(db: Db) {
  const s = {
    insert: db.prepare(`INSERT INTO alerts (resident_id, kind, condition_key, device_id, status, opened_at, detail, escalation_step, escalation_due)
      VALUES (@residentId, @kind, @conditionKey, @deviceId, 'open', @openedAt, @detail, 0, @escalationDue)`),
    get: db.prepare(`SELECT ${cols} FROM alerts WHERE id = ?`),
    ongoing: db.prepare(`SELECT ${cols} FROM alerts WHERE resident_id = ? AND condition_key = ? AND status != 'resolved'`),
    byStatus: db.prepare(`SELECT ${cols} FROM alerts WHERE status = ? ORDER BY opened_at DESC, id DESC LIMIT ?`),
    all: db.prepare(`SELECT ${cols} FROM alerts ORDER BY opened_at DESC, id DESC LIMIT ?`),
    ofResident: db.prepare(`SELECT ${cols} FROM alerts WHERE resident_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?`),
    unresolved: db.prepare(`SELECT ${cols} FROM alerts WHERE status != 'resolved' ORDER BY opened_at`),
    openCounts: db.prepare(`SELECT resident_id AS residentId, COUNT(*) AS n FROM alerts WHERE status != 'resolved' GROUP BY resident_id`),
    acknowledge: db.prepare(`UPDATE alerts SET status = 'acknowledged', acknowledged_at = @at, acknowledged_by = @by, escalation_due = NULL
      WHERE id = @id AND status = 'open'`),
    resolve: db.prepare(`UPDATE alerts SET status = 'resolved', resolved_at = @at, resolved_by = @by, escalation_due = NULL
      WHERE id = @id AND status != 'resolved'`),
    detail: db.prepare(`UPDATE alerts SET detail = ? WHERE id = ?`),
    escalation: db.prepare(`UPDATE alerts SET escalation_step = @step, escalation_due = @due, unanswered = @unanswered WHERE id = @id`),
    due: db.prepare(`SELECT ${cols} FROM alerts WHERE escalation_due IS NOT NULL AND escalation_due <= ? AND status = 'open' ORDER BY escalation_due`),
    nextDue: db.prepare(`SELECT MIN(escalation_due) AS due FROM alerts WHERE escalation_due IS NOT NULL AND status = 'open'`),
  };

  return {
    insert(a: { residentId: string; kind: AlertKind; conditionKey: string; deviceId: string | null; openedAt: number; detail: Record<string, unknown>; escalationDue: number | null }): number {
      return Number(s.insert.run({ ...a, detail: JSON.stringify(a.detail) }).lastInsertRowid);
    },
    get: (id: number): AlertRow | undefined => { const r = s.get.get(id); return r ? fromRow(r) : undefined; },
    ongoing: (residentId: string, conditionKey: string): AlertRow | undefined => {
      const r = s.ongoing.get(residentId, conditionKey);
      return r ? fromRow(r) : undefined;
    },
    list(status: AlertStatus | undefined, limit = 500): AlertRow[] {
      return (status ? s.byStatus.all(status, limit) : s.all.all(limit)).map(fromRow);
    },
    ofResident: (residentId: string, limit = 100): AlertRow[] => s.ofResident.all(residentId, limit).map(fromRow),
    unresolved: (): AlertRow[] => s.unresolved.all().map(fromRow),
    openCounts(): Map<string, number> {
      return new Map((s.openCounts.all() as Array<{ residentId: string; n: number }>).map((r) => [r.residentId, r.n]));
    },
    /** true when this call moved the alert from open to acknowledged */
    acknowledge: (id: number, by: string, at: number): boolean => s.acknowledge.run({ id, by, at }).changes === 1,
    resolve: (id: number, by: string, at: number): boolean => s.resolve.run({ id, by, at }).changes === 1,
    setDetail: (id: number, detail: Record<string, unknown>): void => { s.detail.run(JSON.stringify(detail), id); },
    setEscalation(id: number, step: number, due: number | null, unanswered = false): void {
      s.escalation.run({ id, step, due, unanswered: unanswered ? 1 : 0 });
    },
    due: (now: number): AlertRow[] => s.due.all(now).map(fromRow),
    nextDue: (): number | null => (s.nextDue.get() as { due: number | null }).due,
  };
}
export type AlertRepository = ReturnType<typeof alertRepository>;
