// Visits, problems, the WT counter and the audit log: statements prepared once, rows mapped to
// camelCase. Multi-row writes are composed by the callers inside db.transaction.
import type { Db } from '../store/index.ts';
import type { Urgency } from './deadlines.ts';

export type ProblemCategory = 'livelihood' | 'health' | 'social';
export type ProblemStatus = 'pending' | 'in_progress' | 'solved';

export interface Observations {
  homeSafety?: string;
  mood?: string;
  familyRelations?: string;
  supportNetwork?: string;
  [other: string]: string | undefined;
}

export interface VisitRow {
  id: number;
  residentId: string;
  visitor: string;
  at: number;
  endedAt: number | null;
  purpose: string;
  notes: string;
  observations: Observations;
  recordedBy: string;
  createdAt: number;
  /** the resident's satisfaction 1-5 asked on a follow-up visit, or null */
  satisfaction?: number | null;
}

export interface ProblemRow {
  id: string;
  visitId: number;
  residentId: string;
  description: string;
  category: ProblemCategory;
  /** the handbook's sub-kind of the category, or null */
  subcategory?: string | null;
  urgency: Urgency;
  responsible: string;
  deadline: number;
  status: ProblemStatus;
  openedAt: number;
  solvedAt: number | null;
  followUpVisitId: number | null;
  satisfaction: number | null;
  /** what was done to solve it */
  resolution?: string | null;
}

const visitCols = `id, resident_id AS residentId, visitor, at, ended_at AS endedAt, purpose, notes, observations,
  recorded_by AS recordedBy, created_at AS createdAt, satisfaction`;
const problemCols = `id, visit_id AS visitId, resident_id AS residentId, description, category, urgency, responsible,
  deadline, status, opened_at AS openedAt, solved_at AS solvedAt, follow_up_visit_id AS followUpVisitId, satisfaction, subcategory, resolution`;

function visitFromRow(row: any): VisitRow {
  return { ...row, observations: JSON.parse(row.observations) };
}

export function casefileRepository(db: Db) {
  const s = {
    getVisit: db.prepare(`SELECT ${visitCols} FROM visits WHERE id = ?`),
    getProblem: db.prepare(`SELECT ${problemCols} FROM problems WHERE id = ?`),
    lastVisits: db.prepare(`SELECT resident_id AS residentId, MAX(at) AS at FROM visits WHERE at <= ? GROUP BY resident_id`),
    overdue: db.prepare(`SELECT id, resident_id AS residentId, urgency, deadline FROM problems WHERE status != 'solved' AND deadline < ? ORDER BY deadline`),
    audit: db.prepare(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`),
    auditPage: db.prepare(`SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`),
  };

  return {
    getVisit: (id: number): VisitRow | undefined => {
      const row = s.getVisit.get(id);
      return row ? visitFromRow(row) : undefined;
    },
    getProblem: (id: string): ProblemRow | undefined => s.getProblem.get(id) as ProblemRow | undefined,
    /** each resident's latest visit at or before `now` */
    lastVisits(now: number): Map<string, number> {
      return new Map((s.lastVisits.all(now) as Array<{ residentId: string; at: number }>).map((r) => [r.residentId, r.at]));
    },
    /** open problems past their deadline, by resident, oldest deadline first */
    overdueProblems(now: number): Map<string, Array<{ id: string; urgency: Urgency; deadline: number }>> {
      const out = new Map<string, Array<{ id: string; urgency: Urgency; deadline: number }>>();
      for (const p of s.overdue.all(now) as Array<{ id: string; residentId: string; urgency: Urgency; deadline: number }>) {
        out.set(p.residentId, [...(out.get(p.residentId) ?? []), { id: p.id, urgency: p.urgency, deadline: p.deadline }]);
      }
      return out;
    },
    /** who changed what, when; `detail` never holds secrets */
    audit(at: number, actor: string, action: string, target: string, detail: Record<string, unknown> = {}): void {
      s.audit.run(at, actor, action, target, JSON.stringify(detail));
    },
    auditPage(limit: number, beforeId = Number.MAX_SAFE_INTEGER) {
      return (s.auditPage.all(beforeId, limit) as Array<{ id: number; at: number; actor: string; action: string; target: string; detail: string }>)
        .map((r) => ({ ...r, at: new Date(r.at).toISOString(), detail: JSON.parse(r.detail) as Record<string, unknown> }));
    },
  };
}
export type CasefileRepository = ReturnType<typeof casefileRepository>;
