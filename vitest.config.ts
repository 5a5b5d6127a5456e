import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // the machine has 2 cores; process-spawning tests are heavy
    maxWorkers: 2,
    // one throwaway PostgreSQL cluster for the run (the store's contract suite runs on it)
    globalSetup: ['test/store/global-setup.ts'],
  },
});
