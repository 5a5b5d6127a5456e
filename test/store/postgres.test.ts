// The store contract on PostgreSQL: a real server (the test run's throwaway cluster). One
// database for this file; each test starts from it emptied (TRUNCATE, identities restarted),
// since CREATE DATABASE costs a second on this machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { storeContract } from './contract.ts';
import { parseConfig } from '../../src/config/index.ts';
import { createDatabase, dropDatabase } from './pg.ts';

let url: string;
beforeAll(async () => { url = await createDatabase(); });
afterAll(async () => { await dropDatabase(url); });

async function empty(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name != 'gateway_schema'`);
    await client.query(`TRUNCATE ${rows.map((r) => `"${r.name}"`).join(', ')} RESTART IDENTITY CASCADE`);
  } finally {
    await client.end();
  }
}

storeContract('postgres', {
  async fresh() {
    await empty();
    return openPostgresStore({ url, poolSize: 5 });
  },
  second: () => openPostgresStore({ url, poolSize: 5 }),
  peer: () => openPostgresStore({ url, poolSize: 5 }),
});

describe('the rules timers\' wake-up (PostgreSQL only: SQLite is one process)', () => {
  it('a row written due sooner than it could be claimed before is notified on commit with its due time; later, rolled back or its own: nothing', async () => {
    await empty();
    const a = await openPostgresStore({ url, poolSize: 2 });
    const b = await openPostgresStore({ url, poolSize: 2 });
    try {
      await a.residents.seedFromConfig(parseConfig({ residents: [{ id: 'r-1', name: 'One', devices: [] }] }).residents, 'UTC', 0);
      const heardByB: string[][] = [];
      const heardByA: string[][] = [];
      b.signals!.on('timer', heardByB, (ids) => heardByB.push(ids));
      a.signals!.on('timer', heardByA, (ids) => heardByA.push(ids));
      await a.ruleTimers.set('r-1', 10_000, 1); // a new row: notified
      await a.tx(async (tx) => { await tx.ruleTimers.set('r-1', 20_000, 2); }); // later: nothing
      await a.tx(async (tx) => { await tx.ruleTimers.set('r-1', 5_000, 3); throw new Error('rolled back'); }).catch(() => {});
      await a.tx(async (tx) => { await tx.ruleTimers.set('r-1', 8_000, 4); }); // sooner: notified on commit
      await a.ruleTimers.set('r-1', 8_000, 5); // the same again: nothing
      // claimed until 50 s: a row written due at 30 s is claimable sooner than before
      expect(await a.ruleTimers.claimDue(9_000, 'A', 50_000)).toHaveLength(1);
      await a.ruleTimers.set('r-1', 30_000, 6);
      await a.ruleTimers.set('r-1', null, 7); // gone: nothing
      await a.ruleTimers.set('r-1', 40_000, 8); // a new row again: notified
      const deadline = Date.now() + 3000;
      while (heardByB.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more comes
      expect(heardByB).toEqual([['10000'], ['8000'], ['30000'], ['40000']]);
      expect(heardByA).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
