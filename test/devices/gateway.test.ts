// A sample of the upstream corpus through the whole gateway: a zigbee2mqtt bridge over real MQTT
// (JSON state, per-property `attribute` topics, both at once), and what each report must
// produce: the alert it opens, the self-test it records, the keys that are no emergency. Also
// what an MQTT 5 client is told and what the operator sees.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { startGateway, waitFor, countEvents, sqlOf, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import type { MqttClient } from 'mqtt';

interface Case { model: string; scenario: string; payload: Record<string, unknown> }
const corpus: Case[] = ['models.jsonl', 'quirks.jsonl'].flatMap((f) => readFileSync(new URL(`../fixtures/zigbee2mqtt/${f}`, import.meta.url), 'utf8')
  .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Case));
/** the corpus payload of a model: by scenario, or by the action it carries */
function sample(model: string, scenario: string): Record<string, unknown> {
  const c = corpus.find((x) => x.model === model && (x.scenario === scenario || x.payload.action === scenario));
  if (!c) throw new Error(`no corpus case ${model} ${scenario}`);
  return c.payload;
}

const devices = [
  { id: 'li-kitchen-smoke', kind: 'smoke', zigbee2mqtt: 'li/kitchen smoke' },
  { id: 'li-bedroom-smoke', kind: 'smoke', zigbee2mqtt: 'li/bedroom smoke' },
  { id: 'li-co', kind: 'co', zigbee2mqtt: 'li/co' },
  { id: 'li-gas', kind: 'gas', zigbee2mqtt: 'li/gas' },
  { id: 'li-water', kind: 'water', zigbee2mqtt: 'li/bathroom leak' },
  { id: 'li-fob', kind: 'button', zigbee2mqtt: 'li/keyfob' },
  { id: 'li-fob-custom', kind: 'button', zigbee2mqtt: 'li/keyfob 2', emergencyActions: ['arm_all_zones'] },
  { id: 'li-keypad', kind: 'door', zigbee2mqtt: 'li/keypad' },
  { id: 'li-door', kind: 'door', zigbee2mqtt: 'li/front door' },
  { id: 'li-fp1', kind: 'presence', zigbee2mqtt: 'li/living fp1' },
  { id: 'li-hall-smoke', kind: 'smoke', zigbee2mqtt: 'li/hall smoke' },
];

let gw: TestGateway;
let bridge: MqttClient;
beforeAll(async () => {
  gw = await startGateway({
    residents: [{
      id: 'r-li', name: 'Li Guilan', timezone: 'Asia/Shanghai',
      contacts: [{ name: 'Wang Neighbor', phone: '+8613800000021', role: 'neighbor' }],
      devices,
    }],
  });
  bridge = await gw.connect('z2m', 'bridge-pass', { clientId: 'zigbee2mqtt_li' });
});
afterAll(async () => { await gw?.stop(); });

const openAlert = async (kind: string, deviceId: string) => (await gw.app.store.alerts.list('open')).find((a) => a.kind === kind && a.deviceId === deviceId);
const alertsOf = async (deviceId: string) => (await gw.app.store.alerts.list(undefined)).filter((a) => a.deviceId === deviceId);
const lastEvent = async (deviceId: string) => {
  const row = await sqlOf(gw.app).one<{ payload: string }>('SELECT payload FROM events WHERE device_id = ? ORDER BY id DESC LIMIT 1', deviceId);
  return row ? JSON.parse(row.payload) : undefined;
};
const eventCount = (deviceId: string) => countEvents(gw.app, deviceId);
const resolveOpen = async (deviceId: string) => {
  for (const a of await alertsOf(deviceId)) if (a.status === 'open') await gw.app.alertService.resolve(a.id, 'test', 'test set-up', gw.app.clock.now());
};
const publish = (topic: string, payload: unknown) => bridge.publishAsync(`zigbee2mqtt/${topic}`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });

