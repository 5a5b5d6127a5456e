// The PostgreSQL ingest under faults a site meets: a commit that cannot finish yet, and a
// database connection cut mid-transaction. An append resolves (and so the broker PUBACKs)
// only once its event is committed; one whose transaction died rejects, so the device resends.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { siteConfig } from './contract.ts';
import { createDatabase, dropDatabase } from './pg.ts';

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0);
const sos = (i: number): DeviceEvent => ({ at: T0 + i, deviceId: 'zhang-button', residentId: 'r-zhang', kind: 'button', source: 'mqtt', type: 'state', readings: { action: 'sos' } });

let url: string;
let store: PostgresStore;
let admin: pg.Client;
beforeAll(async () => { url = await createDatabase(); });
afterAll(async () => { await dropDatabase(url); });
beforeEach(async () => {
  store = await openPostgresStore({ url, applicationName: 'gateway-under-test', poolSize: 3 });
  await store.residents.seedFromConfig(siteConfig().residents, 'UTC', T0);
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});
afterEach(async () => {
  await admin.end();
  await store.close();
});

/** until the gateway's connection waits on a lock */
async function gatewayWaiting(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'gateway-under-test' AND wait_event_type = 'Lock'`);
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the ingest never waited on the lock');
}

describe('postgres ingest under faults', () => {
  it('an append is not answered while its commit cannot finish, and is once it has', async () => {
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    let answered = false;
    const append = store.ingest.append(sos(1)).then((id) => { answered = true; return id; });
    await gatewayWaiting();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false); // no PUBACK before the commit
    await admin.query('COMMIT');
    const id = await append;
    expect(answered).toBe(true);
    expect((await admin.query('SELECT id FROM events WHERE id = $1', [id])).rows).toEqual([{ id: String(id) }]);
  });

  it('a connection cut mid-commit rejects that group, says so once, and the next appends go through', async () => {
    const health: Array<string | null> = [];
    store.ingest.onHealthChange((err) => health.push(err ? 'failing' : 'ok'));
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    const burst = Array.from({ length: 20 }, (_, i) => store.ingest.append(sos(1000 + i)).then((id) => ({ id }), (err: Error) => ({ err })));
    const pid = await gatewayWaiting();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.query('COMMIT');
    const outcomes = await Promise.all(burst);
    const stored = (await admin.query('SELECT COUNT(*)::int AS n FROM events WHERE at >= $1', [T0 + 1000])).rows[0].n;
    // whatever was answered is stored; whatever was not may be resent by the device
    const answered = outcomes.filter((o) => 'id' in o).length;
    expect(outcomes.some((o) => 'err' in o)).toBe(true);
    expect(stored).toBe(answered);
    expect(health).toEqual(['failing']);
    expect(await store.ingest.lastError()).toBeNull(); // the pool reconnects; the probe says so
    expect(health).toEqual(['failing', 'ok']);
    const id = await store.ingest.append(sos(100));
    expect(await store.events.get(id)).toMatchObject({ readings: { action: 'sos' } });
  });
});
