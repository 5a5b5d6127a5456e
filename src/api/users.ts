// People, not tokens: accounts for caseworkers and admins, signing in on the page with a
// username and a password, and the session cookie as the second credential kind of the auth
// registry (auth.ts), beside the config's bearer tokens that machine clients keep using.
//
// - The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it)
//   and Secure behind https; it holds 256 random bits, stored only as their SHA-256.
// - CSRF: a request with the cookie that changes anything must also carry the session's token
//   in X-CSRF-Token (from /auth/login or GET /api/me), which another site's page cannot read.
// - Sessions end after 24 h unused or 14 days in all, on sign-out, and at once for everyone
//   signed in as a person who is disabled or given a new password; their live streams close too.
// - Sign-in failures count against the address (auth registry: 20 a minute) and against the
//   username (10 in 15 minutes), answered 429 with Retry-After; unknown names take as long as
//   known ones.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Caller, CredentialKind, Role } from './auth.ts';
import type { AuditPort, UsersPort, UserRow } from '../store/index.ts';
import { hashPassword, verifyPassword, HashQueueFull } from './passwords.ts';
import { bearer, errors, isoTime, nullable } from './schemas.ts';

declare module './auth.ts' {
  interface Caller {
    /** the account behind a session (not set for api.tokens) */
    userId?: number;
    username?: string;
    /** the session, so that signing out can end its live streams */
    sessionKey?: string;
  }
}

export const SESSION_COOKIE = 'gw_session';
export const SESSION_IDLE_MS = 24 * 3600_000;
export const SESSION_MAX_MS = 14 * 24 * 3600_000;
const TOUCH_EVERY_MS = 60_000;
const USERNAME_FAILURES = { max: 10, windowMs: 15 * 60_000 };
export const MIN_PASSWORD = 8;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** the name people read for whoever made a request: a person's display name, a token's name */
export function personName(caller: Caller | undefined): string {
  return caller?.displayName ?? caller?.name ?? 'unknown';
}

/** what a live stream or an idempotency record is filed under */
export function callerKeys(caller: Caller): string[] {
  return caller.userId !== undefined
    ? [`user:${caller.userId}`, ...(caller.sessionKey ? [`session:${caller.sessionKey}`] : [])]
    : [`token:${caller.name}`];
}

export interface UserRoutesDeps {
  users: UsersPort;
  /** account changes go to the audit log, next to the casefile's */
  audit: AuditPort;
  now(): number;
  log: Logger;
  /** the config has https in http.publicUrl: cookies are Secure */
  secureCookies: boolean;
  /** end the live streams filed under this key */
  endStreams(key: string): void;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

function cookieValue(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function publicUser(u: UserRow) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: u.id, username: u.username, displayName: u.displayName, role: u.role, disabled: u.disabled,
    createdAt: iso(u.createdAt), lastSignInAt: iso(u.lastSignInAt),
  };
}

/** the session cookie as a credential kind: a valid one proves the person, a stale or forged one is 'invalid' */
export function sessionCredential(deps: Pick<UserRoutesDeps, 'users' | 'now'>): CredentialKind {
  return {
    name: 'session',
    async authenticate(request) {
      const value = cookieValue(request);
      if (value === undefined || value === '') return 'absent';
      if (!/^[A-Za-z0-9_-]{43}$/.test(value)) return 'invalid';
      const tokenHash = sha256(value);
      const session = await deps.users.session(tokenHash);
      const now = deps.now();
      if (!session || session.expiresAt <= now || session.lastSeenAt + SESSION_IDLE_MS <= now) return 'invalid';
      const user = await deps.users.get(session.userId);
      if (!user || user.disabled) return 'invalid';
      if (now - session.lastSeenAt > TOUCH_EVERY_MS) await deps.users.touch(tokenHash, now);
      const caller: Caller = {
        name: user.username, displayName: user.displayName, role: user.role, via: 'session',
        userId: user.id, username: user.username, sessionKey: tokenHash.toString('hex').slice(0, 32),
      };
      (request as { csrfToken?: string }).csrfToken = session.csrf;
      return caller;
    },
  };
}

