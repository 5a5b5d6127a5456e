// The optional listeners: MQTT over TLS and over WebSocket, with the same authentication and
// the same commit-before-PUBACK as plain TCP.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startGateway, countEvents, type TestGateway } from '../helpers.ts';

const certDir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
let gw: TestGateway;
beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  gw = await startGateway({
    mqtt: {
      host: '127.0.0.1', port: 0, bridges: [],
      tls: { port: 0, cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') },
      websocket: { port: 0 },
    },
  });
});
afterAll(async () => { await gw?.stop(); rmSync(certDir, { recursive: true, force: true }); });

describe('optional listeners', () => {
  it('MQTT over TLS stores a report and refuses a wrong secret', async () => {
    const port = gw.app.broker.address().mqtts;
    const before = await countEvents(gw.app, 'zhang-smoke');
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { username: 'zhang-smoke', password: 'smoke-secret', rejectUnauthorized: false, reconnectPeriod: 0 });
    await c.publishAsync('devices/zhang-smoke', '{"smoke":false}', { qos: 1 });
    expect(await countEvents(gw.app, 'zhang-smoke')).toBe(before + 1);
    await c.endAsync();
    await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { username: 'zhang-smoke', password: 'nope', rejectUnauthorized: false, reconnectPeriod: 0 }))
      .rejects.toThrow(/Not authorized/i);
  });

  it('MQTT over WebSocket stores a report', async () => {
    const port = gw.app.broker.address().ws;
    const before = await countEvents(gw.app, 'zhang-door');
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${port}`, { username: 'zhang-door', password: 'door-secret', reconnectPeriod: 0 });
    await c.publishAsync('devices/zhang-door', '{"contact":true}', { qos: 1 });
    expect(await countEvents(gw.app, 'zhang-door')).toBe(before + 1);
    await c.endAsync();
  });
});
