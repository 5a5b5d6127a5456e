// Knock-on-door rounds (暖心敲门): the next knock day and its residents, a round per date (and
// area), each door's quick checklist recorded as a short visit, progress and findings.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import type { DoorInput } from '../casefile/rounds.ts';
import { validSpan } from '../casefile/reminders.ts';
import { casefileErrors, errors, bearer } from './schemas.ts';
import { personName } from './users.ts';

const text = (max: number, min = 0) => ({ type: 'string', minLength: min, maxLength: max });
const check = { type: 'string', enum: ['ok', 'concern', 'skipped'] } as const;
const roundParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

export async function roundRoutes(app: FastifyInstance, deps: { casefile: Casefile; now(): number }): Promise<void> {
  casefileErrors(app);
  const { rounds } = deps.casefile;
  const tags = ['rounds'];

  app.get<{ Querystring: { area?: string } }>('/api/rounds/next', {
    schema: {
      summary: 'The next knock day (site.knockDay, today included) and the residents on it, in walking order', tags, security: bearer,
      querystring: { type: 'object', additionalProperties: false, properties: { area: text(100, 1) } }, response: errors(400, 401),
    },
  }, async (request) => rounds.next(deps.now(), request.query.area));

  app.get<{ Querystring: { from: string; to: string } }>('/api/rounds', {
    schema: {
      summary: 'Rounds on from..to, newest first, with progress', tags, security: bearer,
      querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: day, to: day } }, response: errors(400, 401),
    },
  }, async (request) => {
    validSpan(request.query.from, request.query.to);
    return { items: await rounds.list(request.query.from, request.query.to) };
  });

  app.post<{ Body: { date?: string; area?: string } }>('/api/rounds', {
    schema: {
      summary: 'Start a round: date (default the next knock day) and area (default every area); 409 if that round exists', tags, security: bearer,
      body: { type: 'object', additionalProperties: false, properties: { date: day, area: text(100, 1) } },
      response: errors(400, 401, 409),
    },
  }, async (request, reply) => reply.code(201).send(await rounds.create(request.body ?? {}, personName(request.caller), deps.now())));

  app.get<{ Params: { id: number } }>('/api/rounds/:id', {
    schema: { summary: 'A round: its doors, progress and findings', tags, security: bearer, params: roundParams, response: errors(400, 401, 404) },
  }, async (request) => rounds.view(request.params.id));

  app.post<{ Params: { id: number; residentId: string }; Body: DoorInput }>('/api/rounds/:id/doors/:residentId', {
    schema: {
      summary: 'Record one door: answered (a short visit with the checklist) or nobody answered (a finding)', tags, security: bearer,
      params: {
        type: 'object', required: ['id', 'residentId'],
        properties: { id: { type: 'integer', minimum: 1 }, residentId: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 100 } },
      },
      body: {
        type: 'object', additionalProperties: false, required: ['answered'],
        properties: {
          answered: { type: 'boolean' },
          checklist: {
            type: 'object', additionalProperties: false,
            description: 'health asked, safety checked, needs heard: ok | concern | skipped; information passed on: done | skipped',
            properties: { health: check, safety: check, needs: check, info: { type: 'string', enum: ['done', 'skipped'] } },
          },
          note: text(5000), at: text(40, 1),
          problems: {
            type: 'array', maxItems: 20,
            items: {
              type: 'object', required: ['description', 'category', 'urgency'], additionalProperties: false,
              properties: {
                description: text(5000, 1), category: { type: 'string', enum: ['livelihood', 'health', 'social'] },
                subcategory: text(40, 1), urgency: { type: 'string', enum: ['high', 'normal'] }, responsible: text(200),
              },
            },
          },
        },
      },
      response: errors(400, 401, 404, 409),
    },
  }, async (request) => rounds.door(request.params.id, request.params.residentId, request.body, personName(request.caller)));
}
