// Referring a problem to a department (跨部门协作): civil affairs, health, education, the
// disabled persons' federation, housing. Who referred it and when, who at the department took
// it and when, and the department's answer. A referral does not solve the problem: whoever is
// responsible still follows it to the end (首问负责制), but while it waits on a department the
// problem shows as in progress.
import type { ReferralRow as StoredReferral, Store } from '../store/index.ts';
import { DEPARTMENTS, type Department } from './handbook.ts';
import { parseMoment } from './calendar.ts';
import { conflict, invalid, notFound } from './errors.ts';

export interface ReferralInput { department: Department; note?: string; at?: string }
export interface ReferralPatch { takenBy?: string; takenAt?: string; answer?: string; answeredAt?: string }

type ReferralRow = StoredReferral & { department: Department };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function referralView(r: ReferralRow) {
  return {
    ...r, referredAt: iso(r.referredAt), takenAt: iso(r.takenAt), answeredAt: iso(r.answeredAt),
    status: r.answer !== null ? 'answered' : r.takenBy !== null ? 'taken' : 'referred',
  };
}
export type ReferralView = ReturnType<typeof referralView>;

export function referralService(deps: { store: Store; timeZone: string; now(): number }) {
  const { store } = deps;
  const time = (field: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const ms = parseMoment(text, deps.timeZone);
    if (Number.isNaN(ms)) throw invalid(`${field}: expected an ISO-8601 time like 2026-03-02T09:30:00+08:00`, 'invalid_time');
    return ms;
  };

  return {
    of: async (problemId: string) => (await store.referrals.of(problemId) as ReferralRow[]).map(referralView),

    /** the referral, the problem started, its timeline entry and audit: one unit of work */
    async refer(problemId: string, input: ReferralInput, actor: string) {
      const row = await store.tx(async (tx) => {
        const p = await tx.visits.getProblem(problemId);
        if (!p) throw notFound(`no problem ${problemId}`, 'problem_not_found', { id: problemId });
        if (!DEPARTMENTS.includes(input.department)) throw invalid(`department: expected one of ${DEPARTMENTS.join(', ')}`, 'invalid_choice', { options: [...DEPARTMENTS] });
        if (p.status === 'solved') throw conflict(`problem ${problemId} is solved; there is nothing to refer`, 'problem_solved', { problemId });
        const now = deps.now();
        const at = time('at', input.at, now);
        const id = await tx.referrals.insert({ problemId, department: input.department, note: input.note ?? '', referredAt: at, referredBy: actor });
        await tx.visits.startProblem(problemId);
        await tx.timeline.add(p.residentId, at, 'problem_referral', { problemId, referralId: id, department: input.department, by: actor });
        await tx.audit.add(now, actor, 'problem.refer', problemId, { referralId: id, department: input.department });
        return (await tx.referrals.get(id)) as ReferralRow;
      });
      return referralView(row);
    },

    /** the department took it (who, when) and later answered */
    async update(id: number, patch: ReferralPatch, actor: string) {
      const now = deps.now();
      const row = await store.tx(async (tx) => {
        const r = await tx.referrals.get(id) as ReferralRow | undefined;
        if (!r) throw notFound(`no referral ${id}`, 'referral_not_found', { id });
        const takenBy = patch.takenBy?.trim() || r.takenBy;
        const next = {
          id, takenBy,
          takenAt: patch.takenBy !== undefined || patch.takenAt !== undefined ? time('takenAt', patch.takenAt, r.takenAt ?? now) : r.takenAt,
          answer: patch.answer?.trim() || r.answer,
          answeredAt: patch.answer !== undefined || patch.answeredAt !== undefined ? time('answeredAt', patch.answeredAt, r.answeredAt ?? now) : r.answeredAt,
        };
        if (next.answer !== null && next.takenBy === null) throw invalid('takenBy: say who at the department took it before recording its answer', 'taken_by_required');
        if (next.takenAt !== null && next.takenAt < r.referredAt) throw invalid('takenAt: before the problem was referred', 'taken_before_referred');
        if (next.answeredAt !== null && next.takenAt !== null && next.answeredAt < next.takenAt) throw invalid('answeredAt: before it was taken', 'answered_before_taken');
        const p = (await tx.visits.getProblem(r.problemId))!;
        await tx.referrals.update(next);
        await tx.timeline.add(p.residentId, now, 'referral_update', {
          problemId: r.problemId, referralId: id, department: r.department, takenBy: next.takenBy, answered: next.answer !== null, by: actor,
        });
        await tx.audit.add(now, actor, 'referral.update', String(id), { problemId: r.problemId, fields: Object.keys(patch) });
        return (await tx.referrals.get(id)) as ReferralRow;
      });
      return referralView(row);
    },
  };
}
export type ReferralService = ReturnType<typeof referralService>;
