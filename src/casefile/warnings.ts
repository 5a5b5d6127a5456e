// Data warnings (数据预警): what the whole district's records say that no single casefile shows.
// - long_unvisited: not visited for twice the visit cycle (default 2 x 30 days), or never
//   visited though on record longer than one cycle
// - problem_overdue: an open problem past its deadline
// - problem_cluster: several problems of one category in one area within 30 days
// - activity_decline: a resident's activity falling week after week for 4 weeks, to well below
//   where it started
import type { Store } from '../store/index.ts';
import { DEFAULT_VISIT_CYCLE_MS, MIN_USUAL_WEEKLY } from './planning.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
export const LONG_UNVISITED_CYCLES = 2;
export const CLUSTER_DAYS = 30;
export const CLUSTER_MIN = 3;
/** the last of 4 falling weeks at or below this share of the first */
export const DECLINE_RATIO = 0.6;

const SEVERITY = { problem_overdue: 3, activity_decline: 3, long_unvisited: 2, problem_cluster: 2 } as const;

export function warningService(deps: { store: Store }) {
  const { store } = deps;
  return {
    async warnings(now: number, area?: string) {
      const residents = (await store.residents.listResidents()).filter((r) => !area || r.area === area);
      const byId = new Map(residents.map((r) => [r.id, r]));
      const created = new Map((await store.casefileReports.residentAreas(null)).map((r) => [r.id, r.createdAt]));
      const lastVisits = await store.visits.lastVisits(now);
      const items: Array<Record<string, unknown> & { code: keyof typeof SEVERITY; severity: number }> = [];
      const who = (id: string) => ({ residentId: id, name: byId.get(id)?.name, area: byId.get(id)?.area ?? null });

      for (const r of residents) {
        const cycle = r.visitCycleMs ?? DEFAULT_VISIT_CYCLE_MS;
        const last = lastVisits.get(r.id);
        const since = last ?? created.get(r.id) ?? now;
        const limit = last === undefined ? cycle : LONG_UNVISITED_CYCLES * cycle;
        if (now - since > limit) {
          items.push({
            code: 'long_unvisited', severity: SEVERITY.long_unvisited, ...who(r.id),
            lastVisitAt: last === undefined ? null : new Date(last).toISOString(), days: Math.floor((now - since) / DAY_MS),
            visitCycleDays: Math.round(cycle / DAY_MS),
          });
        }
      }

      for (const p of await store.casefileReports.openProblemsBefore(now)) {
        if (!byId.has(p.residentId)) continue;
        items.push({
          code: 'problem_overdue', severity: SEVERITY.problem_overdue, ...who(p.residentId), problemId: p.id, category: p.category,
          urgency: p.urgency, responsible: p.responsible, deadline: new Date(p.deadline).toISOString(), hoursOverdue: Math.floor((now - p.deadline) / 3_600_000),
        });
      }

      for (const c of await store.casefileReports.problemClusters(now - CLUSTER_DAYS * DAY_MS, now, CLUSTER_MIN)) {
        if (area && c.area !== area) continue;
        items.push({
          code: 'problem_cluster', severity: SEVERITY.problem_cluster, residentId: null, area: c.area, category: c.category,
          problems: c.n, residents: c.residents, problemIds: c.ids, days: CLUSTER_DAYS,
        });
      }

      // weeks counted back from now: 0 is the last 7 days, 3 the oldest; activity as the rules
      // core counts it (a door only when its state changes), the store's one definition
      const weeks = new Map<string, number[]>();
      for (const w of await store.casefileReports.weeklyActivity(now - 4 * WEEK_MS, now)) {
        const counts = weeks.get(w.residentId) ?? [0, 0, 0, 0];
        if (w.week >= 0 && w.week < 4) counts[w.week] = w.n;
        weeks.set(w.residentId, counts);
      }
      for (const [residentId, counts] of weeks) {
        if (!byId.has(residentId)) continue;
        const oldestFirst = [...counts].reverse();
        const falling = oldestFirst.every((n, i) => i === 0 || n < oldestFirst[i - 1]);
        if (falling && oldestFirst[0] >= MIN_USUAL_WEEKLY && oldestFirst[3] <= oldestFirst[0] * DECLINE_RATIO) {
          items.push({ code: 'activity_decline', severity: SEVERITY.activity_decline, ...who(residentId), weekly: oldestFirst });
        }
      }

      items.sort((a, b) => b.severity - a.severity || a.code.localeCompare(b.code) || String(a.residentId ?? a.area).localeCompare(String(b.residentId ?? b.area)));
      const counts: Record<string, number> = {};
      for (const i of items) counts[i.code] = (counts[i.code] ?? 0) + 1;
      return { at: new Date(now).toISOString(), area: area ?? null, counts, items };
    },
  };
}
export type WarningService = ReturnType<typeof warningService>;
