// The casefile's HTTP side on a real gateway: built on a clock the test can set (its timers are
// real ones, each due when the test clock says it is), the real app's routes asked through
// inject(), no port opened.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { systemClock, type Clock } from '../../src/clock.ts';
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

/** now() is whatever the test set; a timer fires after as long as the test clock has to go to its time */
export class SettableClock implements Clock {
  constructor(public t: number) {}
  now(): number { return this.t; }
  setTimer(at: number, fn: () => void) { return systemClock.setTimer(Date.now() + Math.max(0, at - this.t), fn); }
}

/** the gateway built, its routes through inject(); `listen` also opens its ports (a test that connects devices) */
export async function startWorkspace(extra: Record<string, unknown> = {}, at = Date.parse('2026-03-04T02:00:00Z'), opts: { listen?: boolean } = {}): Promise<Workspace> {
  const clock = new SettableClock(at);
  const gw = await startGateway(extra, { clock, listen: opts.listen ?? false });
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
