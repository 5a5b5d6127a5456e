// Who may use which route. Access is part of each route, never a test on the raw URL: a route
// is open only when it says `config: { public: true }`; every other route needs a caller proved
// by one of the credential kinds (bearer tokens from the config today; a session cookie can be
// added with app.auth.addCredential) and, with `config: { roles: [...] }`, one of those roles.
//
//   app.get('/healthz', { config: { public: true } }, ...)        open to anyone
//   app.get('/api/residents', ...)                                 any signed-in role
//   app.get('/api/audit', { config: { roles: ['admin'] } }, ...)   admins only (others 403)
//
// The check runs in one root onRequest hook on the route fastify matched, so every spelling of
// a URL that reaches a route (`/%61pi/...`, absolute-form targets) meets the same check.
// registerAuth refuses to run after a route exists, so none can slip past the onRoute hook, and a
// route without an access decision is denied all the same. Failed attempts are rate limited per address.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { digest, sameDigest } from '../store/index.ts';
import type { Metrics } from '../metrics.ts';

export type Role = 'caseworker' | 'admin';
export const ROLES: readonly Role[] = ['caseworker', 'admin'];

/** who made a request, and how they proved it */
export interface Caller {
  name: string;
  role: Role;
  /** the credential kind that proved it, e.g. "bearer" */
  via: string;
  /** what people read in acknowledgements and texts; default the name */
  displayName?: string;
}

/** what a credential kind makes of a request */
export type Proof = Caller | 'absent' | 'invalid';

/**
 * One kind of credential. Kinds are asked in order; the first that finds its credential in the
 * request decides: a Caller, or 'invalid' (a wrong one: 401, counted against the address).
 * 'absent' passes to the next kind.
 */
export interface CredentialKind {
  name: string;
  /** the WWW-Authenticate challenge this kind answers to, if any */
  challenge?: string;
  authenticate(request: FastifyRequest): Proof | Promise<Proof>;
}

export interface RouteAccess {
  public: boolean;
  roles: readonly Role[];
}

declare module 'fastify' {
  interface FastifyRequest { caller?: Caller }
  interface FastifyContextConfig {
    /** open to anyone, no credentials asked */
    public?: boolean;
    /** the roles this route admits; default every role */
    roles?: Role[];
  }
  interface FastifyInstance { auth: AuthRegistry }
}

export interface AuthRegistry {
  /** another credential kind, asked after those already there */
  addCredential(kind: CredentialKind): void;
  /** count a failed sign-in from this request's address (a wrong password on a sign-in form, a forged signature) */
  failed(request: FastifyRequest): Promise<void>;
  /** seconds until this address may try again, or 0 when it may now */
  blockedFor(request: FastifyRequest): Promise<number>;
  /** every route and its access, as registered */
  routes(): Array<{ method: string; url: string; access: RouteAccess }>;
  /**
   * Every route registered in `scope` and below it is open, as if each said `public: true`:
   * for a plugin that declares routes of its own (static files, the API docs UI). Still decided
   * per route, never by the URL.
   */
  openScope(scope: FastifyInstance): void;
}

export interface AuthOptions {
  tokens: Array<{ name: string; role: Role; token: string }>;
  metrics?: Metrics;
  /** failed attempts an address may make per window before it gets 429 (default 20 a minute) */
  failures?: { max: number; windowMs: number };
}

export const DEFAULT_FAILURES = { max: 20, windowMs: 60_000 };

const ACCESS = Symbol.for('gateway.routeAccess');
const OPEN_SCOPE = 'gatewayOpenScope';
type Marked = { [ACCESS]?: RouteAccess };

/** bearer tokens from api.tokens, compared as fixed-length digests in constant time */
export function bearerTokens(tokens: AuthOptions['tokens']): CredentialKind {
  const known = tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) }));
  return {
    name: 'bearer',
    challenge: 'Bearer',
    authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined) return 'absent';
      const match = /^Bearer\s+(\S.*)$/i.exec(header);
      if (!match) return /^Bearer\b/i.test(header) ? 'invalid' : 'absent';
      const given = digest(match[1].trim());
      // every token is compared, so the time taken does not tell which one nearly matched
      let found: Caller | undefined;
      for (const t of known) if (sameDigest(given, t.digest) && !found) found = { name: t.name, role: t.role, via: 'bearer' };
      return found ?? 'invalid';
    },
  };
}

/** an unmatched URL under /api/ (however spelled) asks for credentials before it says 404 */
function looksLikeApi(url: string): boolean {
  try {
    // absolute-form loses its scheme and host, and leading slashes are one (`//api` is no host here)
    const path = new URL(url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/^\/+/, '/'), 'http://x').pathname;
    return /^\/+api(\/|$)/i.test(decodeURIComponent(path).replace(/\/{2,}/g, '/'));
  } catch {
    return true;
  }
}

