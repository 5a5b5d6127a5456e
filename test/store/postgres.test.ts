// The store contract on PostgreSQL: a real server (the test run's throwaway cluster). One
// database for this file; each test starts from it emptied (TRUNCATE, identities restarted),
// since CREATE DATABASE costs a second on this machine.
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { storeContract } from './contract.ts';
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
