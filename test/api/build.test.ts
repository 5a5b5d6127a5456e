// buildApp's build() makes the whole gateway and its routes without opening a port; start()
// opens them. API tests ask a built gateway through inject().
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../helpers.ts';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

describe('build and listen', () => {
  it('a built gateway answers its routes through inject() with no port open, and is not healthy until it listens', async () => {
    gw = await startGateway({}, { listen: false });
    const { app } = gw;
    expect(app.httpPort()).toBe(0);
    expect(app.mqttPort()).toBe(0);
    const residents = await app.http.inject({ method: 'GET', url: '/api/residents', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(residents.statusCode).toBe(200);
    expect(residents.json().items.map((r: { id: string }) => r.id)).toContain('r-zhang');
    // a load balancer must not send traffic to a process that does not take MQTT yet
    const health = await app.http.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'unavailable', reason: 'starting' });

    await app.start();
    expect(app.mqttPort()).toBeGreaterThan(0);
    expect(app.httpPort()).toBeGreaterThan(0);
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // the broker really listens now
    await new Promise<void>((resolve, reject) => {
      const socket = connect(app.mqttPort(), '127.0.0.1', () => { socket.destroy(); resolve(); });
      socket.on('error', reject);
    });
  });
});
