// Ingest benchmark: QoS 1 publishes from concurrent device clients through the whole gateway
// (auth, ACL, decode, durable commit before PUBACK, the rules) against raw aedes with no hooks
// and Debian's Mosquitto, in the same run, interleaved round by round, so the ratio holds on a
// noisy machine. Every broker runs in a process of its own (bench/serve.ts, or mosquitto), the
// load in another (bench/load.ts); the broker's CPU per message is read from /proc.
//
//   npx tsx bench/ingest.ts [--quick] [--ab <git ref>[,<ref>...]] [--clients 50[,500]] [--window 4[,16]] [--rounds 3] [--targets raw,normal,ab] [--json <file>]
//
// --ab runs the gateway of another commit (checked out in a temporary worktree) as one more
// target in the same rounds: the before/after of a change, measured side by side. --json writes
// every run's rounds and medians (with the CPU ratios and the load average) to <file>.
import { spawn, fork, execSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, symlinkSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoadArgs } from './load.ts';

export interface LoadResult { messages: number; seconds: number; rate: number; p50: number; p99: number; max: number; loadCpu: number }
export interface Row extends LoadResult { cpuUsPerMsg: number; brokerCpu: number }

export function runLoad(args: LoadArgs): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** the same clients split over `processes` load generators started together */
export async function runLoadSplit(args: LoadArgs, processes: number): Promise<LoadResult> {
  if (processes === 1) return runLoad(args);
  const per = Math.ceil(args.clients / processes);
  const started = performance.now();
  const parts = await Promise.all(Array.from({ length: processes }, (_, i) =>
    runLoad({ ...args, clients: Math.min(per, args.clients - i * per), first: i * per })));
  const seconds = (performance.now() - started) / 1000;
  const messages = parts.reduce((a, p) => a + p.messages, 0);
  return {
    messages, seconds, rate: messages / seconds,
    p50: Math.max(...parts.map((p) => p.p50)), p99: Math.max(...parts.map((p) => p.p99)), max: Math.max(...parts.map((p) => p.max)),
    loadCpu: parts.reduce((a, p) => a + p.loadCpu * p.seconds, 0) / seconds,
  };
}

/** builds dist/ when a source file is newer than it: the bench runs what `npm start` runs */
export function ensureBuilt(tree = process.cwd()): void {
  if (!existsSync(join(tree, 'tsconfig.build.json'))) return;
  const built = join(tree, 'dist/main.js');
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(tree, 'src'))) return;
  execFileSync(process.execPath, [join(tree, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: tree, stdio: 'inherit' });
}

export function hasMosquitto(): boolean {
  try { execSync('command -v mosquitto', { stdio: 'ignore' }); return true; } catch { return false; }
}

/** user + system CPU seconds a process has used so far */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks of 1/100 s on Linux
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface Broker { port: number; pid: number; close(): Promise<void> }

