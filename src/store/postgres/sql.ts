// How the PostgreSQL ports reach the server: one query at a time on either the pool (each
// statement its own transaction) or the client of an open unit of work. `atomic` gives a
// multi-statement port method its own transaction when it is called outside one.
import pg from 'pg';
import { StoreConflict } from '../ports.ts';

export interface Sql {
  /** `name`: a statement the server prepares once per connection (the hot ones) */
  rows<R>(text: string, params?: unknown[], name?: string): Promise<R[]>;
  /** the number of rows the statement touched */
  count(text: string, params?: unknown[], name?: string): Promise<number>;
  atomic<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** true inside a unit of work (row locks last until its commit) */
  readonly inTx: boolean;
}

/** BIGINT (ids, millisecond times, COUNT) as a number: every value the gateway keeps is below 2^53 */
export const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** PostgreSQL's unique violation (23505) as the engine-neutral StoreConflict, naming table.column as SQLite does */
export function mapError(err: unknown): unknown {
  const e = err as { code?: string; table?: string; detail?: string; constraint?: string };
  if (e.code === '23505') {
    const columns = /^Key \(([^)]*)\)=/.exec(e.detail ?? '')?.[1]?.split(',').map((c) => c.trim()) ?? [];
    const what = columns.length && e.table ? columns.map((c) => `${e.table}.${c}`).join(', ') : e.constraint ?? 'a unique key';
    return new StoreConflict(`already used: ${what}`, what);
  }
  return err;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

async function run(on: Queryable, text: string, params: unknown[] | undefined, name: string | undefined): Promise<pg.QueryResult> {
  try {
    return await on.query(name ? { name, text, values: params } : { text, values: params });
  } catch (err) {
    throw mapError(err);
  }
}

/** retried: the server gave up on this transaction to keep others correct, and running it again is safe */
const RETRYABLE = new Set(['40001', '40P01']);

export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    // a connection cut while checked out is reported as 'error' on the client; unheard, that
    // would take the process down. The query in flight rejects with it anyway.
    const onError = () => { broken = true; };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: do not hand it back to the pool
      }
      const code = (err as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < attempts) continue;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken ? true : undefined);
    }
  }
}

/** `guard` throws when the caller is inside a unit of work and should be using its ports */
export function poolSql(pool: pg.Pool, guard: () => void = () => {}): Sql {
  const sql: Sql = {
    inTx: false,
    rows: async (text, params, name) => { guard(); return (await run(pool, text, params, name)).rows; },
    count: async (text, params, name) => { guard(); return (await run(pool, text, params, name)).rowCount ?? 0; },
    atomic: async (fn) => { guard(); return inTransaction(pool, (client) => fn(clientSql(client))); },
  };
  return sql;
}

export function clientSql(client: pg.PoolClient): Sql {
  const sql: Sql = {
    inTx: true,
    rows: async (text, params, name) => (await run(client, text, params, name)).rows,
    count: async (text, params, name) => (await run(client, text, params, name)).rowCount ?? 0,
    atomic: (fn) => fn(sql),
  };
  return sql;
}
