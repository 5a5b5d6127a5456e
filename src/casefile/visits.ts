// Recording visits and the problems found on them, and following problems to their solution
// ("one person, one file"). Each visit and problem also goes on the casefile timeline,
// so the history a caseworker reads before a visit shows them next to the device events.
import type { Store, Tx } from '../store/index.ts';
import { problemDeadline, problemId, problemYear, type SiteCalendar, type Urgency } from './deadlines.ts';
import type { Observations, ProblemCategory, ProblemRow, ProblemStatus, VisitRow } from './repository.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { parseMoment, TIME_MIN, TIME_MAX } from './calendar.ts';
import { subcategoryFits } from './handbook.ts';

export interface ProblemInput {
  description: string;
  category: ProblemCategory;
  /** the handbook's sub-kind of the category (handbook.ts) */
  subcategory?: string;
  urgency: Urgency;
  /** who answers for it; by default whoever recorded the visit (first asked, first responsible) */
  responsible?: string;
}

export interface VisitInput {
  visitor: string;
  at: string;
  endedAt?: string;
  /** routine | follow_up | needs_survey, or the visitor's own words */
  purpose: string;
  notes?: string;
  observations?: Observations;
  problems?: ProblemInput[];
  /** earlier problems of this resident that this visit confirms solved */
  followUpOf?: string[];
  /** on a follow-up visit: how satisfied the resident is, 1-5 (the service-warmth index) */
  satisfaction?: number;
}

export interface ProblemPatch {
  status?: ProblemStatus;
  responsible?: string;
  followUpVisitId?: number;
  satisfaction?: number;
  solvedAt?: string;
  /** what was done: required when a problem is marked solved */
  resolution?: string;
}

export interface VisitServiceDeps {
  /** visits, problems, the WT counter, timeline and audit: through the store's ports, written in one unit of work */
  store: Store;
  site: SiteCalendar;
  now(): number;
  /**
   * After a visit is committed: the rules core treats a visit as the resident seen, and suppresses
   * inactivity and night-door alarms from `at` to `until` (see suppressUntil).
   */
  visitRecorded?(visit: { residentId: string; visitId: number; at: number; endedAt: number | null; until: number }): void;
}

/** the longest a visit may last: it switches inactivity and night-door alarms off while it lasts (CONTRACT.md "Access") */
export const MAX_VISIT_MS = 12 * 3_600_000;
/** how long a visit recorded without endedAt counts as under way: a home visit's usual length */
export const VISIT_WITHOUT_END_MS = 3_600_000;

/**
 * Until when a visit switches alarms off: its end, or an hour after its start when it has none,
 * and never more than 12 h past the moment it was recorded, so visits entered for the days ahead
 * cannot be chained to keep alarms off (one in the future suppresses nothing until it is entered
 * again when it happens).
 */
export function suppressUntil(at: number, endedAt: number | null, now: number): number {
  return Math.max(at, Math.min(endedAt ?? at + VISIT_WITHOUT_END_MS, now + MAX_VISIT_MS));
}

const STATUS_ORDER: Record<ProblemStatus, number> = { pending: 0, in_progress: 1, solved: 2 };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parseTime(field: string, text: string, timeZone: string): number {
  const ms = parseMoment(text, timeZone);
  if (Number.isNaN(ms)) throw invalid(`${field}: expected an ISO-8601 time like 2026-03-02T09:30:00+08:00 (without an offset: site time)`, 'invalid_time');
  if (ms < TIME_MIN || ms > TIME_MAX) throw invalid(`${field}: expected a time from 1970 to 9998, not ${text.slice(0, 40)}`, 'time_out_of_range', { min: 1970, max: 9998 });
  return ms;
}

/** a phone's clock a little ahead of the gateway's is not "in the future" */
const CLOCK_SKEW_MS = 5 * 60_000;

export function problemView(p: ProblemRow, now: number) {
  return {
    id: p.id, visitId: p.visitId, residentId: p.residentId, description: p.description, category: p.category,
    subcategory: p.subcategory ?? null, resolution: p.resolution ?? null, urgency: p.urgency, responsible: p.responsible, status: p.status, deadline: iso(p.deadline)!,
    openedAt: iso(p.openedAt)!, solvedAt: iso(p.solvedAt), followUpVisitId: p.followUpVisitId, satisfaction: p.satisfaction,
    overdue: p.status !== 'solved' && now > p.deadline,
  };
}
export type ProblemView = ReturnType<typeof problemView>;

