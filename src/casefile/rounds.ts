// Knock-on-door rounds (暖心敲门): on site.knockDay the caseworker knocks on the doors of an
// area's residents (or every area's). Each door gets a quick checklist - health asked, safety
// checked, needs heard, information passed on - recorded as a short visit (purpose
// knock_round) when someone answered; a door nobody opened is a finding to follow up, not a
// visit. The round shows its progress and what was found.
import type { Db, ResidentRepository } from '../store/index.ts';
import type { CasefileRepository } from './repository.ts';
import type { VisitService, ProblemInput } from './visits.ts';
import { isCivilDate, localDate, weekday } from './calendar.ts';
import { nextKnockDate } from './reminders.ts';
import { conflict, invalid, notFound } from './errors.ts';

export type CheckResult = 'ok' | 'concern' | 'skipped';
export interface DoorChecklist { health: CheckResult; safety: CheckResult; needs: CheckResult; info: 'done' | 'skipped' }
export interface DoorInput {
  answered: boolean;
  checklist?: Partial<DoorChecklist>;
  note?: string;
  at?: string;
  problems?: ProblemInput[];
}

const CHECK_ITEMS = ['health', 'safety', 'needs'] as const;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface DoorRow { residentId: string; status: 'pending' | 'seen' | 'no_answer'; visitId: number | null; checklist: string; note: string; at: number | null; by: string | null }

