// The store contract on the embedded engine: a real SQLite file in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'gateway-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const paths = new WeakMap<Store, string>();

storeContract('sqlite', {
  async fresh() {
    const path = join(dir, `store-${++n}.db`);
    const store = openSqliteStore({ path, sync: 'normal' });
    paths.set(store, path);
    return store;
  },
  async second(store) {
    return openSqliteStore({ path: paths.get(store)!, sync: 'normal' });
  },
  async peer(store) {
    return store;
  },
});
