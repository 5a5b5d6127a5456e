// Where a message's CPU goes: the gateway (or raw aedes) in its own process, saturated by the
// load generator, under V8's CPU profiler (the one `node --cpu-prof` runs, started over IPC for
// the measured load only, so start-up and warm-up are not in it), then the profile summed up as tables:
// self time by function, and self time by part (aedes, the MQTT parser, SQLite, our decode,
// the rules, logging, metrics, GC...). Writes the markdown to stdout, or to --out.
//
//   npx tsx bench/profile.ts [--target gateway|raw] [--sync normal|full] [--clients 50] [--window 16] [--messages 100000] [--ref <git ref>] [--out docs/profile-ingest.md]
//
// --ref profiles another commit's gateway (checked out and built in a temporary worktree) under the same load.
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBroker, runLoad, cpuSecondsOf, ensureBuilt, checkout } from './ingest.ts';
import type { ChildProcess } from 'node:child_process';

function ask(child: ChildProcess, msg: object): Promise<unknown> {
  return new Promise((resolve) => { child.once('message', resolve); child.send(msg); });
}

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** which part of the system a frame belongs to, from its script */
export function partOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)') return fn;
  if (!url) return fn.startsWith('(') ? fn : 'native (V8 builtins, better-sqlite3 C++, syscalls)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) {
    const pkg = m[1];
    if (pkg === 'mqtt-packet' || pkg === 'bl' || pkg === 'process-nextick-args') return 'mqtt-packet (parse, generate)';
    if (pkg === 'aedes' || pkg === 'aedes-packet' || pkg === 'aedes-persistence' || pkg === 'mqemitter' || pkg === 'fastfall' || pkg === 'fastparallel' || pkg === 'fastseries' || pkg === 'reusify' || pkg === 'retimer' || pkg === 'qlobber' || pkg === 'hyperid' || pkg === 'uuid') return 'aedes (and its helpers)';
    if (pkg === 'pino' || pkg.startsWith('pino') || pkg === 'sonic-boom' || pkg === 'fast-redact') return 'pino (logging)';
    if (pkg === 'better-sqlite3' || pkg === 'bindings') return 'better-sqlite3 (JS side)';
    if (pkg === 'tsx' || pkg === 'esbuild' || pkg === 'get-tsconfig') return 'tsx loader';
    return `node_modules/${pkg}`;
  }
  const src = /\/(?:src|dist)\/(.+?)\.[tj]s$/.exec(url);
  if (src) {
    const file = src[1];
    if (file.startsWith('rules/')) return 'rules (src/rules, its runtime included)';
    if (file.startsWith('store/')) return 'store (src/store)';
    if (file === 'devices/dialect' || file === 'devices/vocabulary') return 'decode (src/devices/dialect, vocabulary)';
    if (file.startsWith('devices/')) return 'router (src/devices)';
    if (file.startsWith('broker/')) return 'broker hooks (src/broker)';
    if (file === 'metrics') return 'metrics (src/metrics)';
    return `src/${file}`;
  }
  if (url.startsWith('node:')) return `node core (${url.replace(/^node:(internal\/)?/, '').split('/')[0]})`;
  return url;
}

export function summarizeProfile(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // self time per node from the samples' time deltas
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const fns = new Map<string, { us: number; part: string }>();
  const parts = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    const part = partOf(url, functionName);
    const where = url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/').replace(/^file:\/\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    const f = fns.get(key) ?? { us: 0, part };
    f.us += us;
    fns.set(key, f);
    parts.set(part, (parts.get(part) ?? 0) + us);
  }
  return { totalUs: total, busyUs: busy, fns, parts };
}

