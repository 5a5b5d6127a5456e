// Shared test set-up: a real app on loopback ports chosen by the OS, a SQLite file in a temp
// folder (or a PostgreSQL database: `postgres`, or every gateway of a test run whose
// GATEWAY_TEST_ENGINE is postgres), and a logger that keeps its lines for assertions (nothing
// goes to ./data).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import pg from 'pg';
import { parseConfig, type Config } from '../src/config/index.ts';
import { buildApp, type App, type AppOptions } from '../src/app.ts';
import { FakeTwilio } from './notify/fake-twilio.ts';
import { createLogger } from '../src/log.ts';
import type { PostgresStore } from '../src/store/postgres/index.ts';
import type { SqliteStore } from '../src/store/sqlite/index.ts';
import type { UsersPort } from '../src/store/index.ts';
// the synchronous SQLite repositories are the engine's own (src/store/ does not export them): tests reach in
import type { Db } from '../src/store/db.ts';
import { residentRepository, type ResidentRepository } from '../src/store/residents.ts';
import { eventRepository, type EventRepository } from '../src/store/events.ts';
import { timelineRepository, type TimelineRepository } from '../src/store/timeline.ts';
import { alertRepository, type AlertRepository } from '../src/store/alerts.ts';
import { createDatabase, dropDatabase } from './store/pg.ts';

/**
 * The engine the whole-app tests run their gateways on: SQLite, or PostgreSQL when the vitest
 * project sets GATEWAY_TEST_ENGINE=postgres (vitest.config.ts runs the whole-app files that
 * PG_WHOLE_APP lists a second time so), each gateway on a database of its own.
 */
export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.GATEWAY_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
/** on PostgreSQL, a restart on the same folder reopens the same database */
const databaseOfDir = new Map<string, string>();

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
  let postgres = opts.postgres;
  let ownDatabase: string | undefined;
  if (!postgres && TEST_ENGINE === 'postgres') {
    // a gateway restarted on its predecessor's folder (`dir: gw.dir`) finds its database again
    postgres = opts.dir ? databaseOfDir.get(opts.dir) : undefined;
    if (!postgres) {
      postgres = await createDatabase();
      databaseOfDir.set(dir, postgres);
      if (!opts.dir) ownDatabase = postgres;
    }
  }
  const parsed = parseConfig(postgres ? { ...baseConfig(dir, extra), storage: { url: postgres } } : baseConfig(dir, extra), {});
  // on PostgreSQL storage.path only says where the photos go (beside it): the temporary folder, not ./data
  const config = postgres ? { ...parsed, storage: { ...parsed.storage, path: join(dir, 'gateway.db') } } : parsed;
  const logs = new LogCapture();
  const app = buildApp(config, { log: createLogger({ level: 'debug', destination: logs }), ...opts });
  try {
    if (opts.listen === false) await app.build();
    else await app.start();
  } catch (err) {
    if (ownDatabase) {
      databaseOfDir.delete(dir);
      await dropDatabase(ownDatabase).catch(() => {});
    }
    throw err;
  }
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
      if (ownDatabase) {
        databaseOfDir.delete(dir);
        await dropDatabase(ownDatabase);
      }
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

/**
 * Plain SQL on the gateway's own database, either engine, for tests that look at rows no port
 * returns. Write `?` placeholders (numbered for PostgreSQL here) and portable SQL; PostgreSQL's
 * 64-bit integers (COUNT, ids) come back as numbers, as SQLite's do.
 */
export interface TestSql {
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  one<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  run(sql: string, ...params: unknown[]): Promise<void>;
}

const pgTypes = pg.types;
const int8AsNumber = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pgTypes.getTypeParser(oid, format as 'text')) };

export function sqlOf(app: App): TestSql {
  const store = app.store as Partial<PostgresStore> & Partial<SqliteStore>;
  let all: (sql: string, params: unknown[]) => Promise<unknown[]>;
  if (store.engine === 'postgres' && store.pool) {
    const pool = store.pool;
    all = async (sql, params) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await pool.query({ text, values: params, types: int8AsNumber })).rows;
    };
  } else if (store.db) {
    const db = store.db;
    all = async (sql, params) => {
      const stmt = db.prepare(sql);
      return stmt.reader ? stmt.all(...params) : (stmt.run(...params), []);
    };
  } else throw new Error('sqlOf: the gateway has no open store');
  return {
    all: async <T>(sql: string, ...params: unknown[]) => (await all(sql, params)) as T[],
    one: async <T>(sql: string, ...params: unknown[]) => (await all(sql, params))[0] as T | undefined,
    run: async (sql: string, ...params: unknown[]) => { await all(sql, params); },
  };
}

/** the synchronous SQLite repositories on a gateway's store connection: for tests on SQLite that look at or set up rows directly */
export interface SqliteStores {
  db: Db;
  residents: ResidentRepository;
  events: EventRepository;
  timeline: TimelineRepository;
  alerts: AlertRepository;
  users: UsersPort;
}

const sqliteStoresOf = new WeakMap<object, SqliteStores>();

/** SQLite only (the engine's guarded connection, a statement that writes throws while a unit of work holds it); throws on PostgreSQL */
export function sqliteStores(app: App): SqliteStores {
  let stores = app.store ? sqliteStoresOf.get(app.store) : undefined;
  if (!stores) {
    const db = (app.store as Partial<SqliteStore> | undefined)?.db;
    if (!db) throw new Error('sqliteStores: the synchronous repositories exist on SQLite only (and once the store is open)');
    stores = { db, residents: residentRepository(db), events: eventRepository(db), timeline: timelineRepository(db), alerts: alertRepository(db), users: app.store.users };
    sqliteStoresOf.set(app.store, stores);
  }
  return stores;
}

/** how many events the gateway has stored (of one device), either engine */
export async function countEvents(app: App, deviceId?: string): Promise<number> {
  const row = deviceId
    ? await sqlOf(app).one<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE device_id = ?', deviceId)
    : await sqlOf(app).one<{ n: number }>('SELECT COUNT(*) AS n FROM events');
  return Number(row!.n);
}
