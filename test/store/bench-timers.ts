// What the rules timers' wake-up costs a deciding unit of work on PostgreSQL: `npx tsx test/store/bench-timers.ts`.
// A unit like the rules' (lock the home's state, save it, write its timer row; durable: false),
// one after another on one store, with the wake-up (signals on: the row is written by the
// statement that may notify) and without it (signals off: the plain upsert), in alternating
// rounds. Two cases: each write moves the due time later (the usual one: a sign of life pushes
// the silence on; nothing is sent) and each moves it earlier (a NOTIFY on every commit).
import { loadavg } from 'node:os';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { startBenchCluster } from './pg-cluster.ts';

const UNITS = Number(process.env.UNITS ?? 400);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const HOMES = 20;

const cluster = await startBenchCluster();
const pgUrl = cluster.newDatabase;

/** µs per unit of work, and how many NOTIFYs a listener heard */
async function round(store: PostgresStore, direction: 1 | -1, base: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < UNITS; i++) {
    const home = `r-${i % HOMES}`;
    const due = base + direction * i * 1000;
    await store.tx(async (tx) => {
      await tx.ruleState.lock(home);
      const version = await tx.ruleState.save(home, { v: 1, n: i }, i, i);
      await tx.ruleTimers.set(home, due, version);
    }, { durable: false });
  }
  return Number(process.hrtime.bigint() - started) / 1000 / UNITS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const url = await pgUrl();
  const seed = await openPostgresStore({ url, signals: false });
  const { parseConfig } = await import('../../src/config/index.ts');
  await seed.residents.seedFromConfig(parseConfig({ residents: Array.from({ length: HOMES }, (_, i) => ({ id: `r-${i}`, name: `Home ${i}`, devices: [] })) }).residents, 'UTC', 0);
  await seed.close();
  const withWake = await openPostgresStore({ url, poolSize: 2 });
  const without = await openPostgresStore({ url, poolSize: 2, signals: false });
  // a second process listening, as on a site
  const peer = await openPostgresStore({ url, poolSize: 1 });
  let heard = 0;
  peer.signals!.on('timer', {}, () => { heard++; });
  const results: Record<string, number[]> = { 'later, plain upsert': [], 'later, with wake-up': [], 'earlier, plain upsert': [], 'earlier, with wake-up': [] };
  const heardIn: Record<string, number> = { later: 0, earlier: 0 };
  let base = 1e12;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [direction, name] of [[1, 'later'], [-1, 'earlier']] as const) {
      base += direction * UNITS * 2000;
      results[`${name}, plain upsert`].push(await round(without, direction, base));
      // the plain round left each row at its last due time; the wake round goes on from there in the same direction
      base += direction * UNITS * 2000;
      const before = heard;
      results[`${name}, with wake-up`].push(await round(withWake, direction, base));
      await new Promise((resolve) => setTimeout(resolve, 200));
      heardIn[name] += heard - before;
    }
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${ROUNDS} rounds of ${UNITS} units, medians (all rounds):`);
  for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(24)} ${median(xs).toFixed(0)} µs a unit  (${xs.map((x) => x.toFixed(0)).join(', ')})`);
  for (const name of ['later', 'earlier']) {
    console.log(`  ${name}: wake/plain ${(median(results[`${name}, with wake-up`]) / median(results[`${name}, plain upsert`])).toFixed(2)}x, notifications heard ${heardIn[name]} of ${ROUNDS * UNITS}`);
  }
  await withWake.close();
  await without.close();
  await peer.close();
} finally {
  await cluster.stop();
}
