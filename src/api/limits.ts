// How long and how many: the HTTP server's timeouts and connection caps. Without them a few
// hundred clients that send a request a byte at a time (or not at all) hold a socket each for
// as long as they like; with them a slow client is cut off in seconds and one address cannot
// take every connection.
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import type { Metrics } from '../metrics.ts';
import { addressKey } from '../broker/rate-limit.ts';

export const HTTP_LIMITS = {
  /** a request, headers and body, has 10 s plus the time its body takes at minBodyBytesPerSecond:
   *  a visit form (a few KB) gets about 10 s, a 12 MB photo from a phone about 4 minutes */
  requestTimeoutMs: 10_000,
  /** 50 KB/s, a weak 3G uplink: slower than this a body is not a phone's, it is a client holding a socket */
  minBodyBytesPerSecond: 50 * 1024,
  /** Node's own whole-request timeout, behind the per-request deadline above (the longest body allowed) */
  requestBackstopMs: 300_000,
  /** the request line and headers: a few hundred bytes */
  headersTimeoutMs: 5_000,
  /** a socket with no traffic either way; a live stream sends a comment line more often than this */
  idleTimeoutMs: 60_000,
  /** an idle keep-alive socket between requests (Node's own default; fastify's 72 s is for load balancers) */
  keepAliveTimeoutMs: 5_000,
  /** requests on one keep-alive socket before it is closed and opened again */
  maxRequestsPerSocket: 100,
  /** sockets at once: a district's caseworkers with a page (and its event stream) each, plus Twilio's callbacks, need far fewer */
  maxConnections: 512,
  /** sockets at once from one address (IPv6 by /64); a reverse proxy in front counts as one address */
  maxConnectionsPerAddress: 64,
  /** how often Node checks the request and header timeouts (its default, 30 s, would let them run late) */
  checkEveryMs: 1_000,
} as const;

/**
 * Each request's deadline, from the moment its headers are read: requestTimeoutMs plus its body
 * (the declared Content-Length, at most the route's bodyLimit) at minBodyBytesPerSecond. A body
 * still arriving at the deadline, or when the answer has already gone out (a 401 or 413 sent
 * before the body was read), closes the connection: nobody holds a socket by sending slowly.
 * Register it before any hook that may answer early.
 */
export function bodyDeadlines(app: FastifyInstance, metrics?: Metrics): void {
  metrics?.describe('gateway_http_requests_cut_total', 'HTTP requests whose body came too slowly, or still came after the answer');
  const fallbackLimit = app.initialConfig.bodyLimit ?? 1024 * 1024;
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    if (raw.complete) return done();
    const declared = Number(raw.headers['content-length']);
    const limit = request.routeOptions.bodyLimit ?? fallbackLimit;
    const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, limit) : limit;
    const ms = HTTP_LIMITS.requestTimeoutMs + (1000 * bytes) / HTTP_LIMITS.minBodyBytesPerSecond;
    const cut = (reason: string) => {
      const socket = raw.socket as { destroyed?: boolean; destroy?: unknown } | undefined;
      // fastify.inject's requests have no real socket to close
      if (raw.complete || !socket || socket.destroyed || typeof socket.destroy !== 'function') return;
      metrics?.inc('gateway_http_requests_cut_total', { reason });
      raw.socket.destroy();
    };
    const timer = setTimeout(() => cut('too_slow'), ms);
    timer.unref();
    reply.raw.once('close', () => { clearTimeout(timer); cut('after_answer'); });
    done();
  });
}

export function capConnections(server: Server, metrics?: Metrics, limits: Pick<typeof HTTP_LIMITS, 'maxConnections' | 'maxConnectionsPerAddress'> = HTTP_LIMITS): void {
  metrics?.describe('gateway_http_connections_refused_total', 'HTTP connections closed at once: too many in all, or from one address');
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => metrics?.inc('gateway_http_connections_refused_total', { reason: 'total' }));
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress);
    const n = (open.get(key) ?? 0) + 1;
    if (n > limits.maxConnectionsPerAddress) {
      metrics?.inc('gateway_http_connections_refused_total', { reason: 'per_address' });
      socket.destroy();
      return;
    }
    open.set(key, n);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
}
