// Every route answers a stranger the same way however the URL is spelled: the routes fastify
// has registered are enumerated from its own route tree, and each is asked without a token
// through the spellings an attacker tries (percent-encoded, doubled slash, absolute-form target,
// upper case, dot segments, a `;` parameter). Only the routes the contract names as open may
// answer; none of the others may return data or change anything.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Fastify from 'fastify';
import { startGateway, waitFor, sqlOf, CASEWORKER_TOKEN, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';
import { registerAuth } from '../../src/api/auth.ts';
import { rawHttp, routesOf, MqttRaw } from './net.ts';

let gw: TestGateway;
let port: number;
let problemId: string;
let alertId: number;
let contactId: number;

// what a stranger must never read: names, phone numbers, notes
const PRIVATE = ['Zhang Xiuying', '+8613800000001', 'Wang Neighbor', 'kitchen tap drips', 'Building 3'];

beforeAll(async () => {
  gw = await startGateway();
  port = gw.app.httpPort();
  const auth = { authorization: `Bearer ${CASEWORKER_TOKEN}`, 'content-type': 'application/json' };
  // something behind every kind of id: an alert, a visit with a problem
  const { client } = await MqttRaw.open(gw.app.mqttPort(), 'zhang-smoke', 'smoke-secret');
  await client.publish('devices/zhang-smoke', '{"smoke":true}', 1);
  client.close();
  alertId = (await waitFor(async () => (await gw.app.store.alerts.list('open'))[0], 5000, 'the smoke alert')).id;
  const visit = await rawHttp(port, {
    method: 'POST', target: '/api/residents/r-zhang/visits', headers: auth,
    body: JSON.stringify({ visitor: 'Li', at: new Date(Date.now() - 3_600_000).toISOString(), purpose: 'routine', notes: 'kitchen tap drips', problems: [{ description: 'kitchen tap drips', category: 'livelihood', urgency: 'normal' }] }),
  });
  expect(visit.status).toBe(201);
  problemId = JSON.parse(visit.body).problems[0].id;
  contactId = (JSON.parse((await rawHttp(port, { target: '/api/residents/r-zhang', headers: auth })).body).contacts[0]).id;
});
afterAll(async () => { await gw?.stop(); });

/** the routes the contract leaves open ("Access"): health, the page's files, the API description, signed webhooks */
function isPublic(method: string, path: string): boolean {
  if (path === '/healthz' || path === '/openapi.json' || path === '/docs' || path === '/') return true;
  // the API docs UI (Swagger UI) and its files: the same description, to try it out
  if ((method === 'GET' || method === 'HEAD') && /^\/docs\/ui(\/|$)/.test(path)) return true;
  // the page's files, some in one folder of screens or strings
  if (/^\/([a-z0-9-]+\/)?[a-z0-9.-]+\.(js|css|svg|json)$/.test(path)) return true;
  // the page's sign-in form: a username and a password are its credential
  if (method === 'POST' && path === '/auth/login') return true;
  // who this browser's own cookie signs in: nobody, without one
  if ((method === 'GET' || method === 'HEAD') && path === '/auth/session') return true;
  return method === 'POST' && path.startsWith('/twilio/');
}

function concrete(path: string): string {
  return path
    .replace('/api/residents/:id', '/api/residents/r-zhang')
    .replace('/api/alerts/:id', `/api/alerts/${alertId}`)
    .replace('/api/problems/:id', `/api/problems/${problemId}`)
    .replace('/api/contacts/:id', `/api/contacts/${contactId}`)
    .replace('/api/devices/:id', '/api/devices/zhang-door')
    .replace(/:[a-zA-Z]+/g, '1');
}

/** the ways to write one path that a router might still match */
function spellings(path: string): string[] {
  const [, first, rest] = /^\/([^/]*)(.*)$/.exec(path)!;
  const enc = (s: string) => `%${s.charCodeAt(0).toString(16)}${s.slice(1)}`;
  return [
    path,
    `/${enc(first)}${rest}`,
    `/${first}${rest.replace(/\/([a-z])/, (_m, c: string) => `/%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    `/${path}`,
    `http://127.0.0.1:${port}${path}`,
    `http://attacker.example${path}`,
    `/${first.toUpperCase()}${rest}`,
    `/${first}/x/..${rest}`,
    `/${first}/.${rest}`,
    `${path};x=1`,
    `${path}?`,
  ];
}

const BODIES: Record<string, string> = {
  POST: JSON.stringify({ visitor: 'Mallory', at: '2026-03-02T09:00:00+08:00', purpose: 'routine', id: 'r-evil', name: 'Evil', kind: 'door', phone: '+8613800000666', role: 'family' }),
  PATCH: JSON.stringify({ status: 'solved', name: 'Evil', rotateSecret: true }),
};

describe('authentication is decided by the route, never by the spelling of the URL', () => {
  it('the tree has the routes this test expects to attack (the enumeration works)', () => {
    const routes = routesOf(gw.app.http.printRoutes());
    for (const [method, path] of routes) expect(gw.app.http.hasRoute({ method: method as never, url: path }), `${method} ${path}`).toBe(true);
    const paths = routes.map(([m, p]) => `${m} ${p}`);
    for (const must of ['GET /api/residents/:id', 'GET /api/residents/:id/timeline', 'GET /api/alerts', 'POST /api/residents/:id/visits', 'GET /api/problems/:id', 'DELETE /api/devices/:id', 'POST /twilio/sms']) {
      expect(paths).toContain(must);
    }
  });

  it('no route but the open ones answers without a token, however it is spelled', async () => {
    const routes = routesOf(gw.app.http.printRoutes()).filter(([m, p]) => !isPublic(m, p));
    expect(routes.length).toBeGreaterThan(20);
    const leaks: string[] = [];
    const eventsBefore = await sqlOf(gw.app).one('SELECT (SELECT COUNT(*) FROM visits) + (SELECT COUNT(*) FROM residents) + (SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM contacts) AS n');
    for (const [method, path] of routes) {
      for (const target of spellings(concrete(path))) {
        const body = BODIES[method];
        const res = await rawHttp(port, { method, target, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
        const shown = PRIVATE.filter((p) => res.body.includes(p));
        if (![401, 404].includes(res.status) || shown.length) leaks.push(`${method} ${target} -> ${res.status} ${shown.join(', ')} ${res.body.slice(0, 80)}`);
      }
    }
    expect(leaks).toEqual([]);
    // nothing was written by all those requests
    expect(await sqlOf(gw.app).one('SELECT (SELECT COUNT(*) FROM visits) + (SELECT COUNT(*) FROM residents) + (SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM contacts) AS n')).toEqual(eventsBefore);
    expect((await gw.app.store.alerts.get(alertId))!.status).toBe('open');
  }, 60_000);

  it('the canonical spelling of every protected route is a 401 with a Bearer challenge', async () => {
    const routes = routesOf(gw.app.http.printRoutes()).filter(([m, p]) => !isPublic(m, p) && m !== 'HEAD');
    for (const [method, path] of routes) {
      const res = await rawHttp(port, { method, target: concrete(path), ...(BODIES[method] ? { body: BODIES[method], headers: { 'content-type': 'application/json' } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate'], `${method} ${path}`).toMatch(/^Bearer/);
    }
  });

  it('with a token the odd spellings that fastify routes reach the same data', async () => {
    const headers = { authorization: `Bearer ${CASEWORKER_TOKEN}` };
    for (const target of ['/api/residents/r-zhang', '/%61pi/residents/r-zhang', `http://127.0.0.1:${port}/api/residents/r-zhang`]) {
      const res = await rawHttp(port, { target, headers });
      expect(res.status, target).toBe(200);
      expect(res.body).toContain('Zhang Xiuying');
    }
  });

  it('an unknown path under /api/ asks for a token before it says 404', async () => {
    expect((await rawHttp(port, { target: '/api/nothing-here' })).status).toBe(401);
    expect((await rawHttp(port, { target: '/%61pi/nothing-here' })).status).toBe(401);
    expect((await rawHttp(port, { target: '//api/nothing-here' })).status).toBe(401);
    expect((await rawHttp(port, { target: `http://127.0.0.1:${port}/API/nothing-here` })).status).toBe(401);
    expect((await rawHttp(port, { target: '/api/nothing-here', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } })).status).toBe(404);
  });

  it('the open routes stay open: health, the page, the API description', async () => {
    for (const target of ['/healthz', '/', '/openapi.json', '/docs', '/docs/ui/', '/docs/ui/json']) expect((await rawHttp(port, { target })).status, target).toBe(200);
    // a webhook without a signature is refused by its own check, not by the token check
    expect((await rawHttp(port, { method: 'POST', target: '/twilio/sms', body: 'From=%2B8613800000001&Body=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(403);
  });

  it('roles are per route: a caseworker token cannot reach an admin route by any spelling', async () => {
    for (const target of ['/api/audit', '/%61pi/audit', `http://127.0.0.1:${port}/api/audit`]) {
      expect((await rawHttp(port, { target, headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } })).status, target).toBe(403);
      expect((await rawHttp(port, { target, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, target).toBe(200);
    }
  });
});

describe('deny by default', () => {
  it('a route that declares nothing needs a token', async () => {
    const app = Fastify();
    registerAuth(app, { tokens: [{ name: 'w', role: 'caseworker', token: 'worker-token-1' }] });
    app.get('/anything', async () => ({ secret: 'data' }));
    app.get('/open', { config: { public: true } }, async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject({ url: '/anything' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/anything', headers: { authorization: 'Bearer worker-token-1' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    await app.close();
  });

  it('refuses to start a server with a route declared before the access check', async () => {
    const app = Fastify();
    app.get('/before', async () => ({ secret: 'data' }));
    expect(() => registerAuth(app, { tokens: [] })).toThrow(/registerAuth must come before every route/);
  });

  it('a plugin\'s own routes are open only in a scope opened for them, and only there', async () => {
    const app = Fastify();
    registerAuth(app, { tokens: [] });
    app.register(async (scope) => {
      scope.auth.openScope(scope);
      scope.get('/open-file', async () => ({ ok: true }));
      scope.register(async (inner) => { inner.get('/open-inner', async () => ({ ok: true })); });
    });
    app.register(async (scope) => { scope.get('/closed-sibling', async () => ({ secret: 'data' })); });
    app.get('/closed-root', async () => ({ secret: 'data' }));
    await app.ready();
    expect((await app.inject({ url: '/open-file' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/open-inner' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/closed-sibling' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/closed-root' })).statusCode).toBe(401);
    await app.close();
    const roles = Fastify();
    registerAuth(roles, { tokens: [] });
    roles.register(async (scope) => { scope.auth.openScope(scope); scope.get('/x', { config: { roles: ['admin'] } }, async () => ({})); });
    await expect(roles.ready()).rejects.toThrow(/in an open scope is public/);
  });

  it('a route may name the roles it admits', async () => {
    const app = Fastify();
    registerAuth(app, { tokens: [{ name: 'w', role: 'caseworker', token: 'worker-token-1' }, { name: 'a', role: 'admin', token: 'admin-token-1' }] });
    app.get('/admin-only', { config: { roles: ['admin'] } }, async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject({ url: '/admin-only', headers: { authorization: 'Bearer worker-token-1' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/admin-only', headers: { authorization: 'Bearer admin-token-1' } })).statusCode).toBe(200);
    await app.close();
  });
});
