// Both engines carry the same schema through the same ordered migrations, and both refuse a
// database written by a newer gateway instead of guessing at it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SchemaTooNew, openSqliteStore, openStore } from '../../src/store/index.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openDatabase } from '../../src/store/db.ts';
import { PG_MIGRATIONS, migratePostgres, openPostgresStore } from '../../src/store/postgres/index.ts';
import { parseConfig } from '../../src/config/index.ts';
import { createDatabase, dropDatabase } from './pg.ts';

const dir = mkdtempSync(join(tmpdir(), 'gateway-migrations-'));
const databases: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const url of databases) await dropDatabase(url);
});
async function emptyDatabase(): Promise<string> {
  const url = await createDatabase({ migrated: false });
  databases.push(url);
  return url;
}

async function pgQuery<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  it('every SQLite migration has its PostgreSQL twin, in the same order', () => {
    // a migration added to src/store/migrations.ts needs its twin in src/store/postgres/migrations.ts
    expect(PG_MIGRATIONS.length, `migration ${PG_MIGRATIONS.length + 1} (SQLite) has no PostgreSQL twin in src/store/postgres/migrations.ts`)
      .toBe(MIGRATIONS.length);
  });

  it('gives both engines the same tables, columns, nullability and indexes', async () => {
    const path = join(dir, 'parity.db');
    openSqliteStore({ path, sync: 'normal' }).db.close();
    const lite = new Database(path, { readonly: true });
    const url = await emptyDatabase();
    await (await openPostgresStore({ url })).close();

    const liteTables = (lite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map((t) => t.name);
    const pgTables = (await pgQuery<{ name: string }>(url, `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name != 'gateway_schema' ORDER BY table_name`)).map((t) => t.name);
    expect(pgTables).toEqual(liteTables);

    for (const table of liteTables) {
      const liteCols = (lite.prepare(`SELECT name, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY name`).all(table) as Array<{ name: string; nn: number; pk: number }>)
        .map((c) => `${c.name}${c.nn || c.pk ? ' not null' : ''}`);
      const pgCols = (await pgQuery<{ name: string; nullable: string }>(url, `SELECT column_name AS name, is_nullable AS nullable
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name`, [table]))
        .map((c) => `${c.name}${c.nullable === 'NO' ? ' not null' : ''}`);
      expect(pgCols, table).toEqual(liteCols);
    }
    // named indexes (not those behind PRIMARY KEY / UNIQUE columns, which each engine names its own way)
    const liteIndexes = (lite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).all() as Array<{ name: string }>).map((i) => i.name);
    const pgIndexes = (await pgQuery<{ name: string }>(url, `SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'
      AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key' ORDER BY indexname`)).map((i) => i.name);
    expect(pgIndexes).toEqual(liteIndexes);
    lite.close();
  });

  it('SQLite: a new file is brought to the newest version; a newer one is refused', () => {
    const path = join(dir, 'newer.db');
    const store = openSqliteStore({ path, sync: 'normal' });
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.db.close();
    const err = (() => { try { openSqliteStore({ path, sync: 'normal' }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(SchemaTooNew);
    expect((err as Error).message).toBe(`database schema version ${MIGRATIONS.length + 1} is newer than this gateway knows (${MIGRATIONS.length}); refusing to guess`);
  });

  it('PostgreSQL: an empty database is brought to the newest version once, even by processes starting together', async () => {
    const url = await emptyDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url, poolSize: 2 })));
    expect(stores.map((s) => s.schemaVersion)).toEqual([PG_MIGRATIONS.length, PG_MIGRATIONS.length, PG_MIGRATIONS.length]);
    for (const s of stores) await s.close();
    expect(await pgQuery(url, 'SELECT version FROM gateway_schema')).toEqual([{ version: PG_MIGRATIONS.length }]);
    // opening again applies nothing and keeps the data
    await pgQuery(url, `INSERT INTO audit_log (at, actor, action, target) VALUES (1, 'a', 'b', 'c')`);
    const again = await openPostgresStore({ url });
    expect((await again.audit.page(10)).length).toBe(1);
    await again.close();
  });

  it('PostgreSQL: a database from a newer gateway is refused, and left as it was', async () => {
    const url = await emptyDatabase();
    await (await openPostgresStore({ url })).close();
    await pgQuery(url, 'UPDATE gateway_schema SET version = $1', [PG_MIGRATIONS.length + 1]);
    const err = await openPostgresStore({ url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNew);
    expect((err as Error).message).toBe(`database schema version ${PG_MIGRATIONS.length + 1} is newer than this gateway knows (${PG_MIGRATIONS.length}); refusing to guess`);
    expect(await pgQuery(url, 'SELECT version FROM gateway_schema')).toEqual([{ version: PG_MIGRATIONS.length + 1 }]);
  });

  it('PostgreSQL: a migration that fails leaves the database at its old version, nothing half applied', async () => {
    const url = await emptyDatabase();
    const pool = new pg.Pool({ connectionString: url });
    await migratePostgres(pool, PG_MIGRATIONS.slice(0, 2));
    await expect(migratePostgres(pool, [...PG_MIGRATIONS, 'CREATE TABLE broken (x INTEGER); SELECT no_such_function();'])).rejects.toThrow(/no_such_function/);
    await pool.end();
    expect(await pgQuery(url, 'SELECT version FROM gateway_schema')).toEqual([{ version: 2 }]);
    expect(await pgQuery(url, `SELECT to_regclass('broken') AS t, to_regclass('events_device_msg') AS i`)).toEqual([{ t: null, i: 'events_device_msg' }]);
  });
});

