// The HTTP server: health, metrics, and the caseworkers' API (one plugin per resource).
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Metrics } from '../metrics.ts';
import { registerAuth } from './auth.ts';
import { bodyDeadlines, capConnections, HTTP_LIMITS } from './limits.ts';
import { residentRoutes, type ResidentRoutesDeps } from './residents.ts';
import { sessionCredential, registerCsrfCheck } from './users.ts';
import { answerErrors, bearer, errors } from './schemas.ts';
import { openApiOptions, openApiDocument, docsUi } from './openapi.ts';
import swagger from '@fastify/swagger';
import helmet from '@fastify/helmet';
import { securityHeaders } from './headers.ts';
import type { UsersPort } from '../store/index.ts';

export interface HttpDeps extends ResidentRoutesDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** null when healthy, else why not */
  health(): string | null | Promise<string | null>;
  /** which site this process belongs to, who else is alive, what is overdue (site.ts) */
  siteDetail?(): unknown;
  /** people who sign in on the page: their session cookie is a second credential kind */
  users?: UsersPort;
  now?(): number;
  /**
   * what a change made through the API set off in the background and its answer waits for (the
   * device registry and credentials reloaded after a device was provisioned: once the answer is
   * there, the device can log in)
   */
  settled?(): Promise<void>;
  /** further resource plugins (alerts, visits, twilio webhooks...), registered after auth */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

export function buildHttp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log.child({ module: 'http' }) as unknown as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    // a slow or idle client cannot hold a connection for long (limits.ts says why each value)
    requestTimeout: HTTP_LIMITS.requestBackstopMs,
    connectionTimeout: HTTP_LIMITS.idleTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    maxRequestsPerSocket: HTTP_LIMITS.maxRequestsPerSocket,
    http: { headersTimeout: HTTP_LIMITS.headersTimeoutMs, connectionsCheckingInterval: HTTP_LIMITS.checkEveryMs },
  });
  capConnections(app.server, deps.metrics);
  bodyDeadlines(app, deps.metrics);
  // before any route: every route then passes its access check (deny by default)
  registerAuth(app, { tokens: deps.config.api.tokens, metrics: deps.metrics });
  if (deps.users) {
    app.auth.addCredential(sessionCredential({ users: deps.users, now: deps.now ?? Date.now }));
    registerCsrfCheck(app);
  }
  app.register(helmet, securityHeaders(deps.config));
  // before the routes: it describes those declared after it
  app.register(swagger, openApiOptions);

  answerErrors(app);
  if (deps.settled) {
    const settled = deps.settled;
    app.addHook('onSend', async (_request, _reply, payload) => { await settled(); return payload; });
  }

  app.register(async (scope) => healthRoutes(scope, deps));
  app.register(openApiDocument);
  app.register(async (scope) => residentRoutes(scope, deps));
  app.register(docsUi);
  for (const plugin of deps.plugins ?? []) app.register(plugin);
  return app;
}

async function healthRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const status = { type: 'object', properties: { status: { type: 'string' }, reason: { type: 'string' } }, required: ['status'] };
  app.get('/healthz', {
    schema: { summary: 'ok once broker and store are ready (no auth)', tags: ['health'], response: { 200: status, 503: status } },
    config: { public: true },
  }, async (_request, reply) => {
    const problem = await deps.health();
    if (problem) return reply.code(503).send({ status: 'unavailable', reason: problem });
    return { status: 'ok' };
  });

  // the site's machines and what is late: for whoever runs the site (admins), not for anyone
  if (deps.siteDetail) {
    const siteDetail = deps.siteDetail;
    app.get('/healthz/detail', {
      schema: { summary: 'health, the site this process belongs to, the other processes alive, overdue work (admin)', tags: ['health'], security: bearer, response: errors(401, 403) },
      config: { roles: ['admin'] },
    }, async (_request, reply) => {
      const problem = await deps.health();
      return reply.code(problem ? 503 : 200).send({ status: problem ? 'unavailable' : 'ok', ...(problem ? { reason: problem } : {}), ...(siteDetail() as object) });
    });
  }

  // counts only, but they tell when alarms happened and who is connected: a token unless the config opens it
  const publicMetrics = deps.config.http.publicMetrics === true;
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics: counters, latency histograms, process metrics (bearer token, unless http.publicMetrics: true)', tags: ['health'],
      ...(publicMetrics ? {} : { security: bearer }),
    },
    config: { public: publicMetrics },
  }, async (_request, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.render();
  });
}
