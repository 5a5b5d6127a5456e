// The casefile's HTTP side on a real gateway: startGateway() gives the broker and the store; the
// casefile plugins are mounted on a second Fastify over the same stores (until app.ts wires
// them), with a clock the test can set.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildHttp } from '../../src/api/index.ts';
import { casefilePlugins } from '../../src/api/casefile.ts';
import { startGateway, CASEWORKER_TOKEN, ADMIN_TOKEN, type TestGateway } from '../helpers.ts';

export const caseworker = { authorization: `Bearer ${CASEWORKER_TOKEN}` };
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface Workspace {
  gw: TestGateway;
  http: FastifyInstance;
  /** the casefile's clock; set `clock.t` to move it */
  clock: { t: number; now(): number };
  devicesChanged: string[];
  call(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startWorkspace(extra: Record<string, unknown> = {}, at = Date.parse('2026-03-04T02:00:00Z')): Promise<Workspace> {
  const gw = await startGateway(extra);
  const clock = { t: at, now() { return this.t; } };
  const devicesChanged: string[] = [];
  const { stores } = gw.app;
  const http = buildHttp({
    config: gw.config, log: gw.app.log, metrics: gw.app.metrics,
    residents: stores.residents, timeline: stores.timeline,
    openAlertCounts: () => stores.alerts.openCounts(), health: () => gw.app.health(),
    plugins: casefilePlugins({
      store: gw.app.store, db: stores.db, residents: stores.residents, timeline: stores.timeline, alerts: stores.alerts,
      config: gw.config, clock,
      devicesChanged: (id) => { devicesChanged.push(id); gw.app.loadRegistry(); },
    }),
  });
  await http.ready();
  return {
    gw, http, clock, devicesChanged,
    async call(method, url, body, headers = caseworker) {
      const res = await http.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
      let parsed: unknown = res.body;
      try { parsed = res.body ? JSON.parse(res.body) : null; } catch { /* not JSON */ }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async stop() { await http.close(); await gw.stop(); },
  };
}
