// The gateway's own cost per message without the network: accepted messages handed straight to
// the router (decode, the durable group commit, the rules), in batches the size of what the broker
// hands over at saturation, CPU time per message from process.cpuUsage. With --ab <ref>, the
// same pipeline of another commit (built in a temporary worktree) runs in this same process,
// interleaved round by round: a change's effect measured side by side, with none of the
// scheduling noise of sockets and processes on a shared machine.
//
//   npx tsx bench/pipeline.ts [--ab <ref or built tree>] [--sync normal|full] [--messages 40000] [--batch 800] [--rounds 5]
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfigInput } from './shape.ts';
import { checkout, ensureBuilt } from './ingest.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const DEVICES = 50;

async function pipelineOf(tree: string, sync: 'normal' | 'full') {
  ensureBuilt(tree);
  const base = pathToFileURL(join(tree, 'dist/')).href;
  const { parseConfig } = await import(`${base}config/index.js`);
  const { buildApp } = await import(`${base}app.js`);
  const { createLogger } = await import(`${base}log.js`);
  const dir = mkdtempSync(join(tmpdir(), 'gw-pipe-'));
  const app = buildApp(parseConfig(benchConfigInput(dir, DEVICES, sync), {}), { log: createLogger({ level: 'error' }) });
  await app.start();
  let messageId = 0;
  const payloads = [true, false].map((occupancy) => Buffer.from(JSON.stringify({ occupancy, battery: 90, linkquality: 100 })));
  return {
    async run(messages: number, batch: number): Promise<number> {
      const cpu0 = process.cpuUsage();
      // the router's callback form where the build has one (what the broker calls), else its promise
      const accept = app.router.accept as ((msg: unknown, done: (err: Error | null) => void) => void) | undefined;
      for (let sent = 0; sent < messages; sent += batch) {
        const msgs: unknown[] = [];
        for (let i = 0; i < batch; i++) {
          const d = (sent + i) % DEVICES;
          messageId = (messageId % 65535) + 1;
          msgs.push({
            topic: `devices/dev${d}`, payload: payloads[messageId & 1], principal: { type: 'device', deviceId: `dev${d}` },
            origin: { session: `c:dev${d}`, messageId, dup: false },
          });
        }
        if (accept) {
          await new Promise<void>((resolve, reject) => {
            let left = msgs.length;
            for (const msg of msgs) accept(msg, (err) => (err ? reject(err) : --left === 0 && resolve()));
          });
        } else {
          await Promise.all(msgs.map((msg) => app.router.handle(msg)));
        }
      }
      // the rules judge on a 2 ms timer: let the last batch be judged too
      await new Promise((r) => setTimeout(r, 30));
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / messages;
    },
    close: async () => { await app.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

const sync = arg('--sync', 'normal') as 'normal' | 'full';
const messages = Number(arg('--messages', '40000'));
const batch = Number(arg('--batch', '800'));
const rounds = Number(arg('--rounds', '5'));
const ab = process.argv.includes('--ab') ? arg('--ab', '') : '';
const variants: Array<{ name: string; tree: string }> = [{ name: 'this tree', tree: process.cwd() }];
// a ref, or the path of a tree already checked out (and built with tsconfig.build.json)
if (ab) variants.push({ name: ab, tree: existsSync(join(ab, 'dist/app.js')) ? ab : checkout(ab) });
const pipes = [];
for (const v of variants) pipes.push({ ...v, pipe: await pipelineOf(v.tree, sync) });
const results: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
for (let round = 0; round <= rounds; round++) {
  // alternate which goes first, so neither always follows the other's garbage
  const order = round % 2 ? [...pipes].reverse() : pipes;
  for (const p of order) {
    const us = await p.pipe.run(messages, batch);
    if (round > 0) results[p.name].push(us);
  }
}
for (const p of pipes) await p.pipe.close();
const median = (l: number[]) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)];
console.log(`\nPipeline (router, decode, group commit, rules), sync: ${sync}, batches of ${batch}, ${messages} messages a round, median of ${rounds} rounds`);
console.log('variant                  CPU us/msg   (min-max)');
for (const [name, list] of Object.entries(results)) {
  console.log(`${name.padEnd(24)} ${median(list).toFixed(2).padStart(10)}   (${Math.min(...list).toFixed(2)}-${Math.max(...list).toFixed(2)})`);
}
if (ab) console.log(`this tree / ${ab}: ${(median(results['this tree']) / median(results[ab])).toFixed(2)}x the CPU`);
process.exit(0);
