// Device reports through the real broker become alerts, casefile entries and API state;
// people's acknowledgements and resolutions flow back; a restart keeps it all.
import { describe, it, expect, afterEach } from 'vitest';
import { startGateway, waitFor, baseConfig, sqlOf, TEST_ENGINE, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';

const auth = { authorization: `Bearer ${CASEWORKER_TOKEN}` };
let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

const nonEmpty = <T>(list: T[]): T[] | null => (list.length ? list : null);

async function alerts(g: TestGateway, query = '') {
  const res = await g.app.http.inject({ method: 'GET', url: `/api/alerts${query}`, headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json().items as Array<{ id: number; kind: string; status: string; residentId: string; deviceId: string }>;
}

describe('alerts end to end', () => {
  it('a smoke report opens one alert; repeats open no other; clearing is noted; it shows on the timeline', async () => {
    gw = await startGateway();
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    const open = await waitFor(async () => nonEmpty((await alerts(gw!, '?status=open')).filter((a) => a.kind === 'smoke')), 3000, 'smoke alert');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ residentId: 'r-zhang', deviceId: 'zhang-smoke', status: 'open' });
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    await c.publishAsync('devices/zhang-smoke', '{"smoke":false}', { qos: 1 });
    await waitFor(async () => (await gw!.app.store.timeline.page('r-zhang', { limit: 50, types: ['alert_update'] })).items.length >= 1, 3000, 'updates');
    expect((await alerts(gw, '?status=open')).filter((a) => a.kind === 'smoke')).toHaveLength(1);
    const timeline = (await gw.app.http.inject({ method: 'GET', url: '/api/residents/r-zhang/timeline?limit=50', headers: auth })).json();
    const types = timeline.items.map((i: { type: string }) => i.type);
    expect(types).toContain('alert');
    expect(types).toContain('device_event');
    expect(timeline.items.find((i: { type: string }) => i.type === 'alert')).toMatchObject({ kind: 'smoke', alertId: open[0].id });
    expect(timeline.items.filter((i: { type: string; note?: string }) => i.type === 'alert_update').map((i: { note: string }) => i.note)).toContain('cleared');
  });

  it('acknowledge and resolve through the API, with who and when, and 409 when it makes no sense', async () => {
    gw = await startGateway();
    const c = await gw.connect('chen-button', 'button-secret');
    await c.publishAsync('devices/chen-button', '{"action":"sos"}', { qos: 1 });
    const [alert] = await waitFor(async () => nonEmpty((await alerts(gw!, '?status=open')).filter((a) => a.kind === 'emergency')), 3000, 'emergency');
    const ack = await gw.app.http.inject({ method: 'POST', url: `/api/alerts/${alert.id}/acknowledge`, headers: auth });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'li-caseworker' });
    expect((await gw.app.http.inject({ method: 'POST', url: `/api/alerts/${alert.id}/acknowledge`, headers: auth })).statusCode).toBe(409);
    const resolved = await gw.app.http.inject({ method: 'POST', url: `/api/alerts/${alert.id}/resolve`, headers: auth, payload: { note: 'false press, resident fine' } });
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedBy: 'li-caseworker' });
    expect((await gw.app.http.inject({ method: 'POST', url: `/api/alerts/999999/resolve`, headers: auth })).statusCode).toBe(404);
    expect((await gw.app.http.inject({ method: 'POST', url: `/api/alerts/abc/resolve`, headers: auth })).statusCode).toBe(400);
    expect((await gw.app.http.inject({ method: 'POST', url: `/api/alerts/${alert.id}/resolve` })).statusCode).toBe(401);
    const entries = (await gw.app.store.timeline.page('r-chen', { limit: 20, types: ['acknowledgement', 'alert_resolved'] })).items;
    expect(entries.map((e) => e.type).sort()).toEqual(['acknowledgement', 'alert_resolved']);
    // a new press after resolution is a new alert
    await c.publishAsync('devices/chen-button', '{"action":"sos"}', { qos: 1 });
    await waitFor(async () => (await alerts(gw!, '?status=open')).some((a) => a.kind === 'emergency' && a.id !== alert.id), 3000, 'second emergency');
  });

  it('rejects a bad status filter with 400', async () => {
    gw = await startGateway();
    const res = await gw.app.http.inject({ method: 'GET', url: '/api/alerts?status=burning', headers: auth });
    expect(res.statusCode).toBe(400);
  });

  it('judges after a restart the events committed before it, once', async () => {
    gw = await startGateway();
    const dir = gw.dir;
    // the rules stop judging: the event is committed, the decision is not (a process that
    // stopped between the two). The stand-in records what reached the rules, so the test knows
    // the event got that far. Stopped, not only deaf: any group for this home (a start-up tick,
    // a claimed timer row, the site's wake-up, the 2 s look for events left unjudged) drains the
    // home's inbox and would judge the event there, as it should for a live process
    const runtime = gw.app.rules;
    await runtime.idle();
    await runtime.stop();
    const withheld: number[] = [];
    runtime.onEvent = (event) => { withheld.push(event.id!); };
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    expect(withheld).toHaveLength(1);
    await runtime.idle();
    expect(await gw.app.store.alerts.list('open')).toHaveLength(0);
    await gw.app.stop();
    gw = await startGateway({}, { dir });
    await waitFor(async () => (await gw!.app.store.alerts.list('open')).length === 1, 3000, 'alert after restart');
    await gw.app.stop();
    gw = await startGateway({}, { dir });
    await gw.app.rules.idle();
    expect(await gw.app.store.alerts.list(undefined)).toHaveLength(1);
  });

  it('a crash that loses unsaved rules state replays its events and decides nothing twice', async () => {
    gw = await startGateway();
    const dir = gw.dir;
    const door = await gw.connect('zhang-door', 'door-secret');
    const smoke = await gw.connect('zhang-smoke', 'smoke-secret');
    await smoke.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    await waitFor(async () => (await gw!.app.store.alerts.list('open')).length === 1, 3000, 'smoke alert');
    // events that decide nothing: their state is not written at once
    for (const contact of [false, true, false, true]) await door.publishAsync('devices/zhang-door', JSON.stringify({ contact }), { qos: 1 });
    await gw.app.rules.idle();
    const saved = (await sqlOf(gw.app).one<{ id: number }>("SELECT last_event_id AS id FROM rule_state WHERE resident_id = 'r-zhang'"))!;
    // SQLite saves such state later (one process: its memory is the truth meanwhile); PostgreSQL
    // saves every group, since another process may judge this home next: there what replays after
    // the crash is what the home's inbox still holds
    if (TEST_ENGINE === 'sqlite') expect(saved.id).toBeLessThan(await gw.app.store.events.maxId());
    else expect(saved.id).toBe(await gw.app.store.events.maxId());
    // crash: the rules never get to write what they held in memory
    gw.app.rules.stop = async () => {};
    await gw.app.stop();
    gw = await startGateway({}, { dir });
    await gw.app.rules.idle();
    expect(await gw.app.store.alerts.list(undefined)).toHaveLength(1);
    await gw.app.stop();
    // a clean stop writes it all
    gw = await startGateway({}, { dir });
    const row = (await sqlOf(gw.app).one<{ id: number }>("SELECT last_event_id AS id FROM rule_state WHERE resident_id = 'r-zhang'"))!;
    expect(row.id).toBe(await gw.app.store.events.maxId());
  });

  it('a device taken out of the config leaves no alert open behind it', async () => {
    gw = await startGateway();
    const dir = gw.dir;
    const c = await gw.connect('zhang-smoke', 'smoke-secret');
    await c.publishAsync('devices/zhang-smoke', '{"smoke":true}', { qos: 1 });
    const alert = await waitFor(async () => (await gw!.app.store.alerts.list('open'))[0], 3000, 'smoke alert');
    await gw.app.stop();
    const withoutSmoke = baseConfig(dir);
    const residents = withoutSmoke.residents as Array<{ devices: Array<{ id: string }> }>;
    residents[0].devices = residents[0].devices.filter((d) => d.id !== 'zhang-smoke');
    gw = await startGateway({ residents }, { dir });
    expect(await gw.app.store.alerts.get(alert.id)).toMatchObject({ status: 'resolved', resolvedBy: 'system' });
    const entry = (await gw.app.store.timeline.page('r-zhang', { limit: 20, types: ['alert_resolved'] })).items[0];
    expect(entry).toMatchObject({ alertId: alert.id, reason: 'device removed' });
  });
});
