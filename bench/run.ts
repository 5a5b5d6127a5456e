// npm run bench: every benchmark, printed as a table and written as JSON under bench/results/.
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { ingestBench } from './ingest.ts';
import { nodeTarget, mosquittoTarget } from './connections.ts';
import { timelineBench } from './timeline.ts';
import { yearBench } from './year.ts';
import { alarmLatencyBench } from './alarm-latency.ts';
import { authFloodBench, printAuthFlood } from './auth-flood.ts';
import { pageAlarmBench } from './page-alarm.ts';

const quick = process.argv.includes('--quick');
const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };

// ingest at 50 and 500 device connections, each keeping one QoS 1 publish in flight
results.ingest = {};
for (const clients of [50, 500]) {
  const perClient = Math.round((quick ? 5_000 : 20_000) / clients);
  const ingest = await ingestBench({ clients, perClient, window: 1, rounds: quick ? 1 : clients === 50 ? 5 : 3 });
  (results.ingest as Record<number, unknown>)[clients] = ingest;
  const s = ingest.summary as Record<string, { rate: number; p50: number; p99: number }>;
  const fmt = (n: number, d = 1) => n.toFixed(d);
  const row = (name: string, r: { rate: number; p50: number; p99: number }, goal = '') =>
    console.log(`${name.padEnd(28)} ${fmt(r.rate, 0).padStart(8)}   ${fmt(r.rate / s.raw.rate, 2)}x  ${fmt(r.p50, 2).padStart(7)}  ${fmt(r.p99, 2).padStart(7)}   ${goal}`);
  console.log(`\nIngest: QoS 1, ${clients} device clients, 1 publish in flight each, median of ${ingest.opts.rounds} rounds`);
  console.log('target                         msgs/s   ratio   p50 ms   p99 ms   goal');
  row('raw aedes, no hooks', s.raw);
  row('gateway, sync: normal', s.normal, '>= 0.60x');
  row('gateway, sync: full', s.full, '>= 0.50x, p99 < 50 ms');
  if (s.mosquitto) row('mosquitto (no auth, no disk)', s.mosquitto);
  else console.log('(mosquitto not installed: apt-get install mosquitto to compare)');
}

// alarm latency: device PUBLISH to the SMS request at a local Twilio-compatible server
const alarm = await alarmLatencyBench({ alarms: quick ? 30 : 300 });
results.alarmLatency = alarm;
console.log(`\nAlarm latency, PUBLISH to SMS request (${alarm.idle.alarms} alarms a phase)`);
console.log('phase                         p50 ms   p99 ms   max ms   goal');
console.log(`idle                        ${alarm.idle.p50.toFixed(1).padStart(8)} ${alarm.idle.p99.toFixed(1).padStart(8)} ${alarm.idle.max.toFixed(1).padStart(8)}   p99 < 50 ms`);
console.log(`under ${alarm.loaded.backgroundRate.toFixed(0)} msgs/s background `.padEnd(28) + `${alarm.loaded.p50.toFixed(1).padStart(8)} ${alarm.loaded.p99.toFixed(1).padStart(8)} ${alarm.loaded.max.toFixed(1).padStart(8)}   p99 < 50 ms`);

// auth flood: alarm PUBACK while 150 concurrent wrong-password CONNECTs run, against no flood, in one run
const flood = await authFloodBench(quick ? { seconds: 2, rounds: 1 } : {});
results.authFlood = flood;
printAuthFlood(flood);

// idle connections: resident memory per authenticated device connection
const n = quick ? 2000 : 10_000;
const hasMosquitto = (() => { try { execSync('command -v mosquitto', { stdio: 'ignore' }); return true; } catch { return false; } })();
const conn = [await nodeTarget('raw', n), await nodeTarget('gateway', n), ...(hasMosquitto ? [await mosquittoTarget(n)] : [])];
results.connections = conn;
console.log(`\nIdle connections: ${n} device clients, keepalive 300 s; broker process RSS growth per connection`);
console.log('target                         KB/conn   goal');
for (const c of conn) console.log(`${c.target.padEnd(28)} ${(c.perConnection / 1024).toFixed(1).padStart(9)}   ${c.target === 'gateway' ? '<= 20 KB' : ''}`);
if (!hasMosquitto) console.log('(mosquitto not installed: apt-get install mosquitto to compare)');

// start-up: 1,000 residents with 5,000 devices, from config to ready
const startup = await nodeTarget('gateway', 5000, false).then((r) => r.startupMs);
results.startup = { residents: 1000, devices: 5000, ms: startup };
console.log(`\nStart-up with 1,000 residents and 5,000 devices: ${startup.toFixed(0)} ms`);

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
