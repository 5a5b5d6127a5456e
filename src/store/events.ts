// Device events, committed in groups: every message that arrives while a commit is pending
// joins the next transaction, so `sync: full` pays one fsync for many PUBACKs.
import type { Db } from './db.ts';
import type { DeviceEvent } from '../domain/types.ts';

export interface MqttOrigin {
  /**
   * The MQTT session the message came in: a resend (DUP) can only repeat a message of the same
   * session, so only there is it looked for. The broker names it: one connection with a clean
   * session, or a client id's persistent session (stored in events.mqtt_client).
   */
  session: string;
  messageId: number;
  /** the DUP flag: a resend of a message that may already be stored */
  dup: boolean;
}

/**
 * The answer to one append, once its transaction has committed (`id`) or failed (`err`). Called
 * straight from the group commit, no promise in between; it must not throw (a throw is reported
 * as an uncaught error after the group's other answers have run).
 */
export type AppendDone = (err: Error | null, id?: number) => void;

interface Pending {
  event: DeviceEvent;
  origin?: MqttOrigin;
  payload: string;
  done: AppendDone;
}

/** answers every append of a group, each on its own: one answer that throws cannot keep the others from theirs */
export function answerAll(group: ReadonlyArray<{ done: AppendDone }>, err: Error | null, ids?: readonly number[]): void {
  for (let i = 0; i < group.length; i++) {
    try {
      group[i].done(err, ids?.[i]);
    } catch (thrown) {
      // what a throwing promise handler would have become: an uncaught error, not a lost answer
      queueMicrotask(() => { throw thrown; });
    }
  }
}

/** the promise form of an append, over its callback form */
export function appendPromise(appendThen: (event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone) => void, event: DeviceEvent, origin?: MqttOrigin): Promise<number> {
  return new Promise((resolve, reject) => {
    appendThen(event, origin, (err, id) => (err ? reject(err) : resolve(id!)));
  });
}

const LAST_SEEN_RESOLUTION_MS = 60_000;

/** rows in one INSERT statement at most (8 columns each: well inside SQLite's variable limit) */
const BATCH_ROWS = 64;

/**
 * How long a resent QoS 1 message is recognised as a duplicate of a stored one. A client resends
 * when it reconnects, seconds or minutes later; a longer window only widens the chance that a new
 * message reusing a wrapped packet id is taken for an old one.
 */
export const DUP_WINDOW_MS = 10 * 60_000;

/** readings that on their own never raise an alert */
const QUIET = new Set(['contact', 'occupancy', 'presence', 'test']);

/**
 * A report that may raise an alarm (a hazard, a button press, low battery, tamper) is never
 * dropped as a resend: storing it twice costs one row, and one ongoing condition is one alert
 * anyway; dropping a new one by mistake could lose an SOS.
 */
export function mayAlarm(event: DeviceEvent): boolean {
  if (event.type !== 'state') return false;
  const r = (event.readings ?? {}) as Record<string, unknown>;
  if (typeof r.action === 'string') return true;
  return Object.entries(r).some(([k, v]) => v === true && !QUIET.has(k));
}

export function eventPayload(event: DeviceEvent): string {
  return JSON.stringify(event.type === 'availability' ? { availability: event.availability } : event.readings ?? {});
}

export function eventFromRow(row: any): DeviceEvent {
  const payload = JSON.parse(row.payload);
  return {
    id: row.id, at: row.at, deviceId: row.device_id, residentId: row.resident_id, kind: row.kind, source: row.source, type: row.type,
    ...(row.type === 'availability' ? { availability: payload.availability } : { readings: payload }),
  };
}

/** A device's status as the devices table holds it: written only when something changed. */
export interface DeviceStatus { lastSeen: number; battery: number | null; availability: string | null }

/**
 * A device's row (last seen, battery, availability) is written when something changed, and
 * last seen at most once a minute: a second write per event would halve ingest for a value
 * people read to the minute. The rules keep their own exact times. Each engine's group commit
 * asks `note` per event inside its transaction and calls `committed` or `rolledBack` after it.
 */
