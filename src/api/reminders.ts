// GET /api/reminders?from&to (CONTRACT.md "HTTP"): deadlines, visits due, birthdays, festivals,
// follow-up appointments and the knock-on-door day, oldest first.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import { casefileErrors, errors, nullable, bearer } from './schemas.ts';
import { personName } from './users.ts';
import { localDate } from '../casefile/calendar.ts';
import { nextKnockDate } from '../casefile/reminders.ts';
import { dayKind } from '../casefile/official-calendar.ts';

const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD, a day in site.timezone' } as const;

export async function reminderRoutes(app: FastifyInstance, deps: { casefile: Casefile; now(): number }): Promise<void> {
  casefileErrors(app);
  app.get('/api/site', {
    schema: {
      summary: "The site's calendar (time zone, today, whether today is a working day, the knock day and the next one) and who is asking", tags: ['reminders'], security: bearer,
      response: errors(401),
    },
  }, async (request) => {
    const { site, knockDay } = deps.casefile;
    const today = localDate(deps.now(), site.timeZone);
    return {
      timezone: site.timeZone, today, calendar: site.official ? 'cn' : 'weekends', workingDay: dayKind(today, site),
      knockDay: knockDay ?? null, nextKnockDay: knockDay ? nextKnockDate(today, knockDay) : null,
      // who is asking: the page shows the admin section to admins only
      you: { name: personName(request.caller), role: request.caller!.role },
    };
  });

  app.get<{ Querystring: { from: string; to: string } }>('/api/reminders', {
    schema: {
      summary: 'Reminders for the days from..to (inclusive, at most 366 days)', tags: ['reminders'], security: bearer,
      description: 'kind: problem_deadline (open problems due in the span, within 24 h, or passed: overdue), visit_due (by visit cycle; ' +
        'overdue or neverVisited), birthday (with age), festival (spring_festival, mid_autumn, double_ninth; lunar), ' +
        'follow_up_appointment (复诊日), knock_day (site.knockDay, with residentIds and residents by area). ' +
        '`due` is an ISO instant for deadlines and visits, a date YYYY-MM-DD for the others; `date` is always the site-local day.',
      querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: day, to: day } },
      response: {
        200: {
          type: 'object',
          properties: {
            from: { type: 'string' }, to: { type: 'string' }, timezone: { type: 'string' }, today: { type: 'string' },
            items: {
              type: 'array',
              items: {
                type: 'object', additionalProperties: true,
                properties: { kind: { type: 'string' }, residentId: nullable({ type: 'string' }), due: { type: 'string' }, date: { type: 'string' } },
              },
            },
          },
        },
        ...errors(400, 401),
      },
    },
  }, async (request) => deps.casefile.reminders.reminders(request.query.from, request.query.to, deps.now()));
}