/** Debian's mosquitto on a free port, no auth, default (in-memory) persistence: the C baseline */
export async function mosquittoBroker(): Promise<Broker | null> {
  if (!hasMosquitto()) return null;
  const dir = mkdtempSync(join(tmpdir(), 'mosq-ingest-'));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\nmax_inflight_messages 0\nmax_queued_messages 0\n`);
  const child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  // ready when its port answers
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); r(true); });
      s.once('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, pid: child.pid!, close: async () => { child.kill(); await new Promise((r) => child.once('exit', r)); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * A Node broker in its own process: bench/serve.ts of this tree, or of `tree` (another commit's
 * checkout, for --ab). `execArgv` adds flags such as --cpu-prof.
 */
export async function nodeBroker(target: 'raw' | 'gateway', devices: number, sync: 'normal' | 'full', opts: { tree?: string; execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Broker & { startupMs: number; startupCpuMs: number; importMs: number; runtime: string; child: ChildProcess }> {
  // another commit with a build runs under this harness, its dist/ in place of ours; one from
  // before the build existed runs its own bench/serve.ts on its sources
  const ownHarness = !opts.tree || existsSync(join(opts.tree, 'dist/app.js'));
  const cwd = ownHarness ? process.cwd() : opts.tree!;
  const env = { ...process.env, ...(opts.tree && ownHarness ? { BENCH_DIST: join(opts.tree, 'dist') } : {}), ...opts.env };
  const child = fork(join(cwd, 'bench/serve.ts'), [target, String(devices), sync], {
    cwd, execArgv: ['--import', 'tsx', '--expose-gc', ...(opts.execArgv ?? [])], stdio: 'inherit', env,
  });
  const ready = await new Promise<{ port: number; startupMs: number; startupCpuMs?: number; importMs?: number; runtime?: string }>((resolve, reject) => {
    child.once('message', resolve as never);
    child.once('exit', (code) => reject(new Error(`broker process exited ${code}`)));
  });
  child.removeAllListeners('exit');
  return {
    port: ready.port, pid: child.pid!, startupMs: ready.startupMs, startupCpuMs: ready.startupCpuMs ?? NaN, importMs: ready.importMs ?? 0, runtime: ready.runtime ?? 'src', child,
    close: async () => { child.send({ cmd: 'stop' }); await new Promise((r) => child.once('exit', r)); },
  };
}

export interface Target { name: string; start(clients: number): Promise<Broker | null>; password: string }

export function targets(opts: { ab?: string; syncs?: Array<'normal' | 'full'>; postgres?: () => Promise<string> } = {}): Target[] {
  const list: Target[] = [
    { name: 'raw', password: 'any', start: () => nodeBroker('raw', 0, 'normal') },
    { name: 'mosquitto', password: 'any', start: () => mosquittoBroker() },
  ];
  for (const sync of opts.syncs ?? ['normal', 'full'] as const) {
    list.push({ name: sync, password: 'secret-{id}', start: (clients) => nodeBroker('gateway', clients, sync) });
  }
  // the gateway on PostgreSQL: a new database (from `postgres()`) for each start, as a fresh SQLite file is
  const newDatabase = opts.postgres;
  if (newDatabase) {
    list.push({ name: 'postgres', password: 'secret-{id}', start: async (clients) => nodeBroker('gateway', clients, 'normal', { env: { BENCH_STORAGE_URL: await newDatabase() } }) });
  }
  // one or more refs, comma-separated: each another commit's gateway in the same rounds
  for (const ref of opts.ab ? opts.ab.split(',') : []) {
    const tree = checkout(ref);
    list.push({ name: `normal@${ref}`, password: 'secret-{id}', start: (clients) => nodeBroker('gateway', clients, 'normal', { tree }) });
  }
  return list;
}

/** a temporary worktree of `ref` sharing this tree's node_modules */
const checkouts = new Map<string, string>();
export function checkout(ref: string): string {
  const known = checkouts.get(ref);
  if (known) return known;
  const dir = mkdtempSync(join(tmpdir(), 'gw-ab-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  ensureBuilt(dir);
  checkouts.set(ref, dir);
  process.once('exit', () => { try { execFileSync('git', ['worktree', 'remove', '--force', dir], { stdio: 'ignore' }); } catch { /* gone */ } });
  return dir;
}

export interface IngestOptions { clients: number; messages: number; window: number; rounds: number; targets: Target[]; loaders?: number }

export async function ingestBench(opts: IngestOptions) {
  const perClient = Math.max(1, Math.round(opts.messages / opts.clients));
  const rows: Record<string, Row[]> = Object.fromEntries(opts.targets.map((t) => [t.name, []]));
  const loadBefore = loadAverage();
  // interleave the targets round by round so drift on a shared machine hits all of them alike;
  // round 0 warms up the disk and the page cache and is not counted
  for (let round = 0; round <= opts.rounds; round++) {
    for (const target of opts.targets) {
      const broker = await target.start(opts.clients);
      if (!broker) { delete rows[target.name]; continue; }
      try {
        // a short warm-up of the broker's JIT, not measured
        await runLoad({ port: broker.port, clients: opts.clients, perClient: Math.min(perClient, 20), window: opts.window, password: target.password, prefix: 'dev', topic: 'devices/{id}' });
        const cpu0 = cpuSecondsOf(broker.pid);
        const result = await runLoadSplit({ port: broker.port, clients: opts.clients, perClient, window: opts.window, password: target.password, prefix: 'dev', topic: 'devices/{id}' }, opts.loaders ?? 1);
        const cpu = cpuSecondsOf(broker.pid) - cpu0;
        if (round > 0) rows[target.name].push({ ...result, cpuUsPerMsg: (cpu * 1e6) / result.messages, brokerCpu: cpu / result.seconds });
      } finally {
        await broker.close();
      }
    }
  }
  const summary = Object.fromEntries(Object.entries(rows).filter(([, list]) => list.length).map(([k, list]) => [k, summarize(list)]));
  // against raw aedes in the same rounds: the rate's ratio, and the CPU a message's (raw's over
  // the target's, so 0.8 means "0.8x raw aedes by CPU"), the figure a busy machine moves least
  const raw = summary.raw;
  const ratios = Object.fromEntries(Object.entries(summary).map(([k, s]) => [k, {
    rate: raw ? s.rate / raw.rate : NaN,
    cpu: raw ? raw.cpuUsPerMsg / s.cpuUsPerMsg : NaN,
  }]));
  return {
    opts: { clients: opts.clients, messages: opts.messages, window: opts.window, rounds: opts.rounds, loaders: opts.loaders ?? 1 },
    loadAverage: { before: loadBefore, after: loadAverage() }, rounds: rows, summary, ratios,
  };
}

/** the 1, 5 and 15 minute load averages (empty where /proc is not there) */
export function loadAverage(): number[] {
  return existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) : [];
}

export type Summary = ReturnType<typeof summarize>;
function summarize(list: Row[]) {
  const median = (key: keyof Row) => [...list].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const rates = list.map((r) => r.rate);
  return {
    rate: median('rate'), min: Math.min(...rates), max: Math.max(...rates),
    p50: median('p50'), p99: median('p99'), cpuUsPerMsg: median('cpuUsPerMsg'), brokerCpu: median('brokerCpu'), loadCpu: median('loadCpu'),
  };
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export function printIngest(result: Awaited<ReturnType<typeof ingestBench>>, goals: Record<string, string> = {}): void {
  const { opts, summary, ratios } = result;
  const gateway = summary.normal;
  console.log(`\nIngest: QoS 1, ${opts.clients} clients, ${opts.window} in flight each, ${opts.messages} msgs a run, median of ${opts.rounds} rounds${opts.loaders > 1 ? `, ${opts.loaders} load processes` : ''}`);
  console.log('target                    msgs/s (min-max)          ratio  p50 ms  p99 ms  CPU us/msg  CPU ratio  vs normal  broker CPU  load CPU  goal');
  const label: Record<string, string> = { raw: 'raw aedes, no hooks', mosquitto: 'mosquitto (no auth)', normal: 'gateway, sync: normal', full: 'gateway, sync: full', postgres: 'gateway on PostgreSQL' };
  for (const [name, s] of Object.entries(summary)) {
    // CPU ratio: raw aedes's CPU a message over this target's; vs normal: this target's over this tree's gateway's
    const vsNormal = gateway && name !== 'raw' && name !== 'mosquitto' ? f(s.cpuUsPerMsg / gateway.cpuUsPerMsg, 2) + 'x' : '';
    console.log(`${(label[name] ?? `gateway ${name}`).padEnd(25)} ${f(s.rate, 0).padStart(7)} (${f(s.min, 0)}-${f(s.max, 0)})`.padEnd(51)
      + ` ${f(ratios[name].rate, 2)}x`.padStart(6) + `${f(s.p50, 2).padStart(8)}${f(s.p99, 2).padStart(8)}${f(s.cpuUsPerMsg, 1).padStart(12)}`
      + `${(f(ratios[name].cpu, 2) + 'x').padStart(11)}${vsNormal.padStart(11)}`
      + `${(f(s.brokerCpu * 100, 0) + '%').padStart(12)}${(f(s.loadCpu * 100, 0) + '%').padStart(10)}  ${goals[name] ?? ''}`);
  }
  console.log(`load average ${result.loadAverage.before.join(' ')} before, ${result.loadAverage.after.join(' ')} after`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  ensureBuilt();
  const list = targets({ ab: arg('--ab') });
  const only = arg('--targets')?.split(',');
  const chosen = only ? list.filter((t) => only.includes(t.name) || (t.name.includes('@') && only.includes('ab'))) : list;
  const runs = [];
  for (const clients of (arg('--clients') ?? '50').split(',').map(Number)) {
    for (const window of (arg('--window') ?? '4').split(',').map(Number)) {
      const result = await ingestBench({
        clients, window, messages: Number(arg('--messages') ?? (quick ? 10_000 : 40_000)), rounds: Number(arg('--rounds') ?? (quick ? 1 : 3)),
        targets: chosen, loaders: Number(arg('--loaders') ?? 1),
      });
      printIngest(result);
      runs.push(result);
    }
  }
  const json = arg('--json');
  if (json) {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    writeFileSync(json, JSON.stringify({ at: new Date().toISOString(), node: process.version, commit: head, ab: arg('--ab') ?? null, runs }, null, 2));
    console.log(`\nwritten to ${json}`);
  }
}
