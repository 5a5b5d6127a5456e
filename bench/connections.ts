// Idle connections: N device clients connect with keepalive and stay; the broker process's
// resident memory per connection, for raw aedes, the gateway and (when installed) Mosquitto.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';

function ask(child: ChildProcess, msg: object): Promise<any> {
  return new Promise((resolve) => { child.once('message', resolve); child.send(msg); });
}

/** opens n connections (device i: username dev{i}, password secret-dev{i}), resolves when all have CONNACK 0 */
export async function openIdle(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const batch = 200;
  for (let start = 0; start < n; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - start) }, (_, k) => new Promise<void>((resolve, reject) => {
      const i = start + k;
      const s = connect(port, '127.0.0.1');
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      s.on('data', (d) => parser.parse(d));
      s.on('error', reject);
      parser.on('packet', (p: any) => { if (p.cmd === 'connack') (p.returnCode === 0 ? resolve() : reject(new Error(`connack ${p.returnCode}`))); });
      s.on('connect', () => s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `dev${i}`, keepalive: 300, username: `dev${i}`, password: Buffer.from(`secret-dev${i}`) })));
      sockets.push(s);
    })));
  }
  return sockets;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

export async function nodeTarget(target: 'raw' | 'gateway', n: number, openConnections = true) {
  const child = fork('bench/serve.ts', [target, String(n)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: 'inherit' });
  const ready = await new Promise<any>((r) => child.once('message', r));
  const before = (await ask(child, { cmd: 'rss' })).rss;
  const sockets = openConnections ? await openIdle(ready.port, n) : [];
  if (openConnections) await new Promise((r) => setTimeout(r, 1000));
  const after = await ask(child, { cmd: 'rss' });
  for (const s of sockets) s.destroy();
  child.send({ cmd: 'stop' });
  await new Promise((r) => child.once('exit', r));
  return { target, connections: n, startupMs: ready.startupMs, rssBefore: before, rssAfter: after.rss, perConnection: (after.rss - before) / n };
}

export async function mosquittoTarget(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  const port = 18830 + Math.floor(Math.random() * 1000);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const before = rssOf(child.pid!);
  const sockets = await openIdle(port, n);
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssOf(child.pid!);
  for (const s of sockets) s.destroy();
  child.kill();
  return { target: 'mosquitto', connections: n, rssBefore: before, rssAfter: after, perConnection: (after - before) / n };
}
