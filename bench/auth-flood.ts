// Auth flood: does a flood of wrong passwords delay another device's alarm? Measures the PUBACK
// of QoS 1 smoke alarms (one every 50 ms, each from its own connected detector) for 5 s with no
// flood, then while 150 concurrent connections send CONNECTs with wrong passwords for
// API-provisioned device ids as fast as they are answered, in one run:
//   - flood from 150 source addresses (127.0.1.x) with the shipped rate limits,
//   - the same with the rate limits lifted, so every wrong password is checked (the cost of the check itself),
//   - flood from one address (the limit soon refuses it unheard).
// On main before this change the check was a synchronous scrypt: the issue measured the alarm
// PUBACK going from 27 ms to 3.5-3.9 s under this flood.
//
//   npx tsx bench/auth-flood.ts            (or import { authFloodBench } from bench/run.ts)
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { parseConfig } from '../src/config/index.ts';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/log.ts';
import { MQTT_FAILURES } from '../src/broker/embedded.ts';
import { createAuthenticator } from '../src/broker/index.ts';
import type { SqliteStore } from '../src/store/index.ts';
import { residentRepository } from '../src/store/residents.ts';
import { randomBytes, scryptSync } from 'node:crypto';

export interface PubackStats { alarms: number; p50: number; p99: number; max: number }
/** attempts: CONNECTs tried; answered: those that got a CONNACK (the rest were closed unheard) */
export interface FloodStats { attempts: number; answered: number; perSecond: number; refused: number; rateLimited: number }
export interface Phase { name: string; puback: PubackStats; flood?: FloodStats; eventLoopMaxMs: number }
/** what one wrong password costs the event loop: the check as shipped, and the synchronous scrypt it replaced */
export interface CheckCost { digestCheckUs: number; scryptCheckMs: number }
export interface AuthFloodResult { opts: Required<AuthFloodOptions>; phases: Phase[]; check: CheckCost }
export interface AuthFloodOptions {
  /** concurrent wrong-password connections */
  concurrency?: number;
  /** how long each phase runs */
  seconds?: number;
  /** pause between alarms */
  alarmEveryMs?: number;
  /** every phase this many times, interleaved, its alarms pooled: one busy moment of the machine does not decide a figure */
  rounds?: number;
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** the flood as its own process, so its clients' work does not sit on the gateway's event loop */
function startFlood(args: { port: number; ids: string[]; concurrency: number; seconds: number; addresses: number }): Promise<Omit<FloodStats, 'rateLimited'>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/auth-flood.ts', '--flood', JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => child.once('exit', (code) => {
    try { resolve(JSON.parse(out)); } catch { reject(new Error(`flood exited ${code}: ${out}`)); }
  }));
}

