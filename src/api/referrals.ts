// Referrals of a problem to a department (跨部门协作), and the department's answer.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import type { ReferralInput, ReferralPatch } from '../casefile/referrals.ts';
import { DEPARTMENTS } from '../casefile/handbook.ts';
import { casefileErrors, errors, nullable, isoTime, bearer } from './schemas.ts';
import { personName } from './users.ts';

const text = (max: number, min = 0) => ({ type: 'string', minLength: min, maxLength: max });
const problemParams = { type: 'object', properties: { id: { type: 'string', pattern: '^WT\\d{7,}$', maxLength: 20 } }, required: ['id'] } as const;
export const referralSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, problemId: { type: 'string' }, department: { type: 'string' }, note: { type: 'string' },
    referredAt: isoTime, referredBy: { type: 'string' }, takenBy: nullable({ type: 'string' }), takenAt: nullable(isoTime),
    answer: nullable({ type: 'string' }), answeredAt: nullable(isoTime), status: { type: 'string', enum: ['referred', 'taken', 'answered'] },
  },
} as const;

export async function referralRoutes(app: FastifyInstance, casefile: Casefile): Promise<void> {
  casefileErrors(app);
  const tags = ['problems'];
  app.post<{ Params: { id: string }; Body: ReferralInput }>('/api/problems/:id/referrals', {
    schema: {
      summary: 'Refer a problem to a department; a pending problem becomes in progress', tags, security: bearer, params: problemParams,
      body: {
        type: 'object', additionalProperties: false, required: ['department'],
        properties: { department: { type: 'string', enum: DEPARTMENTS }, note: text(5000), at: text(40, 1) },
      },
      response: { 201: referralSchema, ...errors(400, 401, 404, 409) },
    },
  }, async (request, reply) => reply.code(201).send(await casefile.referrals.refer(request.params.id, request.body, personName(request.caller))));

  app.get<{ Params: { id: string } }>('/api/problems/:id/referrals', {
    schema: { summary: "A problem's referrals", tags, security: bearer, params: problemParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: referralSchema } } }, ...errors(400, 401, 404) } },
  }, async (request) => {
    await casefile.visits.getProblem(request.params.id);
    return { items: await casefile.referrals.of(request.params.id) };
  });

  app.patch<{ Params: { id: number }; Body: ReferralPatch }>('/api/referrals/:id', {
    schema: {
      summary: 'Record who at the department took the referral and when, and its answer', tags, security: bearer,
      params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: { takenBy: text(200, 1), takenAt: text(40, 1), answer: text(5000, 1), answeredAt: text(40, 1) },
      },
      response: { 200: referralSchema, ...errors(400, 401, 404) },
    },
  }, async (request) => await casefile.referrals.update(request.params.id, request.body, personName(request.caller)));
}
