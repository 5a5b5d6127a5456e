// Databases on the test run's throwaway PostgreSQL cluster (started by global-setup.ts): each
// test gets an empty one of its own, copied from a template migrated once.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { migratePostgres, openPostgresStore } from '../../src/store/postgres/index.ts';
import type { ResidentConfig } from '../../src/config/index.ts';

export function clusterUrl(): string {
  const url = inject('postgresUrl') ?? process.env.GATEWAY_TEST_POSTGRES_URL;
  if (!url) throw new Error('no test PostgreSQL: vitest.config.ts globalSetup starts one (test/store/global-setup.ts)');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(clusterUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: clusterUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let template: Promise<string> | undefined;

/** a migrated template for this worker: CREATE DATABASE ... TEMPLATE copies it in milliseconds */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `tmpl_${randomBytes(6).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const pool = new pg.Pool({ connectionString: databaseUrl(name) });
    try {
      await migratePostgres(pool);
    } finally {
      await pool.end();
    }
    return name;
  })();
  return template;
}

/** a new database: migrated (a copy of the template) or empty; returns its URL */
export async function createDatabase(options: { migrated?: boolean } = {}): Promise<string> {
  const name = `t_${randomBytes(8).toString('hex')}`;
  const from = options.migrated === false ? 'template0' : await migratedTemplate();
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${from}`));
  return databaseUrl(name);
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** a new migrated database holding these residents (seeded as the gateway seeds its config); returns its URL */
export async function seededDatabase(residents: ResidentConfig[], now: number): Promise<string> {
  const url = await createDatabase();
  const store = await openPostgresStore({ url, poolSize: 2 });
  try {
    await store.residents.seedFromConfig(residents, 'UTC', now);
  } finally {
    await store.close();
  }
  return url;
}
