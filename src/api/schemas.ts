// Pieces shared by the casefile's route schemas, and the error mapping of its plugins: a bad
// request is a 400 with the reason, a missing thing 404, a clash 409, never a 500.
import type { FastifyInstance } from 'fastify';
import { CasefileError } from '../casefile/index.ts';

// the OpenAPI annotations the route schemas carry (the names @fastify/swagger uses)
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    security?: Array<Record<string, string[]>>;
    /** left out of the OpenAPI document (static files) */
    hide?: boolean;
  }
}

export const STATUS_OF: Record<CasefileError['reason'], number> = { invalid: 400, not_found: 404, conflict: 409, forbidden: 403, too_large: 413 };

/** every casefile plugin answers errors the same way as the root handler, plus CasefileError */
export function casefileErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: { statusCode?: number; validation?: unknown; message: string }, request, reply) => {
    if (err instanceof CasefileError) return reply.code(STATUS_OF[err.reason]).send({ error: err.message });
    if (err.validation || (err.statusCode && err.statusCode < 500)) return reply.code(err.statusCode ?? 400).send({ error: err.message });
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
}

export const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type as string, 'null'] });

export const errorSchema = {
  type: 'object', properties: { error: { type: 'string' } }, required: ['error'],
} as const;

/** 400/401/403/404/409 bodies, for the OpenAPI document */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorSchema]));

export const residentIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 100 } },
  required: ['id'],
} as const;

export const isoTime = { type: 'string', description: 'ISO-8601 time' } as const;

/** `security` for the OpenAPI document: everything under /api/ takes a bearer token */
export const bearer = [{ bearerAuth: [] }];