describe('zigbee2mqtt reports through the gateway', () => {
  it('a smoke alarm with a 200 % battery is a smoke alarm; the battery alone is dropped and counted', async () => {
    const dropped = gw.app.metrics.get('gateway_fields_dropped_total', { reason: 'bad_type_battery' });
    await publish('li/kitchen smoke', sample('smoke detector reporting 200 %', 'alarm_battery_200'));
    const alert = await waitFor(() => openAlert('smoke', 'li-kitchen-smoke'), 5000, 'smoke alert');
    expect(alert.residentId).toBe('r-li');
    expect(await lastEvent('li-kitchen-smoke')).toEqual({ smoke: true });
    expect(gw.app.metrics.get('gateway_fields_dropped_total', { reason: 'bad_type_battery' })).toBe(dropped + 1);
    expect(gw.logs.text()).toContain('field dropped, the rest of the report kept');
  });

  it.each([
    ['MultIR MIR-SM100-E alarm_1 on a smoke device', 'li-bedroom-smoke', 'li/bedroom smoke', 'MIR-SM100-E', 'alarm_1', 'smoke'],
    ['Heiman HS1CA-E carbon monoxide', 'li-co', 'li/co', 'HS1CA-E', 'alarm_1', 'co'],
    ['Heiman HS1CG gas', 'li-gas', 'li/gas', 'HS1CG', 'alarm_1', 'gas'],
    ['Aqara SJCGQ11LM water leak', 'li-water', 'li/bathroom leak', 'SJCGQ11LM', 'alarm_1', 'water_leak'],
  ])('%s opens its alert', async (_name, deviceId, friendly, model, scenario, kind) => {
    await publish(friendly, sample(model, scenario));
    await waitFor(() => openAlert(kind, deviceId), 5000, `${kind} alert`);
  });

  it('an action with a control character or half a surrogate pair is dropped and counted; an alarm sent with it is stored', async () => {
    const dropped = gw.app.metrics.get('gateway_messages_dropped_total', { reason: 'bad_type_action' });
    const fieldDropped = gw.app.metrics.get('gateway_fields_dropped_total', { reason: 'bad_type_action' });
    const before = await eventCount('li-fob');
    // all in one turn, so one group commit: PostgreSQL's jsonb refuses these strings, and one stored
    // would fail the group and the smoke alarm in it, again on every resend
    await Promise.all([
      publish('li/keyfob', '{"action":"\\u0000"}'),
      publish('li/keyfob', '{"action":"\\ud800","battery":70}'),
      publish('li/hall smoke', sample('MIR-SM100-E', 'alarm_1')),
    ]);
    await waitFor(() => openAlert('smoke', 'li-hall-smoke'), 5000, 'smoke alert');
    expect(gw.app.metrics.get('gateway_messages_dropped_total', { reason: 'bad_type_action' })).toBe(dropped + 1);
    expect(gw.app.metrics.get('gateway_fields_dropped_total', { reason: 'bad_type_action' })).toBe(fieldDropped + 1);
    expect(await eventCount('li-fob')).toBe(before + 1);
    expect(await lastEvent('li-fob')).toEqual({ battery: 70 });
  });

  it('a detector in test mode records a self-test and raises nothing', async () => {
    await resolveOpen('li-bedroom-smoke');
    await publish('li/bedroom smoke', sample('BSD-2', 'idle'));
    const before = (await alertsOf('li-bedroom-smoke')).length;
    await publish('li/bedroom smoke', sample('BSD-2', 'test_mode_on'));
    await waitFor(async () => (await gw.app.store.timeline.page('r-li', { limit: 20 })).items.some((i) => i.type === 'note' && (i as { note?: string }).note === 'self-test'), 5000, 'self-test note');
    expect(await alertsOf('li-bedroom-smoke')).toHaveLength(before);
  });

  it('keyfob arm and disarm keys are recorded, its emergency key raises an emergency', async () => {
    for (const key of ['disarm', 'arm_all_zones', 'arm_day_zones']) await publish('li/keyfob', sample('HS1RC-N', key));
    expect(await lastEvent('li-fob')).toMatchObject({ action: 'arm_day_zones' });
    expect(await alertsOf('li-fob')).toHaveLength(0);
    await publish('li/keyfob', sample('HS1RC-N', 'emergency'));
    await waitFor(() => openAlert('emergency', 'li-fob'), 5000, 'emergency alert');
  });

  it("a button's own emergencyActions replace the default; panic counts on a keypad whatever its kind", async () => {
    await publish('li/keyfob 2', sample('HS1RC-N', 'disarm'));
    expect(await alertsOf('li-fob-custom')).toHaveLength(0);
    await publish('li/keyfob 2', sample('HS1RC-N', 'arm_all_zones'));
    await waitFor(() => openAlert('emergency', 'li-fob-custom'), 5000, 'configured emergency');
    await publish('li/keypad', sample('07046L', 'panic'));
    await waitFor(() => openAlert('emergency', 'li-keypad'), 5000, 'panic from a keypad');
  });

  it('EZVIZ contact_alarm_1 gives the door open and closed, a tamper field beside it hides nothing', async () => {
    await publish('li/front door', sample('CS-T2C', 'alarm_1'));
    await waitFor(async () => (await lastEvent('li-door'))?.contact === false, 5000, 'door open');
    await publish('li/front door', { ...sample('CS-T2C', 'idle'), tamper: true });
    await waitFor(async () => (await lastEvent('li-door'))?.contact === true, 5000, 'door closed');
    expect(await lastEvent('li-door')).toMatchObject({ contact: true, tamper: true });
  });

  it('mmWave presence is activity in the timeline', async () => {
    await publish('li/living fp1', sample('RTCZCGQ11LM', 'lumi_322_1'));
    await waitFor(async () => (await lastEvent('li-fp1'))?.occupancy === true, 5000, 'presence event');
    const item = (await gw.app.store.timeline.page('r-li', { limit: 5 })).items.find((i) => i.type === 'device_event' && (i as { deviceId?: string }).deviceId === 'li-fp1');
    expect(item).toMatchObject({ readings: { occupancy: true } });
  });

  it('advanced.output: attribute: one property per topic, bare values', async () => {
    await publish('li/front door/contact', 'false');
    await waitFor(async () => (await lastEvent('li-door'))?.contact === false && (await eventCount('li-door')) > 0, 5000, 'attribute contact');
    await publish('li/front door/linkquality', '87');
    expect(gw.app.metrics.get('gateway_messages_ignored_total', { reason: 'attribute_unread' })).toBeGreaterThanOrEqual(1);
    await publish('li/keyfob/action', 'emergency');
    const alerts = await alertsOf('li-fob');
    // the emergency from before is still open: the attribute press is noted on it, not a second alert
    expect(alerts.filter((a) => a.status !== 'resolved')).toHaveLength(1);
    await resolveOpen('li-water');
    await publish('li/bathroom leak/water_leak', 'false');
    await publish('li/bathroom leak/water_leak', 'true');
    await waitFor(() => openAlert('water_leak', 'li-water'), 5000, 'leak from an attribute topic');
    expect(gw.app.metrics.get('gateway_messages_dropped_total', { reason: 'unknown_device' })).toBe(0);
  });

  it('attribute_and_json: the per-property copies of a JSON state are not stored twice', async () => {
    const before = await eventCount('li-door');
    await publish('li/front door', { contact: false, battery: 90, linkquality: 60 });
    await publish('li/front door/contact', 'false');
    await publish('li/front door/battery', '90');
    await publish('li/front door/linkquality', '60');
    expect(await eventCount('li-door')).toBe(before + 1);
    expect(gw.app.metrics.get('gateway_messages_ignored_total', { reason: 'attribute_repeat' })).toBeGreaterThanOrEqual(2);
  });
});

