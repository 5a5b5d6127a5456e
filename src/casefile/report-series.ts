// The report over time and by area, for the reports screen's charts and CSV: per day (spans up
// to 62 days) or per week (Monday-based) of site.timezone, and per area.
import type { CasefileReportsPort, DatedRow } from '../store/index.ts';
import { addDays, startOfDay, weekday } from './calendar.ts';

export function reportSeriesRepository(port: CasefileReportsPort) {
  return {
    async series(from: string, to: string, timeZone: string, now: number, area: string | null) {
      const start = startOfDay(from, timeZone);
      const end = startOfDay(addDays(to, 1), timeZone);
      const cut = Math.max(start, Math.min(end, now));
      const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
      const unit = days <= 62 ? 'day' : 'week';
      const bucketOf = (date: string) => (unit === 'day' ? date : addDays(date, -((weekday(date) + 6) % 7)));
      const buckets = new Map<string, { visits: number; problemsOpened: number; problemsSolved: number; alerts: number }>();
      for (let d = bucketOf(from); d <= to; d = addDays(d, unit === 'day' ? 1 : 7)) buckets.set(d, { visits: 0, problemsOpened: 0, problemsSolved: 0, alerts: 0 });
      // each bucket's first instant, so a row finds its bucket by binary search instead of a
      // time-zone conversion per row (exact across DST changes too)
      const keys = [...buckets.keys()];
      const starts = keys.map((d) => startOfDay(d, timeZone));
      const bucketAt = (at: number) => {
        let lo = 0; let hi = starts.length - 1;
        if (at < starts[0]) return undefined;
        while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= at) lo = mid; else hi = mid - 1; }
        return buckets.get(keys[lo]);
      };

      const residents = await port.residentAreas(area);
      const areaOf = new Map(residents.map((r) => [r.id, r.area ?? '']));
      const areas = new Map<string, { residents: number; visits: number; visited: Set<string>; problemsOpened: number; problemsSolved: number; problemsOverdue: number; alerts: number }>();
      const areaRow = (id: string) => {
        const key = areaOf.get(id) ?? '';
        let a = areas.get(key);
        if (!a) areas.set(key, a = { residents: 0, visits: 0, visited: new Set(), problemsOpened: 0, problemsSolved: 0, problemsOverdue: 0, alerts: 0 });
        return a;
      };
      for (const r of residents) areaRow(r.id).residents++;

      const count = (rows: DatedRow[], field: 'visits' | 'problemsOpened' | 'problemsSolved' | 'alerts') => {
        for (const row of rows) {
          if (!areaOf.has(row.residentId)) continue; // a deleted resident's alerts stay as history, outside any area
          const b = bucketAt(row.at);
          if (b) b[field]++;
          const a = areaRow(row.residentId);
          a[field]++;
          if (field === 'visits') a.visited.add(row.residentId);
        }
      };
      count(await port.datedRows('visits', start, end, area), 'visits');
      count(await port.datedRows('opened', start, end, area), 'problemsOpened');
      count(await port.datedRows('solved', start, end, area), 'problemsSolved');
      count(await port.datedRows('alerts', start, end, area), 'alerts');
      for (const residentId of await port.overdueAt(cut, area)) if (areaOf.has(residentId)) areaRow(residentId).problemsOverdue++;

      return {
        unit,
        series: [...buckets.entries()].map(([bucket, v]) => ({ start: bucket, ...v })),
        byArea: [...areas.entries()].sort(([a], [b]) => (a || '\uffff').localeCompare(b || '\uffff')).map(([key, a]) => ({
          area: key || null, residents: a.residents, visits: a.visits, residentsVisited: a.visited.size,
          coverage: a.residents ? Math.round((1000 * a.visited.size) / a.residents) / 10 : 0,
          problemsOpened: a.problemsOpened, problemsSolved: a.problemsSolved, problemsOverdue: a.problemsOverdue, alerts: a.alerts,
        })),
      };
    },
  };
}
