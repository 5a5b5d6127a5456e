// GET /api/stream: Server-Sent Events for the caseworkers' page (CONTRACT.md "HTTP": an alert
// that opens, is acknowledged or resolved is an `alert` event within 1 s). The hub is fed after
// each commit by the alert service and the casefile; it keeps the last events so a page that
// reconnects with Last-Event-ID misses nothing, and tells it to reload (`resync`) when it was
// away too long or the gateway restarted in between.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AlertRow, AlertsPort, SiteSignals } from '../store/index.ts';
import type { EventBus } from '../bus.ts';
import { publicAlert } from './alerts.ts';
import { bearer } from './schemas.ts';

export type LiveEventType = 'alert' | 'visit' | 'problem';

/** what another process of the site may tell of an alert */
const REMOTE_ACTIONS = new Set(['opened', 'acknowledged', 'resolved', 'updated', 'unanswered']);

interface Sent { seq: number; type: LiveEventType; residentId: string; json: string }

interface Subscriber {
  res: ServerResponse;
  /** who is listening (`token:<name>`, `user:<id>`, `session:<id>`), so that signing out or a
   *  disabled account ends the stream; the first key counts against the per-caller cap */
  keys: string[];
  close(): void;
}

export interface LiveHubOptions {
  /** events kept for reconnecting pages */
  keep?: number;
  /** bytes a slow reader may fall behind before it is dropped (it reconnects and resyncs) */
  maxBuffered?: number;
  /** streams open at once, in all */
  maxStreams?: number;
  /** streams open at once per caller */
  maxPerCaller?: number;
  /**
   * a stream is closed after this long (with up to 10 % jitter); the page reconnects at once
   * with Last-Event-ID, missing nothing, and its credentials are checked again (a session that
   * expired or a token taken out of the config does not keep a stream for ever)
   */
  maxAgeMs?: number;
}

export class LiveHub {
  /** ids are `<epoch>-<seq>`: a page that saw another process's ids is told to resync */
  private readonly epoch = Date.now().toString(36);
  private seq = 0;
  private readonly ring: Sent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly keep: number;
  private readonly maxBuffered: number;
  readonly maxStreams: number;
  readonly maxPerCaller: number;
  private readonly maxAgeMs: number;

  constructor(opts: LiveHubOptions = {}) {
    this.keep = opts.keep ?? 1000;
    this.maxBuffered = opts.maxBuffered ?? 1024 * 1024;
    this.maxStreams = opts.maxStreams ?? 500;
    this.maxPerCaller = opts.maxPerCaller ?? 20;
    this.maxAgeMs = opts.maxAgeMs ?? 3600_000;
  }

  publish(type: LiveEventType, residentId: string, data: Record<string, unknown>): void {
    const sent: Sent = { seq: ++this.seq, type, residentId, json: JSON.stringify({ ...data, residentId }) };
    this.ring.push(sent);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    const frame = this.frame(sent);
    for (const s of this.subscribers) this.write(s, frame);
  }

  /**
   * From now until `bus.removeListeners(this)`: every change of an alert, as the store has it
   * after the commit, a visit recorded and a problem changed, to the page.
   */
  listenTo(bus: EventBus, alerts: Pick<AlertsPort, 'get'>, site?: SiteSignals): void {
    // each change read back from the store, published in the order the changes were told (a
    // slower read never lets "acknowledged" overtake "opened"); a failed read sends the row told
    let last: Promise<void> = Promise.resolve();
    const inOrder = (fn: () => Promise<void> | void) => { last = last.then(fn).catch(() => {}); };
    // `by`: who did it, as told, or read from the row (a change another process made)
    const later = (id: number, told: AlertRow | undefined, action: string, by?: string | ((row: AlertRow) => string | null)) => {
      const read = alerts.get(id).catch(() => undefined);
      inOrder(async () => {
        const fresh = (await read) ?? told;
        if (!fresh) return;
        const who = typeof by === 'function' ? by(fresh) : by;
        this.publish('alert', fresh.residentId, { action, ...(who ? { by: who } : {}), alert: publicAlert(fresh) });
      });
    };
    // the other processes of the site are told the alert's id and what happened, nothing more
    // (no phone numbers, no notes): each reads the row itself and tells its own pages
    const send = (row: AlertRow, action: string, by?: string) => { later(row.id, row, action, by); site?.notify('alert', [`${row.id}:${action}`]); };
    site?.on('alert', this, (changes) => {
      for (const change of changes) {
        const [id, action] = change.split(':');
        if (!REMOTE_ACTIONS.has(action) || !/^\d+$/.test(id)) continue;
        later(Number(id), undefined, action, (row) => (action === 'acknowledged' ? row.acknowledgedBy : action === 'resolved' ? row.resolvedBy : null));
      }
    });
    bus.on('alertOpened', this, (row) => send(row, 'opened'));
    bus.on('alertAcknowledged', this, (row, by) => send(row, 'acknowledged', by));
    bus.on('alertResolved', this, (row, by) => send(row, 'resolved', by));
    bus.on('alertUpdated', this, (row) => send(row, 'updated'));
    bus.on('alertUnanswered', this, (alertId) => { later(alertId, undefined, 'unanswered'); site?.notify('alert', [`${alertId}:unanswered`]); });
    bus.on('visitRecorded', this, (v) => inOrder(() => this.publish('visit', v.residentId, { visitId: v.visitId, at: new Date(v.at).toISOString() })));
    bus.on('problemChanged', this, (residentId, problemId) => inOrder(() => this.publish('problem', residentId, { problemId })));
  }

