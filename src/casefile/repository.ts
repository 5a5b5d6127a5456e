// The casefile's row shapes of visits and problems, as the visits service speaks them. The rows
// themselves live behind the store's ports (visits, audit, casefileReports): no SQL here.
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
