// vitest globalSetup: one throwaway PostgreSQL cluster for the whole run, its URL handed to
// the tests (inject('postgresUrl')) and to the processes they spawn (GATEWAY_TEST_POSTGRES_URL).
// A missing server stops the run with the one-line install hint: never a silent skip.
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from './pg-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    /** the engine a whole-app project runs its gateways on (vitest.config.ts; test/engine.test.ts) */
    gatewayEngine?: 'sqlite' | 'postgres';
  }
}

let cluster: Cluster | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // fsync off: the tests never crash the server itself, and CREATE DATABASE per test stays fast
  // (the benchmark starts its own cluster with fsync on: there the cost of a commit is the point)
  cluster = await startCluster({ fsync: false });
  project.provide('postgresUrl', cluster.url);
  process.env.GATEWAY_TEST_POSTGRES_URL = cluster.url;
  return async () => { await cluster?.stop(); };
}
