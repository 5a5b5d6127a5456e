// A broker under test in its own process, so its CPU and resident memory are its own: raw aedes,
// or the whole gateway with N devices, run as `npm start` runs it (the compiled dist/, when
// built; BENCH_RUNTIME=src runs the TypeScript source under tsx). Talks to the bench over IPC:
// {ready, port, startupMs, importMs}, then answers {cmd: rss | profile-start | profile-stop | heap | stop}.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Session } from 'node:inspector/promises';
import { benchConfigInput } from './shape.ts';

const [target, devicesArg, sync] = process.argv.slice(2);
const devices = Number(devicesArg ?? 50);
// BENCH_DIST: another commit's build (bench --ab), run by this same harness
const distDir = process.env.BENCH_DIST ? pathToFileURL(process.env.BENCH_DIST + '/').href : new URL('../dist/', import.meta.url).href;
const runtime = process.env.BENCH_RUNTIME ?? (existsSync(new URL('app.js', distDir)) ? 'dist' : 'src');

async function startRaw() {
  const { Aedes } = await import('aedes');
  const { createServer } = await import('node:net');
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port, connected: () => aedes.connectedClients,
    close: () => new Promise<void>((r) => { server.close(); aedes.close(() => r()); }),
  };
}

async function startGateway() {
  const base = runtime === 'dist' ? distDir : '../src/';
  const ext = runtime === 'dist' ? '.js' : '.ts';
  const { parseConfig } = await import(`${base}config/index${ext}`);
  const { buildApp } = await import(`${base}app${ext}`);
  const { createLogger } = await import(`${base}log${ext}`);
  importMs = performance.now() - started;
  importCpu = process.cpuUsage(cpu0);
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  // BENCH_STORAGE_URL: the gateway on that PostgreSQL database instead of the SQLite file
  const input = benchConfigInput(dir, devices, (sync as 'normal' | 'full') ?? 'normal');
  const storageUrl = process.env.BENCH_STORAGE_URL;
  const app = buildApp(parseConfig(storageUrl ? { ...input, storage: { url: storageUrl } } : input, {}), { log: createLogger({ level: 'error' }) });
  await app.start();
  return {
    port: app.mqttPort() as number, connected: () => app.broker.connectedClients() as number,
    close: async () => { await app.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

let importMs = 0;
let importCpu = { user: 0, system: 0 };
const cpu0 = process.cpuUsage();
const started = performance.now();
const server = target === 'raw' ? await startRaw() : await startGateway();
// start-up: config parsed to ready (buildApp, start), not counting the modules' loading
const startupMs = performance.now() - started - importMs;
// and its CPU time, which a busy machine inflates far less than the wall clock
const cpu = process.cpuUsage(cpu0);
const startupCpuMs = (cpu.user + cpu.system - importCpu.user - importCpu.system) / 1000;
let session: Session | null = null;
process.on('message', async (msg: { cmd: string; file?: string }) => {
  if (msg.cmd === 'rss') {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    global.gc?.();
    const m = process.memoryUsage();
    process.send!({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, connected: server.connected() });
  } else if (msg.cmd === 'profile-start') {
    // the V8 CPU profiler that `node --cpu-prof` runs, over the measured load only
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    process.send!({ ok: true });
  } else if (msg.cmd === 'profile-stop') {
    const { profile } = await session!.post('Profiler.stop');
    writeFileSync(msg.file!, JSON.stringify(profile));
    session!.disconnect();
    process.send!({ ok: true });
  } else if (msg.cmd === 'heap') {
    global.gc?.();
    const { writeHeapSnapshot } = await import('node:v8');
    process.send!({ file: writeHeapSnapshot(msg.file) });
  } else if (msg.cmd === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send!({ ready: true, port: server.port, startupMs, startupCpuMs, importMs, runtime });
