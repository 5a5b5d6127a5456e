// Referring a problem to a department (跨部门协作): civil affairs, health, education, the
// disabled persons' federation, housing. Who referred it and when, who at the department took
// it and when, and the department's answer. A referral does not solve the problem: whoever is
// responsible still follows it to the end (首问负责制), but while it waits on a department the
// problem shows as in progress.
import type { Db, TimelineRepository } from '../store/index.ts';
import type { CasefileRepository } from './repository.ts';
import { DEPARTMENTS, type Department } from './handbook.ts';
import { parseMoment } from './calendar.ts';
import { conflict, invalid, notFound } from './errors.ts';

export interface ReferralInput { department: Department; note?: string; at?: string }
export interface ReferralPatch { takenBy?: string; takenAt?: string; answer?: string; answeredAt?: string }

interface ReferralRow {
  id: number; problemId: string; department: Department; note: string; referredAt: number; referredBy: string;
  takenBy: string | null; takenAt: number | null; answer: string | null; answeredAt: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cols = `id, problem_id AS problemId, department, note, referred_at AS referredAt, referred_by AS referredBy,
  taken_by AS takenBy, taken_at AS takenAt, answer, answered_at AS answeredAt`;

export function referralView(r: ReferralRow) {
  return {
    ...r, referredAt: iso(r.referredAt), takenAt: iso(r.takenAt), answeredAt: iso(r.answeredAt),
    status: r.answer !== null ? 'answered' : r.takenBy !== null ? 'taken' : 'referred',
  };
}
export type ReferralView = ReturnType<typeof referralView>;

export function referralService(deps: { db: Db; repo: CasefileRepository; timeline: TimelineRepository; timeZone: string; now(): number }) {
  const { db, repo } = deps;
  const s = {
    insert: db.prepare(`INSERT INTO referrals (problem_id, department, note, referred_at, referred_by) VALUES (?, ?, ?, ?, ?)`),
    get: db.prepare(`SELECT ${cols} FROM referrals WHERE id = ?`),
    of: db.prepare(`SELECT ${cols} FROM referrals WHERE problem_id = ? ORDER BY referred_at, id`),
    update: db.prepare(`UPDATE referrals SET taken_by = @takenBy, taken_at = @takenAt, answer = @answer, answered_at = @answeredAt WHERE id = @id`),
    startProblem: db.prepare(`UPDATE problems SET status = 'in_progress' WHERE id = ? AND status = 'pending'`),
  };
  const time = (field: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const ms = parseMoment(text, deps.timeZone);
    if (Number.isNaN(ms)) throw invalid(`${field}: expected an ISO-8601 time like 2026-03-02T09:30:00+08:00`, 'invalid_time');
    return ms;
  };

  return {
    of: (problemId: string) => (s.of.all(problemId) as ReferralRow[]).map(referralView),

    refer(problemId: string, input: ReferralInput, actor: string) {
      const p = repo.getProblem(problemId);
      if (!p) throw notFound(`no problem ${problemId}`, 'problem_not_found', { id: problemId });
      if (!DEPARTMENTS.includes(input.department)) throw invalid(`department: expected one of ${DEPARTMENTS.join(', ')}`, 'invalid_choice', { options: [...DEPARTMENTS] });
      if (p.status === 'solved') throw conflict(`problem ${problemId} is solved; there is nothing to refer`, 'problem_solved', { problemId });
      const now = deps.now();
      const at = time('at', input.at, now);
      const id = db.transaction(() => {
        const id = Number(s.insert.run(problemId, input.department, input.note ?? '', at, actor).lastInsertRowid);
        s.startProblem.run(problemId);
        deps.timeline.add(p.residentId, at, 'problem_referral', { problemId, referralId: id, department: input.department, by: actor });
        repo.audit(now, actor, 'problem.refer', problemId, { referralId: id, department: input.department });
        return id;
      })();
      return referralView(s.get.get(id) as ReferralRow);
    },

    /** the department took it (who, when) and later answered */
    update(id: number, patch: ReferralPatch, actor: string) {
      const r = s.get.get(id) as ReferralRow | undefined;
      if (!r) throw notFound(`no referral ${id}`, 'referral_not_found', { id });
      const now = deps.now();
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
      const p = repo.getProblem(r.problemId)!;
      db.transaction(() => {
        s.update.run(next);
        deps.timeline.add(p.residentId, now, 'referral_update', {
          problemId: r.problemId, referralId: id, department: r.department, takenBy: next.takenBy, answered: next.answer !== null, by: actor,
        });
        repo.audit(now, actor, 'referral.update', String(id), { problemId: r.problemId, fields: Object.keys(patch) });
      })();
      return referralView(s.get.get(id) as ReferralRow);
    },
  };
}
export type ReferralService = ReturnType<typeof referralService>;
