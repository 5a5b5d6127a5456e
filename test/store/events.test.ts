// The group commit writes many rows per INSERT: each caller must still get its own row's id,
// and a resend (DUP) must find its original even when both wait in the same group.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/db.ts';
import { eventRepository } from '../../src/store/events.ts';
import { residentRepository } from '../../src/store/residents.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { parseConfig } from '../../src/config/index.ts';

let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function setup() {
  dir = mkdtempSync(join(tmpdir(), 'gw-events-'));
  const db = openDatabase({ path: join(dir, 'g.db'), sync: 'normal' });
  const config = parseConfig({
    residents: [{ id: 'r-1', name: 'A', timezone: 'Asia/Shanghai', devices: Array.from({ length: 3 }, (_, i) => ({ id: `d${i}`, kind: 'motion', secret: `s${i}` })) }],
  }, {});
  residentRepository(db).seedFromConfig(config.residents, 'Asia/Shanghai', 1_000);
  return { db, events: eventRepository(db) };
}

const ev = (i: number, at = 10_000 + i): DeviceEvent => ({
  at, deviceId: `d${i % 3}`, residentId: 'r-1', kind: 'motion', source: 'mqtt', type: 'state', readings: { occupancy: i % 2 === 0, battery: 50 + (i % 40) },
});

describe('event group commit', () => {
  it('gives every event of a large group the id of its own row', async () => {
    const { db, events } = setup();
    // 150 in one group: statements of 64, 64, 16 and single rows
    const ids = await Promise.all(Array.from({ length: 150 }, (_, i) => events.append(ev(i), { session: `d${i % 3}`, messageId: i + 1, dup: false })));
    expect(new Set(ids).size).toBe(150);
    ids.forEach((id, i) => {
      const row = events.get(id)!;
      expect(row).toMatchObject({ deviceId: `d${i % 3}`, at: 10_000 + i, readings: ev(i).readings });
    });
    db.close();
  });

  it('stores a resend once when it waits in the same group as its original', async () => {
    const { db, events } = setup();
    const first = events.append(ev(7), { session: 'd1', messageId: 42, dup: false });
    const others = Array.from({ length: 20 }, (_, i) => events.append(ev(100 + i), { session: 'x', messageId: 1000 + i, dup: false }));
    const resend = events.append(ev(7), { session: 'd1', messageId: 42, dup: true });
    const [id, again] = [await first, await resend];
    await Promise.all(others);
    expect(id).toBeGreaterThan(0);
    expect(again).toBe(-id);
    expect((db.prepare('SELECT COUNT(*) AS n FROM events WHERE mqtt_message_id = 42').get() as { n: number }).n).toBe(1);
    // a resend that finds nothing is stored
    const lone = await events.append(ev(8), { session: 'd2', messageId: 43, dup: true });
    expect(events.get(lone)).toMatchObject({ deviceId: 'd2', at: 10_008 });
    db.close();
  });

  it('answers the callback form only after COMMIT, each with its own id, and a failed group with the error for every event in it', async () => {
    const { db, events } = setup();
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    // each answer sees its own row on disk: the transaction has committed before any is called
    const seen: Array<{ err: Error | null; id?: number; rows: number; inTx: boolean }> = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 40; i++) {
        events.appendThen(ev(i), { session: 'd', messageId: i + 1, dup: false }, (err, id) => {
          seen.push({ err, id, rows: count(), inTx: db.inTransaction });
          if (seen.length === 40) resolve();
        });
      }
      // nothing is answered in the turn of the append
      expect(seen).toHaveLength(0);
    });
    expect(seen.every((s) => s.err === null && !s.inTx && s.rows === 40)).toBe(true);
    expect(seen.map((s) => events.get(s.id!)!.at)).toEqual(Array.from({ length: 40 }, (_, i) => 10_000 + i));

    // a group that cannot commit (the events table is made read-only for writes by a trigger):
    // every event of it gets the error, none an id, nothing is left written
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const failed = await Promise.all(Array.from({ length: 5 }, (_, i) => new Promise<{ err: Error | null; id?: number }>((resolve) => {
      events.appendThen(ev(100 + i), undefined, (err, id) => resolve({ err, id }));
    })));
    expect(failed.map((f) => f.err?.message)).toEqual(Array(5).fill('disk full'));
    expect(failed.every((f) => f.id === undefined)).toBe(true);
    expect(count()).toBe(40);
    db.exec('DROP TRIGGER refuse');
    db.close();
  });

  it('gives every answer of a group its turn even when one of them throws', async () => {
    const { db, events } = setup();
    const uncaught: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (err) => uncaught.push(err));
    try {
      const ids: number[] = [];
      await new Promise<void>((resolve) => {
        for (let i = 0; i < 3; i++) {
          events.appendThen(ev(i), undefined, (err, id) => {
            ids.push(id!);
            if (i === 0) throw new Error('a broken answer');
            if (i === 2) resolve();
          });
        }
      });
      await new Promise((r) => setImmediate(r));
      // the other two were answered with their ids, and the throw was not swallowed
      expect(ids).toHaveLength(3);
      expect(ids.every((id) => id > 0)).toBe(true);
      expect(uncaught.map((e) => (e as Error).message)).toEqual(['a broken answer']);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const l of listeners) process.on('uncaughtException', l);
    }
    db.close();
  });
});