export async function authFloodBench(options: AuthFloodOptions = {}): Promise<AuthFloodResult> {
  const opts: Required<AuthFloodOptions> = { concurrency: 150, seconds: 5, alarmEveryMs: 25, rounds: 3, ...options };
  const alarmsPerPhase = Math.ceil((opts.seconds * 1000) / opts.alarmEveryMs);
  const phaseNames = ['no flood', 'flood, 150 addresses', 'flood, 150 addresses, no rate limit', 'flood, one address'] as const;
  const dir = mkdtempSync(join(tmpdir(), 'gw-flood-bench-'));
  const residents = opts.rounds * phaseNames.length * alarmsPerPhase;
  const config = parseConfig({
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    storage: { path: join(dir, 'bench.db'), sync: 'normal' },
    api: { tokens: [{ name: 'bench-admin', role: 'admin', token: ADMIN_TOKEN }] },
    escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] },
    residents: Array.from({ length: residents }, (_, r) => ({
      id: `r-${r}`, name: `Resident ${r}`, timezone: 'Asia/Shanghai',
      contacts: [{ name: `Neighbor ${r}`, phone: `+8613${String(r).padStart(9, '0')}`, role: 'neighbor' }],
      devices: [{ id: `smoke-${r}`, kind: 'smoke', secret: `secret-smoke-${r}` }],
    })),
  }, {});
  const limits = structuredClone(MQTT_FAILURES);
  const app = buildApp(config, { log: createLogger({ level: 'error' }) });
  await app.start();
  const port = app.mqttPort();
  const pooled = phaseNames.map(() => ({ latencies: [] as number[], loopMax: 0, flood: undefined as FloodStats | undefined }));
  let check: CheckCost = { digestCheckUs: 0, scryptCheckMs: 0 };
  try {
    // the flood's ids: devices provisioned through the API, whose check was the slow one
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await app.http.inject({ method: 'POST', url: '/api/residents/r-0/devices', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { id: `flood-${i}`, kind: 'motion' } });
      if (res.statusCode !== 201) throw new Error(`provisioning failed: ${res.body}`);
      ids.push(`flood-${i}`);
    }
    check = checkCost(app, ids);
    let run = 0;
    for (let round = 0; round < opts.rounds; round++) for (const [i, name] of phaseNames.entries()) {
      const lift = name.includes('no rate limit');
      MQTT_FAILURES.address.max = lift ? Number.MAX_SAFE_INTEGER : limits.address.max;
      MQTT_FAILURES.user.max = lift ? Number.MAX_SAFE_INTEGER : limits.user.max;
      // a fresh minute of rate limiting for each phase: a restart of the broker's limiter
      (app.broker as unknown as { limits: Record<string, { windows: Map<string, unknown> }> }).limits.address.windows.clear();
      (app.broker as unknown as { limits: Record<string, { windows: Map<string, unknown> }> }).limits.user.windows.clear();
      const first = run++ * alarmsPerPhase;
      const detectors: MqttClient[] = await Promise.all(Array.from({ length: alarmsPerPhase }, (_, k) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: `smoke-${first + k}`, password: `secret-smoke-${first + k}`, reconnectPeriod: 0 })));
      const limitedBefore = app.metrics.get('gateway_connections_refused_total', { reason: 'rate_limited' });
      const flood = name === 'no flood' ? null : startFlood({ port, ids, concurrency: opts.concurrency, seconds: opts.seconds, addresses: name.includes('one address') ? 1 : 150 });
      // let the flood reach full speed before the first alarm
      if (flood) await new Promise((r) => setTimeout(r, 300));
      let loopMax = 0;
      let tickAt = performance.now();
      const loop = setInterval(() => { const now = performance.now(); loopMax = Math.max(loopMax, now - tickAt - 10); tickAt = now; }, 10);
      const latencies = pooled[i].latencies;
      await Promise.all(detectors.map((c, k) => new Promise<void>((resolve) => setTimeout(() => {
        const t0 = performance.now();
        c.publish(`devices/smoke-${first + k}`, '{"smoke":true}', { qos: 1 }, () => { latencies.push(performance.now() - t0); resolve(); });
      }, k * opts.alarmEveryMs))));
      clearInterval(loop);
      const floodStats = flood ? { ...(await flood), rateLimited: app.metrics.get('gateway_connections_refused_total', { reason: 'rate_limited' }) - limitedBefore } : undefined;
      await Promise.all(detectors.map((c) => c.endAsync(true)));
      pooled[i].loopMax = Math.max(pooled[i].loopMax, loopMax);
      if (floodStats) {
        const f = pooled[i].flood;
        pooled[i].flood = f ? { attempts: f.attempts + floodStats.attempts, answered: f.answered + floodStats.answered, refused: f.refused + floodStats.refused, rateLimited: f.rateLimited + floodStats.rateLimited, perSecond: 0 } : floodStats;
      }
    }
  } finally {
    Object.assign(MQTT_FAILURES.address, limits.address);
    Object.assign(MQTT_FAILURES.user, limits.user);
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const phases: Phase[] = phaseNames.map((name, i) => {
    const sorted = [...pooled[i].latencies].sort((a, b) => a - b);
    const flood = pooled[i].flood;
    return {
      name, eventLoopMaxMs: Math.round(pooled[i].loopMax),
      flood: flood ? { ...flood, perSecond: Math.round(flood.attempts / (opts.rounds * opts.seconds)) } : undefined,
      puback: { alarms: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] },
    };
  });
  return { opts, phases, check };
}

