// Visits and problems: record a visit with what was found, follow problems to their
// solution, and plan who to visit next. Caseworkers and admins alike may do all of it.
import type { FastifyInstance } from 'fastify';
import { personName, callerKeys } from './users.ts';
import type { Casefile, VisitInput, ProblemPatch, ProblemStatus } from '../casefile/index.ts';
import type { IdempotencyPort } from '../store/index.ts';
import { casefileErrors, errors, isoTime, nullable, residentIdParams, bearer } from './schemas.ts';
import { ALL_SUBCATEGORIES } from '../casefile/handbook.ts';

const problemId = { type: 'string', pattern: '^WT\\d{7,}$', maxLength: 20, description: 'WT{year}{seq}, e.g. WT2026001' } as const;
const category = { type: 'string', enum: ['livelihood', 'health', 'social'] } as const;
const urgency = { type: 'string', enum: ['high', 'normal'], description: 'high: due 24 h after the visit; normal: end of the 3rd working day after the visit day (site.timezone, weekends and site.holidays skipped)' } as const;
const status = { type: 'string', enum: ['pending', 'in_progress', 'solved'] } as const;
const text = (max: number, min = 0) => ({ type: 'string', minLength: min, maxLength: max });

const observations = {
  type: 'object',
  description: 'what the visitor saw; the four named fields are the usual ones, others are kept too',
  properties: { homeSafety: text(5000), mood: text(5000), familyRelations: text(5000), supportNetwork: text(5000) },
  additionalProperties: text(5000),
  maxProperties: 20,
} as const;

export const problemSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, visitId: { type: 'integer' }, residentId: { type: 'string' }, description: { type: 'string' },
    category: { type: 'string' }, urgency: { type: 'string' }, responsible: { type: 'string' }, status: { type: 'string' },
    deadline: isoTime, openedAt: isoTime, solvedAt: nullable(isoTime), followUpVisitId: nullable({ type: 'integer' }),
    satisfaction: nullable({ type: 'integer' }), overdue: { type: 'boolean' },
    subcategory: nullable({ type: 'string' }), resolution: nullable({ type: 'string' }),
    referrals: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

const visitSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, residentId: { type: 'string' }, visitor: { type: 'string' }, at: isoTime, endedAt: nullable(isoTime),
    purpose: { type: 'string' }, notes: { type: 'string' }, observations: { type: 'object', additionalProperties: { type: 'string' } },
    satisfaction: nullable({ type: 'integer' }), recordedBy: { type: 'string' }, createdAt: isoTime, problems: { type: 'array', items: problemSchema },
    confirmedSolved: { type: 'array', items: { type: 'string' } },
  },
} as const;

const visitBody = {
  type: 'object',
  required: ['visitor', 'at', 'purpose'],
  additionalProperties: false,
  properties: {
    visitor: text(200, 1),
    at: { ...text(40, 1), description: 'ISO-8601; without an offset it is read in site.timezone' },
    endedAt: text(40, 1),
    purpose: { ...text(200, 1), description: 'routine | follow_up | needs_survey, or free text' },
    notes: text(20000),
    observations,
    problems: {
      type: 'array', maxItems: 50,
      items: {
        type: 'object', required: ['description', 'category', 'urgency'], additionalProperties: false,
        properties: {
          description: text(5000, 1), category, urgency,
          subcategory: { type: 'string', enum: ALL_SUBCATEGORIES, description: 'a sub-kind of the category: livelihood (income, housing, daily_care, meals, home_safety, benefits), health (illness, medication, medical_visit, rehabilitation, mental_health, assistive_devices), social (loneliness, family_relations, community_activity, rights, schooling)' },
          responsible: { ...text(200), description: 'default: the visitor (first asked, first responsible)' } },
      },
    },
    followUpOf: { type: 'array', maxItems: 50, items: problemId, description: 'problems of this resident the visit confirms solved' },
    satisfaction: { type: 'integer', minimum: 1, maximum: 5, description: 'on a follow-up visit: the resident\'s satisfaction 1-5 (service-warmth index)' },
  },
} as const;

const problemPatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    status: { ...status, description: 'forward only: pending -> in_progress -> solved' },
    responsible: text(200, 1),
    followUpVisitId: { type: 'integer', minimum: 1, description: 'the visit that confirmed the solution (implies solved)' },
    satisfaction: { type: 'integer', minimum: 1, maximum: 5 },
    solvedAt: text(40, 1),
    resolution: { ...text(5000, 1), description: 'what was done; required when the problem becomes solved' },
  },
} as const;

const dueReason = {
  type: 'object',
  properties: {
    code: { type: 'string', enum: ['open_alerts', 'recent_alerts', 'devices_offline', 'low_activity', 'never_visited', 'visit_overdue', 'problems_overdue'] },
    score: { type: 'number' },
  },
  additionalProperties: true,
} as const;

/** answers kept for retried requests: a phone that lost the answer sends the same key again */
export type Idempotency = IdempotencyPort;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,100}$/;
/** long enough for a phone that was a week without signal */
const KEEP_ANSWERS_MS = 30 * 24 * 3600_000;

export interface VisitRoutesOptions {
  idempotency?: Idempotency;
  now?(): number;
  /** a problem moved on (the live page redraws the resident's problems) */
  problemChanged?(residentId: string, problemId: string): void;
}

const running = new Map<string, Promise<unknown>>();

