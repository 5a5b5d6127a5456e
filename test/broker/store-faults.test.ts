// The store cannot commit (locked by another process; full): the gateway says so on /healthz
// and in the log, withholds the PUBACK, and recovers without a restart. Nothing is lost: the
// device sends again and the message is stored once.
import { describe, it, expect, afterEach } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { sqliteStores, startGateway, waitFor, countEvents, type TestGateway } from '../helpers.ts';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

async function health() {
  const res = await gw!.app.http.inject({ method: 'GET', url: '/healthz' });
  return { code: res.statusCode, body: res.json() };
}

describe('store faults', () => {
  it('database locked by another process: 503, no PUBACK, then recovery and exactly one copy', async () => {
    gw = await startGateway();
    const c = await gw.connect('zhang-smoke', 'smoke-secret', { reconnectPeriod: 200, clean: false, clientId: 'smoke-locked' });
    await c.publishAsync('devices/zhang-smoke', '{"smoke":false}', { qos: 1 });
    const before = await countEvents(gw.app, 'zhang-smoke');

    const other = new Database(join(gw.dir, 'gateway.db'));
    other.exec('BEGIN EXCLUSIVE');
    let acked = false;
    const published = c.publishAsync('devices/zhang-smoke', '{"smoke":true,"battery":61}', { qos: 1 }).then(() => { acked = true; });
    const down = await waitFor(async () => { const h = await health(); return h.code === 503 ? h : null; }, 5000, '503');
    expect(down.body.reason).toMatch(/locked|busy/i);
    await new Promise((r) => setTimeout(r, 600));
    expect(acked).toBe(false);
    expect(gw.logs.text()).toContain('store cannot commit');

    other.exec('ROLLBACK');
    other.close();
    await published;
    expect((await health()).code).toBe(200);
    expect(gw.logs.text()).toContain('store commits again');
    const rows = sqliteStores(gw.app).db.prepare("SELECT payload FROM events WHERE device_id = 'zhang-smoke' ORDER BY id").all() as Array<{ payload: string }>;
    expect(rows.length).toBe(before + 1);
    expect(JSON.parse(rows[rows.length - 1].payload)).toEqual({ smoke: true, battery: 61 });
  }, 30_000);

  it('disk full (SQLite page limit): 503, no PUBACK, recovery once space returns', async () => {
    gw = await startGateway();
    const c = await gw.connect('zhang-door', 'door-secret', { reconnectPeriod: 200, clean: false, clientId: 'door-full' });
    await c.publishAsync('devices/zhang-door', '{"contact":true}', { qos: 1 });
    const db = sqliteStores(gw.app).db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    // SQLITE_FULL, the error a full disk gives, once the file would need another page
    db.pragma(`max_page_count = ${pages}`);
    let acked = 0;
    const sends = [];
    for (let i = 0; i < 200; i++) sends.push(c.publishAsync('devices/zhang-door', JSON.stringify({ contact: i % 2 === 0, battery: 50, pad: 'x'.repeat(200) }), { qos: 1 }).then(() => { acked++; }));
    const down = await waitFor(async () => { const h = await health(); return h.code === 503 ? h : null; }, 10_000, '503');
    expect(down.body.reason).toMatch(/full/i);
    // whatever still fits in free space is stored and acknowledged; nothing else is acknowledged
    for (let i = 0; i < 10; i++) {
      expect(acked).toBeLessThanOrEqual((await countEvents(gw.app, 'zhang-door')) - 1);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(acked).toBeLessThan(200);

    db.pragma('max_page_count = 1073741823');
    await Promise.all(sends);
    expect((await health()).code).toBe(200);
    expect(await countEvents(gw.app, 'zhang-door')).toBe(201);
  }, 30_000);
});
