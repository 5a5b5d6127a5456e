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
  it('a provisioned device connects at once; a rotated secret closes its open connection and stops working', async () => {
    gw = await startGateway({}, { dir });
    const added = await call('POST', '/api/residents/r-zhang/devices', { id: 'zhang-motion', kind: 'motion' });
    expect(added.status).toBe(201);
    // connected (its credentials cached by the broker) while the secret is rotated
    const before = await gw.connect('zhang-motion', added.body.secret);
    await before.publishAsync('devices/zhang-motion', '{"occupancy":true}', { qos: 1 });
    const closed = new Promise<void>((resolve) => before.once('close', () => resolve()));
    const rotated = await call('PATCH', '/api/devices/zhang-motion', { rotateSecret: true });
    secret = rotated.body.secret;
    await closed;
    expect(before.connected).toBe(false);
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

  it('a deleted device\'s open connection closes at once; an edit that keeps the secret keeps it open', async () => {
    const live = await gw!.connect('zhang-motion', secret);
    let closed = false;
    live.once('close', () => { closed = true; });
    expect((await call('PATCH', '/api/devices/zhang-motion', { name: '卧室人体' })).status).toBe(200);
    // still connected: a PUBACK comes back after the rename
    await live.publishAsync('devices/zhang-motion', '{"occupancy":true}', { qos: 1 });
    expect(closed).toBe(false);
    const gone = new Promise<void>((resolve) => live.once('close', () => resolve()));
    const res = await gw!.app.http.inject({ method: 'DELETE', url: '/api/devices/zhang-motion', headers: admin });
    expect(res.statusCode).toBe(204);
    await gone;
    await expect(gw!.connect('zhang-motion', secret)).rejects.toThrow(/authori/i);
  });

  it('the OpenAPI document lists the alert routes mounted after the casefile', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/alerts', '/api/alerts/{id}/acknowledge', '/api/residents/{id}/visits']));
  });
});