/** runs `fn` after any earlier call with the same key has settled */
function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = running.get(key) ?? Promise.resolve();
  const mine = before.then(fn, fn);
  const tail = mine.catch(() => {});
  running.set(key, tail);
  void tail.then(() => { if (running.get(key) === tail) running.delete(key); });
  return mine;
}

export async function visitRoutes(app: FastifyInstance, casefile: Casefile, opts: VisitRoutesOptions = {}): Promise<void> {
  const { idempotency } = opts;
  const now = opts.now ?? Date.now;
  casefileErrors(app);

  app.post<{ Params: { id: string }; Body: VisitInput }>('/api/residents/:id/visits', {
    schema: {
      summary: 'Record a visit and the problems found on it', tags: ['visits'], security: bearer,
      description: 'With an Idempotency-Key header (8-100 letters, digits, - or _), the same key from the same caller within 30 days '
        + 'answers what the first request was answered and records nothing again: a phone that lost the answer may simply send again.',
      params: residentIdParams, body: visitBody, response: { 201: visitSchema, ...errors(400, 401, 404) },
    },
  }, async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const route = `visit:${request.params.id}`;
    const actor = callerKeys(request.caller!)[0];
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      return reply.code(400).send({ error: 'Idempotency-Key: 8-100 letters, digits, - or _', code: 'invalid_field', params: { field: 'idempotencyKey' } });
    }
    const record = () => casefile.visits.recordVisit(request.params.id, request.body, personName(request.caller));
    if (!key || !idempotency) return reply.code(201).send(await record());
    // one request per (caller, key) at a time in this process, from the look-up to remember():
    // a second request with the key waits and is answered what the first one was
    const answer = await oneAtATime(`${actor}\u0000${key}`, async () => {
      const earlier = await idempotency.remembered(actor, key, route);
      if (earlier) return { earlier };
      const visit = await record();
      const at = now();
      await idempotency.forgetBefore(at - KEEP_ANSWERS_MS);
      await idempotency.remember(actor, key, route, 201, JSON.stringify(visit), at);
      return { visit };
    });
    if (answer.earlier) return reply.code(answer.earlier.status).header('idempotent-replayed', 'true').type('application/json').send(answer.earlier.body);
    return reply.code(201).send(answer.visit);
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; before?: string } }>('/api/residents/:id/visits', {
    schema: {
      summary: "A resident's visits, newest first, with their problems", tags: ['visits'], security: bearer,
      params: residentIdParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, before: text(64, 1) },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: visitSchema }, nextBefore: nullable({ type: 'string' }) } }, ...errors(400, 401, 404) },
    },
  }, async (request) => casefile.visits.listVisits(request.params.id, request.query.limit, request.query.before));

  app.get<{ Params: { id: string }; Querystring: { status?: ProblemStatus | 'open' | 'overdue' } }>('/api/residents/:id/problems', {
    schema: {
      summary: "A resident's problems, newest first", tags: ['problems'], security: bearer,
      params: residentIdParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { status: { type: 'string', enum: ['pending', 'in_progress', 'solved', 'open', 'overdue'] } },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: problemSchema } } }, ...errors(400, 401, 404) },
    },
  }, async (request) => ({ items: await casefile.visits.problemsOf(request.params.id, request.query.status) }));

  app.get<{ Params: { id: string } }>('/api/problems/:id', {
    schema: {
      summary: 'One problem', tags: ['problems'], security: bearer,
      params: { type: 'object', properties: { id: problemId }, required: ['id'] },
      response: { 200: problemSchema, ...errors(400, 401, 404) },
    },
  }, async (request) => ({ ...(await casefile.visits.getProblem(request.params.id)), referrals: await casefile.referrals.of(request.params.id) }));

  app.patch<{ Params: { id: string }; Body: ProblemPatch }>('/api/problems/:id', {
    schema: {
      summary: 'Move a problem on: in progress, solved (with the follow-up visit and a satisfaction score 1-5)', tags: ['problems'], security: bearer,
      params: { type: 'object', properties: { id: problemId }, required: ['id'] },
      body: problemPatch, response: { 200: problemSchema, ...errors(400, 401, 404, 409) },
    },
  }, async (request) => {
    const problem = await casefile.visits.updateProblem(request.params.id, request.body, personName(request.caller));
    opts.problemChanged?.(problem.residentId, problem.id);
    return problem;
  });

  app.get<{ Querystring: { area?: string } }>('/api/visits/due', {
    schema: {
      summary: 'Who to visit next, most urgent first, each with the reasons', tags: ['visits'], security: bearer,
      description: 'A resident is listed when their visit cycle (visitCycle, default 30 days) has lapsed or they were never visited, ' +
        'when they have open alerts or alerts in the last 7 days, a device offline or silent for 25 h (or its supervision interval), ' +
        'or activity in the last 7 days below half the weekly average of the 4 weeks before (given at least 14 a week), ' +
        'or problems past their deadline. ?area= keeps one area\'s residents.',
      querystring: { type: 'object', additionalProperties: false, properties: { area: text(100, 1) } },
      response: {
        200: {
          type: 'object',
          properties: {
            at: isoTime, area: nullable({ type: 'string' }),
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  residentId: { type: 'string' }, name: { type: 'string' }, address: { type: 'string' }, area: nullable({ type: 'string' }),
                  lastVisitAt: nullable(isoTime), visitCycleDays: { type: 'number' }, nextVisitDue: nullable(isoTime),
                  score: { type: 'number' }, reasons: { type: 'array', items: dueReason },
                },
              },
            },
          },
        },
        ...errors(401),
      },
    },
  }, async (request) => casefile.dueVisits({ area: request.query.area }));
}
