// LISTEN/NOTIFY between the processes of a site, as a wake-up only: after a commit that makes
// work another process may have to do (events in a home's inbox, an alert whose step falls due,
// an outbox row due, an alert changed for the live page), one NOTIFY on the site's channel, and
// every other process looks at the store at once instead of at its next poll. Nothing rests on
// it: a notification is lost while a listener reconnects or when the process dies between its
// commit and the NOTIFY, so each process's polls stay (the rules' inbox look, the escalation and
// outbox look of src/site.ts). Payloads carry kinds and ids only: never a phone number or a note.
// One kind is sent otherwise: a rules timer row written due sooner than it was ('timer', the due
// time as its id) is notified by the very statement that writes the row (tables.ts
// ruleTimersTable), inside the deciding unit of work, so PostgreSQL delivers it on that commit
// and never for a rollback; the listeners bring their one timer forward (rules/runtime.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SiteSignals, WakeKind } from '../ports.ts';

/** the one channel of the site's processes (one database is one site) */
export const WAKE_CHANNEL = 'gateway_wake';
/** PostgreSQL refuses a payload of 8000 bytes or more: longer id lists are split */
const MAX_PAYLOAD = 7000;
/** what is asked for within this long goes in one notification per kind (a busy ingest sends at most one per window) */
const BATCH_MS = 20;
const KINDS: readonly WakeKind[] = ['inbox', 'escalation', 'outbox', 'alert', 'timer'];

export interface SignalsOptions {
  url: string;
  pool: pg.Pool;
  applicationName?: string;
  /** the listening connection failed (it reconnects by itself) */
  onError?: (err: Error) => void;
  /** first wait before reconnecting the listener (doubles up to 10 s) */
  reconnectMs?: number;
}

/**
 * Opens the listening connection (one per process, outside the pool) and returns the sender and
 * the listeners' registry. A process does not hear its own notifications (each carries the
 * process's random tag). After the listener reconnects, every kind is told once with no ids:
 * what was sent meanwhile is lost, so the listeners look at everything.
 */
export interface OpenSignals extends SiteSignals {
  /** the payload of one notification from this process, for a statement that sends it itself (pg_notify inside a transaction) */
  payload(kind: WakeKind, ids: string[]): string;
  close(): Promise<void>;
}

export async function openSignals(options: SignalsOptions): Promise<OpenSignals> {
  const tag = randomBytes(6).toString('hex');
  const listeners = new Map<WakeKind, Array<{ owner: object; fn: (ids: string[]) => void }>>();
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let backoff = options.reconnectMs ?? 500;

  const tell = (kind: WakeKind, ids: string[]) => {
    for (const l of listeners.get(kind) ?? []) {
      try { l.fn(ids); } catch (err) { options.onError?.(err as Error); }
    }
  };
  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== WAKE_CHANNEL || !msg.payload) return;
    // "<kind> <tag> <id,id,...>"
    const [kind, from, list = ''] = msg.payload.split(' ');
    if (from === tag || !KINDS.includes(kind as WakeKind)) return;
    tell(kind as WakeKind, list ? list.split(',') : []);
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: options.url, application_name: `${options.applicationName ?? 'safe-home-gateway'} (listen)` });
    c.on('notification', onNotification);
    c.on('error', (err) => { options.onError?.(err); lost(c); });
    c.on('end', () => lost(c));
    await c.connect();
    await c.query(`LISTEN ${WAKE_CHANNEL}`);
    if (closed) { await c.end().catch(() => {}); return; }
    client = c;
    backoff = options.reconnectMs ?? 500;
  };
  const lost = (c: pg.Client) => {
    if (client !== c || closed) return;
    client = null;
    c.end().catch(() => {});
    reconnect();
  };
  const reconnect = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect().then(
        () => { for (const kind of KINDS) tell(kind, []); },
        (err: Error) => { options.onError?.(err); backoff = Math.min(backoff * 2, 10_000); reconnect(); },
      );
    }, backoff);
    retry.unref();
  };
  await connect();

  // sent one after another on the pool, so two changes of one alert arrive in the order made;
  let chain: Promise<unknown> = Promise.resolve();
  // per kind, the ids asked for within BATCH_MS (`seen`: each once, for the kinds that need no order)
  const queued = new Map<WakeKind, { ids: string[]; seen: Set<string> }>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = [...queued];
    queued.clear();
    for (const [kind, { ids }] of batch) {
      for (const payload of payloads(kind, tag, ids)) {
        chain = chain.then(() => options.pool.query('SELECT pg_notify($1, $2)', [WAKE_CHANNEL, payload])).catch((err: Error) => options.onError?.(err));
      }
    }
  };

  return {
    payload: (kind, ids) => `${kind} ${tag}${ids.length ? ` ${ids.join(',')}` : ''}`,
    notify(kind, ids = []) {
      if (closed) return;
      let q = queued.get(kind);
      if (!q) queued.set(kind, q = { ids: [], seen: new Set() });
      // the alert changes keep every entry, in order; the other kinds need each id once (an
      // ingest group names a resident once per event: a set, not a scan of the list per id)
      for (const id of ids) {
        if (kind !== 'alert') {
          if (q.seen.has(id)) continue;
          q.seen.add(id);
        }
        q.ids.push(id);
      }
      if (!scheduled) { scheduled = true; setTimeout(flush, BATCH_MS).unref(); }
    },
    on(kind, owner, fn) {
      const list = listeners.get(kind) ?? [];
      list.push({ owner, fn });
      listeners.set(kind, list);
    },
    off(owner) {
      for (const [kind, list] of listeners) listeners.set(kind, list.filter((l) => l.owner !== owner));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retry) clearTimeout(retry);
      if (scheduled) flush();
      await chain;
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}

/** "<kind> <tag> <ids>", split so that no payload passes PostgreSQL's limit */
function payloads(kind: WakeKind, tag: string, ids: string[]): string[] {
  const head = `${kind} ${tag}`;
  if (!ids.length) return [head];
  const out: string[] = [];
  let current: string[] = [];
  let length = head.length + 1;
  for (const id of ids) {
    if (current.length && length + id.length + 1 > MAX_PAYLOAD) {
      out.push(`${head} ${current.join(',')}`);
      current = [];
      length = head.length + 1;
    }
    current.push(id);
    length += id.length + 1;
  }
  out.push(`${head} ${current.join(',')}`);
  return out;
}
