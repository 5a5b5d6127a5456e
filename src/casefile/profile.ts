// One person, one file (一人一档): the casefile fields beyond name and address, and follow-up
// appointments (复诊日). Admins edit every field; caseworkers the main difficulties and the
// notes only (what they learn on visits). Every change goes into the audit log (which fields,
// who, when; never the words, which are health and family details) and onto the timeline.
import type { AppointmentRow, Ports, Store } from '../store/index.ts';
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

export function profileService(deps: { store: Store; now(): number }) {
  const { store } = deps;
  type Row = { category: ResidentCategory | null; household: string; health: string; difficulties: string; notes: string; updatedAt: number | null; updatedBy: string | null };
  const empty: Row = { category: null, household: '', health: '', difficulties: '', notes: '', updatedAt: null, updatedBy: null };

  async function mustResident(id: string) {
    if (!await store.residents.getResident(id)) throw notFound(`no resident ${id}`, 'resident_not_found', { id });
  }
  async function read(residentId: string, ports: Pick<Ports, 'profiles'> = store): Promise<Row> {
    return ((await ports.profiles.get(residentId)) as Row | undefined) ?? empty;
  }
  const view = (residentId: string, r: Row) => ({ residentId, ...r, updatedAt: iso(r.updatedAt) });
  const appointmentView = (a: AppointmentRow) => ({ ...a, createdAt: iso(a.createdAt) });

  return {
    async get(residentId: string) {
      await mustResident(residentId);
      return view(residentId, await read(residentId));
    },

    /** each resident's special-group category, for rounds and filters */
    categories: async () => (await store.profiles.categories()) as Map<string, ResidentCategory>,

    async update(residentId: string, patch: ProfilePatch, caller: Caller) {
      await mustResident(residentId);
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
      const saved = await store.tx(async (tx) => {
        const current = await read(residentId, tx);
        const next = {
          category: patch.category === undefined ? current.category : patch.category,
          household: patch.household ?? current.household, health: patch.health ?? current.health,
          difficulties: patch.difficulties ?? current.difficulties, notes: patch.notes ?? current.notes,
          updatedAt: now, updatedBy: caller.name,
        };
        await tx.profiles.put(residentId, next);
        await tx.audit.add(now, caller.name, 'casefile.update', residentId, { fields });
        await tx.timeline.add(residentId, now, 'casefile_update', { fields, by: caller.name });
        return next;
      });
      return view(residentId, saved);
    },

    async addAppointment(residentId: string, input: AppointmentInput, actor: string) {
      await mustResident(residentId);
      if (!isCivilDate(input.date)) throw invalid('date: expected a date like 2026-03-12', 'invalid_date');
      if (input.time !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.time)) throw invalid('time: expected HH:MM like 09:30', 'invalid_clock_time');
      const now = deps.now();
      const id = await store.tx(async (tx) => {
        const id = await tx.profiles.insertAppointment({
          residentId, date: input.date, time: input.time ?? null, kind: input.kind ?? 'follow_up', place: input.place ?? '', note: input.note ?? '',
          createdBy: actor, createdAt: now,
        });
        await tx.audit.add(now, actor, 'appointment.create', residentId, { appointmentId: id, date: input.date, kind: input.kind ?? 'follow_up' });
        return id;
      });
      return appointmentView((await store.profiles.appointment(id))!);
    },

    /** a resident's appointments from `fromDate` on (default: all) */
    async appointmentsOf(residentId: string, fromDate = '0000-01-01') {
      await mustResident(residentId);
      return (await store.profiles.appointmentsOf(residentId, fromDate)).map(appointmentView);
    },

    appointmentsIn: async (from: string, to: string) => (await store.profiles.appointmentsIn(from, to)).map(appointmentView),

    async deleteAppointment(id: number, actor: string) {
      const a = await store.profiles.appointment(id);
      if (!a) throw notFound(`no appointment ${id}`, 'appointment_not_found', { id });
      await store.tx(async (tx) => {
        // deleted once: of two removals at the same moment only one is audited
        if (!await tx.profiles.deleteAppointment(id)) return;
        await tx.audit.add(deps.now(), actor, 'appointment.delete', a.residentId, { appointmentId: id });
      });
    },
  };
}
export type ProfileService = ReturnType<typeof profileService>;