/**
 * A request with the session cookie that changes something must carry the session's CSRF token.
 * A root hook after the auth check (hooks run in the order they were added).
 */
export function registerCsrfCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.caller?.via !== 'session' || SAFE_METHODS.has(request.method)) return undefined;
    const expected = (request as { csrfToken?: string }).csrfToken ?? '';
    const given = String(request.headers['x-csrf-token'] ?? '');
    const ok = given.length === expected.length && expected.length > 0 && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (!ok) return reply.code(403).send({ error: 'missing or wrong X-CSRF-Token for this session', code: 'csrf' });
    return undefined;
  });
}

const username = { type: 'string', pattern: '^[A-Za-z0-9._-]{2,40}$', description: '2-40 letters, digits, dot, dash, underscore; case does not matter' } as const;
const displayName = { type: 'string', minLength: 1, maxLength: 80, description: 'what acknowledgements, texts and the audit log say, e.g. 李社工' } as const;
const password = { type: 'string', minLength: MIN_PASSWORD, maxLength: 200 } as const;
const role = { type: 'string', enum: ['caseworker', 'admin'] } as const;
const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, username: { type: 'string' }, displayName: { type: 'string' }, role: { type: 'string' },
    disabled: { type: 'boolean' }, createdAt: isoTime, lastSignInAt: nullable(isoTime),
  },
} as const;
const meSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' }, displayName: { type: 'string' }, role: { type: 'string' }, via: { type: 'string' },
    csrf: { type: 'string', description: 'send as X-CSRF-Token with every change made with the session cookie' },
  },
} as const;
const admin = { roles: ['admin'] as Role[] };

