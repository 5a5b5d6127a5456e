// Idle memory and start-up by configured size: the gateway in its own process (as npm start
// runs it: compiled; and the TypeScript source under tsx, for comparison) with 1,000 and 10,000
// configured devices (5 to a resident) and no connections; RSS after GC, the JS heap, start-up
// (config parsed to ready: buildApp and start) and the modules' loading before it. --heap writes a heap snapshot of the largest and sums it by constructor:
// what holds the memory.
//
//   npx tsx bench/memory.ts [--devices 1000,10000] [--runtimes dist,src] [--heap]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { nodeBroker, ensureBuilt, checkout } from './ingest.ts';

function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => { child.once('message', resolve as never); child.send(msg); });
}

export interface MemoryRow { runtime: string; devices: number; residents: number; startupMs: number; startupCpuMs: number; importMs: number; rss: number; heapUsed: number; external: number }

export async function memoryAt(devices: number, runtime: 'dist' | 'src', tree?: string): Promise<MemoryRow> {
  const broker = await nodeBroker('gateway', devices, 'normal', { env: { BENCH_RUNTIME: runtime }, tree });
  try {
    // let start-up work (the first scheduler ticks, the JIT) settle
    await new Promise((r) => setTimeout(r, 1500));
    const m = await ask<{ rss: number; heapUsed: number; external: number }>(broker.child, { cmd: 'rss' });
    return { runtime, devices, residents: Math.ceil(devices / 5), startupMs: broker.startupMs, startupCpuMs: broker.startupCpuMs, importMs: broker.importMs, rss: m.rss, heapUsed: m.heapUsed, external: m.external };
  } finally {
    await broker.close();
  }
}

interface Snapshot { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] }

/** self size summed by node type and constructor name, largest first */
export function heapByConstructor(file: string, top = 20): Array<{ what: string; count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sums = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const name = type === 'object' || type === 'native' || type === 'closure' ? snap.strings[snap.nodes[i + iName]] : `(${type})`;
    const key = type === 'closure' ? `closure ${name || '(anonymous)'}` : name;
    const s = sums.get(key) ?? { count: 0, bytes: 0 };
    s.count++;
    s.bytes += snap.nodes[i + iSize];
    sums.set(key, s);
  }
  return [...sums].map(([what, s]) => ({ what, ...s })).sort((a, b) => b.bytes - a.bytes).slice(0, top);
}

export async function heapOf(devices: number, runtime: 'dist' | 'src') {
  const dir = mkdtempSync(join(tmpdir(), 'gw-heap-'));
  const broker = await nodeBroker('gateway', devices, 'normal', { env: { BENCH_RUNTIME: runtime } });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const { file } = await ask<{ file: string }>(broker.child, { cmd: 'heap', file: join(dir, 'idle.heapsnapshot') });
    return heapByConstructor(file);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (n: number) => (n / 1048576).toFixed(1);

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : fallback; };
  ensureBuilt();
  const sizes = arg('--devices', '1000,10000').split(',').map(Number);
  const runtimes = arg('--runtimes', 'dist,src').split(',') as Array<'dist' | 'src'>;
  // --ab <ref>: the same rows for another commit, interleaved with this tree's
  const ab = process.argv.includes('--ab') ? arg('--ab', '') : '';
  const trees: Array<{ label: string; tree?: string }> = [{ label: '' }, ...(ab ? [{ label: `@${ab}`, tree: checkout(ab) }] : [])];
  console.log('\nIdle gateway, no connections: RSS after GC, JS heap, start-up (buildApp to ready)');
  console.log('runtime  devices  residents   RSS MB   heap MB   start-up ms (CPU ms)   module load ms');
  const rows: MemoryRow[] = [];
  for (const base of runtimes) for (const t of trees) {
    const runtime = base;
    for (const devices of sizes) {
      const r = { ...(await memoryAt(devices, runtime, t.tree)), runtime: `${runtime}${t.label}` };
      rows.push(r);
      console.log(`${r.runtime.padEnd(8)} ${String(devices).padStart(7)}  ${String(r.residents).padStart(9)}  ${mb(r.rss).padStart(7)}  ${mb(r.heapUsed).padStart(8)}  ${r.startupMs.toFixed(0).padStart(12)} (${r.startupCpuMs.toFixed(0).padStart(5)})  ${r.importMs.toFixed(0).padStart(15)}`);
    }
    const [a, b] = [rows.find((r) => r.runtime === `${runtime}${t.label}` && r.devices === sizes[0]), rows.find((r) => r.runtime === `${runtime}${t.label}` && r.devices === sizes[sizes.length - 1])];
    if (a && b && a !== b) console.log(`${runtime}${t.label}: ${((b.rss - a.rss) / (b.devices - a.devices) / 1024).toFixed(1)} KB RSS a configured device (with its share of a resident), ${((b.heapUsed - a.heapUsed) / (b.devices - a.devices) / 1024).toFixed(1)} KB of it JS heap`);
  }
  if (process.argv.includes('--heap')) {
    const devices = sizes[sizes.length - 1];
    console.log(`\nJS heap of the idle gateway with ${devices} devices, by constructor (self size):`);
    for (const h of await heapOf(devices, runtimes[0])) console.log(`${h.what.slice(0, 60).padEnd(60)} ${String(h.count).padStart(9)}  ${mb(h.bytes).padStart(7)} MB`);
  }
}