export function visitService(deps: VisitServiceDeps) {
  const { store } = deps;

  function visitView(v: VisitRow, problems: ProblemRow[], confirmedSolved: string[], now: number) {
    return {
      id: v.id, residentId: v.residentId, visitor: v.visitor, at: iso(v.at)!, endedAt: iso(v.endedAt), purpose: v.purpose,
      notes: v.notes, observations: v.observations, satisfaction: v.satisfaction ?? null, recordedBy: v.recordedBy, createdAt: iso(v.createdAt)!,
      problems: problems.map((p) => problemView(p, now)), confirmedSolved,
    };
  }

  async function solveByFollowUp(tx: Tx, p: ProblemRow, visitId: number, at: number, actor: string, note: string | null): Promise<void> {
    const solvedAt = p.solvedAt ?? at;
    // the follow-up visit's notes say what was found done, unless the problem already says so
    await tx.visits.updateProblem({ ...p, status: 'solved', solvedAt, followUpVisitId: visitId, resolution: p.resolution ?? note });
    await tx.timeline.add(p.residentId, at, 'problem_update', {
      problemId: p.id, from: p.status, status: 'solved', followUpVisitId: visitId, by: actor,
    });
  }

  const recordTx = (residentId: string, input: VisitInput, at: number, endedAt: number | null, followUps: ProblemRow[], actor: string) => store.tx(async (tx) => {
    const now = deps.now();
    const visitId = await tx.visits.insertVisit({
      residentId, visitor: input.visitor, at, endedAt, purpose: input.purpose, notes: input.notes ?? '',
      observations: input.observations ?? {}, recordedBy: actor, createdAt: now, satisfaction: input.satisfaction ?? null,
    });
    const year = problemYear(at, deps.site.timeZone);
    const ids: string[] = [];
    for (const p of input.problems ?? []) {
      const id = problemId(year, await tx.visits.nextProblemSeq(year));
      const row = {
        id, visitId, residentId, description: p.description, category: p.category, subcategory: p.subcategory ?? null, urgency: p.urgency,
        // first asked, first responsible: whoever met the problem answers for it unless named otherwise
        responsible: p.responsible?.trim() || input.visitor,
        deadline: problemDeadline(at, p.urgency, deps.site), openedAt: at,
      };
      await tx.visits.insertProblem(row);
      ids.push(id);
      await tx.timeline.add(residentId, at, 'problem', {
        problemId: id, visitId, description: row.description, category: row.category, urgency: row.urgency,
        responsible: row.responsible, deadline: iso(row.deadline), status: 'pending',
      });
    }
    for (const p of followUps) await solveByFollowUp(tx, p, visitId, at, actor, input.notes?.trim() || null);
    // added after its problems so that, newest first, the visit heads its own problems
    await tx.timeline.add(residentId, at, 'visit', {
      visitId, visitor: input.visitor, purpose: input.purpose, ...(endedAt !== null ? { endedAt: new Date(endedAt).toISOString() } : {}), notes: input.notes ?? '', observations: input.observations ?? {},
      problems: ids, confirmedSolved: followUps.map((p) => p.id), recordedBy: actor,
    });
    await tx.audit.add(now, actor, 'visit.record', residentId, { visitId, problems: ids, confirmedSolved: followUps.map((p) => p.id) });
    return visitId;
  });

  return {
    async recordVisit(residentId: string, input: VisitInput, actor: string) {
      if (!await deps.store.residents.getResident(residentId)) throw notFound(`no resident ${residentId}`, 'resident_not_found', { id: residentId });
      const at = parseTime('at', input.at, deps.site.timeZone);
      const endedAt = input.endedAt === undefined ? null : parseTime('endedAt', input.endedAt, deps.site.timeZone);
      if (endedAt !== null && endedAt < at) throw invalid('endedAt: a visit cannot end before it starts', 'visit_ends_before_start');
      if (endedAt !== null && endedAt - at > MAX_VISIT_MS) throw invalid('endedAt: a visit lasts at most 12 h (it suppresses inactivity and night-door alarms while it lasts)', 'visit_too_long', { maxHours: MAX_VISIT_MS / 3_600_000 });
      (input.problems ?? []).forEach((p, i) => {
        if (p.subcategory !== undefined && !subcategoryFits(p.category, p.subcategory)) throw invalid(`problems[${i}].subcategory: ${p.subcategory} is not a kind of ${p.category}`, 'subcategory_mismatch', { field: 'subcategory', path: `problems[${i}].subcategory`, subcategory: p.subcategory, category: p.category });
      });
      const followUps: ProblemRow[] = [];
      for (const id of new Set(input.followUpOf ?? [])) {
        const p = await store.visits.getProblem(id);
        if (!p || p.residentId !== residentId) throw invalid(`followUpOf: ${id} is not a problem of ${residentId}`, 'follow_up_not_theirs', { problemId: id });
        if (p.openedAt > at) throw invalid(`followUpOf: ${id} was found after this visit`, 'follow_up_before_problem', { problemId: id });
        followUps.push(p);
      }
      const visitId = await recordTx(residentId, input, at, endedAt, followUps, actor);
      deps.visitRecorded?.({ residentId, visitId, at, endedAt, until: suppressUntil(at, endedAt, deps.now()) });
      const now = deps.now();
      return visitView((await store.visits.getVisit(visitId))!, await store.visits.problemsOfVisits([visitId]), followUps.map((p) => p.id), now);
    },

    /** newest first; `before` is an ISO time or the `nextBefore` cursor of the previous page */
    async listVisits(residentId: string, limit: number, before?: string) {
      if (!await deps.store.residents.getResident(residentId)) throw notFound(`no resident ${residentId}`, 'resident_not_found', { id: residentId });
      let beforeAt = 8.64e15;
      let beforeId = 0;
      if (before) {
        const cursor = /^(\d+)\.(\d+)$/.exec(before);
        if (cursor) { beforeAt = Number(cursor[1]); beforeId = Number(cursor[2]); } else beforeAt = parseTime('before', before, deps.site.timeZone);
      }
      const rows = await store.visits.visitsOf(residentId, limit + 1, beforeAt, beforeId);
      const shown = rows.slice(0, limit);
      const problems = await store.visits.problemsOfVisits(shown.map((v) => v.id));
      const now = deps.now();
      const items = shown.map((v) => visitView(v, problems.filter((p) => p.visitId === v.id), [], now));
      const last = shown[shown.length - 1];
      return { items, nextBefore: rows.length > limit && last ? `${last.at}.${last.id}` : null };
    },

    async problemsOf(residentId: string, status?: ProblemStatus | 'open' | 'overdue') {
      if (!await deps.store.residents.getResident(residentId)) throw notFound(`no resident ${residentId}`, 'resident_not_found', { id: residentId });
      const now = deps.now();
      return (await store.visits.problemsOf(residentId)).map((p) => problemView(p, now)).filter((p) =>
        !status ? true : status === 'open' ? p.status !== 'solved' : status === 'overdue' ? p.overdue : p.status === status);
    },

    async getProblem(id: string) {
      const p = await store.visits.getProblem(id);
      if (!p) throw notFound(`no problem ${id}`, 'problem_not_found', { id });
      return problemView(p, deps.now());
    },

    /** status moves forward only: pending -> in_progress -> solved (pending -> solved in one step is fine) */
    async updateProblem(id: string, patch: ProblemPatch, actor: string) {
      const p = await store.visits.getProblem(id);
      if (!p) throw notFound(`no problem ${id}`, 'problem_not_found', { id });
      const status = patch.status ?? p.status;
      if (STATUS_ORDER[status] < STATUS_ORDER[p.status]) {
        throw conflict(`problem ${id} is ${p.status}; its status moves pending -> in_progress -> solved, never back`, 'problem_status', { status: p.status });
      }
      if (status !== 'solved' && (patch.followUpVisitId !== undefined || patch.satisfaction !== undefined || patch.solvedAt !== undefined || patch.resolution !== undefined)) {
        throw conflict(`problem ${id} is ${status}: only a solved problem has a follow-up visit, a solved time, a satisfaction score or a resolution`, 'problem_not_solved', { status });
      }
      const resolution = patch.resolution?.trim() || p.resolution || null;
      if (status === 'solved' && !resolution) throw invalid('resolution: say what was done to solve the problem', 'resolution_required');
      let followUpVisitId = p.followUpVisitId;
      if (patch.followUpVisitId !== undefined) {
        const v = await store.visits.getVisit(patch.followUpVisitId);
        if (!v || v.residentId !== p.residentId) throw invalid(`followUpVisitId: ${patch.followUpVisitId} is not a visit to ${p.residentId}`, 'follow_up_visit_not_theirs', { visitId: patch.followUpVisitId });
        followUpVisitId = v.id;
      }
      const now = deps.now();
      let solvedAt = p.solvedAt;
      if (patch.solvedAt !== undefined) {
        solvedAt = parseTime('solvedAt', patch.solvedAt, deps.site.timeZone);
        if (solvedAt < p.openedAt) throw invalid(`solvedAt: ${id} was found on the visit of ${iso(p.openedAt)}; it cannot be solved before that`, 'solved_before_visit', { problemId: id, foundAt: iso(p.openedAt) });
        if (solvedAt > now + CLOCK_SKEW_MS) throw invalid('solvedAt: cannot be in the future', 'solved_in_future');
      }
      else if (status === 'solved' && solvedAt === null) solvedAt = followUpVisitId !== null ? (await store.visits.getVisit(followUpVisitId))!.at : now;
      const next = {
        id, status, solvedAt, followUpVisitId,
        satisfaction: patch.satisfaction ?? p.satisfaction, responsible: patch.responsible?.trim() || p.responsible, resolution,
      };
      await store.tx(async (tx) => {
        await tx.visits.updateProblem(next);
        await tx.timeline.add(p.residentId, now, 'problem_update', {
          problemId: id, from: p.status, status, responsible: next.responsible, followUpVisitId, satisfaction: next.satisfaction, resolution, by: actor,
        });
        await tx.audit.add(now, actor, 'problem.update', id, { from: p.status, ...patch });
      });
      return problemView((await store.visits.getProblem(id))!, now);
    },
  };
}
export type VisitService = ReturnType<typeof visitService>;
