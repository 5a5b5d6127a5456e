// One opener for both engines: storage.url (postgres://...) selects PostgreSQL, else the
// SQLite file at storage.path. Both hand back the same ports (ports.ts).
import type { Store } from './ports.ts';
import { openSqliteStore } from './sqlite/index.ts';

export interface StorageOptions {
  path: string;
  url?: string;
  sync: 'normal' | 'full';
}

export async function openStore(storage: StorageOptions, options: { applicationName?: string; onConnectionError?: (err: Error) => void } = {}): Promise<Store> {
  if (storage.url) {
    const { openPostgresStore } = await import('./postgres/index.ts');
    return openPostgresStore({ url: storage.url, ...options });
  }
  return openSqliteStore({ path: storage.path, sync: storage.sync });
}
