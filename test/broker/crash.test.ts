// "An event is on disk before the device gets its PUBACK": kill the gateway with SIGKILL the
// moment a PUBACK arrives, start it again, and find every acknowledged event.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfig, CASEWORKER_TOKEN } from '../helpers.ts';
import { spawnGateway, writeConfig, type GatewayProcess } from '../process.ts';
import { RawClient } from './raw-client.ts';

let running: GatewayProcess | undefined;
const dirs: string[] = [];
afterEach(() => {
  running?.child.kill('SIGKILL');
  running = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function timelineEventIds(httpPort: number): Promise<number[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/residents/r-zhang/timeline?limit=500&type=device_event`, {
    headers: { authorization: `Bearer ${CASEWORKER_TOKEN}` },
  });
  expect(res.status).toBe(200);
  const body = await res.json() as { items: Array<{ readings?: { battery?: number } }> };
  return body.items.map((i) => i.readings?.battery ?? -1);
}

describe.each(['normal', 'full'])('SIGKILL right after PUBACK (sync: %s)', (sync) => {
  it('finds every acknowledged event after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-crash-'));
    dirs.push(dir);
    const config = baseConfig(dir, {});
    (config.storage as { sync: string }).sync = sync;
    const file = writeConfig(dir, config);

    running = await spawnGateway(file);
    const { client } = await RawClient.open(running.mqttPort, 'zhang-smoke', 'smoke-secret');
    // a burst: ids 1..40 carry battery = id so each acknowledged message can be found again
    const acked: number[] = [];
    let killed = false;
    const acks = [];
    for (let id = 1; id <= 40; id++) {
      acks.push(client.publish('devices/zhang-smoke', JSON.stringify({ smoke: id % 2 === 0, battery: id }), id).then(() => {
        if (killed) return;
        acked.push(id);
        // kill on the 15th PUBACK, with more messages still in flight
        if (acked.length === 15) { killed = true; running!.child.kill('SIGKILL'); }
      }, () => {}));
    }
    await running.exited;
    client.close();
    expect(acked.length).toBe(15);

    running = await spawnGateway(file);
    const stored = await timelineEventIds(running.httpPort);
    for (const id of acked) expect(stored, `acknowledged message ${id}`).toContain(id);
    // and nothing was stored twice
    expect(new Set(stored).size).toBe(stored.length);
  }, 60_000);
});

describe('SIGTERM', () => {
  it('stops intake, finishes writes, closes the database and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-term-'));
    dirs.push(dir);
    const file = writeConfig(dir, baseConfig(dir, {}));
    running = await spawnGateway(file);
    const { client } = await RawClient.open(running.mqttPort, 'zhang-smoke', 'smoke-secret');
    await client.publish('devices/zhang-smoke', '{"smoke":false,"battery":5}', 1);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('"msg":"stopped"');
    client.close();
    running = await spawnGateway(file);
    expect(await timelineEventIds(running.httpPort)).toContain(5);
  }, 60_000);
});
