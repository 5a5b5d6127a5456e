// The store holds phone numbers and casefile notes: its folder and files are the gateway user's only.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, statSync, existsSync, chmodSync, mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../helpers.ts';
import { MqttRaw } from './net.ts';

describe('files and folders', () => {
  it('creates the data folder 0700 and the database, WAL and shared-memory files 0600', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gw-perms-'));
    const dataDir = join(root, 'data');
    const local = await startGateway({ storage: { path: join(dataDir, 'gateway.db'), sync: 'normal' } }, { dir: root });
    try {
      const { client } = await MqttRaw.open(local.app.mqttPort(), 'zhang-door', 'door-secret');
      await client.publish('devices/zhang-door', '{"contact":false}', 1);
      client.close();
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      for (const f of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) {
        expect(existsSync(join(dataDir, f)), f).toBe(true);
        expect((statSync(join(dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
      }
    } finally {
      await local.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('narrows the files an older version left readable to others', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gw-perms-old-'));
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    const old = new Database(join(dataDir, 'gateway.db'));
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    for (const f of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) chmodSync(join(dataDir, f), 0o644);
    old.close();
    const local = await startGateway({ storage: { path: join(dataDir, 'gateway.db'), sync: 'normal' } }, { dir: root });
    try {
      for (const f of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) {
        expect((statSync(join(dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
      }
    } finally {
      await local.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