export function roundService(deps: { db: Db; residents: ResidentRepository; repo: CasefileRepository; visits: VisitService; timeZone: string; knockDay?: string; now(): number }) {
  const { db, repo } = deps;
  const s = {
    insert: db.prepare(`INSERT INTO rounds (date, area, created_by, created_at) VALUES (?, ?, ?, ?)`),
    insertDoor: db.prepare(`INSERT INTO round_doors (round_id, resident_id) VALUES (?, ?)`),
    get: db.prepare(`SELECT id, date, area, created_by AS createdBy, created_at AS createdAt FROM rounds WHERE id = ?`),
    same: db.prepare(`SELECT id FROM rounds WHERE date = ? AND area IS ?`),
    list: db.prepare(`SELECT id, date, area, created_by AS createdBy, created_at AS createdAt FROM rounds WHERE date >= ? AND date <= ? ORDER BY date DESC, id DESC`),
    doors: db.prepare(`SELECT resident_id AS residentId, status, visit_id AS visitId, checklist, note, at, by FROM round_doors WHERE round_id = ?`),
    door: db.prepare(`SELECT resident_id AS residentId, status, visit_id AS visitId, checklist, note, at, by FROM round_doors WHERE round_id = ? AND resident_id = ?`),
    updateDoor: db.prepare(`UPDATE round_doors SET status = @status, visit_id = @visitId, checklist = @checklist, note = @note, at = @at, by = @by
      WHERE round_id = @roundId AND resident_id = @residentId`),
  };

  function residentsOf(area: string | null) {
    return deps.residents.listResidents().filter((r) => area === null || r.area === area)
      .sort((a, b) => (a.area ?? '').localeCompare(b.area ?? '') || a.address.localeCompare(b.address) || a.name.localeCompare(b.name));
  }

  function view(id: number) {
    const round = s.get.get(id) as { id: number; date: string; area: string | null; createdBy: string; createdAt: number } | undefined;
    if (!round) throw notFound(`no round ${id}`, 'round_not_found', { id });
    const rows = new Map((s.doors.all(id) as DoorRow[]).map((d) => [d.residentId, d]));
    const doors = [];
    // in walking order: area, then address
    for (const r of residentsOf(null)) {
      const d = rows.get(r.id);
      if (!d) continue;
      const checklist = JSON.parse(d.checklist) as Partial<DoorChecklist>;
      const concerns = CHECK_ITEMS.filter((k) => checklist[k] === 'concern');
      doors.push({
        residentId: r.id, name: r.name, address: r.address, area: r.area, status: d.status, visitId: d.visitId, checklist,
        concerns, note: d.note, at: iso(d.at), by: d.by,
      });
    }
    const seen = doors.filter((d) => d.status === 'seen').length;
    const noAnswer = doors.filter((d) => d.status === 'no_answer').length;
    const findings = doors.filter((d) => d.status === 'no_answer' || d.concerns.length)
      .map((d) => ({ residentId: d.residentId, name: d.name, kind: d.status === 'no_answer' ? 'no_answer' : 'concern', concerns: d.concerns, note: d.note }));
    return {
      ...round, createdAt: iso(round.createdAt), doors,
      progress: { total: doors.length, seen, noAnswer, pending: doors.length - seen - noAnswer, percent: doors.length ? Math.round((100 * (seen + noAnswer)) / doors.length) : 0 },
      findings,
    };
  }

  return {
    /** the next knock day from today, and who is on it, by area */
    next(now: number, area?: string) {
      if (!deps.knockDay) return { knockDay: null, date: null, residents: [] };
      const date = nextKnockDate(localDate(now, deps.timeZone), deps.knockDay);
      const existing = s.same.get(date, area ?? null) as { id: number } | undefined;
      return {
        knockDay: deps.knockDay, date, roundId: existing?.id ?? null,
        residents: residentsOf(area ?? null).map((r) => ({ residentId: r.id, name: r.name, address: r.address, area: r.area })),
      };
    },

    create(input: { date?: string; area?: string }, actor: string, now: number) {
      const date = input.date ?? (deps.knockDay ? nextKnockDate(localDate(now, deps.timeZone), deps.knockDay) : localDate(now, deps.timeZone));
      if (!isCivilDate(date)) throw invalid('date: expected a date like 2026-03-04', 'invalid_date');
      const area = input.area ?? null;
      const members = residentsOf(area);
      if (!members.length) throw area === null ? invalid('there are no residents to knock on', 'round_no_residents') : invalid(`area: no resident lives in ${area}`, 'round_area_empty', { area });
      const existing = s.same.get(date, area) as { id: number } | undefined;
      if (existing) throw conflict(`a round for ${date}${area ? ` in ${area}` : ''} exists already: ${existing.id}`, 'round_exists', { date, area, roundId: existing.id });
      const id = db.transaction(() => {
        const id = Number(s.insert.run(date, area, actor, now).lastInsertRowid);
        for (const r of members) s.insertDoor.run(id, r.id);
        repo.audit(now, actor, 'round.create', String(id), { date, area, doors: members.length, offKnockDay: deps.knockDay ? WEEKDAYS[weekday(date)] !== deps.knockDay : undefined });
        return id;
      })();
      return view(id);
    },

    view,

    list(from: string, to: string) {
      return (s.list.all(from, to) as Array<{ id: number }>).map((r) => view(r.id));
    },

    /** one door: a short visit when someone answered, a finding when nobody did */
    async door(roundId: number, residentId: string, input: DoorInput, actor: string) {
      view(roundId);
      const d = s.door.get(roundId, residentId) as DoorRow | undefined;
      if (!d) throw notFound(`${residentId} is not on round ${roundId}`, 'door_not_on_round', { residentId, roundId });
      if (d.status === 'seen') throw conflict(`the door of ${residentId} on round ${roundId} is recorded already (visit ${d.visitId})`, 'door_recorded', { residentId, visitId: d.visitId });
      const now = deps.now();
      const checklist: Partial<DoorChecklist> = input.checklist ?? {};
      let visitId: number | null = null;
      let at = now;
      if (input.answered) {
        const concerns = CHECK_ITEMS.filter((k) => checklist[k] === 'concern');
        const visit = await deps.visits.recordVisit(residentId, {
          visitor: actor, at: input.at ?? new Date(now).toISOString(), purpose: 'knock_round', notes: input.note ?? '',
          observations: {
            knockHealth: checklist.health ?? 'skipped', knockSafety: checklist.safety ?? 'skipped', knockNeeds: checklist.needs ?? 'skipped',
            knockInfo: checklist.info ?? 'skipped', ...(concerns.length ? { knockConcerns: concerns.join(',') } : {}),
          },
          problems: input.problems,
        }, actor);
        visitId = visit.id;
        at = Date.parse(visit.at);
      }
      const status = input.answered ? 'seen' : 'no_answer';
      db.transaction(() => {
        s.updateDoor.run({ roundId, residentId, status, visitId, checklist: JSON.stringify(checklist), note: input.note ?? '', at, by: actor });
        repo.audit(now, actor, 'round.door', String(roundId), { residentId, status, visitId });
      })();
      return view(roundId).doors.find((x) => x.residentId === residentId)!;
    },
  };
}
export type RoundService = ReturnType<typeof roundService>;
