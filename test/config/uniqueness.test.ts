// Every uniqueness the store enforces on what the config seeds is checked before the store sees
// it, so a start never dies on a raw "UNIQUE constraint failed": the store's unique columns are
// read from the migrated schema itself (a new one fails this test until the config checks it),
// each is duplicated in a config, and the config error names the key. What only the store can
// see, a key held by a device the store keeps from the API, stops the start naming the key too.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, ConfigError } from '../../src/config/index.ts';
import { openDatabase } from '../../src/store/db.ts';
import { residentRepository } from '../../src/store/residents.ts';
import { startGateway, ADMIN_TOKEN } from '../helpers.ts';

type Raw = Record<string, unknown>;
const device = (id: string, extra: Raw = {}) => ({ id, kind: 'smoke', secret: 's', ...extra });

/** a config whose two devices (or residents) collide on one store column, the key it must name, and the same config without the clash */
const COLLISIONS: Record<string, { raw: Raw; key: string; fixed: Raw }> = {
  'residents.id': {
    raw: { residents: [{ id: 'r-a', name: 'A' }, { id: 'r-a', name: 'B' }] }, key: 'residents[1].id',
    fixed: { residents: [{ id: 'r-a', name: 'A' }, { id: 'r-b', name: 'B' }] },
  },
  'devices.id': {
    raw: { residents: [{ id: 'r-a', name: 'A', devices: [device('d1')] }, { id: 'r-b', name: 'B', devices: [device('d1')] }] }, key: 'residents[1].devices[0].id',
    fixed: { residents: [{ id: 'r-a', name: 'A', devices: [device('d1')] }, { id: 'r-b', name: 'B', devices: [device('d2')] }] },
  },
  ...Object.fromEntries((['zigbee2mqtt', 'rflink', 'jsonl'] as const).map((key) => {
    const value = { zigbee2mqtt: 'hall smoke', rflink: 'Kaku;ID=41', jsonl: 'DSC;1' }[key];
    const other = { zigbee2mqtt: 'kitchen smoke', rflink: 'Kaku;ID=42', jsonl: 'DSC;2' }[key];
    return [`devices.${key}`, {
      raw: { residents: [{ id: 'r-a', name: 'A', devices: [device('d1', { [key]: value })] }, { id: 'r-b', name: 'B', devices: [device('d2', { [key]: value })] }] },
      key: `residents[1].devices[0].${key}`,
      fixed: { residents: [{ id: 'r-a', name: 'A', devices: [device('d1', { [key]: value })] }, { id: 'r-b', name: 'B', devices: [device('d2', { [key]: other })] }] },
    }];
  })),
};

/** the tables the config seeds */
const SEEDED = ['residents', 'contacts', 'devices'];

function uniqueColumns(): string[] {
  const db = openDatabase({ path: ':memory:', sync: 'normal' });
  const out: string[] = [];
  for (const table of SEEDED) {
    for (const index of db.prepare(`PRAGMA index_list(${table})`).all() as Array<{ name: string; unique: number }>) {
      if (!index.unique) continue;
      const columns = (db.prepare(`PRAGMA index_info(${index.name})`).all() as Array<{ name: string }>).map((c) => c.name);
      out.push(`${table}.${columns.join('+')}`);
    }
    // a TEXT primary key is a unique index too; an INTEGER one is the rowid, never from the config
    for (const col of db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; pk: number; type: string }>) {
      if (col.pk && col.type !== 'INTEGER' && !out.includes(`${table}.${col.name}`)) out.push(`${table}.${col.name}`);
    }
  }
  db.close();
  return [...new Set(out)].sort();
}

function problems(raw: Raw): string[] {
  try {
    parseConfig(raw, {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('the config checks what the store keeps unique', () => {
  it('knows every unique column of the seeded tables', () => {
    expect(uniqueColumns()).toEqual(Object.keys(COLLISIONS).sort());
  });

  it.each(Object.entries(COLLISIONS))('%s: a duplicate is a config error at its key, and a config that passes seeds', (_column, { raw, key, fixed }) => {
    expect(problems(raw).some((p) => p.startsWith(`${key}:`)), problems(raw).join(' | ')).toBe(true);
    // the same config without the clash goes into the store without a constraint error
    const config = parseConfig(fixed, {});
    const db = openDatabase({ path: ':memory:', sync: 'normal' });
    expect(() => residentRepository(db).seedFromConfig(config.residents, 'UTC', Date.now())).not.toThrow();
    db.close();
  });
});

describe('keys a device kept from the API holds', () => {
  it('stop the start naming the config key; a device renamed in the config keeps its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-unique-'));
    try {
      let gw = await startGateway({}, { dir });
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const created = await gw.app.http.inject({ method: 'POST', url: '/api/residents', headers, payload: { id: 'r-api', name: 'Added on the page' } });
      expect(created.statusCode).toBe(201);
      const added = await gw.app.http.inject({ method: 'POST', url: '/api/residents/r-api/devices', headers, payload: { id: 'api-smoke', kind: 'smoke', zigbee2mqtt: 'hall smoke' } });
      expect(added.statusCode).toBe(201);
      await gw.stop();

      // the config now gives the same friendly name to a device of its own
      const claim = { residents: [{ id: 'r-zhang', name: 'Zhang', devices: [{ id: 'zhang-hall', kind: 'smoke', zigbee2mqtt: 'hall smoke' }] }] };
      const refused = await startGateway(claim, { dir }).then(() => null, (err: unknown) => err);
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as ConfigError).problems).toEqual([
        'residents[0].devices[0].zigbee2mqtt: zigbee2mqtt name hall smoke is already device api-smoke of resident r-api, which the store keeps (edited through the API, or no longer in the config)',
      ]);
      const stolen = await startGateway({ residents: [{ id: 'r-zhang', name: 'Zhang', devices: [{ id: 'api-smoke', kind: 'smoke', secret: 'x' }] }] }, { dir }).then(() => null, (err: unknown) => err);
      expect((stolen as ConfigError).problems[0]).toMatch(/^residents\[0\]\.devices\[0\]\.id: device id api-smoke is already device api-smoke of resident r-api/);

      // a config device renamed, its zigbee2mqtt name kept: the store frees the key for it
      gw = await startGateway({ residents: [{ id: 'r-zhang', name: 'Zhang', devices: [{ id: 'zhang-kitchen', kind: 'smoke', zigbee2mqtt: 'kitchen smoke' }] }] }, { dir });
      await gw.stop();
      gw = await startGateway({ residents: [{ id: 'r-zhang', name: 'Zhang', devices: [{ id: 'zhang-kitchen-smoke', kind: 'smoke', zigbee2mqtt: 'kitchen smoke' }] }] }, { dir });
      expect(gw.app.registry.byFriendlyName('kitchen smoke')?.id).toBe('zhang-kitchen-smoke');
      expect(await gw.app.store.residents.getDevice('zhang-kitchen')).toBeUndefined();
      await gw.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
