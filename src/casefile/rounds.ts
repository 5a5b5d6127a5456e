// Knock-on-door rounds (暖心敲门): on site.knockDay the caseworker knocks on the doors of an
// area's residents (or every area's). Each door gets a quick checklist - health asked, safety
// checked, needs heard, information passed on - recorded as a short visit (purpose
// knock_round) when someone answered; a door nobody opened is a finding to follow up, not a
// visit. The round shows its progress and what was found.
import type { Store } from '../store/index.ts';
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

export function roundService(deps: { store: Store; visits: VisitService; timeZone: string; knockDay?: string; now(): number }) {
  const { store } = deps;

  async function residentsOf(area: string | null) {
    return (await store.residents.listResidents()).filter((r) => area === null || r.area === area)
      .sort((a, b) => (a.area ?? '').localeCompare(b.area ?? '') || a.address.localeCompare(b.address) || a.name.localeCompare(b.name));
  }

  async function view(id: number) {
    const round = await store.rounds.get(id);
    if (!round) throw notFound(`no round ${id}`, 'round_not_found', { id });
    const rows = new Map((await store.rounds.doors(id)).map((d) => [d.residentId, d]));
    const doors = [];
    // in walking order: area, then address
    for (const r of await residentsOf(null)) {
      const d = rows.get(r.id);
      if (!d) continue;
      const checklist = d.checklist as Partial<DoorChecklist>;
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
    async next(now: number, area?: string) {
      if (!deps.knockDay) return { knockDay: null, date: null, residents: [] };
      const date = nextKnockDate(localDate(now, deps.timeZone), deps.knockDay);
      const existing = await store.rounds.find(date, area ?? null);
      return {
        knockDay: deps.knockDay, date, roundId: existing ?? null,
        residents: (await residentsOf(area ?? null)).map((r) => ({ residentId: r.id, name: r.name, address: r.address, area: r.area })),
      };
    },

    async create(input: { date?: string; area?: string }, actor: string, now: number) {
      const date = input.date ?? (deps.knockDay ? nextKnockDate(localDate(now, deps.timeZone), deps.knockDay) : localDate(now, deps.timeZone));
      if (!isCivilDate(date)) throw invalid('date: expected a date like 2026-03-04', 'invalid_date');
      const area = input.area ?? null;
      const members = await residentsOf(area);
      if (!members.length) throw area === null ? invalid('there are no residents to knock on', 'round_no_residents') : invalid(`area: no resident lives in ${area}`, 'round_area_empty', { area });
      const exists = (roundId: number) => conflict(`a round for ${date}${area ? ` in ${area}` : ''} exists already: ${roundId}`, 'round_exists', { date, area, roundId });
      const existing = await store.rounds.find(date, area);
      if (existing !== undefined) throw exists(existing);
      const id = await store.tx(async (tx) => {
        // looked for again inside the unit of work, which holds the date and area from this look to
        // its commit (store/ports.ts RoundsPort.find): two requests at once make one round
        const first = await tx.rounds.find(date, area);
        if (first !== undefined) throw exists(first);
        const id = await tx.rounds.insert({ date, area, createdBy: actor, createdAt: now }, members.map((r) => r.id));
        await tx.audit.add(now, actor, 'round.create', String(id), { date, area, doors: members.length, offKnockDay: deps.knockDay ? WEEKDAYS[weekday(date)] !== deps.knockDay : undefined });
        return id;
      });
      return view(id);
    },

    view,

    async list(from: string, to: string) {
      const rounds = await store.rounds.list(from, to);
      const out = [];
      for (const r of rounds) out.push(await view(r.id));
      return out;
    },

    /** one door: a short visit when someone answered, a finding when nobody did */
    async door(roundId: number, residentId: string, input: DoorInput, actor: string) {
      await view(roundId);
      const d = await store.rounds.door(roundId, residentId);
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
      await store.tx(async (tx) => {
        await tx.rounds.updateDoor(roundId, { residentId, status, visitId, checklist: checklist as Record<string, string>, note: input.note ?? '', at, by: actor });
        await tx.audit.add(now, actor, 'round.door', String(roundId), { residentId, status, visitId });
      });
      return (await view(roundId)).doors.find((x) => x.residentId === residentId)!;
    },
  };
}
export type RoundService = ReturnType<typeof roundService>;
