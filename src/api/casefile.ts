// The caseworker workspace's HTTP side in one call: buildHttp({ ..., plugins: casefilePlugins(deps) }).
import type { FastifyInstance } from 'fastify';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Config } from '../config/index.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { createCasefile, type Casefile } from '../casefile/index.ts';
import { visitRoutes } from './visits.ts';
import { reportRoutes } from './reports.ts';
import { activityRoutes } from './activity.ts';
import { provisioningRoutes } from './provisioning.ts';
import { webRoutes } from './web.ts';
import { casefileRoutes } from './casefiles.ts';
import { referralRoutes } from './referrals.ts';
import { photoRoutes } from './photos.ts';
import { reminderRoutes } from './reminders.ts';
import { roundRoutes } from './rounds.ts';
import { warningRoutes } from './warnings.ts';

export interface CasefilePluginDeps {
  /** the store's ports: the casefile and its routes read and write through them alone */
  store: Store;
  config: Pick<Config, 'site' | 'mqtt' | 'residents'> & { storage?: Pick<Config['storage'], 'path'> };
  clock: Pick<Clock, 'now'>;
  /** a device was added, changed or removed: reload the registry, close connections whose secret changed */
  devicesChanged(deviceId: string): void;
  residentsChanged?(residentId: string): void;
  /** hand a recorded visit to the rules core (a visit settles an inactivity alert) */
  visitRecorded?(visit: { residentId: string; visitId: number; at: number; endedAt: number | null; until: number }): void;
  /** a problem's status or owner changed through the API */
  problemChanged?(residentId: string, problemId: string): void;
  /** tests may point at another web/ folder */
  webDir?: string;
}

export function casefileFor(deps: CasefilePluginDeps): Casefile {
  const configSecrets = new Map<string, string>();
  for (const r of deps.config.residents) for (const d of r.devices) if (d.secret) configSecrets.set(d.id, d.secret);
  return createCasefile({
    configSecret: (id) => configSecrets.get(id),
    store: deps.store,
    site: deps.config.site, bridgeUsernames: deps.config.mqtt.bridges.map((b) => b.username),
    now: () => deps.clock.now(), devicesChanged: deps.devicesChanged,
    residentsChanged: deps.residentsChanged, visitRecorded: deps.visitRecorded,
    // photos live beside the database (an in-memory database keeps them in a temporary folder)
    photoDir: !deps.config.storage || deps.config.storage.path === ':memory:'
      ? join(tmpdir(), `gateway-photos-${process.pid}`) : join(dirname(deps.config.storage.path), 'photos'),
  });
}

export function casefilePlugins(deps: CasefilePluginDeps): Array<(app: FastifyInstance) => Promise<void>> {
  const casefile = casefileFor(deps);
  const now = () => deps.clock.now();
  return [
    (app) => visitRoutes(app, casefile, { idempotency: deps.store.idempotency, now, problemChanged: deps.problemChanged }),
    (app) => reportRoutes(app, casefile),
    (app) => activityRoutes(app, { casefile, residents: deps.store.residents, now }),
    (app) => provisioningRoutes(app, casefile),
    (app) => casefileRoutes(app, { casefile, residents: deps.store.residents, alerts: deps.store.alerts, now }),
    (app) => referralRoutes(app, casefile),
    (app) => photoRoutes(app, casefile),
    (app) => reminderRoutes(app, { casefile, now }),
    (app) => roundRoutes(app, { casefile, now }),
    (app) => warningRoutes(app, { casefile, now }),
    (app) => webRoutes(app, { dir: deps.webDir }),
  ];
}
