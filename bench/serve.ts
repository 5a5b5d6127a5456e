// A broker under test in its own process, so its resident memory is its own: raw aedes, or
// the whole gateway with N devices. Talks to the bench over IPC: {ready, port} then answers
// {rss} requests.
import { rawAedes, gatewayTarget } from './ingest.ts';

const [target, devicesArg, sync] = process.argv.slice(2);
const devices = Number(devicesArg ?? 50);
const started = performance.now();
const server = target === 'raw' ? await rawAedes() : await gatewayTarget(devices, (sync as 'normal' | 'full') ?? 'normal');
const startupMs = performance.now() - started;
process.on('message', async (msg: { cmd: string }) => {
  if (msg.cmd === 'rss') {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    global.gc?.();
    process.send!({ rss: process.memoryUsage().rss, connected: 'app' in server ? (server as Awaited<ReturnType<typeof gatewayTarget>>).app.broker.connectedClients() : undefined });
  } else if (msg.cmd === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send!({ ready: true, port: server.port, startupMs });
