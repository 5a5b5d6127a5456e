// Shared test set-up: a real app on loopback ports chosen by the OS, a SQLite file in a temp
// folder (or a PostgreSQL database: `postgres`), and a logger that keeps its lines for
// assertions (nothing goes to ./data).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { parseConfig, type Config } from '../src/config/index.ts';
import { buildApp, type App, type AppOptions } from '../src/app.ts';
import { FakeTwilio } from './notify/fake-twilio.ts';
import { createLogger } from '../src/log.ts';

export const CASEWORKER_TOKEN = 'test-caseworker-token';
export const ADMIN_TOKEN = 'test-admin-token';

export function baseConfig(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mqtt: { host: '127.0.0.1', port: 0, bridges: [{ username: 'z2m', password: 'bridge-pass', baseTopic: 'zigbee2mqtt' }] },
    http: { host: '127.0.0.1', port: 0 },
    storage: { path: join(dir, 'gateway.db'), sync: 'normal' },
    api: { tokens: [
      { name: 'li-caseworker', role: 'caseworker', token: CASEWORKER_TOKEN },
      { name: 'ops-admin', role: 'admin', token: ADMIN_TOKEN },
    ] },
    residents: [
      {
        id: 'r-zhang', name: 'Zhang Xiuying', address: 'Building 3, Room 601', timezone: 'Asia/Shanghai', locale: 'zh-CN',
        contacts: [{ name: 'Wang Neighbor', phone: '+8613800000001', role: 'neighbor' }],
        devices: [
          { id: 'zhang-smoke', kind: 'smoke', secret: 'smoke-secret' },
          { id: 'zhang-door', kind: 'door', secret: 'door-secret' },
          { id: 'zhang-kitchen', kind: 'smoke', zigbee2mqtt: 'zhang/kitchen smoke' },
        ],
      },
      {
        id: 'r-chen', name: 'Chen Guoqiang', timezone: 'Asia/Shanghai',
        devices: [{ id: 'chen-button', kind: 'button', secret: 'button-secret' }],
      },
    ],
    ...extra,
  };
}

export class LogCapture extends Writable {
  lines: string[] = [];
  _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  text(): string { return this.lines.join('\n'); }
}

export interface TestGateway {
  app: App;
  config: Config;
  dir: string;
  logs: LogCapture;
  mqttUrl: string;
  connect(username: string, password: string, opts?: IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

export interface GatewayOptions extends AppOptions {
  dir?: string;
  listen?: boolean;
  /**
   * a PostgreSQL database URL (test/store/pg.ts createDatabase): the gateway runs on it
   * (storage.url) instead of the SQLite file; the temporary folder still holds the photos
   */
  postgres?: string;
}

/**
 * A whole gateway on a temporary folder. `listen: false` builds it only (every part made, every
 * route ready for `app.http.inject()`) and opens no port: for tests that ask only its HTTP routes.
 */
export async function startGateway(extra: Record<string, unknown> = {}, opts: GatewayOptions = {}): Promise<TestGateway> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gw-test-'));
  const parsed = parseConfig(opts.postgres ? { ...baseConfig(dir, extra), storage: { url: opts.postgres } } : baseConfig(dir, extra), {});
  // on PostgreSQL storage.path only says where the photos go (beside it): the temporary folder, not ./data
  const config = opts.postgres ? { ...parsed, storage: { ...parsed.storage, path: join(dir, 'gateway.db') } } : parsed;
  const logs = new LogCapture();
  const app = buildApp(config, { log: createLogger({ level: 'debug', destination: logs }), ...opts });
  if (opts.listen === false) await app.build();
  else await app.start();
  const mqttUrl = opts.listen === false ? '' : `mqtt://127.0.0.1:${app.mqttPort()}`;
  const clients: MqttClient[] = [];
  return {
    app, config, dir, logs, mqttUrl,
    async connect(username, password, clientOpts = {}) {
      if (!mqttUrl) throw new Error('this gateway was only built (listen: false): it has no MQTT port');
      const client = await mqtt.connectAsync(mqttUrl, { username, password, reconnectPeriod: 0, connectTimeout: 5000, ...clientOpts });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await app.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TextingGateway extends TestGateway {
  /** the Twilio-compatible server the gateway's real twilio package sends to */
  fake: FakeTwilio;
}

/**
 * A whole gateway whose texts and calls go through the real twilio package to a FakeTwilio
 * started for it (`extra` adds to or overrides the test config); stop() ends both.
 */
export async function startTextingGateway(
  account: { accountSid: string; authToken: string; from?: string }, extra: Record<string, unknown> = {}, opts: Omit<GatewayOptions, 'listen'> = {},
): Promise<TextingGateway> {
  const fake = await new FakeTwilio().start();
  try {
    const gw = await startGateway({ ...fake.gatewayConfig(account), ...extra }, opts);
    return { ...gw, fake, async stop() { await gw.stop(); await fake.stop(); } };
  } catch (err) {
    await fake.stop();
    throw err;
  }
}

/** polls until check() returns a truthy value, or fails after timeoutMs */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SQLite only (it reads the file's connection): on PostgreSQL ask the store's ports */
export function countEvents(app: App, deviceId?: string): number {
  const row = deviceId
    ? app.stores.db.prepare('SELECT COUNT(*) AS n FROM events WHERE device_id = ?').get(deviceId)
    : app.stores.db.prepare('SELECT COUNT(*) AS n FROM events').get();
  return (row as { n: number }).n;
}
