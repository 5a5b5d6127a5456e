// The one SQLite connection: WAL, foreign keys, ordered migrations on user_version.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.ts';
import { SchemaTooNew } from './ports.ts';

export type Db = Database.Database;

export interface OpenOptions {
  path: string;
  /** a PostgreSQL URL selects the other engine (openStore); this SQLite opener refuses it */
  url?: string;
  /** normal: an acknowledged event survives a process crash; full: also a power cut */
  sync: 'normal' | 'full';
}

/**
 * The store holds residents' names, their contacts' phone numbers and casefile notes: its folder
 * is created 0700 and its files are the gateway user's only (0600). The database file is created
 * 0600 before SQLite opens it, because SQLite gives its -wal and -shm files the database file's
 * mode; files left by an older version with wider modes are narrowed on every open. A folder
 * that already exists is left as it is (it may be shared, such as /var/lib), its files are not.
 */
function privateFiles(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  narrow(path);
}

function narrow(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function openDatabase({ path, sync, url }: OpenOptions): Db {
  if (url) {
    // never a SQLite file in place of the PostgreSQL database asked for
    throw new Error('storage.url: this opener is SQLite\'s (storage.path); openStore opens PostgreSQL');
  }
  const file = path !== ':memory:' && !path.startsWith('file:');
  if (file) privateFiles(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // In WAL mode, synchronous=NORMAL keeps every commit across a process crash (the WAL is
  // written before the commit returns) and FULL also fsyncs it, so it survives a power cut.
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  // the gateway is the only writer: a lock held for long is a fault to report, not to wait out
  // (better-sqlite3 is synchronous, so a long busy wait would stall every connection)
  db.pragma('busy_timeout = 250');
  migrate(db);
  if (file) for (const suffix of ['-wal', '-shm']) narrow(path + suffix);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new SchemaTooNew(current, MIGRATIONS.length);
  }
  if (current === MIGRATIONS.length) return;
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
