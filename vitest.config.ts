import { defineConfig } from 'vitest/config';

// Four tiers, each a vitest project, so a developer runs the fast one alone:
//   npm run test:fast            pure: rules, decoders, templates, config; no I/O, seconds
//   npx vitest run --project adapter|whole-app|fault
// `npm test` runs every project. whole-app takes every file no other tier names, so a new test
// file always runs somewhere.
const PURE = [
  // not bench/evaluate.test.ts: pure, but a synthetic month of homes takes most of a minute
  'test/rules/{alerts,equivalence,hazards,inactivity,learned,receiver,restart,scheduler}.test.ts', 'test/time/**/*.test.ts', 'test/properties/**/*.test.ts',
  'test/devices/corpus.test.ts', 'test/devices/dialect.test.ts',
  'test/serial/jsonl.test.ts', 'test/serial/lines.test.ts', 'test/serial/rflink.test.ts', 'test/serial/rtl433-corpus.test.ts',
  'test/notify/plan.test.ts', 'test/notify/templates.test.ts',
  'test/casefile/deadlines.test.ts', 'test/casefile/i18n.test.ts', 'test/broker/packet-guard.test.ts',
];
/** one real part on loopback (the notifier with SQLite and a Twilio-compatible server, a pty) */
const ADAPTER = [
  'test/notify/escalation.test.ts', 'test/notify/outbox.test.ts', 'test/notify/repeat.test.ts', 'test/notify/replies.test.ts',
  'test/serial/receiver.pty.test.ts', 'test/store/**/*.test.ts', 'test/alerts/removed-devices.test.ts',
];
/** killed processes, a store that cannot commit, a provider that fails */
const FAULT = ['test/faults/**/*.test.ts', 'test/**/crash.test.ts', 'test/broker/store-faults.test.ts'];

const POSTGRES = ['test/store/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // the machine has 2 cores; process-spawning tests are heavy
    maxWorkers: 2,
    // a throwaway PostgreSQL cluster for each tier that has a store (the store's contract suite
    // runs on it); not for the pure tier, which needs none and stays seconds
    projects: [
      { extends: true, test: { name: 'pure', include: PURE } },
      { extends: true, test: { name: 'adapter', include: ADAPTER, globalSetup: POSTGRES } },
      { extends: true, test: { name: 'fault', include: FAULT, globalSetup: POSTGRES } },
      { extends: true, test: { name: 'whole-app', include: ['test/**/*.test.ts'], exclude: [...PURE, ...ADAPTER, ...FAULT, '**/node_modules/**'], globalSetup: POSTGRES } },
    ],
  },
});