describe('upgrading to the event inbox', () => {
  // the schema just before the inbox's migration (the later ones are run again after it, their tables dropped)
  const INBOX = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE event_inbox'));
  // a database from before the inbox: its rules had judged up to a saved last_event_id, and the
  // events after it were judged from there on restart; the migration puts exactly those in the inbox
  const residents = parseConfig({ residents: [{ id: 'r-a', name: 'A', timezone: 'UTC', devices: [{ id: 'a-motion', kind: 'motion', secret: 's-a' }] },
    { id: 'r-b', name: 'B', timezone: 'UTC', devices: [{ id: 'b-motion', kind: 'motion', secret: 's-b' }] }] }).residents;
  const motion = (deviceId: string, residentId: string, at: number) =>
    ({ at, deviceId, residentId, kind: 'motion' as const, source: 'mqtt' as const, type: 'state' as const, readings: { occupancy: true } });
  async function history(store: Awaited<ReturnType<typeof openStore>>): Promise<number[]> {
    await store.residents.seedFromConfig(residents, 'UTC', 1);
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(await store.ingest.append(motion('a-motion', 'r-a', 10 + i)), await store.ingest.append(motion('b-motion', 'r-b', 10 + i)));
    await store.ruleState.save('r-a', { n: 1 }, ids[3], 20); // r-a judged its first two events; r-b has no state
    return ids;
  }

  it('SQLite: the events after each home\'s saved last event wait in its inbox', async () => {
    const path = join(dir, 'before-inbox.db');
    const store = openSqliteStore({ path, sync: 'normal' });
    const ids = await history(store);
    store.db.exec(`DROP TABLE event_inbox; DROP TABLE rule_timers; PRAGMA user_version = ${INBOX}`);
    await store.close();
    const after = openSqliteStore({ path, sync: 'normal' });
    expect(await after.inbox.residents()).toEqual(['r-a']);
    expect(await after.inbox.take('r-a', 10)).toEqual([ids[4], ids[6]]);
    await after.close();
  });

  it('PostgreSQL: the same', async () => {
    const url = await emptyDatabase();
    const store = await openPostgresStore({ url, poolSize: 2 });
    const ids = await history(store);
    await store.close();
    await pgQuery(url, `DROP TABLE event_inbox`);
    await pgQuery(url, `DROP TABLE rule_timers`);
    await pgQuery(url, `UPDATE gateway_schema SET version = ${INBOX}`);
    const after = await openPostgresStore({ url, poolSize: 2 });
    expect(await after.inbox.residents()).toEqual(['r-a']);
    expect(await after.inbox.take('r-a', 10)).toEqual([ids[4], ids[6]]);
    await after.close();
  });
});

describe('choosing the engine', () => {
  it('the config takes storage.url (PostgreSQL) or storage.path (SQLite), not both, and names the key when wrong', () => {
    expect(parseConfig({}).storage).toEqual({ path: './data/gateway.db', sync: 'normal' });
    expect(parseConfig({ storage: { url: 'postgres://gateway@db.example.org:5432/gateway' } }).storage)
      .toMatchObject({ url: 'postgres://gateway@db.example.org:5432/gateway', sync: 'normal' });
    expect(() => parseConfig({ storage: { url: 'postgres://gw@db:5432/gw', path: './data/gateway.db' } }))
      .toThrow('storage.url: set either path (SQLite on this machine) or url (PostgreSQL), not both');
    for (const url of ['mysql://gw@db/gw', 'postgres://db.example.org', 'db.example.org:5432/gw']) {
      expect(() => parseConfig({ storage: { url } }), url).toThrow('storage.url: expected a PostgreSQL URL like "postgres://gateway@db.example.org:5432/gateway"');
    }
  });

  it('storage.url selects PostgreSQL, storage.path SQLite', async () => {
    const url = await emptyDatabase();
    const onPg = await openStore({ path: join(dir, 'unused.db'), url, sync: 'normal' });
    expect(onPg.engine).toBe('postgres');
    await onPg.close();
    const onLite = await openStore({ path: join(dir, 'chosen.db'), sync: 'normal' });
    expect(onLite.engine).toBe('sqlite');
    await onLite.close();
  });

  it('the SQLite opener never opens a file in place of the PostgreSQL database storage.url asks for', () => {
    expect(() => openDatabase({ path: join(dir, 'x.db'), url: 'postgres://gw@127.0.0.1:5432/gw', sync: 'normal' }))
      .toThrow("storage.url: this opener is SQLite's (storage.path); openStore opens PostgreSQL");
  });
});
