// Alarm latency ("Show"): from a smoke detector's MQTT PUBLISH to the SMS request
// reaching a local Twilio-compatible server, through the whole gateway (broker, decode,
// commit, rules, alert, outbox, the twilio package). Measured idle and under ~1,000 msgs/s of
// background device traffic from a separate process, so the load does not share our event loop,
// and with that background as fast as the gateway takes it (saturated). Target: p99 under 50 ms
// under 1,000 msgs/s.
//
//   npx tsx bench/alarm-latency.ts            (or import { alarmLatencyBench } from bench/run.ts;
//   LOG_LEVEL=info or debug shows the gateway's own log, as for npm start; errors only otherwise)
//
// Each alarm is a different resident's detector: one condition is one alert, so a second
// alarm from the same detector would (rightly) send nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { parseConfig } from '../src/config/index.ts';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/log.ts';
import { FakeTwilio } from '../test/notify/fake-twilio.ts';

export interface LatencyStats {
  alarms: number; p50: number; p99: number; max: number; mean: number;
  /** the five slowest */
  worst: number[];
  /** the gateway's event loop during the phase: how long a ready callback waited, p99 and max, ms */
  loopDelayP99: number; loopDelayMax: number;
  /** a 1 ms timer in a separate idle process, late by (p99, max, ms): what the machine's scheduler alone adds */
  machineP99: number; machineMax: number;
  /** load average (1 min) at the end of the phase */
  load: number;
  /** CPU time of this process (gateway, alarm clients, local Twilio server) per alarm, including any background it handled, ms */
  cpuMsPerAlarm: number;
  /** where the time went: each segment's p50 and p99, and its mean over the slowest 1 % of alarms */
  segments: SegmentStats;
}
export interface AlarmLatencyResult {
  opts: Required<AlarmLatencyOptions>;
  idle: LatencyStats;
  loaded: LatencyStats & { backgroundRate: number };
  /** background as fast as the gateway takes it */
  saturated: LatencyStats & { backgroundRate: number };
}
export interface AlarmLatencyOptions {
  /** measured alarms per phase */
  alarms?: number;
  /** alarms before each phase that are not counted (JIT, connection pools) */
  warmup?: number;
  /** background device messages a second */
  backgroundRate?: number;
  backgroundClients?: number;
  /** pause between alarms, so each is measured alone */
  gapMs?: number;
}

const phone = (r: number) => `+8613${String(r).padStart(9, '0')}`;

type Extra = Omit<LatencyStats, 'alarms' | 'p50' | 'p99' | 'max' | 'mean' | 'worst'>;
function stats(latencies: number[], extra: Extra): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return {
    alarms: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1],
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, worst: sorted.slice(-5).reverse(), ...extra,
  };
}

/**
 * A process that only sleeps 1 ms at a time and notes how late it wakes: the delay the shared
 * machine's scheduler adds to any process, which the gateway cannot do anything about.
 */
