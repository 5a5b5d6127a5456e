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

/**
 * Whole-app files run a second time with every gateway on PostgreSQL (test/helpers.ts
 * TEST_ENGINE: a database of the test cluster per gateway): the same MQTT clients, routes and
 * texts, the other engine under them. A file joins when it reads rows through the ports or
 * sqlOf(), not app.stores. Not test/alerts/priority.test.ts: what it proves (the alarm's texts are
 * queued before one routine report committed with it is judged) rests on SQLite's single
 * connection, where that unit of work completes in microtasks; on PostgreSQL the homes' units of
 * work run side by side on the pool.
 */
const PG_WHOLE_APP = [
  'test/broker/broker.test.ts', 'test/broker/listeners.test.ts', 'test/security/dedupe.test.ts',
  'test/api/api.test.ts', 'test/api/metrics.test.ts', 'test/live/stream.test.ts',
  'test/security/api-auth-limit.test.ts', 'test/security/http-limits.test.ts', 'test/security/rotation.test.ts',
  'test/casefile/wired.test.ts', 'test/bus.test.ts',
  'test/devices/gateway.test.ts', 'test/alerts/notify-e2e.test.ts', 'test/security/routes.test.ts', 'test/security/client-id.test.ts',
  'test/live/idempotency.test.ts', 'test/api/absences.test.ts', 'test/engine.test.ts',
  'test/alerts/alerts.test.ts', 'test/security/twilio.test.ts', 'test/live/users.test.ts', 'test/security/secrets.test.ts', 'test/security/visits.test.ts',
  'test/serial/app-serial.test.ts', 'test/serial/app-jsonl.test.ts', 'test/casefile/provisioning.test.ts', 'test/casefile/visits.test.ts',
  'test/casefile/reminders.test.ts', 'test/casefile/photos-reports.test.ts', 'test/casefile/calendar-cn.test.ts', 'test/casefile/error-codes.test.ts',
  'test/casefile/handbook.test.ts', 'test/casefile/planning-reports.test.ts', 'test/casefile/activity-chart.test.ts',
  'test/config/uniqueness.test.ts', 'test/replay/receiver.test.ts', 'test/security/dates.test.ts', 'test/fuzz/fuzz.test.ts', 'test/devices/admission.test.ts',
  'test/replay/replay.test.ts',
];

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
      { extends: true, test: { name: 'whole-app-pg', include: PG_WHOLE_APP, globalSetup: POSTGRES, env: { GATEWAY_TEST_ENGINE: 'postgres' }, provide: { gatewayEngine: 'postgres' } } },
    ],
  },
});
