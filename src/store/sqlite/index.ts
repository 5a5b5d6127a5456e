// The embedded engine: one better-sqlite3 connection behind the async ports. Statements stay
// synchronous and prepared once; the gate (gate.ts) keeps async units of work from
// interleaving on the one connection; the ingest is the existing group commit (events.ts),
// run through the same gate so a group never lands inside someone else's transaction.
import { openDatabase, type Db, type OpenOptions } from '../db.ts';
import { MIGRATIONS } from '../migrations.ts';
import { eventRepository } from '../events.ts';
import { StoreConflict, type Ingest, type Ports, type Store, type Tx, type TxOptions } from '../ports.ts';
import { Gate } from './gate.ts';
import {
  alertsTable, auditTable, eventsTable, outboxTable, residentsTable, ruleStateTable, inboxTable, siteTable, inboundTable, timelineTable, visitsTable,
  usersTable, idempotencyTable, absencesTable, referralsTable, photosTable, type Sync,
  casefileReportsTable, profilesTable, roundsTable,
  ruleTimersTable,
} from './tables.ts';

export interface SqliteStore extends Store {
  /**
   * The connection, for the callers not yet on the ports (until they move), guarded: a statement
   * that writes throws while a unit of work holds the connection, since it would land inside that
   * transaction and be committed or rolled back with it (a loud error, never a silent join).
   */
  readonly db: Db;
  /**
   * ingest.lastError for a synchronous caller (the gateway's health check until it awaits):
   * the same probe when the connection is free, else the last error seen.
   */
  ingestLastError(): Error | null;
}

type SyncPorts = { [K in keyof Ports]: Sync<Ports[K]> };

/** SQLite's uniqueness failures become the engine-neutral StoreConflict ("already used: devices.zigbee2mqtt") */
function conflict(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const what = (err as Error).message.replace(/^UNIQUE constraint failed: /, '');
    return new StoreConflict(`already used: ${what}`, what);
  }
  return err;
}

function asyncPorts(sync: SyncPorts, call: <R>(fn: () => R) => Promise<R>): Ports {
  const ports: Record<string, Record<string, unknown>> = {};
  for (const [table, methods] of Object.entries(sync)) {
    const port: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(methods as Record<string, (...args: unknown[]) => unknown>)) {
      port[name] = (...args: unknown[]) => call(() => {
        try {
          return fn(...args);
        } catch (err) {
          throw conflict(err);
        }
      });
    }
    ports[table] = port;
  }
  return ports as unknown as Ports;
}

export function openSqliteStore(options: OpenOptions): SqliteStore {
  const db = openDatabase(options);
  const gate = new Gate();
  const events = eventRepository(db, { exclusive: (commit) => gate.whenFree(commit) });
  const sync: SyncPorts = {
    residents: residentsTable(db),
    events: eventsTable(db, events),
    timeline: timelineTable(db),
    alerts: alertsTable(db),
    ruleState: ruleStateTable(db),
    outbox: outboxTable(db),
    visits: visitsTable(db),
    audit: auditTable(db),
    site: siteTable(db),
    inbound: inboundTable(db),
    users: usersTable(db),
    idempotency: idempotencyTable(db),
    absences: absencesTable(db),
    referrals: referralsTable(db),
    photos: photosTable(db),
    inbox: inboxTable(db),
    ruleTimers: ruleTimersTable(db),
    casefileReports: casefileReportsTable(db),
    profiles: profilesTable(db),
    rounds: roundsTable(db),
  };
  // outside a unit of work each call waits for the gate; inside, the unit holds it already
  const outside = asyncPorts(sync, (fn) => gate.run(fn));
  const inside: Tx = asyncPorts(sync, (fn) => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  });
  let lastSeen: Error | null = null;
  let healthListener: (err: Error | null) => void = () => {};
  events.onHealthChange((err) => { lastSeen = err; healthListener(err); });
  const ingest: Ingest = {
    append: (event, origin) => events.append(event, origin),
    // answered from the group commit itself, no promise a message (the broker's PUBACK path)
    appendThen: (event, origin, done) => events.appendThen(event, origin, done),
    lastError: () => gate.run(() => (lastSeen = events.lastError())),
    onHealthChange: (fn) => { healthListener = fn; },
    onCommit: (fn) => events.onCommit(fn),
    stats: () => events.stats(),
  };
  let closed = false;
  return {
    engine: 'sqlite',
    schemaVersion: MIGRATIONS.length,
    db: guarded(db, gate),
    ...outside,
    ingest,
    ingestLastError: () => (gate.busy || closed ? lastSeen : (lastSeen = events.lastError())),
    tx<T>(fn: (tx: Tx) => Promise<T>, txOptions: TxOptions = {}): Promise<T> {
      // under sync: full a commit that need not be durable skips its fsync (the next durable
      // commit's carries it to disk); under sync: normal none pays one anyway
      const relaxed = txOptions.durable === false && options.sync === 'full';
      return gate.hold(async () => {
        if (relaxed) db.pragma('synchronous = NORMAL');
        try {
          // IMMEDIATE: the write lock now, not at the first write (no upgrade deadlock with a reader)
          db.exec('BEGIN IMMEDIATE');
          try {
            const result = await fn(inside);
            db.exec('COMMIT');
            return result;
          } catch (err) {
            if (db.inTransaction) db.exec('ROLLBACK');
            throw err;
          }
        } finally {
          if (relaxed) db.pragma('synchronous = FULL');
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      // what is queued or running commits first
      await gate.hold(async () => {});
      await new Promise<void>((resolve) => setImmediate(resolve));
      await gate.run(() => db.close());
    },
  };
}

/** better-sqlite3's methods that run a statement */
const RUNS = new Set<PropertyKey>(['run', 'get', 'all', 'iterate']);

/**
 * The connection as the synchronous callers see it: every write (a statement that is not
 * read-only, exec, pragma, a transaction function) throws while a unit of work holds the gate.
 * Reads go through: they cannot change what the open transaction commits.
 */
export function guarded(db: Db, gate: Gate): Db {
  const check = (what: string) => {
    if (gate.busy) {
      throw new Error(`store: a synchronous ${what} while a unit of work holds the SQLite connection would join its transaction; this caller must move onto the store's ports`);
    }
  };
  const statement = <S extends object>(stmt: S): S => {
    const proxy: S = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (RUNS.has(prop) && !(target as { readonly?: boolean }).readonly) check('write');
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'prepare') return (sql: string) => statement(target.prepare(sql));
      if (prop === 'exec') return (sql: string) => { check('exec'); return target.exec(sql); };
      // a pragma that sets something (synchronous = NORMAL) writes; one that asks does not
      if (prop === 'pragma') return (...args: Parameters<Db['pragma']>) => { if (args[0].includes('=')) check('pragma'); return target.pragma(...args); };
      if (prop === 'transaction') {
        return (fn: (...a: unknown[]) => unknown) => {
          const tx = target.transaction(fn);
          const run = ((...a: unknown[]) => { check('transaction'); return tx(...a); }) as typeof tx;
          for (const mode of ['deferred', 'immediate', 'exclusive'] as const) {
            run[mode] = ((...a: unknown[]) => { check('transaction'); return tx[mode](...a); }) as typeof tx;
          }
          return run;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
