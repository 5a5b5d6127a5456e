// Pieces shared by the casefile's route schemas, and the error mapping of its plugins: a bad
// request is a 400 with the reason, a missing thing 404, a clash 409, never a 500.
import type { FastifyInstance } from 'fastify';
import { CasefileError } from '../casefile/index.ts';
import { CODE_OF_KEY } from '../casefile/errors.ts';

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

/**
 * An error answer: `error` in words for people reading the API, `code` and `params` for the
 * page, which says them in the reader's language (it never shows `error`).
 */
export interface ErrorBody { error: string; code: string; params?: Record<string, unknown> }

type FastifyErr = { statusCode?: number; code?: string; validation?: Array<{ instancePath?: string; keyword?: string; params?: Record<string, unknown> }>; message: string };

/** the first field a body, query or path failed on ("endedAt", "problems"), from ajv's report */
function fieldOf(err: FastifyErr): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const missing = v.params?.missingProperty ?? v.params?.additionalProperty;
  const path = (v.instancePath ?? '').split('/').filter(Boolean).filter((p) => !/^\d+$/.test(p));
  return typeof missing === 'string' ? missing : path[path.length - 1] ?? path[0];
}

/** what the schema refused, as the casefile's codes say it: left out, not one of the choices, not a phone number */
function validationCode(keyword: string | undefined, field: string, params: Record<string, unknown> = {}): string {
  if (keyword === 'required' || (keyword === 'minLength' && params.limit === 1)) return 'field_required';
  if (keyword === 'additionalProperties') return 'unknown_key';
  if (keyword === 'enum') return 'invalid_choice';
  if (CODE_OF_KEY[field] && (keyword === 'pattern' || keyword === 'format' || keyword === 'type')) return CODE_OF_KEY[field];
  return 'invalid_field';
}

/** "endedAt: a visit cannot end before it starts" -> "endedAt" */
const leadingField = (message: string) => /^([A-Za-z][A-Za-z0-9]*)(?:\[\d+\])?(?:\.[A-Za-z0-9[\]]+)*:/.exec(message)?.[1];

export function errorBody(err: FastifyErr): { status: number; body: ErrorBody } | null {
  if (err instanceof CasefileError) {
    // the field the message leads with ("endedAt: ..."), unless the error names its own
    const field = leadingField(err.message);
    const params = { ...(field ? { field } : {}), ...err.params };
    return { status: STATUS_OF[err.reason], body: { error: err.message, code: err.code, ...(Object.keys(params).length ? { params } : {}) } };
  }
  if (err.validation) {
    const field = fieldOf(err);
    return { status: err.statusCode ?? 400, body: { error: err.message, code: field ? validationCode(err.validation[0]?.keyword, field, err.validation[0]?.params) : 'invalid', ...(field ? { params: { field } } : {}) } };
  }
  if (err.statusCode && err.statusCode < 500) {
    const code = err.statusCode === 413 ? 'too_large' : err.statusCode === 415 ? 'unsupported_type' : err.statusCode === 429 ? 'rate_limited' : `http_${err.statusCode}`;
    return { status: err.statusCode, body: { error: err.message, code } };
  }
  return null;
}

/** every plugin answers errors the same way: 4xx with the reason and a code, never a 500 for bad input */
export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyErr, request, reply) => {
    const known = errorBody(err);
    if (known) return reply.code(known.status).send(known.body);
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error', code: 'server' });
  });
}

/** every casefile plugin answers errors the same way as the root handler, CasefileError included */
export const casefileErrors = answerErrors;

export const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type as string, 'null'] });

export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'the reason, in English, for people reading the API' },
    code: { type: 'string', description: 'the reason as a code the page translates, e.g. invalid_field, resident_not_found' },
    params: { type: 'object', additionalProperties: true, description: 'what the code refers to, e.g. {"field": "endedAt"}' },
  },
  required: ['error'],
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
