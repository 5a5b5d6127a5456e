// Device events into PostgreSQL with group commit: appends that arrive while a commit is in
// flight wait for it and then go together in the next transaction, one multi-row INSERT, so a
// burst pays one round trip and one WAL flush for many PUBACKs. Each append resolves only once
// its transaction has committed (the broker answers PUBACK then, never sooner).
import type pg from 'pg';
import type { DeviceEvent } from '../../domain/types.ts';
import { deviceStatusCache, eventPayload, mayAlarm, DUP_WINDOW_MS, type DeviceStatus, type MqttOrigin } from '../events.ts';
import type { Ingest, IngestStats } from '../ports.ts';
import { inTransaction } from './sql.ts';

interface Pending {
  event: DeviceEvent;
  origin?: MqttOrigin;
  payload: string;
  resolve: (id: number) => void;
  reject: (err: Error) => void;
}

/** a group larger than this is split: one statement's parameters stay modest */
const MAX_GROUP = 2000;

/** SQLSTATE class 22, data exception: this data is refused, whatever the moment or the connection */
function refusedData(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

/** `committed`: after each group's commit, the residents whose inboxes it filled (the site's wake-up) */
export function postgresIngest(pool: pg.Pool, committed?: (residents: string[]) => void): Ingest & { drain(): Promise<void> } {
  let queue: Pending[] = [];
  let scheduled = false;
  /** a commit loop is running: what is appended meanwhile joins its next group */
  let active = false;
  let idle: Promise<void> = Promise.resolve();
  let failing: Error | null = null;
  let onHealth: (error: Error | null) => void = () => {};
  let onCommit: (seconds: number, events: number) => void = () => {};
  const stats: IngestStats & { split: number } = { appended: 0, commits: 0, largestGroup: 0, split: 0 };
  const status = deviceStatusCache();

  async function commitGroup(client: pg.PoolClient, group: Pending[]): Promise<number[]> {
    status.rolledBack(); // a retried attempt starts from what is committed
    const ids: Array<number | undefined> = new Array(group.length);
    const fresh: number[] = [];
    /** a resend of an event earlier in this same group -> that event's index */
    const twinOf = new Map<number, number>();
    for (let i = 0; i < group.length; i++) {
      const { event, origin, payload } = group[i];
      if (origin?.dup && !mayAlarm(event)) {
        // a resend of a message already stored in its own MQTT session, possibly earlier in this same group
        const { rows } = await client.query({
          name: 'events.dup',
          text: `SELECT id FROM events WHERE resident_id = $1 AND at >= $2 AND device_id = $3 AND mqtt_client = $4 AND mqtt_message_id = $5
            AND payload = $6 ORDER BY at DESC, id DESC LIMIT 1`,
          values: [event.residentId, event.at - DUP_WINDOW_MS, event.deviceId, origin.session, origin.messageId, payload],
        });
        if (rows[0]) { ids[i] = -rows[0].id; continue; }
        const twin = fresh.find((j) => group[j].event.deviceId === event.deviceId && group[j].origin?.messageId === origin.messageId
          && group[j].origin?.session === origin.session && group[j].payload === payload && group[j].event.residentId === event.residentId);
        if (twin !== undefined) { twinOf.set(i, twin); continue; }
      }
      fresh.push(i);
    }
    if (fresh.length) {
      const col = <T>(f: (p: Pending) => T) => fresh.map((i) => f(group[i]));
      // ids come from the sequence in the order rows are inserted, which ORDER BY ord fixes
      const { rows } = await client.query({
        name: 'events.insert',
        // each stored event also waits in its resident's inbox for the rules, in the same transaction
        text: `WITH stored AS (INSERT INTO events (at, device_id, resident_id, type, source, payload, mqtt_client, mqtt_message_id)
          SELECT at, device_id, resident_id, type, source, payload, mqtt_client, mqtt_message_id
          FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
            WITH ORDINALITY AS u(at, device_id, resident_id, type, source, payload, mqtt_client, mqtt_message_id, ord)
          ORDER BY ord RETURNING id, resident_id),
          inbox AS (INSERT INTO event_inbox (resident_id, event_id) SELECT resident_id, id FROM stored)
          SELECT id FROM stored`,
        values: [col((p) => p.event.at), col((p) => p.event.deviceId), col((p) => p.event.residentId), col((p) => p.event.type),
          col((p) => p.event.source), col((p) => p.payload), col((p) => p.origin?.session ?? null), col((p) => p.origin?.messageId ?? null)],
      });
      const inserted = (rows as Array<{ id: number }>).map((r) => r.id).sort((a, b) => a - b);
      fresh.forEach((i, k) => { ids[i] = inserted[k]; });
      for (const [i, twin] of twinOf) ids[i] = -ids[twin]!;
      // the devices' rows: only what changed, merged per device, in id order (no deadlock between processes)
      const byDevice = new Map<string, DeviceStatus>();
      for (const i of fresh) {
        const next = status.note(group[i].event);
        if (!next) continue;
        const prev = byDevice.get(group[i].event.deviceId);
        byDevice.set(group[i].event.deviceId, prev
          ? { lastSeen: Math.max(prev.lastSeen, next.lastSeen), battery: next.battery ?? prev.battery, availability: next.availability ?? prev.availability }
          : next);
      }
      if (byDevice.size) {
        const devices = [...byDevice.keys()].sort();
        await client.query({
          name: 'devices.seen',
          text: `UPDATE devices d SET last_seen = GREATEST(COALESCE(d.last_seen, 0), u.at), battery = COALESCE(u.battery, d.battery),
            availability = COALESCE(u.availability, d.availability)
            FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[]) AS u(id, at, battery, availability) WHERE d.id = u.id`,
          values: [devices, devices.map((d) => byDevice.get(d)!.lastSeen), devices.map((d) => byDevice.get(d)!.battery),
            devices.map((d) => byDevice.get(d)!.availability)],
        });
      }
    }
    return ids as number[];
  }

  /** commits `group` in one transaction and answers each append: null, or the error it rolled back with (nobody answered yet) */
  async function commit(group: Pending[]): Promise<unknown> {
    try {
      const started = performance.now();
      const ids = await inTransaction(pool, (client) => commitGroup(client, group));
      onCommit((performance.now() - started) / 1000, group.length);
      status.committed();
      stats.commits++;
      stats.largestGroup = Math.max(stats.largestGroup, group.length);
      if (failing) { failing = null; onHealth(null); }
      group.forEach((p, i) => p.resolve(ids[i]));
      committed?.(group.filter((_, i) => ids[i] > 0).map((p) => p.event.residentId));
      return null;
    } catch (err) {
      status.rolledBack();
      return err;
    }
  }

  /** every append of `group` fails with `err` (no PUBACK: the device resends) */
  function fail(group: Pending[], err: unknown): void {
    // a report the database refuses says nothing of the store's health; anything else does
    if (!refusedData(err)) {
      if (!failing) { failing = err as Error; onHealth(failing); }
      failing = err as Error;
    }
    for (const p of group) p.reject(err as Error);
  }

  async function run(): Promise<void> {
    // the loop's last look at the queue and `active = false` happen in one synchronous step, so
    // an append can never land between them and be left waiting for a loop that has ended
    while (queue.length) {
      const group = queue.slice(0, MAX_GROUP);
      queue = queue.slice(group.length);
      const err = await commit(group);
      if (!err) continue;
      if (group.length === 1 || !refusedData(err)) { fail(group, err); continue; }
      // the database refused one report's data (a class 22 error: text or a number it cannot
      // hold), which rolled back every report of the group with it: each alone now, in order, so
      // only the report it refuses goes unanswered and the alarms that shared its group are kept
      stats.split++;
      for (const p of group) {
        const alone = await commit([p]);
        if (alone) fail([p], alone);
      }
    }
    active = false;
  }

  function flush(): void {
    scheduled = false;
    if (active) return; // the running loop takes what queued meanwhile
    active = true;
    idle = run();
  }

  return {
    append(event, origin) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ event, origin, payload: eventPayload(event), resolve, reject });
        stats.appended++;
        if (!scheduled && !active) {
          scheduled = true;
          // the rest of this turn's messages join the same group
          setImmediate(flush);
        }
      });
    },
    async lastError() {
      if (!failing) return null;
      try {
        await pool.query('SELECT 1');
        failing = null;
        onHealth(null);
      } catch (err) {
        failing = err as Error;
      }
      return failing;
    },
    onHealthChange(fn) { onHealth = fn; },
    onCommit(fn) { onCommit = fn; },
    stats: () => ({ ...stats }),
    async drain() {
      while (active || scheduled || queue.length) {
        if (active) await idle;
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
  };
}
