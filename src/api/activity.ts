// Activity by hour of day (the casefile's chart): door contact reports, occupancy seen and
// button presses over the last N days, bucketed by the resident's own local hour.
import type { FastifyInstance } from 'fastify';
import type { ResidentsPort } from '../store/index.ts';
import type { Casefile } from '../casefile/index.ts';
import { casefileErrors, errors, isoTime, residentIdParams, bearer } from './schemas.ts';

export async function activityRoutes(app: FastifyInstance, deps: { casefile: Casefile; residents: Pick<ResidentsPort, 'getResident'>; now(): number }): Promise<void> {
  casefileErrors(app);
  app.get<{ Params: { id: string }; Querystring: { days: number } }>('/api/residents/:id/activity', {
    schema: {
      summary: 'Activity counts per local hour of day over the last days', tags: ['residents'], security: bearer,
      params: residentIdParams,
      querystring: { type: 'object', additionalProperties: false, properties: { days: { type: 'integer', minimum: 1, maximum: 90, default: 28 } } },
      response: {
        200: {
          type: 'object',
          properties: {
            residentId: { type: 'string' }, timezone: { type: 'string' }, days: { type: 'integer' }, from: isoTime, to: isoTime,
            total: { type: 'integer' },
            hours: { type: 'array', items: { type: 'integer' }, minItems: 24, maxItems: 24, description: 'index = local hour 0-23' },
          },
        },
        ...errors(400, 401, 404),
      },
    },
  }, async (request, reply) => {
    const r = await deps.residents.getResident(request.params.id);
    if (!r) return reply.code(404).send({ error: `no resident ${request.params.id}` });
    return await deps.casefile.activity.byHour(r.id, r.timezone, request.query.days, deps.now());
  });
}
