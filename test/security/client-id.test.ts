// A device with valid credentials of its own tries to knock another off the broker by
// connecting with that device's client id (its will then says "offline", and minutes later a
// false device_offline alert texts the caseworker), or to pick up another's persistent session.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, waitFor, sqlOf, type TestGateway } from '../helpers.ts';
import { MqttRaw } from './net.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(async () => { await gw?.stop(); });


describe('a client id belongs to the principal that holds it', () => {
  it("refuses another device's live client id with CONNACK 2 and leaves the holder connected", async () => {
    const port = gw.app.mqttPort();
    const { client: door, connack } = await MqttRaw.open(port, 'zhang-door', 'door-secret', { clientId: 'front-door-1' });
    expect(connack.returnCode).toBe(0);
    const availabilityBefore = await sqlOf(gw.app).one(`SELECT COUNT(*) AS n FROM events WHERE device_id = 'zhang-door' AND type = 'availability'`);
    // the smoke detector's own valid credentials, the door's client id
    const { client: rogue, connack: refused } = await MqttRaw.open(port, 'zhang-smoke', 'smoke-secret', { clientId: 'front-door-1' });
    expect(refused.returnCode).toBe(2);
    await waitFor(() => rogue.closed, 3000, 'the rogue connection to close');
    // so is a bridge, and a rogue with a persistent session
    const { connack: bridge } = await MqttRaw.open(port, 'z2m', 'bridge-pass', { clientId: 'front-door-1', clean: false });
    expect(bridge.returnCode).toBe(2);
    // the door's own connection answers after both refusals: it was never closed
    await door.publish('devices/zhang-door', '{"contact":false}', 11);
    expect(door.closed).toBe(false);
    expect(await sqlOf(gw.app).one(`SELECT COUNT(*) AS n FROM events WHERE device_id = 'zhang-door' AND type = 'availability'`)).toEqual(availabilityBefore);
    door.close();
  });

  it('the same device reconnecting with its own client id still takes over its session', async () => {
    const port = gw.app.mqttPort();
    const { client: first } = await MqttRaw.open(port, 'zhang-door', 'door-secret', { clientId: 'door-own-id' });
    const { client: second, connack } = await MqttRaw.open(port, 'zhang-door', 'door-secret', { clientId: 'door-own-id' });
    expect(connack.returnCode).toBe(0);
    await waitFor(() => first.closed, 3000, 'the old connection to be taken over');
    await second.publish('devices/zhang-door', '{"contact":true}', 12);
    second.close();
  });

  it("a persistent session's client id stays its device's after it disconnects", async () => {
    const port = gw.app.mqttPort();
    const { client: door } = await MqttRaw.open(port, 'zhang-door', 'door-secret', { clientId: 'door-persistent', clean: false });
    await door.subscribe('devices/zhang-door/set', 1);
    door.disconnect();
    await waitFor(() => door.closed, 3000, 'disconnect');
    // another device picking up that session would receive the door's commands
    const { connack } = await MqttRaw.open(port, 'zhang-smoke', 'smoke-secret', { clientId: 'door-persistent', clean: false });
    expect(connack.returnCode).toBe(2);
    const { client: back, connack: ok } = await MqttRaw.open(port, 'zhang-door', 'door-secret', { clientId: 'door-persistent', clean: false });
    expect(ok).toMatchObject({ returnCode: 0, sessionPresent: true });
    back.close();
  });
});
