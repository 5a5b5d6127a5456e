// The embedded broker (aedes) behind the BrokerAdapter interface. Its hooks are thin:
// authentication asks the Authenticator, topic checks ask the pure ACL, and a publish is
// handed to the sink; aedes writes PUBACK right after authorizePublish calls back, so we
// call back only once the sink has committed the message.
import { Aedes } from 'aedes';
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { Principal } from '../devices/index.ts';
import { canPublish, canSubscribe } from './acl.ts';
import { guardPacketSize } from './packet-guard.ts';
import { FailureLimiter, addressKey } from './rate-limit.ts';
import type { BrokerAdapter, BrokerOptions } from './types.ts';

/** failed CONNECTs allowed per minute before the source is refused unheard for the rest of it */
export const MQTT_FAILURES = {
  address: { max: 100, windowMs: 60_000 },
  user: { max: 10, windowMs: 60_000 },
};

/** how long a refused CONNECT waits for its CONNACK, and a blocked address's connection before it is closed */
const REFUSAL_DELAY_MS = 250;
const HOLD_BLOCKED_MS = 1_000;
/** connections of blocked addresses held at once; past it they are closed at once */
const MAX_HELD = 1_000;

const PRINCIPAL = Symbol('principal');
const SESSION = Symbol('session');
type ClientWithPrincipal = { id: string; clean?: boolean; closed?: boolean; conn?: Duplex; [PRINCIPAL]?: Principal; [SESSION]?: string };

/**
 * Names MQTT sessions, for recognising a resent message (DUP) only where it can be one: a
 * clean session lasts one connection [MQTT-3.1.2-6], so each gets a name of its own; a
 * persistent session (clean: false) lives on under its client id until a clean CONNECT with
 * that id ends it. A device that reboots and starts its packet ids again is a new session.
 */
class Sessions {
  private readonly boot = randomBytes(4).toString('hex');
  private seq = 0;
  /** persistent sessions' generations, by client id (only ids that asked for one) */
  private generations = new Map<string, number>();

  begin(clientId: string, clean: boolean): string {
    if (clean) {
      const g = this.generations.get(clientId);
      if (g !== undefined) this.generations.set(clientId, g + 1);
      return `c:${this.boot}:${++this.seq}`;
    }
    const g = this.generations.get(clientId) ?? 0;
    this.generations.set(clientId, g);
    return `s:${g}:${clientId}`;
  }
}

const principalKey = (p: Principal) => (p.type === 'device' ? `device:${p.deviceId}` : `bridge:${p.username}`);

/**
 * Who holds each MQTT client id: a live connection, or a persistent session (clean: false) that
 * outlives its connection. Another principal asking for a held id is refused (CONNACK 2),
 * so one device cannot knock another off the broker or pick up its queued commands; the same
 * principal reconnecting takes over its own session as MQTT says [MQTT-3.1.4-2].
 */
class ClientIds {
  private held = new Map<string, { principal: string; client: ClientWithPrincipal; persistent: boolean }>();

  claim(client: ClientWithPrincipal, principal: Principal): boolean {
    const key = principalKey(principal);
    const h = this.held.get(client.id);
    if (h && h.principal !== key && (h.persistent || !h.client.closed)) return false;
    this.held.set(client.id, { principal: key, client, persistent: client.clean === false });
    client.conn?.once('close', () => {
      const now = this.held.get(client.id);
      if (now && now.client === client && !now.persistent) this.held.delete(client.id);
    });
    return true;
  }

  /** a device's secret changed or it was removed: its sessions belong to nobody any more */
  release(principal: Principal): void {
    const key = principalKey(principal);
    for (const [id, h] of this.held) if (h.principal === key) this.held.delete(id);
  }
}