export async function userRoutes(app: FastifyInstance, deps: UserRoutesDeps): Promise<void> {
  const { users } = deps;
  const failuresByName = new Map<string, { count: number; resetAt: number }>();

  const validPassword = (reply: FastifyReply, value: string) => {
    if (value.normalize('NFKC').length >= MIN_PASSWORD) return true;
    void reply.code(400).send({ error: `password: at least ${MIN_PASSWORD} characters`, code: 'weak_password', params: { min: MIN_PASSWORD } });
    return false;
  };

  function nameBlockedFor(name: string, now: number): number {
    const f = failuresByName.get(name);
    if (!f || f.resetAt <= now) return 0;
    return f.count >= USERNAME_FAILURES.max ? Math.ceil((f.resetAt - now) / 1000) : 0;
  }
  function nameFailed(name: string, now: number): void {
    const f = failuresByName.get(name);
    if (!f || f.resetAt <= now) failuresByName.set(name, { count: 1, resetAt: now + USERNAME_FAILURES.windowMs });
    else f.count++;
    // the map is bounded by the address limit (20 a minute an address), and swept here
    if (failuresByName.size > 10_000) for (const [k, v] of failuresByName) if (v.resetAt <= now) failuresByName.delete(k);
  }

  function setCookie(reply: FastifyReply, value: string, maxAgeS: number): void {
    reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${deps.secureCookies ? '; Secure' : ''}`);
  }

  app.post<{ Body: { username: string; password: string } }>('/auth/login', {
    config: { public: true },
    schema: {
      summary: 'Sign in on the page: sets the session cookie (HttpOnly, SameSite=Strict) and answers who you are with the CSRF token', tags: ['people'],
      body: {
        type: 'object', required: ['username', 'password'], additionalProperties: false,
        properties: { username: { type: 'string', minLength: 1, maxLength: 40 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
      },
      response: { 200: meSchema, ...errors(400, 401, 403, 429) },
    },
  }, async (request, reply) => {
    // a sign-in form posted from another site is refused (login CSRF)
    const origin = request.headers.origin;
    const host = (() => { try { return origin && origin !== 'null' ? new URL(origin).host : null; } catch { return ''; } })();
    if (host !== null && host !== request.headers.host) {
      return reply.code(403).send({ error: 'sign-in from another site', code: 'csrf' });
    }
    const now = deps.now();
    const name = request.body.username.trim().toLowerCase();
    const wait = Math.max(await app.auth.blockedFor(request), nameBlockedFor(name, now));
    if (wait > 0) {
      return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed sign-ins; try again in ${wait} s`, code: 'rate_limited', params: { retryAfter: wait } });
    }
    const user = await users.byUsername(name);
    let ok: boolean;
    try {
      ok = await verifyPassword(request.body.password, user?.passwordHash ?? null);
    } catch (err) {
      if (err instanceof HashQueueFull) return reply.code(503).header('retry-after', '5').send({ error: 'too many sign-ins at once', code: 'busy' });
      throw err;
    }
    if (!ok || !user || user.disabled) {
      await app.auth.failed(request);
      nameFailed(name, now);
      deps.log.info({ userId: user?.id ?? null }, 'sign-in refused');
      return reply.code(401).send({ error: 'username and password do not match', code: 'bad_credentials' });
    }
    failuresByName.delete(name);
    const value = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    await users.purge(now, now - SESSION_IDLE_MS);
    await users.createSession(sha256(value), user.id, csrf, now, now + SESSION_MAX_MS);
    await users.signedIn(user.id, now);
    setCookie(reply, value, SESSION_MAX_MS / 1000);
    deps.log.info({ userId: user.id }, 'signed in');
    return { username: user.username, displayName: user.displayName, role: user.role, via: 'session', csrf };
  });

  app.post('/auth/logout', {
    schema: { summary: 'Sign out: ends this session and its live streams', tags: ['people'], response: { 204: { type: 'null' }, ...errors(401, 403) } },
  }, async (request, reply) => {
    const value = cookieValue(request);
    if (value) await users.deleteSession(sha256(value));
    if (request.caller?.sessionKey) deps.endStreams(`session:${request.caller.sessionKey}`);
    setCookie(reply, '', 0);
    return reply.code(204).send();
  });

  // the page asks this when it opens: public, so that "nobody signed in" is an answer, not a 401
  const session = sessionCredential(deps);
  app.get<{ Reply: Record<string, unknown> }>('/auth/session', {
    config: { public: true },
    schema: {
      summary: 'Who is signed in with this browser\'s session cookie, if anyone (no credentials needed; tells only the cookie\'s owner about themself)', tags: ['people'],
      response: { 200: { type: 'object', properties: { signedIn: { type: 'boolean' }, user: meSchema } }, ...errors(429) },
    },
  }, async (request, reply) => {
    const wait = cookieValue(request) ? await app.auth.blockedFor(request) : 0;
    if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed sign-ins; try again in ${wait} s`, code: 'rate_limited', params: { retryAfter: wait } });
    const proof = await session.authenticate(request);
    if (proof === 'invalid') {
      // a stale cookie is forgotten; guessing cookies here counts like any wrong credential
      await app.auth.failed(request);
      setCookie(reply, '', 0);
    }
    if (typeof proof === 'string') return { signedIn: false };
    return { signedIn: true, user: { username: proof.username, displayName: proof.displayName, role: proof.role, via: proof.via, csrf: (request as { csrfToken?: string }).csrfToken } };
  });

  app.get('/api/me', {
    schema: { summary: 'Who is signed in (a person or a token), with the session\'s CSRF token', tags: ['people'], security: bearer, response: { 200: meSchema, ...errors(401) } },
  }, async (request) => {
    const c = request.caller!;
    return { username: c.username ?? c.name, displayName: personName(c), role: c.role, via: c.via, csrf: (request as { csrfToken?: string }).csrfToken };
  });

  app.get('/api/users', {
    config: admin,
    schema: { summary: 'The people who sign in (admin)', tags: ['people'], security: bearer, response: { 200: { type: 'object', properties: { items: { type: 'array', items: userSchema } } }, ...errors(401, 403) } },
  }, async () => ({ items: (await users.list()).map(publicUser) }));

  app.post<{ Body: { username: string; displayName: string; role: Role; password: string } }>('/api/users', {
    config: admin,
    schema: {
      summary: 'Add a person who signs in on the page (admin); no restart needed', tags: ['people'], security: bearer,
      body: { type: 'object', required: ['username', 'displayName', 'role', 'password'], additionalProperties: false, properties: { username, displayName, role, password } },
      response: { 201: userSchema, ...errors(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const b = request.body;
    if (!validPassword(reply, b.password)) return reply;
    const name = b.username.toLowerCase();
    const shown = b.displayName.trim();
    if (!shown) return reply.code(400).send({ error: 'displayName: must not be blank', code: 'invalid_field', params: { field: 'displayName' } });
    if (await users.byUsername(name)) return reply.code(409).send({ error: `username ${name} is taken`, code: 'username_taken' });
    if (await users.byDisplayName(shown)) return reply.code(409).send({ error: 'displayName is taken: two people must not read alike in texts', code: 'display_name_taken' });
    const user = await users.create({ username: name, displayName: shown, role: b.role, passwordHash: await hashPassword(b.password) }, deps.now());
    await deps.audit.add(deps.now(), personName(request.caller), 'user.create', `user:${user.username}`, { role: user.role, displayName: user.displayName });
    return reply.code(201).send(publicUser(user));
  });

  app.patch<{ Params: { id: number }; Body: { displayName?: string; role?: Role; disabled?: boolean; password?: string } }>('/api/users/:id', {
    config: admin,
    schema: {
      summary: 'Change a person (admin): name, role, a new password, or disable (their sessions end at once)', tags: ['people'], security: bearer,
      params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { displayName, role, disabled: { type: 'boolean' }, password } },
      response: { 200: userSchema, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const user = await users.get(request.params.id);
    if (!user) return reply.code(404).send({ error: `no user ${request.params.id}`, code: 'user_not_found' });
    const b = request.body;
    const self = request.caller?.userId === user.id;
    if (self && (b.disabled === true || (b.role && b.role !== user.role))) {
      return reply.code(409).send({ error: 'you cannot disable yourself or change your own role', code: 'self_change' });
    }
    if (b.password !== undefined && !validPassword(reply, b.password)) return reply;
    const next: UserRow = { ...user };
    if (b.displayName !== undefined) {
      next.displayName = b.displayName.trim();
      const other = await users.byDisplayName(next.displayName);
      if (!next.displayName) return reply.code(400).send({ error: 'displayName: must not be blank', code: 'invalid_field', params: { field: 'displayName' } });
      if (other && other.id !== user.id) return reply.code(409).send({ error: 'displayName is taken', code: 'display_name_taken' });
    }
    if (b.role !== undefined) next.role = b.role;
    if (b.disabled !== undefined) next.disabled = b.disabled;
    if (b.password !== undefined) next.passwordHash = await hashPassword(b.password);
    await users.update(next, deps.now());
    // disabled, or a new password: whoever is signed in as this person is signed out now
    if (next.disabled || b.password !== undefined || next.role !== user.role) {
      const keep = self && b.password !== undefined ? cookieValue(request) : undefined;
      if (keep) await users.deleteOtherSessions(user.id, sha256(keep)); else await users.deleteSessionsOf(user.id);
      // every live page of the person: the ones still signed in reconnect at once, the others are out
      deps.endStreams(`user:${user.id}`);
    }
    const changes = Object.keys(b).map((k) => (k === 'password' ? 'password' : `${k}=${String(b[k as keyof typeof b])}`));
    await deps.audit.add(deps.now(), personName(request.caller), 'user.update', `user:${user.username}`, { changes });
    return publicUser((await users.get(user.id))!);
  });
}
