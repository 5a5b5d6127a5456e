// Period reports: visits and coverage, problems against their deadlines, and alert
// answering times against the telecare norms. Rates are percentages with one decimal.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import { casefileErrors, errors, nullable, bearer } from './schemas.ts';

const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD, a day in site.timezone' } as const;
const pct = (description: string) => ({ ...nullable({ type: 'number' }), description: `${description}; percent 0-100, one decimal; null when there is nothing to count` });

const reportSchema = {
  type: 'object',
  properties: {
    from: { type: 'string' }, to: { type: 'string' }, timezone: { type: 'string' }, area: { type: 'string', description: 'present when the report is of one area' },
    visits: { type: 'integer' },
    residentsVisited: { type: 'integer' },
    residents: { type: 'integer', description: 'residents on record now' },
    coverage: { type: 'number', description: 'percent of all residents visited in the period (0 when there are none)' },
    problemsOpened: { type: 'integer' },
    problemsSolved: { type: 'integer' },
    problemsOverdue: { type: 'integer', description: 'past their deadline and not solved at the end of the period (or now, if earlier)' },
    problemsDue: { type: 'integer', description: 'problems whose deadline fell in the period, up to now' },
    onTimeRate: pct('of problemsDue, the share solved by their deadline'),
    alerts: {
      type: 'object',
      properties: {
        total: { type: 'integer', description: 'alerts opened in the period' },
        answerable: { type: 'integer', description: 'total less alerts that ended by themselves within 180 s, unanswered' },
        acknowledged: { type: 'integer' },
        acknowledgedWithin60s: pct('of answerable alerts, acknowledged (or resolved by a person) within 60 s of opening'),
        acknowledgedWithin180s: pct('the same within 180 s'),
        medianSecondsToAcknowledge: nullable({ type: 'number' }),
      },
    },
  },
} as const;

const area = { type: 'string', minLength: 1, maxLength: 100, description: "one area's residents only" } as const;
const query = { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: day, to: day, area } } as const;

/** a CSV cell: quoted when it must be, and never a formula a spreadsheet would run (=, +, -, @) */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function reportRoutes(app: FastifyInstance, casefile: Casefile): Promise<void> {
  casefileErrors(app);
  app.get<{ Querystring: { from: string; to: string; area?: string } }>('/api/reports', {
    schema: {
      summary: 'Visits, coverage, problems and alert answering for whole days from..to (inclusive), optionally of one area', tags: ['reports'], security: bearer,
      querystring: query,
      response: { 200: reportSchema, ...errors(400, 401) },
    },
  }, async (request) => casefile.report(request.query.from, request.query.to, request.query.area));

  app.get<{ Querystring: { from: string; to: string; area?: string } }>('/api/reports/series', {
    schema: {
      summary: 'The report per day (spans up to 62 days) or per week (Monday), and per area: for charts', tags: ['reports'], security: bearer,
      querystring: query, response: errors(400, 401),
    },
  }, async (request) => casefile.reportSeries(request.query.from, request.query.to, request.query.area));

  app.get<{ Querystring: { from: string; to: string; area?: string; by: 'area' | 'day' } }>('/api/reports/export.csv', {
    schema: {
      summary: 'The report as CSV (UTF-8 with BOM, for spreadsheets): by=area (default) one row per area and a total; by=day one row per day or week', tags: ['reports'], security: bearer,
      querystring: { ...query, properties: { ...query.properties, by: { type: 'string', enum: ['area', 'day'], default: 'area' } } },
      response: errors(400, 401),
    },
  }, async (request, reply) => {
    const { from, to, area: oneArea, by } = request.query;
    const total = await casefile.report(from, to, oneArea);
    const series = await casefile.reportSeries(from, to, oneArea);
    const rows: unknown[][] = [];
    if (by === 'day') {
      rows.push([series.unit, 'visits', 'problemsOpened', 'problemsSolved', 'alerts']);
      for (const b of series.series) rows.push([b.start, b.visits, b.problemsOpened, b.problemsSolved, b.alerts]);
    } else {
      rows.push(['area', 'residents', 'visits', 'residentsVisited', 'coverage', 'problemsOpened', 'problemsSolved', 'problemsOverdue', 'alerts']);
      for (const a of series.byArea) rows.push([a.area ?? '', a.residents, a.visits, a.residentsVisited, a.coverage, a.problemsOpened, a.problemsSolved, a.problemsOverdue, a.alerts]);
      rows.push(['total', total.residents, total.visits, total.residentsVisited, total.coverage, total.problemsOpened, total.problemsSolved, total.problemsOverdue, total.alerts.total]);
    }
    const body = '\ufeff' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
    const name = `report-${from}-${to}${by === 'day' ? '-by-day' : ''}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(body);
  });
}
