// A flood from real MQTT.js clients in a process of their own (so their work does not share the
// gateway's event loop): each client puts all its QoS 1 publishes in flight at once (MQTT.js sets
// no window), and the process prints how many were acknowledged every 20 ms, then `done`.
//   node --import tsx test/broker/flood-client.ts '{"url":"mqtt://127.0.0.1:1883","clients":8,"each":4000}'
import mqtt from 'mqtt';

const { url, clients, each } = JSON.parse(process.argv[2]) as { url: string; clients: number; each: number };
const connected = await Promise.all(Array.from({ length: clients }, (_, r) =>
  mqtt.connectAsync(url, { username: `flood-${r}`, password: `flood-secret-${r}`, reconnectPeriod: 0 })));
let acked = 0;
let failed = 0;
process.stdout.write('ready\n');
for (const [r, client] of connected.entries()) {
  for (let i = 0; i < each; i++) {
    client.publish(`devices/flood-${r}`, JSON.stringify({ occupancy: i % 2 === 0 }), { qos: 1 }, (err) => { if (err) failed++; else acked++; });
  }
}
const report = setInterval(() => {
  process.stdout.write(`acked ${acked} failed ${failed}\n`);
  if (acked + failed === clients * each) {
    clearInterval(report);
    process.stdout.write('done\n');
    for (const c of connected) c.end(true);
    setTimeout(() => process.exit(0), 100);
  }
}, 20);