function startMachineProbe(): { stop(): Promise<{ p99: number; max: number }> } {
  const child = spawn(process.execPath, ['-e', `
    const late = [];
    let t = performance.now();
    const tick = () => { const now = performance.now(); late.push(now - t - 1); t = now; setTimeout(tick, 1); };
    setTimeout(tick, 1);
    process.on('SIGTERM', () => { late.sort((a, b) => a - b); process.stdout.write(JSON.stringify({ p99: late[Math.floor(late.length * 0.99)] ?? 0, max: late[late.length - 1] ?? 0 })); process.exit(0); });
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  return { stop: () => new Promise((resolve) => { child.once('exit', () => resolve(JSON.parse(out || '{"p99":0,"max":0}'))); child.kill('SIGTERM'); }) };
}

const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** `storageUrl`: the gateway on that PostgreSQL database instead of a SQLite file (sync normal) */
function benchConfig(dir: string, residents: number, backgroundClients: number, fakeUrl: string, storageUrl?: string) {
  return parseConfig({
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0, publicUrl: 'https://gateway.example.org' },
    storage: storageUrl ? { url: storageUrl } : { path: join(dir, 'bench.db'), sync: 'normal' },
    sms: { provider: 'twilio' },
    twilio: { accountSid: 'AC' + 'b'.repeat(32), authToken: 'bench-auth-token', from: '+15005550006', apiBaseUrl: fakeUrl },
    escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] },
    residents: Array.from({ length: Math.max(residents, backgroundClients) }, (_, r) => ({
      id: `r-${r}`, name: `Resident ${r}`, address: `Building ${r % 20}, Room ${100 + r}`, timezone: 'Asia/Shanghai',
      contacts: [{ name: `Neighbor ${r}`, phone: phone(r), role: 'neighbor' }],
      devices: [
        { id: `smoke-${r}`, kind: 'smoke', secret: `secret-smoke-${r}` },
        { id: `motion-${r}`, kind: 'motion', secret: `secret-motion-${r}` },
      ],
    })),
  }, {});
}

/** the background load generator as its own process; resolves once its clients are connected */
async function startBackground(port: number, clients: number, rate: number): Promise<{ stop(): Promise<{ acked: number; seconds: number; rate: number }> }> {
  // rate 0: as fast as the gateway takes them, each client keeping 16 publishes in flight
  const args = rate > 0
    ? ['bench/alarm-latency.ts', '--background', JSON.stringify({ port, clients, rate })]
    : ['bench/load.ts', JSON.stringify({ port, clients, perClient: 0, window: 16, password: 'secret-{id}', prefix: 'motion-', topic: 'devices/{id}' })];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => { if (out.includes('ready\n')) { clearInterval(check); resolve(); } }, 20);
    child.once('exit', (code) => { clearInterval(check); reject(new Error(`background load exited ${code}`)); });
  });
  return {
    stop: () => new Promise((resolve, reject) => {
      child.removeAllListeners('exit');
      child.once('exit', () => {
        try { resolve(JSON.parse(out.slice(out.indexOf('ready\n') + 6))); } catch (err) { reject(err); }
      });
      child.kill('SIGTERM');
    }),
  };
}

/** where one alarm's time went, ms; each from the previous mark except `puback` (from the PUBLISH) */
export interface AlarmSegments {
  /** PUBLISH written by the client -> the gateway's authorizePublish (socket read, MQTT parse, the loop's turn) */
  read: number;
  /** authorizePublish -> committed (decode, admission, the group commit) */
  commit: number;
  /** committed -> SMS request at the Twilio server (rules, alert, outbox, the twilio package, HTTP) */
  sms: number;
  /** PUBLISH -> PUBACK at the client */
  puback: number;
}

/** the gateway's side of an alarm: when its PUBLISH reached authorizePublish and when it was committed */
type Marks = Map<string, { sink: number; committed?: number }>;

async function alarm(mqttUrl: string, r: number, fake: FakeTwilio, marks: Marks): Promise<{ total: number; segments: AlarmSegments }> {
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { username: `smoke-${r}`, password: `secret-smoke-${r}`, reconnectPeriod: 0 });
  try {
    const text = fake.nextMessageTo(phone(r), 10_000).catch((err: Error) => {
      throw new Error(`${err.message}: is the Notifier wired into buildApp with twilio.apiBaseUrl?`);
    });
    const t0 = performance.now();
    await client.publishAsync(`devices/smoke-${r}`, JSON.stringify({ smoke: true, battery: 90 }), { qos: 1 });
    const puback = performance.now() - t0;
    const received = await text;
    const m = marks.get(`smoke-${r}`);
    marks.delete(`smoke-${r}`);
    const sink = m ? m.sink : t0;
    const committed = m?.committed ?? sink;
    return { total: received.hrAt - t0, segments: { read: sink - t0, commit: committed - sink, sms: received.hrAt - committed, puback } };
  } finally {
    await client.endAsync(true);
  }
}

export interface Target {
  name: string;
  app: ReturnType<typeof buildApp>;
  fake: FakeTwilio;
  dir: string;
  marks: Marks;
  mqttUrl: string;
}

export async function startTarget(name: string, opts: Required<AlarmLatencyOptions>, routineInFlight: number | undefined, storageUrl?: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-alarm-bench-'));
  const fake = await new FakeTwilio().start();
  const perPhase = opts.warmup + opts.alarms;
  // residents 0..backgroundClients-1 carry the background motion traffic; alarms use the rest
  const app = buildApp(benchConfig(dir, opts.backgroundClients + 3 * perPhase, opts.backgroundClients, fake.url, storageUrl), { log: createLogger({ level: process.env.LOG_LEVEL ?? 'error' }), routineInFlight });
  await app.start();
  // the timestamps of the breakdown: the broker's sink is the router's accept, read on each call
  const marks: Marks = new Map();
  const router = app.router;
  const accept = router.accept;
  app.router = {
    ...router,
    accept(msg, done) {
      if (msg.principal.type !== 'device' || !msg.principal.deviceId.startsWith('smoke-')) return accept(msg, done);
      const m: { sink: number; committed?: number } = { sink: performance.now() };
      marks.set(msg.principal.deviceId, m);
      accept(msg, (err, outcome) => { m.committed = performance.now(); done(err, outcome); });
    },
  };
  return { name, app, fake, dir, marks, mqttUrl: `mqtt://127.0.0.1:${app.mqttPort()}` };
}

export async function stopTarget(t: Target): Promise<void> {
  await t.app.stop();
  await t.fake.stop();
  rmSync(t.dir, { recursive: true, force: true });
}

async function runPhase(t: Target, opts: Required<AlarmLatencyOptions>, from: number): Promise<LatencyStats> {
  const perPhase = opts.warmup + opts.alarms;
  const latencies: number[] = [];
  const segments: AlarmSegments[] = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const probe = startMachineProbe();
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < perPhase; i++) {
    if (i === opts.warmup) { loop.enable(); cpu0 = process.cpuUsage(); }
    const one = await alarm(t.mqttUrl, from + i, t.fake, t.marks);
    if (i >= opts.warmup) { latencies.push(one.total); segments.push(one.segments); }
    await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const machine = await probe.stop();
  return stats(latencies, {
    loopDelayP99: loop.percentile(99) / 1e6, loopDelayMax: loop.max / 1e6,
    machineP99: machine.p99, machineMax: machine.max, load: loadAverage(), cpuMsPerAlarm: (cpu.user + cpu.system) / 1000 / latencies.length,
    segments: segmentStats(latencies, segments),
  });
}

function segmentStats(latencies: number[], segments: AlarmSegments[]): SegmentStats {
  const keys = ['read', 'commit', 'sms', 'puback'] as const;
  const pick = (p: number, k: typeof keys[number]) => {
    const sorted = segments.map((s) => s[k]).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  };
  // the slowest 1 % of alarms (at least 3): where their time went, on average
  const slow = latencies.map((l, i) => [l, i] as const).sort((a, b) => b[0] - a[0]).slice(0, Math.max(3, Math.ceil(latencies.length / 100)));
  const mean = (k: typeof keys[number]) => slow.reduce((a, [, i]) => a + segments[i][k], 0) / slow.length;
  const out = {} as SegmentStats;
  for (const k of keys) out[k] = { p50: pick(50, k), p99: pick(99, k), slowest: mean(k) };
  return out;
}

export type SegmentStats = Record<keyof AlarmSegments, { p50: number; p99: number; slowest: number }>;

/** the three phases of one target: idle, steady background, flood */
async function phases(t: Target, opts: Required<AlarmLatencyOptions>, round = 0): Promise<AlarmLatencyResult> {
  const perPhase = opts.warmup + opts.alarms;
  const first = opts.backgroundClients + round * 3 * perPhase;
  const idle = await runPhase(t, opts, first);
  const background = await startBackground(t.app.mqttPort(), opts.backgroundClients, opts.backgroundRate);
  await new Promise((r) => setTimeout(r, 1000));
  const loadedStats = await runPhase(t, opts, first + perPhase);
  const load = await background.stop();
  const flood = await startBackground(t.app.mqttPort(), opts.backgroundClients, 0);
  await new Promise((r) => setTimeout(r, 1500));
  const saturatedStats = await runPhase(t, opts, first + 2 * perPhase);
  const floodLoad = await flood.stop();
  return { opts, idle, loaded: { ...loadedStats, backgroundRate: load.rate }, saturated: { ...saturatedStats, backgroundRate: floodLoad.rate } };
}

export async function alarmLatencyBench(options: AlarmLatencyOptions = {}): Promise<AlarmLatencyResult> {
  const opts: Required<AlarmLatencyOptions> = {
    alarms: 100, warmup: 10, backgroundRate: 1000, backgroundClients: 50, gapMs: 50, ...options,
  };
  const t = await startTarget('gateway', opts, undefined);
  try {
    return await phases(t, opts);
  } finally {
    await stopTarget(t);
  }
}

/**
 * The same three phases against several gateways in this process, each phase run on one then
 * the next, in turn (so a phase meets the same machine on every target): e.g. SQLite beside
 * PostgreSQL (bench/postgres.ts), or with and without the store admission (below).
 */
export async function alarmLatencyTargets<K extends string>(start: Record<K, (opts: Required<AlarmLatencyOptions>) => Promise<Target>>, options: AlarmLatencyOptions = {}): Promise<Record<K, AlarmLatencyResult>> {
  const opts: Required<AlarmLatencyOptions> = {
    alarms: 100, warmup: 10, backgroundRate: 1000, backgroundClients: 50, gapMs: 50, ...options,
  };
  const perPhase = opts.warmup + opts.alarms;
  const names = Object.keys(start) as K[];
  const targets = {} as Record<K, Target>;
  try {
    for (const name of names) targets[name] = await start[name](opts);
    const out = {} as Record<K, Partial<AlarmLatencyResult>>;
    for (const name of names) out[name] = { opts };
    const first = opts.backgroundClients;
    for (const name of names) out[name].idle = await runPhase(targets[name], opts, first);
    for (const name of [...names].reverse()) {
      const t = targets[name];
      const background = await startBackground(t.app.mqttPort(), opts.backgroundClients, opts.backgroundRate);
      await new Promise((r) => setTimeout(r, 1000));
      const s = await runPhase(t, opts, first + perPhase);
      const load = await background.stop();
      out[name].loaded = { ...s, backgroundRate: load.rate };
    }
    for (const name of names) {
      const t = targets[name];
      const flood = await startBackground(t.app.mqttPort(), opts.backgroundClients, 0);
      await new Promise((r) => setTimeout(r, 1500));
      const s = await runPhase(t, opts, first + 2 * perPhase);
      const load = await flood.stop();
      out[name].saturated = { ...s, backgroundRate: load.rate };
    }
    return out as Record<K, AlarmLatencyResult>;
  } finally {
    for (const name of names) if (targets[name]) await stopTarget(targets[name]);
  }
}

/** a table of targets' p50 / p99 by phase, and each one's p99 against the first's */
export function printAlarmComparison(results: Record<string, AlarmLatencyResult>): void {
  const names = Object.keys(results);
  const f = (n: number) => n.toFixed(1);
  console.log(`\nphase        ${names.map((n) => `${n} p50/p99 ms`.padEnd(24)).join(' ')} p99 against ${names[0]}`);
  for (const phase of ['idle', 'loaded', 'saturated'] as const) {
    const base = results[names[0]][phase].p99;
    console.log(`${phase.padEnd(12)} ${names.map((n) => `${f(results[n][phase].p50)} / ${f(results[n][phase].p99)}`.padEnd(24)).join(' ')} ${names.slice(1).map((n) => `${(results[n][phase].p99 / base).toFixed(2)}x`).join(' ')}`);
  }
}

/**
 * The same three phases against the gateway with its store admission (life-safety reports first,
 * routine ones bounded) and without it (`routineInFlight: 0`, every report read goes to the next
 * group commit), both in this process, each phase run on one then the other, in turn.
 */
export async function alarmLatencyAb(options: AlarmLatencyOptions = {}): Promise<Record<'unbounded' | 'admission', AlarmLatencyResult>> {
  return alarmLatencyTargets({
    unbounded: (opts) => startTarget('unbounded', opts, 0),
    admission: (opts) => startTarget('admission', opts, undefined),
  }, options);
}

/** --background: device clients publishing motion at a steady total rate until SIGTERM */
async function runBackground(args: { port: number; clients: number; rate: number }): Promise<void> {
  const clients = await Promise.all(Array.from({ length: args.clients }, (_, i) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${args.port}`, { username: `motion-${i}`, password: `secret-motion-${i}`, reconnectPeriod: 0 })));
  let acked = 0;
  let owed = 0;
  let turn = 0;
  const started = performance.now();
  let last = started;
  // a token bucket on a 10 ms tick: the rate holds even when a tick comes late
  const tickTimer = setInterval(() => {
    const now = performance.now();
    owed += ((now - last) / 1000) * args.rate;
    last = now;
    for (; owed >= 1; owed--) {
      const i = turn++ % clients.length;
      // a device may publish only its own topic
      clients[i].publish(`devices/motion-${i}`, JSON.stringify({ occupancy: turn % 2 === 0 }), { qos: 1 }, (err) => { if (!err) acked++; });
    }
  }, 10);
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    clearInterval(tickTimer);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(JSON.stringify({ acked, seconds, rate: acked / seconds }));
    for (const c of clients) c.end(true);
    process.exit(0);
  });
}

if (process.argv[2] === '--background') {
  await runBackground(JSON.parse(process.argv[3]));
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const alarms = process.argv.includes('--quick') ? 30 : 300;
  if (process.argv.includes('--ab')) {
    const both = await alarmLatencyAb({ alarms });
    for (const [name, result] of Object.entries(both)) {
      console.log(`\n== ${name === 'admission' ? 'with the store admission (life-safety first, routine reports bounded)' : 'without it (routineInFlight 0: every report read joins the next group)'}`);
      printAlarmLatency(result);
    }
    printAlarmComparison(both);
    if (process.argv.includes('--json')) console.log(JSON.stringify(both));
  } else {
    printAlarmLatency(await alarmLatencyBench({ alarms }));
  }
}

export function printAlarmLatency(result: AlarmLatencyResult): void {
  const f = (n: number) => n.toFixed(1).padStart(7);
  console.log('\nAlarm latency: smoke PUBLISH -> SMS request at the local Twilio server');
  console.log('phase                         alarms   p50 ms   p99 ms   max ms  | gateway loop delay p99/max ms | machine: 1 ms timer late p99/max ms | load  CPU ms/alarm  goal');
  const rows: Array<[string, LatencyStats, string]> = [
    ['idle', result.idle, 'p99 < 50 ms'],
    [`background ${result.loaded.backgroundRate.toFixed(0)} msgs/s`, result.loaded, 'p99 < 50 ms'],
    [`saturated, ${result.saturated.backgroundRate.toFixed(0)} msgs/s`, result.saturated, ''],
  ];
  for (const [name, r, goal] of rows) {
    console.log(`${name.padEnd(30)}${String(r.alarms).padStart(6)}  ${f(r.p50)}  ${f(r.p99)}  ${f(r.max)}  | ${f(r.loopDelayP99)} / ${f(r.loopDelayMax)}`.padEnd(95)
      + `| ${f(r.machineP99)} / ${f(r.machineMax)}`.padEnd(38) + `| ${r.load.toFixed(1).padStart(5)}  ${r.cpuMsPerAlarm.toFixed(1).padStart(12)}  ${goal}`);
  }
  for (const [name, r] of rows) console.log(`${name}: slowest ${r.worst.map((n) => n.toFixed(0)).join(', ')} ms`);
  console.log('where the time went, ms (p50 / p99 / mean of the slowest 1 %): read = PUBLISH -> authorizePublish, commit = -> committed, sms = -> SMS request; puback = PUBLISH -> PUBACK');
  for (const [name, r] of rows) {
    const s = r.segments;
    const cell = (k: keyof SegmentStats) => `${k} ${s[k].p50.toFixed(1)} / ${s[k].p99.toFixed(1)} / ${s[k].slowest.toFixed(1)}`;
    console.log(`  ${name.padEnd(30)} ${cell('read')}   ${cell('commit')}   ${cell('sms')}   ${cell('puback')}`);
  }
}