function accessOf(route: RouteOptions, openScope: boolean): RouteAccess {
  const config = (route.config ?? {}) as { public?: unknown; roles?: unknown };
  const where = `${String(route.method)} ${route.url}`;
  if (openScope) {
    if (config.roles !== undefined || config.public === false) throw new Error(`${where}: a route in an open scope is public`);
    return { public: true, roles: ROLES };
  }
  if (config.public !== undefined && typeof config.public !== 'boolean') throw new Error(`${where}: config.public must be true or false`);
  if (config.roles !== undefined) {
    if (config.public === true) throw new Error(`${where}: a public route has no roles`);
    if (!Array.isArray(config.roles) || config.roles.length === 0 || !config.roles.every((r) => ROLES.includes(r as Role))) {
      throw new Error(`${where}: config.roles must list some of ${ROLES.join(', ')}`);
    }
  }
  return { public: config.public === true, roles: (config.roles as Role[] | undefined) ?? ROLES };
}

export function registerAuth(app: FastifyInstance, opts: AuthOptions): AuthRegistry {
  // every route declared from here on passes the onRoute hook below (plugins load later and
  // inherit it); one declared before could not, so there must be none
  if (app.printRoutes() !== '(empty tree)') throw new Error('registerAuth must come before every route');
  const kinds: CredentialKind[] = [bearerTokens(opts.tokens)];
  const failures = opts.failures ?? DEFAULT_FAILURES;
  const metrics = opts.metrics;
  metrics?.describe('gateway_http_auth_failed_total', 'HTTP requests with wrong credentials or a forged signature, by kind');
  metrics?.describe('gateway_http_auth_rate_limited_total', 'HTTP requests refused (429) because their address failed too often');
  const table = new Map<string, RouteAccess>();

  // failed attempts per address (IPv6 by /64): peeked before credentials are looked at, counted on failure
  void app.register(rateLimit, { global: false });
  let limiter: ((request: FastifyRequest, o?: { increment?: boolean }) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>) | null = null;
  const limit = () => (limiter ??= app.createRateLimit({ max: failures.max, timeWindow: failures.windowMs }) as never);

  const registry: AuthRegistry = {
    addCredential(kind) { kinds.push(kind); },
    async failed(request) { await limit()(request); },
    async blockedFor(request) {
      const status = await limit()(request, { increment: false });
      return !status.isAllowed && status.isExceeded ? Math.max(1, status.ttlInSeconds ?? 1) : 0;
    },
    routes: () => [...table].map(([key, access]) => {
      const [method, url] = key.split(' ');
      return { method, url, access };
    }),
    openScope(scope) { scope.decorate(OPEN_SCOPE, true); },
  };
  app.decorate('auth', registry);

  // `this` is the instance the route is declared on: an open scope's decoration is inherited by its children
  app.addHook('onRoute', function (this: FastifyInstance, route) {
    const access = accessOf(route, (this as unknown as Record<string, unknown>)[OPEN_SCOPE] === true);
    route.config = { ...(route.config ?? {}), [ACCESS]: access } as never;
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) table.set(`${method} ${route.url}`, access);
  });

  const challenge = () => kinds.find((k) => k.challenge)?.challenge;
  const unauthorized = (reply: FastifyReply, error: string) => {
    const c = challenge();
    if (c) reply.header('www-authenticate', c);
    return reply.code(401).send({ error });
  };

  async function authenticate(request: FastifyRequest, reply: FastifyReply, access: RouteAccess): Promise<unknown> {
    const wait = await registry.blockedFor(request);
    if (wait > 0) {
      metrics?.inc('gateway_http_auth_rate_limited_total');
      return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed sign-ins from this address; try again in ${wait} s` });
    }
    for (const kind of kinds) {
      const proof = await kind.authenticate(request);
      if (proof === 'absent') continue;
      if (proof === 'invalid') {
        metrics?.inc('gateway_http_auth_failed_total', { kind: kind.name });
        await registry.failed(request);
        return unauthorized(reply, `invalid ${kind.name} credentials`);
      }
      request.caller = proof;
      if (!access.roles.includes(proof.role)) return reply.code(403).send({ error: `${access.roles.join(' or ')} role required` });
      return undefined;
    }
    return unauthorized(reply, 'missing credentials: send Authorization: Bearer <token>');
  }

  // one hook at the root runs for every request, on the route the router matched
  app.addHook('onRequest', async (request, reply) => {
    const access = (request.routeOptions.config as Marked | undefined)?.[ACCESS];
    if (request.is404) return looksLikeApi(request.url) ? authenticate(request, reply, { public: false, roles: ROLES }) : undefined;
    // a route that escaped the onRoute hook is denied to strangers all the same
    if (!access) return authenticate(request, reply, { public: false, roles: ROLES });
    if (access.public) return undefined;
    return authenticate(request, reply, access);
  });

  app.addHook('onReady', async () => { limit(); });

  return registry;
}

/** preHandler for routes only an admin may use (prefer `config: { roles: ['admin'] }`) */
export async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.caller?.role !== 'admin') await reply.code(403).send({ error: 'admin role required' });
}
