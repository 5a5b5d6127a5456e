// The cost of the ingest's group commit on each engine, in one run so the ratios are fair:
//   npx tsx test/store/bench-ingest.ts [--quick]
// Saturation: 200 devices each keeping one append in flight (QoS 1 waiting for PUBACK), as fast
// as the store commits; comfortable: a steady
// paced rate, where each append is its own commit and its latency is the commit's cost.
// SQLite in a temp file (sync normal and full); PostgreSQL on a throwaway cluster of its own
// with fsync on (one store, and two stores sharing the load as two processes would).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { eventRepository } from '../../src/store/events.ts';
import { alertRepository } from '../../src/store/alerts.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { startBenchCluster } from './pg-cluster.ts';

const quick = process.argv.includes('--quick');
const DEVICES = 200;
const BURST = quick ? 2_000 : 10_000;
const RATE = 100; // events a second
const PACED = quick ? 200 : 600;

async function seed(store: Store): Promise<void> {
  await store.tx(async (tx) => {
    for (let r = 0; r < DEVICES / 10; r++) {
      await tx.residents.upsertResident({ id: `r-${r}`, name: `Resident ${r}`, address: '', timezone: 'UTC', locale: 'en', visitCycleMs: null, rules: {} }, 0);
      for (let d = 0; d < 10; d++) {
        await tx.residents.upsertDevice({ id: `d-${r}-${d}`, residentId: `r-${r}`, kind: 'door', entrance: true, secretHash: null, zigbee2mqtt: null, rflink: null, jsonl: null, supervisionMs: null });
      }
    }
  });
}

let clock = Date.UTC(2026, 0, 1);
function event(i: number): DeviceEvent {
  const r = i % (DEVICES / 10);
  const d = Math.floor(i / (DEVICES / 10)) % 10;
  clock += 7;
  return { at: clock, deviceId: `d-${r}-${d}`, residentId: `r-${r}`, kind: 'door', source: 'mqtt', type: 'state', readings: { contact: i % 2 === 0, battery: 90 - (i % 3) } };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function saturation(stores: Store[]) {
  const before = stores.map((s) => s.ingest.stats());
  const t0 = performance.now();
  const latencies: number[] = [];
  // each device keeps one message in flight, as a QoS 1 client waiting for its PUBACK does
  let next = 0;
  await Promise.all(Array.from({ length: DEVICES }, async (_, device) => {
    const store = stores[device % stores.length];
    while (next < BURST) {
      const i = next++;
      const start = performance.now();
      await store.ingest.append(event(i));
      latencies.push(performance.now() - start);
    }
  }));
  const ms = performance.now() - t0;
  const commits = stores.reduce((n, s, k) => n + s.ingest.stats().commits - before[k].commits, 0);
  latencies.sort((a, b) => a - b);
  return { events: BURST, ms, rate: BURST / (ms / 1000), commits, meanGroup: BURST / commits, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) };
}

async function paced(stores: Store[]) {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < PACED; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const start = performance.now();
    pending.push(stores[i % stores.length].ingest.append(event(i)).then(() => { latencies.push(performance.now() - start); }));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { events: PACED, rate: RATE, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: latencies[latencies.length - 1] };
}

/** the repository the gateway runs on today, without the store's gate: the SQLite baseline */
function legacyIngest(path: string): Store {
  const inner = openSqliteStore({ path, sync: 'normal' });
  const events = eventRepository(inner.db);
  return { ...inner, ingest: { ...inner.ingest, append: events.append, stats: events.stats }, close: inner.close };
}

/** what the async port costs over calling the synchronous repository: a read by id, many times */
async function portOverhead(path: string) {
  const store = openSqliteStore({ path, sync: 'normal' });
  const id = await store.alerts.insert({ residentId: 'r-0', kind: 'smoke', conditionKey: 'smoke', deviceId: null, openedAt: 0, detail: {}, escalationDue: null });
  const direct = alertRepository(store.db);
  const n = quick ? 5_000 : 20_000;
  const time = async (fn: () => unknown) => {
    for (let i = 0; i < 2000; i++) await fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - t0) * 1000) / n;
  };
  // alternating rounds, median of each: the machine's load moves between rounds, not within one
  const rounds = { sync: [] as number[], port: [] as number[], inTx: [] as number[] };
  for (let r = 0; r < 5; r++) {
    rounds.sync.push(await time(() => direct.get(id)));
    rounds.port.push(await time(() => store.alerts.get(id)));
    rounds.inTx.push(await store.tx(async (tx) => time(() => tx.alerts.get(id))));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2];
  const sync = median(rounds.sync);
  const port = median(rounds.port);
  const inTx = median(rounds.inTx);
  await store.close();
  return { reads: n, syncUs: sync, portUs: port, inTxUs: inTx };
}

async function measure(name: string, open: () => Promise<Store[]>) {
  const stores = await open();
  await seed(stores[0]);
  // warm up: statements prepared, pages cached
  await Promise.all(Array.from({ length: 500 }, (_, i) => stores[i % stores.length].ingest.append(event(i))));
  const sat = await saturation(stores);
  const calm = await paced(stores);
  for (const s of stores) await s.close();
  return { name, saturation: sat, paced: calm };
}

const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
const cluster = await startBenchCluster();
const pgUrl = cluster.newDatabase;

try {
  const results = [];
  results.push(await measure('sqlite, no gate (today)', async () => [legacyIngest(join(dir, 'legacy.db'))]));
  results.push(await measure('sqlite, sync: normal', async () => [openSqliteStore({ path: join(dir, 'normal.db'), sync: 'normal' })]));
  results.push(await measure('sqlite, sync: full', async () => [openSqliteStore({ path: join(dir, 'full.db'), sync: 'full' })]));
  results.push(await measure('postgres, one store', async () => [await openPostgresStore({ url: await pgUrl() })]));
  results.push(await measure('postgres, two stores', async () => {
    const url = await pgUrl();
    return [await openPostgresStore({ url }), await openPostgresStore({ url })];
  }));
  const base = results[0];
  console.log(`\nIngest group commit, ${DEVICES} devices; machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`saturation: ${BURST} appends from ${DEVICES} devices, one in flight each; paced: ${PACED} appends at ${RATE}/s (latency = append to commit)`);
  console.log('engine                   events/s   ratio  commits  mean group  sat p50 ms  sat p99 ms | paced p50 ms  p99 ms  max ms');
  for (const r of results) {
    const s = r.saturation;
    const p = r.paced;
    console.log(`${r.name.padEnd(24)} ${s.rate.toFixed(0).padStart(8)}  ${(s.rate / base.saturation.rate).toFixed(2).padStart(5)}x ${String(s.commits).padStart(8)} ${s.meanGroup.toFixed(1).padStart(11)} ${s.p50.toFixed(1).padStart(11)} ${s.p99.toFixed(1).padStart(11)} | ${p.p50.toFixed(2).padStart(12)} ${p.p99.toFixed(2).padStart(7)} ${p.max.toFixed(1).padStart(7)}`);
  }
  const overhead = await portOverhead(join(dir, 'overhead.db'));
  console.log(`\nSQLite alert read by id, ${overhead.reads} times: repository ${overhead.syncUs.toFixed(2)} us, port ${overhead.portUs.toFixed(2)} us, port inside tx ${overhead.inTxUs.toFixed(2)} us`);
  console.log(JSON.stringify({ at: new Date().toISOString(), loadavg: loadavg(), results, overhead }));
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