function table(s: ReturnType<typeof summarizeProfile>, top: number, perMsgUs?: number): string {
  const share = (us: number) => `${((100 * us) / s.busyUs).toFixed(1)} %`;
  const lines = ['| part | share |' + (perMsgUs ? ' us/msg |' : ''), '|---|---|' + (perMsgUs ? '---|' : '')];
  for (const [part, us] of [...s.parts].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`| ${part} | ${share(us)} |` + (perMsgUs ? ` ${((perMsgUs * us) / s.busyUs).toFixed(2)} |` : ''));
  lines.push('', `Top ${top} functions by self time:`, '', '| function | part | share |', '|---|---|---|');
  for (const [fn, v] of [...s.fns].sort((a, b) => b[1].us - a[1].us).slice(0, top)) lines.push(`| \`${fn.replace(/\|/g, '\\|')}\` | ${v.part} | ${share(v.us)} |`);
  return lines.join('\n') + '\n';
}

if (process.argv[2] === '--summarize') {
  // a profile written by `node --cpu-prof` (e.g. of bench/pipeline.ts)
  process.stdout.write(table(summarizeProfile(JSON.parse(readFileSync(process.argv[3], 'utf8'))), Number(arg('--top', '30'))));
} else if (process.argv[1]?.endsWith('profile.ts')) {
  const target = arg('--target', 'gateway') as 'gateway' | 'raw';
  const sync = arg('--sync', 'normal') as 'normal' | 'full';
  const clients = Number(arg('--clients', '50'));
  const window = Number(arg('--window', '16'));
  const messages = Number(arg('--messages', '100000'));
  const top = Number(arg('--top', '30'));
  const dir = mkdtempSync(join(tmpdir(), 'gw-prof-'));
  ensureBuilt();
  const ref = process.argv.includes('--ref') ? arg('--ref', '') : '';
  const broker = await nodeBroker(target, clients, sync, ref ? { tree: checkout(ref) } : {});
  const perClient = Math.round(messages / clients);
  const password = target === 'raw' ? 'any' : 'secret-{id}';
  await runLoad({ port: broker.port, clients, perClient: Math.min(200, perClient), window, password, prefix: 'dev', topic: 'devices/{id}' });
  await ask(broker.child, { cmd: 'profile-start' });
  const cpu0 = cpuSecondsOf(broker.pid);
  const load = await runLoad({ port: broker.port, clients, perClient, window, password, prefix: 'dev', topic: 'devices/{id}' });
  const cpu = cpuSecondsOf(broker.pid) - cpu0;
  const file = join(dir, 'ingest.cpuprofile');
  await ask(broker.child, { cmd: 'profile-stop', file });
  await broker.close();
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (process.argv.includes('--keep')) writeFileSync(arg('--keep', 'ingest.cpuprofile'), JSON.stringify(profile));
  rmSync(dir, { recursive: true, force: true });
  const s = summarizeProfile(profile);
  const share = (us: number) => `${((100 * us) / s.busyUs).toFixed(1)} %`;
  const perMsg = (us: number) => ((cpu * 1e6 * us) / s.busyUs / load.messages).toFixed(2);
  const lines: string[] = [];
  lines.push(`${target === 'raw' ? 'raw aedes' : `gateway${ref ? ` @${ref}` : ''} (${broker.runtime}), sync: ${sync}`}; ${clients} clients, ${window} in flight each, ${load.messages} messages at ${load.rate.toFixed(0)} msgs/s; `
    + `broker CPU ${((cpu * 1e6) / load.messages).toFixed(1)} us a message (from /proc); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.`);
  lines.push('', 'Busy time by part (self time; "us/msg" spreads the measured CPU by these shares):', '', '| part | share | us/msg |', '|---|---|---|');
  for (const [part, us] of [...s.parts].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`| ${part} | ${share(us)} | ${perMsg(us)} |`);
  lines.push('', `Top ${top} functions by self time:`, '', '| function | part | share |', '|---|---|---|');
  for (const [fn, v] of [...s.fns].sort((a, b) => b[1].us - a[1].us).slice(0, top)) lines.push(`| \`${fn.replace(/\|/g, '\\|')}\` | ${v.part} | ${share(v.us)} |`);
  const out = lines.join('\n') + '\n';
  const outFile = process.argv.includes('--out') ? arg('--out', '') : '';
  if (outFile) writeFileSync(outFile, out);
  process.stdout.write(out);
}
