// Row shaping that both engines share (the same rows, grouped the same way).
import type { ProblemRow } from './ports.ts';

export type OverdueProblem = { id: string; residentId: string; urgency: ProblemRow['urgency']; deadline: number };

/** open problems past their deadline grouped by resident, in the order given */
export function byResident(rows: OverdueProblem[]): Map<string, Array<Omit<OverdueProblem, 'residentId'>>> {
  const out = new Map<string, Array<Omit<OverdueProblem, 'residentId'>>>();
  for (const p of rows) out.set(p.residentId, [...(out.get(p.residentId) ?? []), { id: p.id, urgency: p.urgency, deadline: p.deadline }]);
  return out;
}
