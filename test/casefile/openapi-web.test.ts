// The OpenAPI document, the docs page and the web page's files.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
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
    expect((await ws.http.inject({ method: 'GET', url: '/style.css' })).headers['content-type']).toMatch(/text\/css/);
    expect((await ws.http.inject({ method: 'GET', url: '/../package.json' })).statusCode).toBe(404);
  });

  it('serves the docs page', async () => {
    const res = await ws.http.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('/docs.js');
  });
});
