// The load generator, run as its own process so it does not share the event loop with the
// broker under test: N device clients over raw MQTT 3.1.1, each keeping `window` QoS 1
// publishes in flight, timing each publish to its PUBACK.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

interface Args { port: number; clients: number; perClient: number; window: number; password: string; prefix: string; topic: string }
const args: Args = JSON.parse(process.argv[2]);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function runClient(index: number, latencies: number[]): Promise<void> {
  const username = `${args.prefix}${index}`;
  const socket: Socket = connect(args.port, '127.0.0.1');
  socket.setNoDelay(true);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  socket.on('data', (d) => parser.parse(d));
  await new Promise((r) => socket.once('connect', r));
  const sentAt = new Map<number, number>();
  let next = 1;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`client ${username} closed after ${acked} acks`)));
    const send = () => {
      const id = next++;
      sentAt.set(id, performance.now());
      const payload = JSON.stringify({ occupancy: id % 2 === 0, battery: 90, linkquality: 100 });
      socket.write(mqttPacket.generate({ cmd: 'publish', topic: args.topic.replace('{id}', username), payload: Buffer.from(payload), qos: 1, messageId: id, dup: false, retain: false }));
    };
    parser.on('packet', (p: any) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return reject(new Error(`connack ${p.returnCode}`));
        for (let i = 0; i < args.window && next <= args.perClient; i++) send();
      } else if (p.cmd === 'puback') {
        latencies.push(performance.now() - sentAt.get(p.messageId)!);
        sentAt.delete(p.messageId);
        acked++;
        if (acked === args.perClient) {
          socket.removeAllListeners('close');
          socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
          resolve();
        } else if (next <= args.perClient) send();
      }
    });
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: username, keepalive: 60, username, password: Buffer.from(args.password.replace('{id}', username)) }));
  });
}

const latencies: number[] = [];
const started = performance.now();
await Promise.all(Array.from({ length: args.clients }, (_, i) => runClient(i, latencies)));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({
  messages: latencies.length, seconds, rate: latencies.length / seconds,
  p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1],
}) + '\n');
process.exit(0);
