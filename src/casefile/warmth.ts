// The service-warmth index (服务温度指数): the mean of the 1-5 satisfaction ratings residents
// gave when a problem was solved and on follow-up visits, with a month-by-month history. One
// resident's, an area's or the whole site's.
import type { CasefileReportsPort } from '../store/index.ts';
import { localDate } from './calendar.ts';

export interface WarmthIndex {
  /** mean rating 1-5 with one decimal; null while nobody has rated */
  index: number | null;
  /** the index rounded to whole stars (1-5), null while nobody has rated */
  stars: number | null;
  ratings: number;
  /** month by month (site calendar), oldest first, only months with ratings */
  history: Array<{ month: string; index: number; ratings: number }>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function warmthRepository(port: CasefileReportsPort) {
  return {
    async index(scope: { residentId?: string; area?: string }, timeZone: string, now: number, months = 12): Promise<WarmthIndex> {
      // ratings by when they were given: a problem's when it was solved, a visit's when it took place
      const rows = await port.ratings({ residentId: scope.residentId ?? null, area: scope.area ?? null }, now);
      const byMonth = new Map<string, { sum: number; n: number }>();
      let sum = 0;
      for (const r of rows) {
        sum += r.rating;
        const month = localDate(r.at, timeZone).slice(0, 7);
        const m = byMonth.get(month) ?? { sum: 0, n: 0 };
        m.sum += r.rating; m.n++;
        byMonth.set(month, m);
      }
      const index = rows.length ? round1(sum / rows.length) : null;
      const history = [...byMonth.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-months)
        .map(([month, m]) => ({ month, index: round1(m.sum / m.n), ratings: m.n }));
      return { index, stars: index === null ? null : Math.min(5, Math.max(1, Math.round(index))), ratings: rows.length, history };
    },
  };
}
export type WarmthRepository = ReturnType<typeof warmthRepository>;