  streams(): number { return this.subscribers.size; }

  /** ends the streams of one caller (signed out, account disabled) */
  closeFor(key: string): void {
    for (const s of [...this.subscribers]) if (s.keys.includes(key)) s.close();
  }

  closeAll(): void {
    for (const s of [...this.subscribers]) s.close();
  }

  attach(request: FastifyRequest, reply: FastifyReply, keys: string[]): void {
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise hold the events back
      'x-accel-buffering': 'no',
    });
    // a reconnecting page is told to retry soon; the browser adds its own jitter
    res.write(`retry: 2000\n: ${' '.repeat(16)}\n\n`);
    let closed = false;
    const subscriber: Subscriber = {
      res, keys,
      close: () => {
        if (closed) return;
        closed = true;
        this.subscribers.delete(subscriber);
        clearInterval(heartbeat);
        clearTimeout(expiry);
        res.end();
      },
    };
    // a comment every 15 s keeps proxies and phones from calling the connection idle
    const heartbeat = setInterval(() => this.write(subscriber, ': ping\n\n'), 15_000);
    heartbeat.unref();
    const expiry = setTimeout(() => subscriber.close(), this.maxAgeMs * (0.9 + Math.random() * 0.1));
    expiry.unref();
    request.raw.on('close', subscriber.close);
    res.on('error', subscriber.close);
    this.subscribers.add(subscriber);
    this.replay(subscriber, String(request.headers['last-event-id'] ?? (request.query as { lastEventId?: string }).lastEventId ?? ''));
    this.write(subscriber, `event: ready\ndata: ${JSON.stringify({ id: this.lastId() })}\n\n`);
  }

  perCaller(key: string): number {
    let n = 0;
    for (const s of this.subscribers) if (s.keys[0] === key) n++;
    return n;
  }

  private lastId(): string { return `${this.epoch}-${this.seq}`; }

  private replay(s: Subscriber, lastEventId: string): void {
    if (!lastEventId) return;
    const match = /^([0-9a-z]+)-(\d+)$/.exec(lastEventId);
    const seq = match && match[1] === this.epoch ? Number(match[2]) : NaN;
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    // another process's ids, ids from the future, or older than we kept: reload everything
    if (!Number.isFinite(seq) || seq > this.seq || seq < oldest - 1) {
      this.write(s, `id: ${this.lastId()}\nevent: resync\ndata: {}\n\n`);
      return;
    }
    for (const sent of this.ring) if (sent.seq > seq) this.write(s, this.frame(sent));
  }

  private frame(sent: Sent): string {
    return `id: ${this.epoch}-${sent.seq}\nevent: ${sent.type}\ndata: ${sent.json}\n\n`;
  }

  private write(s: Subscriber, frame: string): void {
    if (s.res.writableEnded || s.res.destroyed) { s.close(); return; }
    // a reader that cannot keep up is dropped rather than buffered without end
    if (s.res.writableLength > this.maxBuffered) { s.close(); return; }
    s.res.write(frame);
  }
}

export interface StreamRoutesDeps {
  hub: LiveHub;
  /** the keys a stream is filed under (see Subscriber.keys); the first is the per-caller cap's */
  keysOf(request: FastifyRequest): string[];
}

export async function streamRoutes(app: FastifyInstance, deps: StreamRoutesDeps): Promise<void> {
  const { hub } = deps;
  app.get('/api/stream', {
    schema: {
      summary: 'Live events for the caseworkers\' page (Server-Sent Events): alert, visit, problem; resync when events were missed',
      tags: ['live'], security: bearer,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { lastEventId: { type: 'string', maxLength: 40, description: 'as the Last-Event-ID header, for clients that cannot set it' } },
      },
    },
  }, async (request, reply) => {
    const keys = deps.keysOf(request);
    if (hub.streams() >= hub.maxStreams || hub.perCaller(keys[0]) >= hub.maxPerCaller) {
      return reply.code(503).header('retry-after', '30').send({ error: 'too many live streams open', code: 'too_many_streams' });
    }
    hub.attach(request, reply, keys);
    return reply;
  });
}
