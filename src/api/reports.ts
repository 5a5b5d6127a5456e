// Period reports (issue 5): visits and coverage, problems against their deadlines, and alert
// answering times against the telecare norms. Rates are percentages with one decimal.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import { casefileErrors, errors, nullable, bearer } from './schemas.ts';

const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD, a day in site.timezone' } as const;
const pct = (description: string) => ({ ...nullable({ type: 'number' }), description: `${description}; percent 0-100, one decimal; null when there is nothing to count` });

const reportSchema = {
  type: 'object',
  properties: {
    from: { type: 'string' }, to: { type: 'string' }, timezone: { type: 'string' },
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

export async function reportRoutes(app: FastifyInstance, casefile: Casefile): Promise<void> {
  casefileErrors(app);
  app.get<{ Querystring: { from: string; to: string } }>('/api/reports', {
    schema: {
      summary: 'Visits, coverage, problems and alert answering for whole days from..to (inclusive)', tags: ['reports'], security: bearer,
      querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: day, to: day } },
      response: { 200: reportSchema, ...errors(400, 401) },
    },
  }, async (request) => casefile.report(request.query.from, request.query.to));
}
