// Planned absences (migration 5): who said the resident is away, from when until when. The
// rules core keeps its own copy of those not yet over (rule state); this table is the record.
import type { Db } from './db.ts';

export interface AbsenceRow {
  id: number;
  residentId: string;
  startsAt: number;
  endsAt: number;
  note: string;
  setBy: string;
  via: 'api' | 'sms';
  createdAt: number;
  cancelledAt: number | null;
  cancelledBy: string | null;
}

const cols = `id, resident_id AS residentId, starts_at AS startsAt, ends_at AS endsAt, note, set_by AS setBy, via,
  created_at AS createdAt, cancelled_at AS cancelledAt, cancelled_by AS cancelledBy`;

/** at most this many absences not yet over per resident: a bound on what one caller can pile up */
export const MAX_OPEN_ABSENCES = 20;

export function absenceRepository(db: Db) {
  const insert = db.prepare(`INSERT INTO absences (resident_id, starts_at, ends_at, note, set_by, via, created_at)
    VALUES (@residentId, @startsAt, @endsAt, @note, @setBy, @via, @createdAt)`);
  const get = db.prepare(`SELECT ${cols} FROM absences WHERE id = ?`);
  const current = db.prepare(`SELECT ${cols} FROM absences WHERE resident_id = ? AND cancelled_at IS NULL AND ends_at > ? ORDER BY starts_at, id`);
  const recent = db.prepare(`SELECT ${cols} FROM absences WHERE resident_id = ? ORDER BY starts_at DESC, id DESC LIMIT ?`);
  const cancel = db.prepare(`UPDATE absences SET cancelled_at = ?, cancelled_by = ? WHERE id = ? AND cancelled_at IS NULL`);
  const end = db.prepare(`UPDATE absences SET ends_at = ? WHERE id = ? AND cancelled_at IS NULL AND ends_at > ?`);
  return {
    insert(a: Omit<AbsenceRow, 'id' | 'cancelledAt' | 'cancelledBy'>): number {
      return Number(insert.run(a).lastInsertRowid);
    },
    get: (id: number): AbsenceRow | undefined => get.get(id) as AbsenceRow | undefined,
    /** not cancelled and not yet over at `now`, soonest first */
    current: (residentId: string, now: number): AbsenceRow[] => current.all(residentId, now) as AbsenceRow[],
    recent: (residentId: string, limit: number): AbsenceRow[] => recent.all(residentId, limit) as AbsenceRow[],
    cancel: (id: number, by: string, at: number): boolean => cancel.run(at, by, id).changes > 0,
    /** the resident is back: the absence ends now (kept, not cancelled) */
    endNow: (id: number, at: number): boolean => end.run(at, id, at).changes > 0,
  };
}
export type AbsenceRepository = ReturnType<typeof absenceRepository>;