export function deviceStatusCache() {
  const written = new Map<string, DeviceStatus>();
  let changed = new Map<string, DeviceStatus>();
  return {
    /** the status to write for this event's device, or null when the stored one is still true */
    note(event: DeviceEvent): DeviceStatus | null {
      const next: DeviceStatus = {
        lastSeen: event.at,
        battery: typeof event.readings?.battery === 'number' ? Math.round(event.readings.battery) : null,
        availability: event.type === 'availability' ? event.availability! : null,
      };
      const id = event.deviceId;
      const prev = changed.get(id) ?? written.get(id);
      const differs = !prev || next.lastSeen - prev.lastSeen >= LAST_SEEN_RESOLUTION_MS
        || (next.battery !== null && next.battery !== prev.battery)
        || (next.availability !== null && next.availability !== prev.availability);
      if (!differs) return null;
      changed.set(id, {
        lastSeen: Math.max(next.lastSeen, prev?.lastSeen ?? 0),
        battery: next.battery ?? prev?.battery ?? null,
        availability: next.availability ?? prev?.availability ?? null,
      });
      return next;
    },
    /** only what committed is known to be written */
    committed(): void {
      for (const [id, s] of changed) written.set(id, s);
      changed = new Map();
    },
    rolledBack(): void { changed = new Map(); },
  };
}

export interface EventRepositoryOptions {
  /**
   * Runs each group commit when the connection is free: the SQLite store's gate, so a group
   * never lands inside another unit of work that is open on the same connection.
   */
  exclusive?: (commit: () => void) => void;
}

