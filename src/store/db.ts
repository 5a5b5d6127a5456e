// The one SQLite connection: WAL, foreign keys, ordered migrations on user_version.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.ts';

export type Db = Database.Database;

export interface OpenOptions {
  path: string;
  /** normal: an acknowledged event survives a process crash; full: also a power cut */
  sync: 'normal' | 'full';
}

export function openDatabase({ path, sync }: OpenOptions): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
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
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this gateway knows (${MIGRATIONS.length}); refusing to guess`,
    );
  }
  if (current === MIGRATIONS.length) return;
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
