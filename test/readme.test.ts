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

  it('its demo lines add a person who can sign in, and play the neighbour\'s "1" that acknowledges the emergency', async () => {
    const readme = readFileSync('README.md', 'utf8').split('\n');
    const port = (line: string) => line.replace(':8080', `:${gw!.httpPort}`).replace('-p 1883', `-p ${gw!.mqttPort}`);
    const addUser = readme.find((l) => l.startsWith('curl ') && l.includes('/api/users'))!;
    const press = readme.find((l) => l.startsWith('mosquitto_pub ') && l.includes('zhang-button'))!;
    const reply = readme.find((l) => l.startsWith('curl ') && l.includes('/api/demo/sms-reply'))!;
    expect(addUser && press && reply).toBeTruthy();
    const user = JSON.parse(execSync(port(addUser), { encoding: 'utf8', timeout: 10_000 }));
    expect(user).toMatchObject({ username: 'li', displayName: '李社工', role: 'caseworker' });
    const { username, password } = JSON.parse(/-d '(.+)'$/.exec(addUser)![1]);
    const login = await fetch(`http://127.0.0.1:${gw!.httpPort}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(login.status).toBe(200);

    execSync(port(press), { timeout: 10_000 });
    const alerts = async () => (await (await fetch(`http://127.0.0.1:${gw!.httpPort}/api/alerts?residentId=r-zhang`, { headers: { authorization: 'Bearer demo-caseworker-token' } })).json()).items;
    for (let i = 0; i < 100 && !(await alerts()).some((a: { kind: string }) => a.kind === 'emergency'); i++) await new Promise((r) => setTimeout(r, 50));
    // the neighbour was texted (to the log): now their "1"
    const answer = JSON.parse(execSync(port(reply), { encoding: 'utf8', timeout: 10_000 }));
    expect(answer.answer).toBeTruthy();
    expect((await alerts()).find((a: { kind: string }) => a.kind === 'emergency')).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Wang Neighbor' });
  }, 60_000);
});