export function eventRepository(db: Db, options: EventRepositoryOptions = {}) {
  const insert = db.prepare(`INSERT INTO events (at, device_id, resident_id, type, source, payload, mqtt_client, mqtt_message_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  // rare (only a resend carries DUP), so it rides the resident index rather than paying for one of its own
  const findDup = db.prepare(`SELECT id FROM events WHERE resident_id = ? AND at >= ? AND device_id = ? AND mqtt_client = ? AND mqtt_message_id = ? AND payload = ?
    ORDER BY at DESC, id DESC LIMIT 1`);
  const seen = db.prepare(`UPDATE devices SET last_seen = MAX(COALESCE(last_seen, 0), @at),
    battery = COALESCE(@battery, battery), availability = COALESCE(@availability, availability) WHERE id = @id`);
  const after = db.prepare(`SELECT e.*, d.kind FROM events e JOIN devices d ON d.id = e.device_id WHERE e.id > ? ORDER BY e.id LIMIT ?`);
  const byId = db.prepare(`SELECT e.*, d.kind FROM events e JOIN devices d ON d.id = e.device_id WHERE e.id = ?`);
  const maxId = db.prepare(`SELECT COALESCE(MAX(id), 0) AS id FROM events`);
  // each stored event waits in its resident's inbox for the rules (a group's new ids are one run:
  // its transaction is the only writer while it lasts, and a new row takes the largest id + 1)
  const toInbox = db.prepare(`INSERT INTO event_inbox (resident_id, event_id) SELECT resident_id, id FROM events WHERE id BETWEEN ? AND ?`);

  let queue: Pending[] = [];
  let scheduled = false;
  let failing: Error | null = null;
  let onHealth: (error: Error | null) => void = () => {};
  let onCommit: (seconds: number, events: number) => void = () => {};

  // Rows go in as multi-row INSERTs of up to BATCH_ROWS: one statement step for many rows costs
  // far less than a step each. The ids of one statement's rows are consecutive (the gateway is the
  // only writer and `id` is the rowid: each new row gets the largest id + 1), so the last insert
  // id gives them all.
  const batchInsert = new Map<number, ReturnType<Db['prepare']>>();
  const insertOf = (n: number) => {
    let stmt = batchInsert.get(n);
    if (!stmt) {
      stmt = db.prepare(`INSERT INTO events (at, device_id, resident_id, type, source, payload, mqtt_client, mqtt_message_id)
        VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
      batchInsert.set(n, stmt);
    }
    return stmt;
  };
  const params: unknown[] = [];

  /** inserts group[from..to) (none of them a resend found stored), writing their ids */
  function insertRows(group: Pending[], from: number, to: number, ids: number[]): void {
    for (let at = from; at < to;) {
      const n = to - at >= BATCH_ROWS ? BATCH_ROWS : to - at >= 16 ? 16 : 1;
      params.length = 0;
      for (let i = at; i < at + n; i++) {
        const { event, origin, payload } = group[i];
        params.push(event.at, event.deviceId, event.residentId, event.type, event.source, payload, origin?.session ?? null, origin?.messageId ?? null);
      }
      const last = Number((n === 1 ? insert : insertOf(n)).run(params).lastInsertRowid);
      for (let i = 0; i < n; i++) ids[at + i] = last - n + 1 + i;
      at += n;
    }
  }

  const commitGroup = db.transaction((group: Pending[]) => {
    const ids: number[] = new Array(group.length);
    let from = 0;
    for (let i = 0; i < group.length; i++) {
      const { event, origin } = group[i];
      if (origin?.dup && !mayAlarm(event)) {
        // the original may be in this very group: write what came before it first
        insertRows(group, from, i, ids);
        from = i + 1;
        const existing = findDup.get(event.residentId, event.at - DUP_WINDOW_MS, event.deviceId, origin.session, origin.messageId, group[i].payload) as { id: number } | undefined;
        if (existing) ids[i] = -existing.id;
        else insertRows(group, i, i + 1, ids);
      }
    }
    insertRows(group, from, group.length, ids);
    let first = Infinity;
    let last = 0;
    for (const id of ids) if (id > 0) { if (id < first) first = id; if (id > last) last = id; }
    if (last) toInbox.run(first, last);
    for (let i = 0; i < group.length; i++) {
      if (ids[i] < 0) continue;
      const { event } = group[i];
      const next = status.note(event);
      if (next) seen.run({ id: event.deviceId, at: next.lastSeen, battery: next.battery, availability: next.availability });
    }
    return ids;
  });

  const status = deviceStatusCache();

  const stats = { appended: 0, commits: 0, largestGroup: 0 };
  const exclusive = options.exclusive ?? ((commit: () => void) => commit());

  function flush(): void {
    scheduled = false;
    exclusive(commitQueued);
  }

  function commitQueued(): void {
    const group = queue;
    queue = [];
    if (!group.length) return;
    let ids: number[];
    try {
      status.rolledBack();
      const started = performance.now();
      ids = commitGroup(group);
      onCommit((performance.now() - started) / 1000, group.length);
      status.committed();
      stats.commits++;
      stats.largestGroup = Math.max(stats.largestGroup, group.length);
      if (failing) { failing = null; onHealth(null); }
    } catch (err) {
      if (!failing) { failing = err as Error; onHealth(failing); }
      failing = err as Error;
      status.rolledBack();
      answerAll(group, err as Error);
      return;
    }
    // after the commit, outside its try: an answer is given once, never a success then a failure
    answerAll(group, null, ids);
  }

  function appendThen(event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone): void {
    queue.push({ event, origin, payload: eventPayload(event), done });
    stats.appended++;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }

  return {
    /**
     * Resolves with the stored id once the event's transaction has committed; a negative id
     * means the message was a resend of the stored event -id and nothing new was written.
     */
    append(event: DeviceEvent, origin?: MqttOrigin): Promise<number> {
      return appendPromise(appendThen, event, origin);
    },
    /**
     * The same without a promise: `done` is called from the group commit itself, after COMMIT
     * (with the id) or after the rollback (with the error). The broker's hot path: no promise
     * turn between a message and its PUBACK.
     */
    appendThen,
    /**
     * null when the store accepts writes; else the last error. A lock is checked again on each
     * call (so health recovers once it is released, even before the next message); a full disk
     * is cleared only by a real commit, since a probe row may still fit where a message does not.
     */
    lastError(): Error | null {
      if (!failing || (failing as { code?: string }).code === 'SQLITE_FULL') return failing;
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
        failing = null;
        onHealth(null);
      } catch (err) {
        failing = err as Error;
      }
      return failing;
    },
    /** told once when commits start failing and once when they succeed again */
    onHealthChange(fn: (error: Error | null) => void): void { onHealth = fn; },
    /** told after each group commit how long its transaction took and how many events it held */
    onCommit(fn: (seconds: number, events: number) => void): void { onCommit = fn; },
    /** events committed after `id`, oldest first: what the rules core has not seen yet */
    after: (id: number, limit = 1000): DeviceEvent[] => after.all(id, limit).map(eventFromRow),
    get: (id: number): DeviceEvent | undefined => {
      const row = byId.get(id);
      return row ? eventFromRow(row) : undefined;
    },
    maxId: (): number => (maxId.get() as { id: number }).id,
    /** appends, group commits, and the largest group so far */
    stats: () => ({ ...stats }),
  };
}
export type EventRepository = ReturnType<typeof eventRepository>;
