// The demo config must not open the gateway to the network, and /metrics is behind a token
// unless the config says otherwise.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { loadConfig } from '../../src/config/index.ts';
import { rawHttp } from './net.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });

describe('the demo config and /metrics', () => {
  it('the demo config listens on loopback only', () => {
    const config = loadConfig('config/default.yaml', {});
    expect(config.mqtt.host).toBe('127.0.0.1');
    expect(config.http.host).toBe('127.0.0.1');
  });

  it('/metrics needs a token by default', async () => {
    expect((await rawHttp(gw.app.httpPort(), { target: '/metrics' })).status).toBe(401);
    const res = await rawHttp(gw.app.httpPort(), { target: '/metrics', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.body).toContain('gateway_mqtt_clients_connected');
  });

  it('http.publicMetrics: true opens /metrics, and only /metrics', async () => {
    const open = await startGateway({ http: { host: '127.0.0.1', port: 0, publicMetrics: true } });
    try {
      expect((await rawHttp(open.app.httpPort(), { target: '/metrics' })).status).toBe(200);
      expect((await rawHttp(open.app.httpPort(), { target: '/api/residents' })).status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});
