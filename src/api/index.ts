// The HTTP server: health, metrics, and the caseworkers' API (one plugin per resource).
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Metrics } from '../metrics.ts';
import { registerAuth } from './auth.ts';
import { residentRoutes, type ResidentRoutesDeps } from './residents.ts';

export interface HttpDeps extends ResidentRoutesDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** null when healthy, else why not */
  health(): string | null;
  /** further resource plugins (alerts, visits, twilio webhooks...), registered after auth */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

export function buildHttp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log.child({ module: 'http' }) as unknown as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  // before any route: every route then passes its access check (deny by default)
  registerAuth(app, { tokens: deps.config.api.tokens, metrics: deps.metrics });

  app.setErrorHandler((err: { statusCode?: number; validation?: unknown; message: string }, request, reply) => {
    if (err.validation || (err.statusCode && err.statusCode < 500)) {
      return reply.code(err.statusCode ?? 400).send({ error: err.message });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
    const problem = deps.health();
    if (problem) return reply.code(503).send({ status: 'unavailable', reason: problem });
    return { status: 'ok' };
  });

  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    return deps.metrics.render();
  });

  app.register(async (scope) => residentRoutes(scope, deps));
  for (const plugin of deps.plugins ?? []) app.register(plugin);
  return app;
}