/**
 * The check itself, timed on the event loop: 10,000 wrong passwords for provisioned ids through
 * the authenticator as the app builds it, against one synchronous scrypt (N=16384) as the
 * gateway ran it on every such CONNECT before.
 */
function checkCost(app: ReturnType<typeof buildApp>, ids: string[]): CheckCost {
  // the gateway reads its devices' hashes from memory; this reads each from the SQLite row, as before
  const residents = residentRepository((app.store as SqliteStore).db);
  const auth = createAuthenticator({
    bridges: [],
    credential: (id) => { const d = residents.getDevice(id); return d?.secretHash ? { stored: d.secretHash } : undefined; },
  });
  const n = 10_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) void auth.check(ids[i % ids.length], Buffer.from(`wrong-${i}`));
  const digestCheckUs = ((performance.now() - t0) * 1000) / n;
  const t1 = performance.now();
  scryptSync('wrong', randomBytes(16), 32, { N: 16384, r: 8, p: 1 });
  return { digestCheckUs: Math.round(digestCheckUs * 10) / 10, scryptCheckMs: Math.round((performance.now() - t1) * 10) / 10 };
}

/** --flood: `concurrency` loops of CONNECT with a wrong password, as fast as answered, for `seconds` */
async function runFlood(args: { port: number; ids: string[]; concurrency: number; seconds: number; addresses: number }): Promise<void> {
  const until = performance.now() + args.seconds * 1000;
  let attempts = 0;
  let answered = 0;
  let refused = 0;
  let n = 0;
  const once = (worker: number) => new Promise<void>((resolve) => {
    attempts++;
    const socket = connect({ port: args.port, host: '127.0.0.1', localAddress: args.addresses > 1 ? `127.0.1.${1 + (worker % args.addresses)}` : '127.0.0.1' });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const done = () => { socket.destroy(); resolve(); };
    socket.setTimeout(5000, done);
    socket.on('error', done);
    socket.on('close', done);
    parser.on('packet', (p: { cmd: string; returnCode?: number }) => {
      if (p.cmd === 'connack') { answered++; if (p.returnCode !== 0) refused++; done(); }
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('connect', () => {
      const id = args.ids[n++ % args.ids.length];
      socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `flood-${worker}-${n}`, keepalive: 30, username: id, password: Buffer.from(`wrong-${n}`) } as never));
    });
  });
  await Promise.all(Array.from({ length: args.concurrency }, async (_, w) => { while (performance.now() < until) await once(w); }));
  process.stdout.write(JSON.stringify({ attempts, answered, perSecond: Math.round(attempts / args.seconds), refused }));
}

export function printAuthFlood(result: AuthFloodResult): void {
  const base = result.phases[0].puback;
  console.log(`\nAuth flood: alarm PUBACK while ${result.opts.concurrency} concurrent wrong-password CONNECTs run ${result.opts.seconds} s; ${result.opts.rounds} rounds of each phase, interleaved, pooled`);
  console.log('phase                                    alarms   p50 ms   p99 ms   max ms   p99 ratio   loop max ms   CONNECTs/s   refused unheard');
  console.log(`one wrong password costs the event loop ${result.check.digestCheckUs} us (digest compare); the synchronous scrypt it replaced, ${result.check.scryptCheckMs} ms`);
  for (const p of result.phases) {
    const f = (x: number) => x.toFixed(1).padStart(7);
    console.log(`${p.name.padEnd(40)} ${String(p.puback.alarms).padStart(6)}  ${f(p.puback.p50)}  ${f(p.puback.p99)}  ${f(p.puback.max)}   ${(p.puback.p99 / base.p99).toFixed(2).padStart(8)}x   ${String(p.eventLoopMaxMs).padStart(11)}   ${p.flood ? String(p.flood.perSecond).padStart(10) : '         -'}   ${p.flood ? `${Math.round((100 * p.flood.rateLimited) / Math.max(1, p.flood.attempts))} %`.padStart(15) : '              -'}`);
  }
}

if (process.argv[2] === '--flood') {
  await runFlood(JSON.parse(process.argv[3]));
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printAuthFlood(await authFloodBench(process.argv.includes('--quick') ? { seconds: 2, rounds: 1 } : {}));
}