describe('MQTT 5', () => {
  it('is refused with CONNACK "unacceptable protocol version", counted, and logged once per client at warn', async () => {
    const attempt = () => new Promise<string>((resolve) => {
      const c = mqtt.connect(gw.mqttUrl, { protocolVersion: 5, clientId: 'z2m-v5', username: 'z2m', password: 'bridge-pass', reconnectPeriod: 0, connectTimeout: 3000 });
      c.once('error', (err) => { c.end(true); resolve(String((err as { code?: number }).code ?? err.message)); });
      c.once('connect', () => { c.end(true); resolve('connected'); });
    });
    const before = gw.app.metrics.get('gateway_connections_refused_total', { reason: 'mqtt_version_5' });
    const first = await attempt();
    const second = await attempt();
    expect(first).not.toBe('connected');
    expect(second).not.toBe('connected');
    expect(gw.app.metrics.get('gateway_connections_refused_total', { reason: 'mqtt_version_5' })).toBe(before + 2);
    const warns = gw.logs.lines.filter((l) => l.includes('MQTT 5 is not supported') && l.includes('"clientId":"z2m-v5"'));
    expect(warns).toHaveLength(1);
    expect(JSON.parse(warns[0]).level).toBe(40);
    expect((await gw.app.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } })).body).toContain('gateway_connections_refused_total{reason="mqtt_version_5"}');
    // 3.1.1, zigbee2mqtt's default, still connects
    const ok = await gw.connect('z2m', 'bridge-pass', { protocolVersion: 4, clientId: 'z2m-v4' });
    expect(ok.connected).toBe(true);
  });
});
