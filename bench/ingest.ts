// Ingest benchmark: QoS 1 publishes from concurrent device clients through the whole gateway
// (auth, ACL, decode, durable commit before PUBACK) against raw aedes with no hooks, in the
// same run so the ratio holds on a noisy machine.
import { spawn, execSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { parseConfig } from '../src/config/index.ts';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/log.ts';

export interface LoadResult { messages: number; seconds: number; rate: number; p50: number; p99: number; max: number }

export function runLoad(args: { port: number; clients: number; perClient: number; window: number; password: string; prefix: string; topic: string }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`))));
  });
}

export async function rawAedes(): Promise<{ port: number; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => { server.close(); aedes.close(() => r()); }),
  };
}

export function benchConfig(dir: string, devices: number, sync: 'normal' | 'full', extra: Record<string, unknown> = {}) {
  // 5 devices a resident, the shape of a real home
  const residents = [];
  for (let r = 0; r * 5 < devices; r++) {
    residents.push({
      id: `r-${r}`, name: `Resident ${r}`, timezone: 'Asia/Shanghai',
      contacts: [{ name: `Neighbor ${r}`, phone: `+86138${String(r).padStart(8, '0')}`, role: 'neighbor' }],
      devices: Array.from({ length: Math.min(5, devices - r * 5) }, (_, i) => ({ id: `dev${r * 5 + i}`, kind: 'motion', secret: `secret-dev${r * 5 + i}` })),
    });
  }
  return parseConfig({
    mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 },
    storage: { path: join(dir, 'bench.db'), sync }, residents, ...extra,
  }, {});
}

export async function gatewayTarget(devices: number, sync: 'normal' | 'full') {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const app = buildApp(benchConfig(dir, devices, sync), { log: createLogger({ level: 'error' }) });
  await app.start();
  return {
    app, port: app.mqttPort(),
    close: async () => { await app.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Debian's mosquitto on a free port, no auth, default (in-memory) persistence: the C baseline */
export async function mosquittoBroker(): Promise<{ port: number; close(): Promise<void> } | null> {
  try { execSync('command -v mosquitto', { stdio: 'ignore' }); } catch { return null; }
  const dir = mkdtempSync(join(tmpdir(), 'mosq-ingest-'));
  const port = 19000 + Math.floor(Math.random() * 1000);
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n`);
  const child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 400));
  return { port, close: async () => { child.kill(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function ingestBench(opts: { clients: number; perClient: number; window: number; rounds: number }) {
  const rows: Record<string, LoadResult[]> = { raw: [], normal: [], full: [], mosquitto: [] };
  const load = (port: number, password: string) => runLoad({ port, clients: opts.clients, perClient: opts.perClient, window: opts.window, password, prefix: 'dev', topic: 'devices/{id}' });
  // interleave the targets round by round so drift on a shared machine hits all of them alike;
  // round 0 warms up the JIT and the disk and is not counted
  for (let round = 0; round <= opts.rounds; round++) {
    const raw = await rawAedes();
    const rawResult = await load(raw.port, 'any');
    await raw.close();
    if (round > 0) rows.raw.push(rawResult);
    const mosquitto = await mosquittoBroker();
    if (mosquitto) {
      const result = await load(mosquitto.port, 'any');
      await mosquitto.close();
      if (round > 0) rows.mosquitto.push(result);
    }
    for (const sync of ['normal', 'full'] as const) {
      const gw = await gatewayTarget(opts.clients, sync);
      const result = await load(gw.port, 'secret-{id}');
      await gw.close();
      if (round > 0) rows[sync].push(result);
    }
  }
  const median = (list: LoadResult[], key: keyof LoadResult) => [...list].map((r) => r[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const summary = Object.fromEntries(Object.entries(rows).filter(([, list]) => list.length).map(([k, list]) => [k, {
    rate: median(list, 'rate'), p50: median(list, 'p50'), p99: median(list, 'p99'),
  }]));
  return { opts, rounds: rows, summary };
}
