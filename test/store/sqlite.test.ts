// The store contract on the embedded engine: a real SQLite file in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('sqlite engine: what only it does', () => {
  it('a call on the store itself from inside a unit of work fails instead of waiting for itself, in the second unit of work as in the first', async () => {
    // the gate switches its async context off between units of work (a hook on every promise
    // otherwise): each new unit must still be told apart from the callers waiting outside it
    const store = openSqliteStore({ path: join(dir, `store-${++n}.db`), sync: 'normal' });
    try {
      for (let i = 0; i < 2; i++) {
        await expect(store.tx(async () => { await Promise.resolve(); return store.users.list(); })).rejects.toThrow(/outside its unit of work/);
        // and a caller outside waits its turn and is answered
        const outside = store.tx(async (tx) => { await new Promise((r) => setTimeout(r, 5)); return tx.users.list(); });
        expect(await store.users.list()).toEqual([]);
        expect(await outside).toEqual([]);
      }
    } finally {
      await store.close();
    }
  });

  it('under sync: full a unit of work with { durable: false } commits at synchronous = NORMAL, and FULL is back for the next', async () => {
    const store = openSqliteStore({ path: join(dir, `store-${++n}.db`), sync: 'full' });
    const level = () => store.db.pragma('synchronous', { simple: true });
    try {
      expect(level()).toBe(2);
      expect(await store.tx(async () => level(), { durable: false })).toBe(1);
      expect(level()).toBe(2);
      expect(await store.tx(async () => level())).toBe(2);
      await expect(store.tx(async () => { throw new Error('no'); }, { durable: false })).rejects.toThrow('no');
      expect(level()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('hands the callers not yet on the ports a connection whose writes throw while a unit of work is open, and whose reads do not', async () => {
    const store = openSqliteStore({ path: join(dir, `store-${++n}.db`), sync: 'normal' });
    try {
      const write = store.db.prepare("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (1, 'a', 'b', 'c', '{}')");
      const read = store.db.prepare('SELECT COUNT(*) AS n FROM audit_log');
      let inside: unknown;
      await store.tx(async (tx) => {
        await tx.audit.add(2, 'x', 'y', 'z');
        try { write.run(); } catch (err) { inside = err; }
        expect((read.get() as { n: number }).n).toBe(1);
        expect(() => store.db.transaction(() => {})()).toThrow(/unit of work/);
        expect(() => store.db.exec('SELECT 1')).toThrow(/unit of work/);
      });
      expect(String(inside)).toMatch(/would join its transaction/);
      write.run();
      expect((read.get() as { n: number }).n).toBe(2);
    } finally {
      await store.close();
    }
  });
});
