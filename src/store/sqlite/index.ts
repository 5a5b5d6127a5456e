// The embedded engine: one better-sqlite3 connection behind the async ports. Statements stay
// synchronous and prepared once; the gate (gate.ts) keeps async units of work from
// interleaving on the one connection; the ingest is the existing group commit (events.ts),
// run through the same gate so a group never lands inside someone else's transaction.
import { openDatabase, type Db, type OpenOptions } from '../db.ts';
import { MIGRATIONS } from '../migrations.ts';
import { eventRepository } from '../events.ts';
import { StoreConflict, type Ingest, type Ports, type Store, type Tx } from '../ports.ts';
import { Gate } from './gate.ts';
import {
  alertsTable, auditTable, eventsTable, outboxTable, residentsTable, ruleStateTable, siteTable, inboundTable, timelineTable, visitsTable,
  usersTable, idempotencyTable, absencesTable, type Sync,
} from './tables.ts';

export interface SqliteStore extends Store {
  /** the raw connection, for the callers not yet on the ports (until they move) */
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
    lastError: () => gate.run(() => (lastSeen = events.lastError())),
    onHealthChange: (fn) => { healthListener = fn; },
    onCommit: (fn) => events.onCommit(fn),
    stats: () => events.stats(),
  };
  let closed = false;
  return {
    engine: 'sqlite',
    schemaVersion: MIGRATIONS.length,
    db,
    ...outside,
    ingest,
    ingestLastError: () => (gate.busy || closed ? lastSeen : (lastSeen = events.lastError())),
    tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return gate.hold(async () => {
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
