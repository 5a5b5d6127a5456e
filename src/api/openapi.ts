// The OpenAPI 3.1 document (issue 5), assembled from the routes' own schemas so it cannot drift
// from what is validated. A root-level onRoute hook sees every route registered after it; the
// few registered before the casefile plugins (health, metrics, residents, timeline) are
// described here by hand. No @fastify/swagger: this is all it would do for us.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errors, residentIdParams, bearer } from './schemas.ts';

type Schema = Record<string, any>;
interface Operation { method: string; path: string; schema: Schema }

/** routes registered before the collector, described by hand */
const EARLIER: Operation[] = [
  { method: 'GET', path: '/healthz', schema: { summary: 'ok once broker and store are ready (no auth)', tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
  { method: 'GET', path: '/healthz/detail', schema: { summary: 'health, the site this process belongs to, the other processes alive, overdue work (admin)', tags: ['health'], security: bearer, response: errors(401, 403) } },
  { method: 'GET', path: '/metrics', schema: { summary: 'Prometheus metrics (bearer token, unless http.publicMetrics: true)', tags: ['health'], security: bearer } },
  { method: 'GET', path: '/api/residents', schema: { summary: 'Residents, those with open alerts first', tags: ['residents'], security: bearer, response: errors(401) } },
  { method: 'GET', path: '/api/residents/:id', schema: { summary: 'One resident with contacts and devices', tags: ['residents'], security: bearer, params: residentIdParams, response: errors(400, 401, 404) } },
  {
    method: 'GET', path: '/api/residents/:id/timeline',
    schema: {
      summary: 'The casefile timeline, newest first: device events, alerts, texts, acknowledgements, visits, problems', tags: ['residents'], security: bearer,
      params: residentIdParams,
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          before: { type: 'string', description: 'ISO-8601 time or the nextBefore cursor of the previous page' },
          type: { type: 'string', description: 'comma-separated types, e.g. device_event,alert,visit,problem' },
        },
      },
      response: errors(400, 401, 404),
    },
  },
];

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(where: 'path' | 'query', schema: Schema | undefined) {
  if (!schema?.properties) return [];
  const required = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties as Record<string, Schema>).map(([name, s]) => ({
    name, in: where, required: where === 'path' || required.has(name), schema: s, ...(s.description ? { description: s.description } : {}),
  }));
}

function operation(schema: Schema) {
  const responses: Record<string, unknown> = {};
  for (const [code, body] of Object.entries((schema.response ?? {}) as Record<string, Schema>)) {
    responses[code] = body.type === 'null'
      ? { description: 'no content' }
      : { description: code.startsWith('2') ? 'ok' : 'error, with the reason', content: { 'application/json': { schema: body } } };
  }
  if (!Object.keys(responses).length) responses['200'] = { description: 'ok' };
  return {
    summary: schema.summary, description: schema.description, tags: schema.tags, security: schema.security ?? [],
    parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
    ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
    responses,
  };
}

export function buildDocument(ops: Operation[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) (paths[openApiPath(op.path)] ??= {})[op.method.toLowerCase()] = operation(op.schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Safe-home gateway API', version: '0.1.0',
      description: 'Everything under /api/ takes Authorization: Bearer <token> (api.tokens, for machine clients) or the page\'s session cookie '
        + '(POST /auth/login; changes then also need X-CSRF-Token). Roles: caseworker (read, record visits, act on alerts) and admin (also people and provisioning). '
        + 'Bad requests get 400 with the reason in {"error"} and a code the page translates in {"code", "params"}.',
    },
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

/**
 * The collector: register it first among the casefile plugins. `skip-override` is what
 * fastify-plugin sets, so its onRoute hook lands on the root instance and sees every later route.
 */
export function openApiPlugin(): (app: FastifyInstance) => Promise<void> {
  const plugin = async (app: FastifyInstance) => {
    const seen = new Map<string, Operation>(EARLIER.map((op) => [`${op.method} ${op.path}`, op]));
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const schema = (route.schema ?? {}) as Schema;
      if (schema.hide) return;
      for (const method of methods) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        seen.set(`${method} ${route.url}`, { method, path: route.url, schema });
      }
    });
    let document: unknown;
    app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => {
      document ??= buildDocument([...seen.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method)));
      return document;
    });
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
