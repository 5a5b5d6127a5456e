// The casefile as app.ts mounts it: provisioning reaches the running broker (a rotated secret
// stops working even for a device that connected before), API edits survive a restart, and the
// OpenAPI document sees the routes mounted after it.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const dir = mkdtempSync(join(tmpdir(), 'gw-wired-'));
let gw: TestGateway | undefined;
afterAll(async () => { await gw?.stop(); rmSync(dir, { recursive: true, force: true }); });

async function call(method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) {
  const res = await gw!.app.http.inject({ method, url, headers: admin, payload });
  return { status: res.statusCode, body: res.json() };
}

describe('casefile mounted in app.ts', () => {
  let secret = '';
  it('a provisioned device connects at once; a rotated secret stops working even after a connection', async () => {
    gw = await startGateway({}, { dir });
    const added = await call('POST', '/api/residents/r-zhang/devices', { id: 'zhang-motion', kind: 'motion' });
    expect(added.status).toBe(201);
    const before = await gw.connect('zhang-motion', added.body.secret);
    await before.endAsync();
    const rotated = await call('PATCH', '/api/devices/zhang-motion', { rotateSecret: true });
    secret = rotated.body.secret;
    await expect(gw.connect('zhang-motion', added.body.secret)).rejects.toThrow(/authori/i);
    await (await gw.connect('zhang-motion', secret)).endAsync();
    expect((await call('PATCH', '/api/residents/r-zhang', { name: 'Zhang Xiuying (API)' })).status).toBe(200);
  });

  it('API edits survive a restart on the same config; config devices keep their secrets', async () => {
    await gw!.stop();
    gw = await startGateway({}, { dir });
    const r = await call('GET', '/api/residents/r-zhang');
    expect(r.body).toMatchObject({ name: 'Zhang Xiuying (API)', source: 'api' });
    expect(r.body.devices.map((d: { id: string }) => d.id)).toContain('zhang-motion');
    await (await gw.connect('zhang-motion', secret)).endAsync();
    await (await gw.connect('zhang-door', 'door-secret')).endAsync();
  });

  it('the OpenAPI document lists the alert routes mounted after the casefile', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/alerts', '/api/alerts/{id}/acknowledge', '/api/residents/{id}/visits']));
  });
});
