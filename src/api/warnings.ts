// Data warnings (数据预警) across the district, most severe first.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import { casefileErrors, errors, bearer } from './schemas.ts';

export async function warningRoutes(app: FastifyInstance, deps: { casefile: Casefile; now(): number }): Promise<void> {
  casefileErrors(app);
  app.get<{ Querystring: { area?: string } }>('/api/warnings', {
    schema: {
      summary: 'Warnings: long_unvisited, problem_overdue, problem_cluster (3+ of one category in one area in 30 days), activity_decline (4 falling weeks)', tags: ['warnings'], security: bearer,
      querystring: { type: 'object', additionalProperties: false, properties: { area: { type: 'string', minLength: 1, maxLength: 100 } } },
      response: errors(400, 401),
    },
  }, async (request) => deps.casefile.warnings.warnings(deps.now(), request.query.area));
}
