// One person, one file (一人一档): the casefile fields beyond name and address, and follow-up
// appointments (复诊日). Admins edit every field; caseworkers the main difficulties and the
// notes only (what they learn on visits). Every change goes into the audit log (which fields,
// who, when; never the words, which are health and family details) and onto the timeline.
import type { Db, ResidentRepository, TimelineRepository } from '../store/index.ts';
import type { CasefileRepository } from './repository.ts';
import { isCivilDate } from './calendar.ts';
import { RESIDENT_CATEGORIES, type ResidentCategory } from './handbook.ts';
import { forbidden, invalid, notFound } from './errors.ts';

export interface ProfilePatch {
  category?: ResidentCategory | null;
  household?: string;
  health?: string;
  difficulties?: string;
  notes?: string;
}

export interface AppointmentInput {
  date: string;
  time?: string;
  kind?: 'follow_up' | 'other';
  place?: string;
  note?: string;
}

export interface Caller { name: string; role: 'caseworker' | 'admin' }

/** what a caseworker may change on a casefile; everything else is an admin's */
export const CASEWORKER_FIELDS: ReadonlySet<string> = new Set(['difficulties', 'notes']);
const FIELDS = ['category', 'household', 'health', 'difficulties', 'notes'] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function profileService(deps: { db: Db; residents: ResidentRepository; timeline: TimelineRepository; repo: CasefileRepository; now(): number }) {
  const { db, repo } = deps;
  const s = {
    get: db.prepare(`SELECT category, household, health, difficulties, notes, updated_at AS updatedAt, updated_by AS updatedBy
      FROM resident_profiles WHERE resident_id = ?`),
    upsert: db.prepare(`INSERT INTO resident_profiles (resident_id, category, household, health, difficulties, notes, updated_at, updated_by)
      VALUES (@residentId, @category, @household, @health, @difficulties, @notes, @updatedAt, @updatedBy)
      ON CONFLICT(resident_id) DO UPDATE SET category = excluded.category, household = excluded.household, health = excluded.health,
        difficulties = excluded.difficulties, notes = excluded.notes, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    categories: db.prepare(`SELECT resident_id AS residentId, category FROM resident_profiles WHERE category IS NOT NULL`),
    insertAppointment: db.prepare(`INSERT INTO appointments (resident_id, date, time, kind, place, note, created_by, created_at)
      VALUES (@residentId, @date, @time, @kind, @place, @note, @createdBy, @createdAt)`),
    appointment: db.prepare(`SELECT id, resident_id AS residentId, date, time, kind, place, note, created_by AS createdBy, created_at AS createdAt FROM appointments WHERE id = ?`),
    appointmentsOf: db.prepare(`SELECT id, resident_id AS residentId, date, time, kind, place, note, created_by AS createdBy, created_at AS createdAt
      FROM appointments WHERE resident_id = ? AND date >= ? ORDER BY date, time, id`),
    appointmentsIn: db.prepare(`SELECT id, resident_id AS residentId, date, time, kind, place, note, created_by AS createdBy, created_at AS createdAt
      FROM appointments WHERE date >= ? AND date <= ? ORDER BY date, time, id`),
    deleteAppointment: db.prepare(`DELETE FROM appointments WHERE id = ?`),
  };

  type Row = { category: ResidentCategory | null; household: string; health: string; difficulties: string; notes: string; updatedAt: number | null; updatedBy: string | null };
  const empty: Row = { category: null, household: '', health: '', difficulties: '', notes: '', updatedAt: null, updatedBy: null };

  function mustResident(id: string) {
    if (!deps.residents.getResident(id)) throw notFound(`no resident ${id}`, 'resident_not_found', { id });
  }
  function read(residentId: string): Row {
    return (s.get.get(residentId) as Row | undefined) ?? empty;
  }
  const view = (residentId: string, r: Row) => ({ residentId, ...r, updatedAt: iso(r.updatedAt) });
  type AppointmentRow = { id: number; residentId: string; date: string; time: string | null; kind: string; place: string; note: string; createdBy: string; createdAt: number };
  const appointmentView = (a: AppointmentRow) => ({ ...a, createdAt: iso(a.createdAt) });

  return {
    get(residentId: string) {
      mustResident(residentId);
      return view(residentId, read(residentId));
    },

    /** each resident's special-group category, for rounds and filters */
    categories: () => new Map((s.categories.all() as Array<{ residentId: string; category: ResidentCategory }>).map((r) => [r.residentId, r.category])),

    update(residentId: string, patch: ProfilePatch, caller: Caller) {
      mustResident(residentId);
      const fields = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
      if (!fields.length) throw invalid('give at least one field to change', 'nothing_to_change');
      const unknown = fields.filter((f) => !(FIELDS as readonly string[]).includes(f));
      if (unknown.length) throw invalid(`unknown field ${unknown.join(', ')}`, 'unknown_field', { field: unknown[0], fields: unknown });
      if (caller.role !== 'admin') {
        const notTheirs = fields.filter((f) => !CASEWORKER_FIELDS.has(f));
        if (notTheirs.length) throw forbidden(`${notTheirs.join(', ')}: only an admin may change this; caseworkers may edit difficulties and notes`, 'field_not_editable', { field: notTheirs[0], fields: notTheirs, editable: [...CASEWORKER_FIELDS] });
      }
      if (patch.category !== undefined && patch.category !== null && !RESIDENT_CATEGORIES.includes(patch.category)) {
        throw invalid(`category: expected one of ${RESIDENT_CATEGORIES.join(', ')}`, 'invalid_choice', { options: [...RESIDENT_CATEGORIES] });
      }
      const now = deps.now();
      const current = read(residentId);
      const next = {
        residentId,
        category: patch.category === undefined ? current.category : patch.category,
        household: patch.household ?? current.household, health: patch.health ?? current.health,
        difficulties: patch.difficulties ?? current.difficulties, notes: patch.notes ?? current.notes,
        updatedAt: now, updatedBy: caller.name,
      };
      db.transaction(() => {
        s.upsert.run(next);
        repo.audit(now, caller.name, 'casefile.update', residentId, { fields });
        deps.timeline.add(residentId, now, 'casefile_update', { fields, by: caller.name });
      })();
      return view(residentId, read(residentId));
    },

    addAppointment(residentId: string, input: AppointmentInput, actor: string) {
      mustResident(residentId);
      if (!isCivilDate(input.date)) throw invalid('date: expected a date like 2026-03-12', 'invalid_date');
      if (input.time !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.time)) throw invalid('time: expected HH:MM like 09:30', 'invalid_clock_time');
      const now = deps.now();
      const id = db.transaction(() => {
        const id = Number(s.insertAppointment.run({
          residentId, date: input.date, time: input.time ?? null, kind: input.kind ?? 'follow_up', place: input.place ?? '', note: input.note ?? '',
          createdBy: actor, createdAt: now,
        }).lastInsertRowid);
        repo.audit(now, actor, 'appointment.create', residentId, { appointmentId: id, date: input.date, kind: input.kind ?? 'follow_up' });
        return id;
      })();
      return appointmentView(s.appointment.get(id) as AppointmentRow);
    },

    /** a resident's appointments from `fromDate` on (default: all) */
    appointmentsOf(residentId: string, fromDate = '0000-01-01') {
      mustResident(residentId);
      return (s.appointmentsOf.all(residentId, fromDate) as AppointmentRow[]).map(appointmentView);
    },

    appointmentsIn: (from: string, to: string) => (s.appointmentsIn.all(from, to) as AppointmentRow[]).map(appointmentView),

    deleteAppointment(id: number, actor: string) {
      const a = s.appointment.get(id) as AppointmentRow | undefined;
      if (!a) throw notFound(`no appointment ${id}`, 'appointment_not_found', { id });
      db.transaction(() => {
        s.deleteAppointment.run(id);
        repo.audit(deps.now(), actor, 'appointment.delete', a.residentId, { appointmentId: id });
      })();
    },
  };
}
export type ProfileService = ReturnType<typeof profileService>;
