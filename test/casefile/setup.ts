// The casefile's HTTP side on a real gateway: built on the tests' virtual clock (set to the day a
// test needs; a timer fires only if it is already due when set), the real app's routes asked through
// inject(), no port opened.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { VirtualClock } from '../notify/harness.ts';
import { startGateway, CASEWORKER_TOKEN, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';

export const caseworker = { authorization: `Bearer ${CASEWORKER_TOKEN}` };
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface Workspace {
  gw: TestGateway;
  http: FastifyInstance;
  /** the gateway's clock; set `clock.t` to move it */
  clock: { t: number; now(): number };
  /** devices provisioned, changed or removed through the API, as the bus told them */
  devicesChanged: string[];
  call(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** the gateway built, its routes through inject(); `listen` also opens its ports (a test that connects devices) */
export async function startWorkspace(extra: Record<string, unknown> = {}, at = Date.parse('2026-03-04T02:00:00Z'), opts: { listen?: boolean } = {}): Promise<Workspace> {
  const virtual = new VirtualClock(at);
  const gw = await startGateway(extra, { clock: virtual, listen: opts.listen ?? false });
  const clock = { get t() { return virtual.now(); }, set t(t: number) { virtual.set(t); }, now: () => virtual.now() };
  const devicesChanged: string[] = [];
  gw.app.bus.on('deviceChanged', devicesChanged, (id) => devicesChanged.push(id));
  const http = gw.app.http;
  return {
    gw, http, clock, devicesChanged,
    async call(method, url, body, headers = caseworker) {
      const res = await http.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
      let parsed: unknown = res.body;
      try { parsed = res.body ? JSON.parse(res.body) : null; } catch { /* not JSON */ }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async stop() { await gw.stop(); },
  };
}
