// npm run bench: every benchmark, printed as a table and written as JSON under bench/results/.
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { ingestBench, printIngest, targets, ensureBuilt, hasMosquitto } from './ingest.ts';
import { nodeTarget, mosquittoTarget } from './connections.ts';
import { timelineBench } from './timeline.ts';
import { yearBench } from './year.ts';
import { alarmLatencyBench, printAlarmLatency } from './alarm-latency.ts';
import { authFloodBench, printAuthFlood } from './auth-flood.ts';
import { pageAlarmBench } from './page-alarm.ts';
import { memoryAt } from './memory.ts';
import { postgresBench } from './postgres.ts';

const quick = process.argv.includes('--quick');
const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };

// ingest at 50 and 500 device connections, each keeping 1, 4 or 16 QoS 1 publishes in flight:
// raw aedes, mosquitto and the gateway interleaved in the same rounds
ensureBuilt();
results.ingest = {};
const list = targets();
for (const clients of [50, 500]) {
  for (const window of [1, 4, 16]) {
    const ingest = await ingestBench({ clients, window, messages: quick ? 10_000 : 40_000, rounds: quick ? 1 : 3, targets: list });
    (results.ingest as Record<string, unknown>)[`${clients}x${window}`] = ingest;
    printIngest(ingest, { normal: '>= 0.80x at saturation', full: '>= 0.60x at saturation' });
  }
}
if (!hasMosquitto()) console.log('(mosquitto not installed: apt-get install mosquitto to compare)');
// the load generator is not the bottleneck: raw aedes driven by one and by two load processes
const gen = await Promise.all([1, 2].map(async (loaders) => ingestBench({ clients: 50, window: 16, messages: quick ? 10_000 : 40_000, rounds: quick ? 1 : 3, targets: list.slice(0, 1), loaders })));
results.generatorCheck = gen;
console.log(`\nLoad generator check, raw aedes, 50 clients x 16 in flight: one load process ${gen[0].summary.raw.rate.toFixed(0)} msgs/s (its CPU ${(gen[0].summary.raw.loadCpu * 100).toFixed(0)} % of a core), two ${gen[1].summary.raw.rate.toFixed(0)} msgs/s`);

// the gateway on PostgreSQL beside SQLite, same rounds (a throwaway cluster with fsync on)
results.postgres = await postgresBench({ quick });

// alarm latency: device PUBLISH to the SMS request at a local Twilio-compatible server
const alarm = await alarmLatencyBench({ alarms: quick ? 30 : 300 });
results.alarmLatency = alarm;
printAlarmLatency(alarm);

// auth flood: alarm PUBACK while 150 concurrent wrong-password CONNECTs run, against no flood, in one run
const flood = await authFloodBench(quick ? { seconds: 2, rounds: 1 } : {});
results.authFlood = flood;
printAuthFlood(flood);

// idle connections: resident memory per authenticated device connection
const n = quick ? 2000 : 10_000;
const conn = [await nodeTarget('raw', n), await nodeTarget('gateway', n), ...(hasMosquitto() ? [await mosquittoTarget(n)] : [])];
results.connections = conn;
console.log(`\nIdle connections: ${n} device clients, keepalive 300 s; broker process RSS growth per connection`);
console.log('target                         KB/conn   goal');
for (const c of conn) console.log(`${c.target.padEnd(28)} ${(c.perConnection / 1024).toFixed(1).padStart(9)}   ${c.target === 'gateway' ? '<= 20 KB' : ''}`);
if (!hasMosquitto()) console.log('(mosquitto not installed: apt-get install mosquitto to compare)');

// start-up: 1,000 residents with 5,000 devices, from config to ready
const startup = await nodeTarget('gateway', 5000, false).then((r) => r.startupMs);
results.startup = { residents: 1000, devices: 5000, ms: startup };
console.log(`\nStart-up with 1,000 residents and 5,000 devices: ${startup.toFixed(0)} ms`);

// idle memory and start-up by configured size, compiled (as npm start runs it) and under tsx
const memory = [];
console.log('\nIdle gateway, no connections (5 devices a resident): RSS after GC, JS heap, start-up');
console.log('runtime  devices   RSS MB   heap MB   start-up ms');
for (const runtime of ['dist', 'src'] as const) {
  for (const devices of [1000, 10_000]) {
    const r = await memoryAt(devices, runtime);
    memory.push(r);
    console.log(`${runtime.padEnd(8)} ${String(devices).padStart(7)}  ${(r.rss / 1048576).toFixed(1).padStart(7)}  ${(r.heapUsed / 1048576).toFixed(1).padStart(8)}  ${r.startupMs.toFixed(0).padStart(12)}`);
  }
}
results.memory = memory;

// casefile timeline: one resident with 100,000 device events
const tl = await timelineBench({ queries: quick ? 200 : 1000 });
results.timeline = tl;
console.log(`\nTimeline page (50 items), resident with ${tl.opts.events} events: p50 ${tl.ms.p50} ms, p95 ${tl.ms.p95} ms, p99 ${tl.ms.p99} ms   goal p95 < 20 ms`);

// a district's year: 1,000 residents, 5 devices each, 8 device events a resident a day, weekly visits
const year = await yearBench({ residents: quick ? 100 : 1000 });
results.year = year;
console.log(`\nA year for ${year.residents} residents (${year.events} events): timeline page p50 ${year.timelinePageMs.p50} ms, p95 ${year.timelinePageMs.p95} ms; report for a month ${year.reportMonthMs} ms, for the year ${year.reportYearMs} ms; visit planning ${year.dueVisitsMs} ms`);

// the caseworker's page: PUBLISH to the banner in chromium, one at a time and in a burst
if (existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
  const page = await pageAlarmBench({ alarms: quick ? 20 : 50 });
  results.pageAlarm = page;
  console.log(`\nPUBLISH to the banner on the page (${page.oneAtATime.alarms} alarms a phase)`);
  console.log(`one at a time: p50 ${page.oneAtATime.p50} ms, p99 ${page.oneAtATime.p99} ms; burst of ${page.burst.alarms}: p50 ${page.burst.p50} ms, p99 ${page.burst.p99} ms   goal within 1 s`);
} else {
  console.log('\n(chromium not installed: apt-get install chromium for the page figures)');
}

mkdirSync('bench/results', { recursive: true });
const file = `bench/results/bench-${results.at as string}.json`.replace(/:/g, '-');
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nwritten ${file}`);
