// The engine for a site of several machines: every gateway process keeps everything in one
// PostgreSQL (storage.url). A pool of connections; a unit of work is one connection's
// transaction (READ COMMITTED, row locks where decisions must be serialised: ruleState.lock);
// the ingest is its own group commit (ingest.ts). The same ordered migrations as SQLite
// (migrations.ts), applied under an advisory lock so processes starting together migrate once.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { SchemaTooNew, type Store, type Tx, type TxOptions, type WakeKind } from '../ports.ts';
import { PG_MIGRATIONS } from './migrations.ts';
import { clientSql, inTransaction, poolSql, types } from './sql.ts';
import { tables, type TablesOptions } from './tables.ts';
import { postgresIngest } from './ingest.ts';
import { openSignals } from './notify.ts';

export { PG_MIGRATIONS };

export interface PostgresOptions {
  /** postgres://USER@HOST:PORT/DB */
  url: string;
  /** connections this process may hold (default 10) */
  poolSize?: number;
  /** how the process names itself to the server (pg_stat_activity) */
  applicationName?: string;
  /** a pooled connection that fails while idle (the server restarted, a network cut) */
  onConnectionError?: (err: Error) => void;
  /** LISTEN/NOTIFY wake-ups between the site's processes (default on; see notify.ts) */
  signals?: boolean;
}

export interface PostgresStore extends Store {
  readonly pool: pg.Pool;
}

/** any fixed number: the key of the advisory lock that migrations hold */
const MIGRATION_LOCK = 4_716_001;

export async function migratePostgres(pool: pg.Pool, migrations: readonly string[] = PG_MIGRATIONS): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS gateway_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM gateway_schema');
    if (!rows.length) await client.query('INSERT INTO gateway_schema (version) VALUES (0)');
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) throw new SchemaTooNew(current, migrations.length);
    for (let v = current; v < migrations.length; v++) await client.query(migrations[v]);
    if (current !== migrations.length) await client.query('UPDATE gateway_schema SET version = $1', [migrations.length]);
    return migrations.length;
  });
}

export async function openPostgresStore(options: PostgresOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'safe-home-gateway',
    types,
  });
  // an idle connection's error must not take the process down: the next query reports it
  pool.on('error', (err) => options.onConnectionError?.(err));
  let schemaVersion: number;
  try {
    schemaVersion = await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const inside = new AsyncLocalStorage<true>();
  const selfWait = () => new Error('store used outside its unit of work from inside tx(): use the ports tx(fn) hands to fn');
  let signals: Awaited<ReturnType<typeof openSignals>> | undefined;
  try {
    if (options.signals !== false) {
      signals = await openSignals({ url: options.url, pool, applicationName: options.applicationName, onError: options.onConnectionError });
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  // events in a home's inbox: the other processes look (a process that died before judging them)
  const ingest = postgresIngest(pool, (residents) => { if (residents.length) signals?.notify('inbox', residents); });
  // a rules timer row written due sooner notifies the other processes on its commit (tables.ts)
  const wakeOptions: TablesOptions = signals ? { timerWake: (dueAt) => signals!.payload('timer', [String(dueAt)]) } : {};
  // as on SQLite, where it would wait for itself: inside tx(fn) only the tx's ports are used
  const outside = tables(poolSql(pool, () => { if (inside.getStore()) throw selfWait(); }), wakeOptions);
  let closed = false;
  return {
    engine: 'postgres',
    schemaVersion,
    pool,
    ...outside,
    signals,
    ingest,
    tx<T>(fn: (tx: Tx) => Promise<T>, options: TxOptions = {}): Promise<T> {
      // as on SQLite: a unit of work inside another is a mistake, not a second transaction
      if (inside.getStore()) return Promise.reject(selfWait());
      const due = new Set<WakeKind>();
      return inTransaction(pool, async (client) => {
        due.clear();
        // the commit returns before the server's WAL flush: only for what a durable record rebuilds
        if (options.durable === false) await client.query('SET LOCAL synchronous_commit = off');
        const ports = tables(clientSql(client), wakeOptions);
        return inside.run(true, () => fn(signals ? watchDue(ports, due) : ports));
      }).then((result) => {
        // committed: an alert whose step falls due, an outbox row to send; the other processes arm for it
        for (const kind of due) signals?.notify(kind);
        return result;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await ingest.drain();
      await signals?.close();
      await pool.end();
    },
  };
}

/** the unit of work's ports, noting the writes that make escalation or outbox work due */
function watchDue(t: Tx, due: Set<WakeKind>): Tx {
  const { alerts, outbox } = t;
  return {
    ...t,
    alerts: {
      ...alerts,
      insert: async (a) => { const id = await alerts.insert(a); if (a.escalationDue !== null && a.escalationDue !== undefined) due.add('escalation'); return id; },
      setEscalation: async (id, step, at, unanswered) => { await alerts.setEscalation(id, step, at, unanswered); if (at !== null) due.add('escalation'); },
    },
    outbox: {
      ...outbox,
      enqueue: async (m) => { const id = await outbox.enqueue(m); if (id !== null) due.add('outbox'); return id; },
      markRetry: async (id, nextAt, error, doubt) => { await outbox.markRetry(id, nextAt, error, doubt); due.add('outbox'); },
    },
  };
}
