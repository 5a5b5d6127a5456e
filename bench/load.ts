// The load generator, run as its own process so it does not share the event loop with the
// broker under test: N device clients over raw MQTT 3.1.1, each keeping `window` QoS 1
// publishes in flight, timing each publish to its PUBACK.
//
// It must not be the bottleneck: each client's PUBLISH is built once and only its message id is
// patched per send, and PUBACKs are read straight off the socket (4 bytes each), so a message
// costs the generator a few microseconds. It reports its own CPU time so the bench can show it.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface LoadArgs {
  /** perClient 0: keep the window full until SIGTERM, then print {acked, seconds, rate} */
  port: number; clients: number; perClient: number; window: number; password: string; prefix: string; topic: string;
  /** the first client's index (a second load process takes the clients after the first's) */
  first?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** one PUBLISH per payload variant; the message id is the two bytes right after the topic */
function template(topic: string, payload: string): { buf: Buffer; idAt: number } {
  const buf = mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId: 1, dup: false, retain: false });
  let at = 1;
  while (buf[at] & 0x80) at++; // remaining length, 1-4 bytes
  at++;
  return { buf, idAt: at + 2 + Buffer.byteLength(topic) };
}

let ackedTotal = 0;

async function runClient(args: LoadArgs, index: number, latencies: Float64Array, offset: number): Promise<void> {
  const forever = args.perClient === 0;
  const username = `${args.prefix}${index}`;
  const topic = args.topic.replace('{id}', username);
  // alternating motion reports, the shape of a zigbee2mqtt occupancy sensor
  const variants = [true, false].map((occupancy) => template(topic, JSON.stringify({ occupancy, battery: 90, linkquality: 100 })));
  const socket: Socket = connect(args.port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  const sentAt = new Float64Array(65536);
  let next = 1;
  let acked = 0;
  let pending: Buffer | null = null;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`client ${username} closed after ${acked} acks`)));
    const send = () => {
      const id = ((next++ - 1) % 65535) + 1;
      const t = variants[id & 1];
      t.buf.writeUInt16BE(id, t.idAt);
      sentAt[id] = performance.now();
      // a write may sit in the socket's queue, so each one gets its own copy of the template
      socket.write(Buffer.from(t.buf));
    };
    const onPacket = (type: number, body: Buffer) => {
      if (type === 2) { // CONNACK
        if (body[1] !== 0) return reject(new Error(`connack ${body[1]}`));
        for (let i = 0; i < args.window && (forever || next <= args.perClient); i++) send();
      } else if (type === 4) { // PUBACK
        const id = body.readUInt16BE(0);
        if (forever) { ackedTotal++; send(); return; }
        latencies[offset + acked] = performance.now() - sentAt[id];
        acked++;
        if (acked === args.perClient) {
          socket.removeAllListeners('close');
          socket.end(Buffer.from([0xe0, 0]));
          resolve();
        } else if (next <= args.perClient) send();
      }
    };
    socket.on('data', (d: Buffer) => {
      const buf = pending ? Buffer.concat([pending, d]) : d;
      pending = null;
      let at = 0;
      while (at + 2 <= buf.length) {
        // remaining length: a varint of up to 4 bytes
        let len = 0, mul = 1, i = at + 1, complete = false;
        for (; i < buf.length && i < at + 5; i++) {
          len += (buf[i] & 0x7f) * mul; mul *= 128;
          if (!(buf[i] & 0x80)) { complete = true; i++; break; }
        }
        if (!complete || i + len > buf.length) break;
        onPacket(buf[at] >> 4, buf.subarray(i, i + len));
        at = i + len;
      }
      if (at < buf.length) pending = Buffer.from(buf.subarray(at));
    });
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: username, keepalive: 60, username, password: Buffer.from(args.password.replace('{id}', username)) }));
  });
}

export async function runLoadHere(args: LoadArgs) {
  const latencies = new Float64Array(args.clients * args.perClient);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const first = args.first ?? 0;
  await Promise.all(Array.from({ length: args.clients }, (_, i) => runClient(args, first + i, latencies, i * args.perClient)));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort();
  return {
    messages: latencies.length, seconds, rate: latencies.length / seconds,
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1],
    /** this process's CPU, as a share of one core over the run */
    loadCpu: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

if (process.argv[2]) {
  const args = JSON.parse(process.argv[2]) as LoadArgs;
  if (args.perClient === 0) {
    const started = performance.now();
    process.once('SIGTERM', () => {
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(JSON.stringify({ acked: ackedTotal, seconds, rate: ackedTotal / seconds }));
      process.exit(0);
    });
    process.stdout.write('ready\n');
  }
  const result = await runLoadHere(args);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}
