// The embedded broker (aedes) behind the BrokerAdapter interface. Its hooks are thin:
// authentication asks the Authenticator, topic checks ask the pure ACL, and a publish is
// handed to the sink; aedes writes PUBACK right after authorizePublish calls back, so we
// call back only once the sink has committed the message.
import { Aedes } from 'aedes';
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { Principal } from '../devices/index.ts';
import { canPublish, canSubscribe } from './acl.ts';
import { guardPacketSize } from './packet-guard.ts';
import type { BrokerAdapter, BrokerOptions } from './types.ts';

const PRINCIPAL = Symbol('principal');
type ClientWithPrincipal = { id: string; clean?: boolean; closed?: boolean; conn?: Duplex; [PRINCIPAL]?: Principal };

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

function authError(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export class EmbeddedBroker implements BrokerAdapter {
  private aedes: Aedes | null = null;
  private servers: Array<TcpServer | HttpServer> = [];
  private wss: WebSocketServer | null = null;
  private ports: Record<string, number> = {};
  private ids = new ClientIds();

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

    aedes.authenticate = (client, username, password, done) => {
      const principal = username ? auth.check(username, password ?? Buffer.alloc(0)) : undefined;
      if (!principal) {
        metrics.inc('gateway_connections_refused_total', { reason: username ? 'bad_credentials' : 'no_username' });
        // ids only: the username is a device id or bridge name, never the password
        log.warn({ clientId: client.id?.slice(0, 64), username: username?.slice(0, 64) }, 'connection refused');
        return done(authError('not authorized', 5) as never, false);
      }
      if (!ids.claim(client as unknown as ClientWithPrincipal, principal)) {
        metrics.inc('gateway_connections_refused_total', { reason: 'client_id_taken' });
        log.warn({ clientId: client.id?.slice(0, 64), username: username?.slice(0, 64) }, 'connection refused: client id held by another device');
        return done(authError('identifier rejected', 2) as never, false);
      }
      (client as unknown as ClientWithPrincipal)[PRINCIPAL] = principal;
      done(null, true);
    };

    aedes.authorizePublish = (client, packet, done) => {
      const principal = client ? (client as unknown as ClientWithPrincipal)[PRINCIPAL] : undefined;
      if (!principal || !canPublish(principal, packet.topic)) {
        metrics.inc('gateway_publish_refused_total');
        log.warn({ clientId: client?.id?.slice(0, 64), topic: packet.topic.slice(0, 200) }, 'publish refused');
        return done(new Error('publish not authorized'));
      }
      const origin = packet.qos > 0 && packet.messageId !== undefined
        ? { clientId: client!.id, messageId: packet.messageId, dup: packet.dup === true }
        : undefined;
      const received = origin ? performance.now() : 0;
      sink({ topic: packet.topic, payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), principal, origin })
        // a dropped payload is acknowledged too: resending a malformed report would not mend it
        .then(() => {
          // aedes answers PUBACK as soon as this callback runs
          if (origin) metrics.observe('gateway_mqtt_puback_seconds', (performance.now() - received) / 1000);
          done(null);
        })
        .catch((err: Error) => {
          // not stored, so no PUBACK: the client keeps the message and sends it again
          metrics.inc('gateway_messages_dropped_total', { reason: 'store_failed' });
          // the store logs the outage once; this is per message
          log.debug({ err: err.message, clientId: client?.id?.slice(0, 64) }, 'could not store message; withholding PUBACK');
          done(err);
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

  /** a device's secret was rotated or the device removed: its open connections close at once */
  disconnectDevice(deviceId: string): number {
    let closed = 0;
    // aedes keeps its connected clients by id (not in its typings)
    const clients = (this.aedes as unknown as { clients?: Record<string, ClientWithPrincipal & { close(): void }> } | null)?.clients ?? {};
    for (const client of Object.values(clients)) {
      const principal = client[PRINCIPAL];
      if (principal?.type === 'device' && principal.deviceId === deviceId) {
        client.close();
        closed++;
      }
    }
    this.ids.release({ type: 'device', deviceId });
    if (closed) this.opts.log.info({ deviceId, closed }, 'device credentials changed: its connections closed');
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
