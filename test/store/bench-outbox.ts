// What the delivery worker's leased claims cost per text on each engine, in one run:
//   npx tsx test/store/bench-outbox.ts [--quick]
// 600 texts to 200 phones queued at once; delivery workers (the real DeliveryWorker) with a
// provider that answers at once, so the figure is the store's: claim (one per phone, leased),
// markSending, markSent per text. SQLite in a temp file; PostgreSQL on a throwaway cluster of
// its own with fsync on, with one worker, and two workers on separate pools (two processes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { DeliveryWorker } from '../../src/notify/delivery.ts';
import { systemClock } from '../../src/clock.ts';
import { Metrics } from '../../src/metrics.ts';
import { createLogger } from '../../src/log.ts';
import type { SmsSender } from '../../src/notify/index.ts';
import { startBenchCluster } from './pg-cluster.ts';

const quick = process.argv.includes('--quick');
const TEXTS = quick ? 200 : 600;
const PHONES = 200;

/** answers at once, with the 5 s settle time Twilio's sender has (the lease) */
const sender: SmsSender = { settleMs: 5_000, sendSms: async (_to, _body, _cb, ref) => ({ id: `SM${ref?.outboxId}` }) };

async function run(name: string, stores: Store[]): Promise<{ name: string; ms: number; perSecond: number; p50: number; p99: number }> {
  const now = Date.now();
  for (let i = 0; i < TEXTS; i++) {
    await stores[0].outbox.enqueue({ alertId: null, residentId: `r-${i % PHONES}`, contactId: null, phone: `+86139${String(i % PHONES).padStart(6, '0')}`, channel: 'sms', step: null, body: `text ${i}`, at: now });
  }
  const latencies: number[] = [];
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((r) => { finished = r; });
  const t0 = performance.now();
  const wall0 = Date.now();
  const workers = stores.map((store) => new DeliveryWorker({
    outbox: store.outbox, sender, clock: systemClock, metrics: new Metrics(), log: createLogger({ level: 'silent' }), statusCallback: () => undefined,
    hooks: {
      sent: () => { latencies.push(Date.now() - wall0); if (++done === TEXTS) finished(); },
      retrying: () => {}, failed: () => {},
    },
  }));
  for (const w of workers) w.start();
  await all;
  const ms = performance.now() - t0;
  for (const w of workers) await w.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { name, ms: Math.round(ms), perSecond: Math.round(TEXTS / (ms / 1000)), p50: pct(0.5), p99: pct(0.99) };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
const cluster = await startBenchCluster();
const pgUrl = cluster.newDatabase;
try {
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${TEXTS} texts to ${PHONES} phones`);
  const results = [];
  const sqlite = openSqliteStore({ path: join(dir, 'a.db'), sync: 'normal' });
  results.push(await run('SQLite, one process', [sqlite]));
  await sqlite.close();
  const one = await openPostgresStore({ url: await pgUrl() });
  results.push(await run('PostgreSQL, one process', [one]));
  await one.close();
  const url = await pgUrl();
  const two = [await openPostgresStore({ url }), await openPostgresStore({ url })];
  results.push(await run('PostgreSQL, two processes (two pools)', two));
  for (const s of two) await s.close();
  const base = results[0].perSecond;
  console.log('| engine | texts/s | ratio | start -> recorded p50 / p99 ms | total ms |');
  console.log('|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${r.perSecond} | ${(r.perSecond / base).toFixed(2)}x | ${r.p50} / ${r.p99} | ${r.ms} |`);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