/** a refusal for aedes; without a stack trace, which a flood of refusals would pay for each time */
function authError(message: string, returnCode: number): Error & { returnCode: number } {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(message), { returnCode });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export class EmbeddedBroker implements BrokerAdapter {
  private aedes: Aedes | null = null;
  private servers: Array<TcpServer | HttpServer> = [];
  private wss: WebSocketServer | null = null;
  private ports: Record<string, number> = {};
  private ids = new ClientIds();
  private sessions = new Sessions();
  private limits = {
    /** wrong CONNECTs from one address, whatever the username */
    address: new FailureLimiter(MQTT_FAILURES.address),
    /** wrong CONNECTs for one username from one address: a retrying misconfigured client locks out only itself */
    user: new FailureLimiter(MQTT_FAILURES.user),
  };

  constructor(private readonly opts: BrokerOptions) {}

  async start(): Promise<void> {
    const { auth, sink, metrics, log, config } = this.opts;
    describeMetrics(metrics);
    // aedes 1.x speaks MQTT 3.1 and 3.1.1 only and answers any other version with CONNACK 1
    // (unacceptable protocol version): say so once per client, where an operator looks
    const versionWarned = new Set<string>();
    const preConnect = (client: { id?: string }, packet: { protocolVersion?: number; clientId?: string; username?: string }, callback: (err: Error | null, ok: boolean) => void) => {
      const version = packet.protocolVersion;
      if (version !== 3 && version !== 4) {
        metrics.inc('gateway_connections_refused_total', { reason: `mqtt_version_${String(version).slice(0, 4)}` });
        const who = `${packet.clientId ?? ''}\u0000${packet.username ?? ''}`;
        if (!versionWarned.has(who) && versionWarned.size < 10_000) {
          versionWarned.add(who);
          log.warn({ clientId: packet.clientId?.slice(0, 64), username: packet.username?.slice(0, 64), protocolVersion: version },
            `connection refused: MQTT ${version === 5 ? '5' : `protocol version ${version}`} is not supported; devices and zigbee2mqtt must use MQTT 3.1.1`);
        }
      }
      void client;
      callback(null, true);
    };
    const aedes = await Aedes.createBroker({ heartbeatInterval: 60_000, connectTimeout: 10_000, preConnect: preConnect as never });
    this.aedes = aedes;
    const ids = this.ids;
    const sessions = this.sessions;
    const limits = this.limits;
    const addresses = new WeakMap<object, string | undefined>();
    let held = 0;

    aedes.authenticate = (client, username, password, done) => {
      const c = client as unknown as ClientWithPrincipal;
      const address = addressKey(c.conn ? addresses.get(c.conn) : undefined);
      const user = `${address}|${(username ?? '').slice(0, 128)}`;
      const refuse = (reason: string, returnCode = 5, quiet = false) => {
        metrics.inc('gateway_connections_refused_total', { reason });
        // ids only: the username is a device id or bridge name, never the password
        if (!quiet) log.warn({ clientId: client.id?.slice(0, 64), username: username?.slice(0, 64), reason }, 'connection refused');
        // answered a little later: a client that retries at once (a guesser's loop) waits for it,
        // instead of reconnecting as fast as the event loop can refuse it
        setTimeout(() => done(authError(returnCode === 2 ? 'identifier rejected' : 'not authorized', returnCode) as never, false), REFUSAL_DELAY_MS).unref();
      };
      // past the limit the credentials are not even looked at: guessing gains nothing
      if (limits.address.blockedFor(address) > 0 || limits.user.blockedFor(user) > 0) return refuse('rate_limited', 5, true);
      const checked = username ? auth.check(username, password ?? Buffer.alloc(0)) : Promise.resolve(undefined);
      checked.then((principal) => {
        if (!principal) {
          const reached = [limits.address.failed(address), limits.user.failed(user)].some(Boolean);
          if (reached) log.warn({ address, username: username?.slice(0, 64) }, 'too many failed CONNECTs: refusing this source for a while');
          return refuse(username ? 'bad_credentials' : 'no_username');
        }
        if (!ids.claim(c, principal)) return refuse('client_id_taken', 2);
        c[PRINCIPAL] = principal;
        c[SESSION] = sessions.begin(c.id, c.clean !== false);
        done(null, true);
      }, (err: Error) => {
        log.error({ err: err.message }, 'authentication failed to run');
        done(authError('server unavailable', 3) as never, false);
      });
    };

    aedes.authorizePublish = (client, packet, done) => {
      const principal = client ? (client as unknown as ClientWithPrincipal)[PRINCIPAL] : undefined;
      if (!principal || !canPublish(principal, packet.topic)) {
        metrics.inc('gateway_publish_refused_total');
        log.warn({ clientId: client?.id?.slice(0, 64), topic: packet.topic.slice(0, 200) }, 'publish refused');
        return done(new Error('publish not authorized'));
      }
      const origin = packet.qos > 0 && packet.messageId !== undefined
        ? { session: (client as unknown as ClientWithPrincipal)[SESSION] ?? `c:${client!.id}`, messageId: packet.messageId, dup: packet.dup === true }
        : undefined;
      const received = origin ? performance.now() : 0;
      sink({ topic: packet.topic, payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), principal, origin }, (err) => {
        if (err) {
          // not stored, so no PUBACK: the client keeps the message and sends it again
          metrics.inc('gateway_messages_dropped_total', { reason: 'store_failed' });
          // the store logs the outage once; this is per message
          log.debug({ err: err.message, clientId: client?.id?.slice(0, 64) }, 'could not store message; withholding PUBACK');
          return done(err);
        }
        // a dropped payload is acknowledged too: resending a malformed report would not mend it;
        // aedes answers PUBACK as soon as done() runs
        if (origin) metrics.observe('gateway_mqtt_puback_seconds', (performance.now() - received) / 1000);
        done(null);
      });
    };

    aedes.authorizeSubscribe = (client, sub, done) => {
      const principal = (client as unknown as ClientWithPrincipal)[PRINCIPAL];
      if (!principal || !canSubscribe(principal, sub.topic)) {
        metrics.inc('gateway_subscribe_refused_total');
        log.warn({ clientId: client.id?.slice(0, 64), topic: sub.topic.slice(0, 200) }, 'subscribe refused');
        return done(new Error('subscribe not authorized'));
      }
      done(null, sub);
    };

    aedes.on('clientError', (client, err) => log.debug({ clientId: client?.id?.slice(0, 64), err: err.message }, 'client error'));
    aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));

    // every listener's connections pass the packet-size guard before aedes sees them
    const handle = (conn: Duplex, req?: unknown) => {
      // the peer's address, for the failed-CONNECT limit (a WebSocket stream has it on its request)
      const address = (req as { socket?: { remoteAddress?: string } } | undefined)?.socket?.remoteAddress ?? (conn as { remoteAddress?: string }).remoteAddress;
      // an address past its limit is not even heard: held a second unread, then closed (closing at
      // once would let it reconnect in a tight loop that keeps the event loop accepting)
      if (limits.address.blockedFor(addressKey(address)) > 0) {
        metrics.inc('gateway_connections_refused_total', { reason: 'rate_limited' });
        if (held >= MAX_HELD) {
          conn.destroy();
          return;
        }
        held++;
        conn.pause();
        conn.on('error', () => {});
        setTimeout(() => { held--; conn.destroy(); }, HOLD_BLOCKED_MS).unref();
        return;
      }
      addresses.set(conn, address);
      guardPacketSize(conn, (announced) => {
        metrics.inc('gateway_connections_dropped_total', { reason: 'packet_too_large' });
        log.warn({ announced }, 'connection dropped: packet larger than any device report');
        conn.destroy();
      });
      aedes.handle(conn as never, req as never);
    };
    const tcp = createTcpServer(handle);
    this.ports.mqtt = await listen(tcp, config.port, config.host);
    this.servers.push(tcp);

    if (config.tls) {
      const tls = createTlsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, handle);
      this.ports.mqtts = await listen(tls, config.tls.port, config.tls.host ?? config.host);
      this.servers.push(tls);
    }
    if (config.websocket) {
      const http = createHttpServer((_req, res) => { res.writeHead(426).end(); });
      this.wss = new WebSocketServer({ server: http });
      this.wss.on('connection', (ws, req) => handle(createWebSocketStream(ws), req));
      this.ports.ws = await listen(http, config.websocket.port, config.websocket.host ?? config.host);
      this.servers.push(http);
    }
    log.info({ ports: this.ports }, 'broker listening');
  }

  /** stops intake first (listeners), then the broker and its clients */
  async stop(): Promise<void> {
    for (const server of this.servers) server.close();
    this.wss?.close();
    const aedes = this.aedes;
    this.aedes = null;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    this.servers = [];
  }

  address(): Record<string, number> { return { ...this.ports }; }

  closeDevice(deviceId: string): number {
    const aedes = this.aedes;
    if (!aedes) return 0;
    const principal: Principal = { type: 'device', deviceId };
    this.ids.release(principal);
    let closed = 0;
    const clients = (aedes as unknown as { clients: Record<string, ClientWithPrincipal & { close(): void }> }).clients;
    for (const client of Object.values(clients)) {
      const p = client[PRINCIPAL];
      if (p?.type === 'device' && p.deviceId === deviceId) {
        client.close();
        closed++;
      }
    }
    if (closed) this.opts.log.info({ deviceId, connections: closed }, 'closed the connections of a device whose secret changed or that was removed');
    return closed;
  }

  connectedClients(): number { return this.aedes?.connectedClients ?? 0; }
}

function listen(server: TcpServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function describeMetrics(metrics: Metrics): void {
  metrics.describe('gateway_connections_refused_total', 'CONNECTs refused, by reason');
  metrics.describe('gateway_publish_refused_total', 'PUBLISHes to a topic the client may not use');
  metrics.describe('gateway_subscribe_refused_total', 'SUBSCRIBEs to a topic the client may not use');
}
