// How long and how many: the HTTP server's timeouts and connection caps. Without them a few
// hundred clients that send a request a byte at a time (or not at all) hold a socket each for
// as long as they like; with them a slow client is cut off in seconds and one address cannot
// take every connection.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Metrics } from '../metrics.ts';
import { addressKey } from '../broker/rate-limit.ts';

export const HTTP_LIMITS = {
  /** whole request, headers and body: the largest body is 256 KB and a visit form a few KB,
   *  so 10 s is ample even on a weak mobile link and short for a client holding a socket on purpose */
  requestTimeoutMs: 10_000,
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
