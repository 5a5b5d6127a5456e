// A device whose secret is rotated or deleted must not keep the session it opened with the old one.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, waitFor, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';
import { MqttRaw, rawHttp } from './net.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('rotating or deleting a secret closes the old sessions at once', () => {
  async function provision(id: string): Promise<string> {
    const res = await rawHttp(gw.app.httpPort(), { method: 'POST', target: '/api/residents/r-chen/devices', headers: admin, body: JSON.stringify({ id, kind: 'door' }) });
    expect(res.status).toBe(201);
    return JSON.parse(res.body).secret as string;
  }

  it('rotation: the live connection is closed, the old secret refused, the new one works', async () => {
    const secret = await provision('chen-back-door');
    const port = gw.app.mqttPort();
    const { client, connack } = await MqttRaw.open(port, 'chen-back-door', secret);
    expect(connack.returnCode).toBe(0);
    const rotated = await rawHttp(gw.app.httpPort(), { method: 'PATCH', target: '/api/devices/chen-back-door', headers: admin, body: '{"rotateSecret":true}' });
    expect(rotated.status).toBe(200);
    const fresh = JSON.parse(rotated.body).secret as string;
    await waitFor(() => client.closed, 2000, 'the old session to be closed');
    expect((await MqttRaw.open(port, 'chen-back-door', secret)).connack.returnCode).toBe(5);
    const { client: again, connack: ok } = await MqttRaw.open(port, 'chen-back-door', fresh);
    expect(ok.returnCode).toBe(0);
    again.close();
  });

  it('deletion: the live connection is closed and the secret refused', async () => {
    const secret = await provision('chen-side-door');
    const port = gw.app.mqttPort();
    const { client } = await MqttRaw.open(port, 'chen-side-door', secret, { clean: false, clientId: 'side-door' });
    const deleted = await rawHttp(gw.app.httpPort(), { method: 'DELETE', target: '/api/devices/chen-side-door', headers: { authorization: admin.authorization } });
    expect(deleted.status).toBe(204);
    await waitFor(() => client.closed, 2000, 'the session to be closed');
    expect((await MqttRaw.open(port, 'chen-side-door', secret, { clean: false, clientId: 'side-door' })).connack.returnCode).toBe(5);
  });

  it('an unrelated edit of a device does not disconnect it', async () => {
    const secret = await provision('chen-hall-door');
    const { client } = await MqttRaw.open(gw.app.mqttPort(), 'chen-hall-door', secret);
    const edited = await rawHttp(gw.app.httpPort(), { method: 'PATCH', target: '/api/devices/chen-hall-door', headers: admin, body: '{"entrance":false}' });
    expect(edited.status).toBe(200);
    // a full round trip after the edit: the same connection is still served
    await client.publish('devices/chen-hall-door', '{"contact":true}', 3);
    expect(client.closed).toBe(false);
    client.close();
  });
});
