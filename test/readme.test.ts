// The README's copy-paste lines work as written against the demo config (on free ports and a
// temporary database, so nothing touches ./data).
import { describe, it, expect, afterAll } from 'vitest';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spawnGateway, writeConfig, type GatewayProcess } from './process.ts';

let gw: GatewayProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'gw-readme-'));
afterAll(() => { gw?.child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });

describe('README', () => {
  it('its mosquitto_pub line stores a smoke report that the curl line then shows', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const pub = readme.split('\n').find((l) => l.startsWith('mosquitto_pub '));
    const curl = readme.split('\n').find((l) => l.startsWith('curl '));
    expect(pub).toBeTruthy();
    expect(curl).toBeTruthy();
    const config = parse(readFileSync('config/default.yaml', 'utf8'));
    config.mqtt.port = 0;
    config.http.port = 0;
    config.storage.path = join(dir, 'gateway.db');
    gw = await spawnGateway(writeConfig(dir, config));
    execSync(pub!.replace('-p 1883', `-p ${gw.mqttPort}`), { timeout: 10_000 });
    const body = JSON.parse(execSync(curl!.replace(':8080', `:${gw.httpPort}`), { encoding: 'utf8', timeout: 10_000 }));
    expect(body.items.find((i: { type: string }) => i.type === 'device_event')).toMatchObject({ type: 'device_event', deviceId: 'zhang-smoke', readings: { smoke: true, battery: 90 } });
  }, 60_000);
});
