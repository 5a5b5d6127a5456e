// Ingest on PostgreSQL beside SQLite, in the same rounds (npm run bench runs it; alone:
// `npx tsx bench/postgres.ts [--quick]`): raw aedes, the gateway on SQLite (sync normal) and the
// gateway on a PostgreSQL database of a throwaway cluster with fsync on (a commit costs what it
// costs on a real server's disk), QoS 1, 50 clients with 1 (comfortable: round trips) and 16
// (saturation) publishes in flight; then alarm latency (smoke PUBLISH -> SMS request, idle, under
// 1,000 msgs/s and saturated) on both engines, phase by phase in turn. One gateway process; two
// processes sharing one database are not measured yet. Needs Debian's postgresql (the test
// setup's cluster helper starts it). `--alarms-only` skips the ingest rounds.
import { pathToFileURL } from 'node:url';
import { ingestBench, printIngest, targets, ensureBuilt } from './ingest.ts';
import { alarmLatencyTargets, printAlarmComparison, printAlarmLatency, startTarget, type AlarmLatencyResult } from './alarm-latency.ts';
import { startBenchCluster } from '../test/store/pg-cluster.ts';

export async function postgresBench(opts: { quick?: boolean; alarmsOnly?: boolean } = {}) {
  const cluster = await startBenchCluster();
  try {
    const newDatabase = cluster.newDatabase;
    const list = targets({ syncs: ['normal'], postgres: newDatabase }).filter((t) => t.name !== 'mosquitto');
    const out: Record<string, Awaited<ReturnType<typeof ingestBench>> | Record<'sqlite' | 'postgres', AlarmLatencyResult>> = {};
    for (const window of opts.alarmsOnly ? [] : [1, 16]) {
      const result = await ingestBench({ clients: 50, window, messages: opts.quick ? 10_000 : 40_000, rounds: opts.quick ? 1 : 3, targets: list });
      out[`50x${window}`] = result;
      printIngest(result);
      const { normal, postgres } = result.summary;
      if (normal && postgres) console.log(`PostgreSQL against SQLite: ${(postgres.rate / normal.rate).toFixed(2)}x the rate, ${(postgres.cpuUsPerMsg / normal.cpuUsPerMsg).toFixed(2)}x the gateway's CPU a message, PUBACK p99 ${postgres.p99.toFixed(1)} vs ${normal.p99.toFixed(1)} ms`);
    }
    const alarms = await alarmLatencyTargets({
      sqlite: (o) => startTarget('sqlite', o, undefined),
      postgres: async (o) => startTarget('postgres', o, undefined, await newDatabase()),
    }, { alarms: opts.quick ? 30 : 300 });
    for (const [name, result] of Object.entries(alarms)) {
      console.log(`\n== alarm latency, gateway on ${name === 'sqlite' ? 'SQLite (sync normal)' : 'PostgreSQL (fsync on)'}`);
      printAlarmLatency(result);
    }
    printAlarmComparison(alarms);
    out.alarms = alarms;
    return out;
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureBuilt();
  const result = await postgresBench({ quick: process.argv.includes('--quick'), alarmsOnly: process.argv.includes('--alarms-only') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
}
