// The OpenAPI document, the docs page and the web page's files.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Fastify from 'fastify';
import helmet from '@fastify/helmet';
import { securityHeaders } from '../../src/api/headers.ts';
import { startWorkspace, type Workspace } from './setup.ts';

let ws: Workspace;
beforeAll(async () => { ws = await startWorkspace(); });
afterAll(async () => { await ws?.stop(); });

describe('GET /openapi.json', () => {
  it('describes every API route with its schemas, without a token', async () => {
    const res = await ws.call('GET', '/openapi.json', undefined, {});
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const op of [
      'GET /healthz', 'GET /api/residents', 'GET /api/residents/{id}', 'GET /api/residents/{id}/timeline',
      'POST /api/residents/{id}/visits', 'GET /api/residents/{id}/visits', 'GET /api/residents/{id}/problems', 'PATCH /api/problems/{id}',
      'GET /api/visits/due', 'GET /api/reports', 'GET /api/residents/{id}/activity',
      'POST /api/residents', 'PATCH /api/residents/{id}', 'DELETE /api/residents/{id}', 'POST /api/residents/{id}/contacts',
      'PATCH /api/contacts/{id}', 'DELETE /api/contacts/{id}', 'POST /api/residents/{id}/devices', 'PATCH /api/devices/{id}',
      'DELETE /api/devices/{id}', 'GET /api/audit',
      'GET /api/reminders', 'GET /api/rounds/next', 'POST /api/rounds', 'GET /api/rounds/{id}', 'POST /api/rounds/{id}/doors/{residentId}',
      'GET /api/warnings', 'GET /api/residents/{id}/casefile', 'PATCH /api/residents/{id}/casefile', 'POST /api/residents/{id}/appointments',
      'GET /api/warmth', 'POST /api/problems/{id}/referrals', 'PATCH /api/referrals/{id}', 'POST /api/visits/{id}/photos',
      'POST /api/problems/{id}/photos', 'GET /api/photos/{id}', 'GET /api/reports/series', 'GET /api/reports/export.csv',
    ]) expect(ops, op).toContain(op);
    // static files and the document itself are not operations
    expect(ops.some((op) => op.includes('.js') || op.includes('openapi'))).toBe(false);
    const post = doc.paths['/api/residents/{id}/visits'].post;
    expect(post.requestBody.content['application/json'].schema.required).toEqual(['visitor', 'at', 'purpose']);
    expect(post.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(post.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '404']));
    expect(doc.paths['/api/reports'].get.parameters.map((p: any) => p.name)).toEqual(['from', 'to', 'area']);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
  });
});

describe('pages', () => {
  it('serves the caseworker page and its files without a token, with a strict content policy', async () => {
    const page = await ws.http.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<script type="module" src="/app.js">');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    for (const file of ['app.js', 'api.js', 'shell.js', 'screens/casefile.js', 'screens/home.js', 'strings/core.js', 'visit-form.js', 'dom.js', 'i18n.js']) {
      const res = await ws.http.inject({ method: 'GET', url: `/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/javascript/);
    }
    const css = await ws.http.inject({ method: 'GET', url: '/style.css' });
    expect(css.headers['content-type']).toMatch(/text\/css/);
    // small files that change with each release: revalidated every time, cheaply
    expect(css.headers['cache-control']).toBe('no-cache');
    expect(css.headers.etag).toBeTruthy();
    expect((await ws.http.inject({ method: 'GET', url: '/style.css', headers: { 'if-none-match': String(css.headers.etag) } })).statusCode).toBe(304);
    // only the files the page is made of, by their own names
    for (const url of ['/../package.json', '/index.html', '/docs.html', '/%2e%2e/package.json', '/.gitignore']) {
      expect((await ws.http.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('sends the security headers with every answer: the page\'s content policy, no sniffing, no framing, no referrer', async () => {
    for (const url of ['/', '/docs', '/app.js', '/healthz', '/openapi.json']) {
      const res = await ws.http.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]) {
        expect(csp, `${url}: ${directive}`).toContain(directive);
      }
      // neither inline code nor an https upgrade the plain-http LAN page could not follow
      expect(csp, url).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests/);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      // this gateway is reached over plain http: HSTS would mean nothing
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
  });

  it('serves the docs page, and Swagger UI on the same document', async () => {
    const res = await ws.http.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('/docs.js');
    const ui = await ws.http.inject({ method: 'GET', url: '/docs/ui/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui-bundle.js');
    // under the page's own content policy and one style hash (the browser test shows it draws under it)
    expect(ui.headers['content-security-policy']).toBe(String(res.headers['content-security-policy']).replace("style-src 'self'", "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"));
    const json = await ws.http.inject({ method: 'GET', url: '/docs/ui/json' });
    expect(json.json()).toEqual((await ws.http.inject({ method: 'GET', url: '/openapi.json' })).json());
  });
});

describe('HSTS', () => {
  it('is sent only when the gateway is reached over https', async () => {
    for (const [publicUrl, expected] of [['https://gateway.example.org', /^max-age=15552000/], ['http://192.168.1.20:8080', undefined], [undefined, undefined]] as const) {
      const app = Fastify();
      app.register(helmet, securityHeaders({ http: { host: '127.0.0.1', port: 0, publicMetrics: false, publicUrl } }));
      app.get('/', async () => ({ ok: true }));
      const res = await app.inject({ url: '/' });
      if (expected) expect(res.headers['strict-transport-security'], publicUrl).toMatch(expected);
      else expect(res.headers['strict-transport-security'], String(publicUrl)).toBeUndefined();
      await app.close();
    }
  });
});
