// GET /metrics on prom-client: the counters the gateway always had, under the same names; label
// values escaped as the Prometheus text format says; the latency histograms a device and a
// neighbour feel (PUBACK, commit, alarm to SMS through the real twilio package); Node's own
// process and event-loop metrics; and the route's access (a token, unless http.publicMetrics).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Metrics } from '../../src/metrics.ts';
import type { FakeTwilio } from '../notify/fake-twilio.ts';
import { startTextingGateway, waitFor, CASEWORKER_TOKEN, type TextingGateway } from '../helpers.ts';
import { rawHttp } from '../security/net.ts';

/** the value of one sample line, e.g. sample(text, 'gateway_x_total{reason="a"}') */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Metrics (prom-client underneath)', () => {
  it('escapes quotes, backslashes and newlines in label values instead of mangling them', async () => {
    const m = new Metrics({ processMetrics: false });
    m.describe('gateway_test_total', 'a test counter');
    m.inc('gateway_test_total', { reason: 'say "hi"\\now\nthen' });
    const text = await m.render();
    expect(text).toContain('# HELP gateway_test_total a test counter');
    expect(text).toContain('# TYPE gateway_test_total counter');
    expect(text).toContain('gateway_test_total{reason="say \\"hi\\"\\\\now\\nthen"} 1');
    // two values that the old escaping folded into one series stay two
    m.inc('gateway_test_total', { reason: 'a"b' });
    m.inc('gateway_test_total', { reason: 'a_b' });
    expect(m.get('gateway_test_total', { reason: 'a"b' })).toBe(1);
    expect(m.get('gateway_test_total', { reason: 'a_b' })).toBe(1);
  });

  it('keeps counts when a counter meets a label name it had not seen, and reads them back at once', async () => {
    const m = new Metrics({ processMetrics: false });
    m.inc('gateway_test_total');
    m.inc('gateway_test_total', { reason: 'x' }, 2);
    m.inc('gateway_test_total', { reason: 'x', kind: 'y' });
    expect(m.get('gateway_test_total')).toBe(1);
    expect(m.get('gateway_test_total', { reason: 'x' })).toBe(2);
    expect(m.total('gateway_test_total')).toBe(4);
    const text = await m.render();
    expect(sample(text, 'gateway_test_total')).toBe(1);
    expect(sample(text, 'gateway_test_total{reason="x"}')).toBe(2);
    expect(sample(text, 'gateway_test_total{reason="x",kind="y"}')).toBe(1);
  });

  it('reads a gauge when scraped, and a second reader replaces the first', async () => {
    const m = new Metrics({ processMetrics: false });
    let n = 3;
    m.gauge('gateway_test_now', () => n);
    expect(sample(await m.render(), 'gateway_test_now')).toBe(3);
    n = 5;
    expect(sample(await m.render(), 'gateway_test_now')).toBe(5);
    m.gauge('gateway_test_now', () => 7);
    expect(sample(await m.render(), 'gateway_test_now')).toBe(7);
  });
});

describe('GET /metrics on the running gateway', () => {
  const NEIGHBOR = '+8613800000001';
  let fake: FakeTwilio;
  let gw: TextingGateway;
  beforeAll(async () => {
    gw = await startTextingGateway({ accountSid: 'AC' + 'ab12'.repeat(8), authToken: 'metrics-auth-token' }, {
      escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] },
    });
    fake = gw.fake;
  });
  afterAll(async () => { await gw?.stop(); });

  it('has the latency histograms, the counters under their names, and process metrics, to a token holder', async () => {
    const text = fake.nextMessageTo(NEIGHBOR);
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    await c.publishAsync('devices/zhang-smoke', 'not json', { qos: 1 });
    await text;
    await waitFor(() => gw.app.metrics.observations('gateway_alarm_to_sms_seconds'), 5000, 'the alarm-to-SMS observation');

    const port = gw.app.httpPort();
    expect((await rawHttp(port, { target: '/metrics' })).status).toBe(401);
    const res = await rawHttp(port, { target: '/metrics', headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = res.body;
    // histograms: buckets, sum and count; two QoS 1 PUBLISHes were acknowledged
    expect(sample(body, 'gateway_mqtt_puback_seconds_count')).toBe(2);
    expect(body).toMatch(/^gateway_mqtt_puback_seconds_bucket\{le="\+Inf"\} 2$/m);
    expect(sample(body, 'gateway_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'gateway_alarm_to_sms_seconds_count{kind="smoke"}')).toBe(1);
    // the text left well within its bucket range: under 5 s of the alarm on loopback
    expect(sample(body, 'gateway_alarm_to_sms_seconds_bucket{le="5",kind="smoke"}')).toBe(1);
    // counters as before
    expect(sample(body, 'gateway_messages_accepted_total{source="mqtt"}')).toBe(1);
    expect(sample(body, 'gateway_messages_dropped_total{reason="not_json"}')).toBe(1);
    expect(sample(body, 'gateway_alerts_opened_total{kind="smoke"}')).toBe(1);
    expect(sample(body, 'gateway_notify_sent_total{channel="sms"}')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'gateway_mqtt_clients_connected')).toBe(1);
    expect(body).toContain('# HELP gateway_messages_accepted_total Device messages committed to the store');
    // Node's own: CPU, memory, event-loop lag
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(body, name).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
    // every series name is declared exactly once (a Prometheus server refuses a duplicate TYPE)
    const types = body.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(new Set(types).size).toBe(types.length);
    await c.endAsync();
  });
});
