// Period reports (GET /api/reports): visits and coverage, problems and their
// deadlines, and how fast alerts were answered against the telecare norms (60 s and 180 s).
// Days are whole local days of site.timezone, `from` and `to` both included.
import type { CasefileReportsPort } from '../store/index.ts';
import { addDays, isCivilDate, inCalendar, startOfDay, CALENDAR_FIRST, CALENDAR_LAST } from './calendar.ts';
import { invalid } from './errors.ts';

/** a percentage with one decimal, or null when there is nothing to take a share of */
function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((1000 * part) / whole) / 10;
}

function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Who resolves an alert without acknowledging it is recorded in resolved_by; the gateway's own
// automatic resolutions (device back online, activity resumed) are not a person answering.
const NORM_180_MS = 180_000;
const AUTOMATIC_RESOLVERS = new Set(['rules', 'system', 'gateway', 'auto', 'device']);

export function reportRepository(port: CasefileReportsPort) {
  return {
    async report(from: string, to: string, timeZone: string, now: number, area: string | null = null) {
      if (!isCivilDate(from)) throw invalid('from: expected a date like 2026-03-01', 'invalid_date');
      if (!isCivilDate(to)) throw invalid('to: expected a date like 2026-03-31', 'invalid_date');
      if (!inCalendar(from)) throw invalid(`from: expected a date from ${CALENDAR_FIRST} to ${CALENDAR_LAST}`, 'date_out_of_range', { min: CALENDAR_FIRST, max: CALENDAR_LAST });
      if (!inCalendar(to)) throw invalid(`to: expected a date from ${CALENDAR_FIRST} to ${CALENDAR_LAST}`, 'date_out_of_range', { min: CALENDAR_FIRST, max: CALENDAR_LAST });
      if (from > to) throw invalid('from: must not be after to', 'from_after_to');
      const start = startOfDay(from, timeZone);
      const end = startOfDay(addDays(to, 1), timeZone);
      // a period reaching into the future is judged as of now
      const cut = Math.max(start, Math.min(end, now));

      const f = await port.periodFigures(start, end, cut, area);
      const alerts = await port.alertsOpened(start, end, area);
      const answerSeconds: number[] = [];
      let counted = 0;
      for (const a of alerts) {
        const personResolved = a.resolvedAt !== null && a.resolvedBy !== null && !AUTOMATIC_RESOLVERS.has(a.resolvedBy);
        const answeredAt = a.acknowledgedAt ?? (personResolved ? a.resolvedAt : null);
        // an alert that ended by itself (device back, activity resumed) before the 180 s norm ran
        // out needed no answer: left out of the shares. One left unanswered longer counts as missed.
        if (answeredAt === null && a.resolvedAt !== null && a.resolvedAt - a.openedAt <= NORM_180_MS) continue;
        counted++;
        if (answeredAt !== null) answerSeconds.push((answeredAt - a.openedAt) / 1000);
      }
      answerSeconds.sort((x, y) => x - y);

      return {
        from, to, timezone: timeZone, ...(area === null ? {} : { area }),
        visits: f.visits,
        residentsVisited: f.residentsVisited,
        residents: f.residents,
        coverage: percent(f.residentsVisited, f.residents) ?? 0,
        problemsOpened: f.problemsOpened,
        problemsSolved: f.problemsSolved,
        problemsOverdue: f.problemsOverdue,
        problemsDue: f.problemsDue,
        onTimeRate: percent(f.problemsOnTime, f.problemsDue),
        alerts: {
          total: alerts.length,
          answerable: counted,
          acknowledged: answerSeconds.length,
          acknowledgedWithin60s: percent(answerSeconds.filter((x) => x <= 60).length, counted),
          acknowledgedWithin180s: percent(answerSeconds.filter((x) => x <= 180).length, counted),
          medianSecondsToAcknowledge: median(answerSeconds),
        },
      };
    },
  };
}
export type ReportRepository = ReturnType<typeof reportRepository>;
