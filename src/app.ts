// buildApp wires the parts; build() makes them in order (store, site, notify, rules, broker,
// serial, HTTP routes ready) and start() opens the listeners; stop() takes them down in reverse.
// Only src/main.ts parses argv, listens for signals and exits.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import { systemClock, type Clock } from './clock.ts';
import { Metrics } from './metrics.ts';
import { createLogger } from './log.ts';
import { openStore, digest, storedDigest, type Store } from './store/index.ts';
import { DeviceRegistry, createDeviceRouter, type DeviceRouter } from './devices/index.ts';
import { EmbeddedBroker, createAuthenticator, type BrokerAdapter } from './broker/index.ts';
import { buildHttp } from './api/index.ts';
import { alertRoutes } from './api/alerts.ts';
import { casefilePlugins } from './api/casefile.ts';
import { twilioWebhooks } from './api/twilio.ts';
import { Absences, absenceRoutes } from './api/absences.ts';
import { LiveHub, streamRoutes, type LiveHubOptions } from './api/stream.ts';
import { userRoutes, callerKeys } from './api/users.ts';
import { demoRoutes } from './api/demo.ts';
import { AlertService } from './alerts/index.ts';
import { RulesRuntime } from './rules/runtime.ts';
import { SerialReceiver, DEFAULT_ID_FIELDS } from './devices/serial/index.ts';
import { Notifier, firstStepDue, type SmsSender } from './notify/index.ts';
import { EventBus } from './bus.ts';
import type { DeviceEvent } from './domain/types.ts';
import { SiteMonitor, watchSite } from './site.ts';

export interface AppOptions {
  clock?: Clock;
  log?: Logger;
  /** the SMS/voice provider; default from the config (twilio, or the log) */
  sender?: SmsSender;
  /** the live stream's limits (tests shorten a stream's life) */
  live?: LiveHubOptions;
  /** routine device reports at the store at once (life-safety ones never wait); 0: no bound, the benchmarks' baseline */
  routineInFlight?: number;
}

/**
 * A part of the gateway: `start` builds it (nothing reaches it from outside yet); `listen`, for
 * the parts that take input (the broker, the serial receivers, HTTP), opens it to the world.
 */
interface Part { name: string; start(): Promise<void> | void; listen?(): Promise<void> | void; stop(): Promise<void> | void }

export class App {
  readonly metrics = new Metrics();
  readonly registry = new DeviceRegistry();
  /** live events for the caseworkers' page (GET /api/stream) */
  readonly live: LiveHub;
  readonly log: Logger;
  readonly clock: Clock;
  /** the store behind its ports (SQLite at storage.path, or PostgreSQL at storage.url): everything goes through it */
  store!: Store;
  router!: DeviceRouter;
  broker!: BrokerAdapter;
  http!: FastifyInstance;
  private started: Part[] = [];
  alertService!: AlertService;
  notifier!: Notifier;
  rules!: RulesRuntime;
  /** this process among the site's: its heartbeat, its peers, the overdue-work auditor */
  site!: SiteMonitor;
  absences!: Absences;
  serial: SerialReceiver[] = [];
  /** what happened, told to the parts that listen (src/bus.ts); each part's listeners go with its stop */
  readonly bus: EventBus;
  private ready = false;
  private stopWatchingSite: (() => void) | undefined;
  private built = false;

  constructor(readonly config: Config, private readonly opts: AppOptions = {}) {
    this.log = opts.log ?? createLogger();
    this.clock = opts.clock ?? systemClock;
    this.live = new LiveHub(opts.live);
    this.bus = new EventBus(this.log.child({ module: 'bus' }));
  }

  private parts(): Part[] {
    const { config, log, metrics } = this;
    return [
      {
        name: 'store',
        start: async () => {
          this.store = await openStore(config.storage, {
            // PostgreSQL: an idle pooled connection cut (the server restarted) is told here, not thrown
            onConnectionError: (err) => log.warn({ err: { message: err.message } }, 'store: a pooled database connection was lost'),
          });
          try {
            await this.store.residents.seedFromConfig(config.residents, config.site.timezone, this.clock.now());
            await this.loadRegistry();
          } catch (err) {
            await this.store.close();
            throw err;
          }
          const storeLog = log.child({ module: 'store' });
          this.store.ingest.onHealthChange((err) => this.bus.emit('storeHealth', err));
          this.bus.on('storeHealth', this.store, (err) => {
            if (err) storeLog.error({ err: { message: err.message, code: (err as { code?: string }).code } }, 'store cannot commit: withholding PUBACKs until it can');
            else storeLog.info('store commits again');
          });
          this.store.ingest.onCommit((seconds) => metrics.observe('gateway_store_commit_seconds', seconds));
        },
        // what is queued for the next group commit is committed or rejected before the file closes
        stop: () => {
          if (this.store) this.bus.removeListeners(this.store);
          return this.store?.close();
        },
      },
      {
        name: 'site',
        start: () => {
          this.site = new SiteMonitor({
            site: config.site.name, engine: this.store.engine, port: this.store.site, clock: this.clock, metrics, log: log.child({ module: 'site' }),
          });
          return this.site.start();
        },
        stop: () => this.site?.stop(),
      },
      {
        name: 'notify',
        start: async () => {
          this.alertService = new AlertService({
            store: this.store, firstStepDue: (kind, at) => firstStepDue(config.escalation, kind, at), log: log.child({ module: 'alerts' }), metrics, bus: this.bus,
          });
          this.live.listenTo(this.bus, this.store.alerts, this.store.signals);
          this.notifier = new Notifier({
            config, log, clock: this.clock, metrics, store: this.store,
            acknowledge: (alertId, by, at) => this.alertService.acknowledge(alertId, by, at, 'sms'),
            resolve: (alertId, by, reason, at) => this.alertService.resolve(alertId, by, reason, at),
            sender: this.opts.sender,
            absenceSms: async (contacts, text) => (await this.absences?.sms(contacts, text)) ?? null,
            bus: this.bus,
          });
          await this.notifier.start();
        },
        stop: async () => {
          await this.notifier?.stop();
          this.bus.removeListeners(this.live);
          this.store.signals?.off(this.live);
        },
      },
      {
        name: 'rules',
        start: async () => {
          this.rules = new RulesRuntime({
            store: this.store, clock: this.clock, log: log.child({ module: 'rules' }), registry: this.registry, alerts: this.alertService,
            processId: this.site.id,
          });
          const rules = this.rules;
          this.bus.on('deviceEvent', rules, (event) => rules.onEvent(event));
          this.bus.on('personAction', rules, (residentId, action, key) => rules.onPersonAction(residentId, action, key));
          // the outage alert of every home it serves is the rules core's decision (replay has it too)
          this.bus.on('receiver', rules, (r) => rules.onReceiver(r.protocol, r.path, r.down, r.reason));
          this.bus.on('visitRecorded', rules, (v) => rules.onVisit(v.residentId, v.at, v.until));
          this.bus.on('residentChanged', rules, () => {
            rules.reload().catch((err: unknown) => log.error({ err }, 'rules: could not reload the residents'));
          });
          this.absences = new Absences({
            store: this.store, residents: this.store.residents, now: () => this.clock.now(),
            toRules: (residentId, change) => this.rules.onAbsence(residentId, change),
          });
          await this.rules.start();
          await this.alertService.closeOfRemovedDevices((id) => this.registry.get(id) !== undefined, this.clock.now());
          // several processes on one database: what the others queued or left, looked at (src/site.ts)
          if (this.store.engine !== 'sqlite') {
            this.stopWatchingSite = watchSite(this.store.signals, {
              judgeInboxes: (ids) => rules.judgeInboxes(ids), lookAgain: () => this.notifier.lookAgain(),
              inbox: this.store.inbox, now: () => this.clock.now(), log: log.child({ module: 'site' }),
            });
          }
        },
        stop: () => {
          this.stopWatchingSite?.();
          this.stopWatchingSite = undefined;
          if (this.rules) this.bus.removeListeners(this.rules);
          return this.rules?.stop();
        },
      },
      {
        name: 'broker',
        start: async () => {
          this.router = createDeviceRouter({
            registry: this.registry,
            append: (event, origin) => this.store.ingest.append(event, origin),
            // SQLite answers from its group commit (no promise a message); PostgreSQL has only the promise form
            appendThen: this.store.ingest.appendThen ? (event, origin, done) => this.store.ingest.appendThen!(event, origin, done) : undefined,
            onEvent: (event) => this.bus.emit('deviceEvent', event),
            metrics, log: log.child({ module: 'devices' }), now: () => this.clock.now(),
            admission: { routineInFlight: this.opts.routineInFlight },
          });
          const configSecrets = this.configSecrets;
          for (const r of config.residents) for (const d of r.devices) if (d.secret) configSecrets.set(d.id, digest(d.secret));
          for (const id of this.secretHashes.keys()) this.credentials.set(id, this.credentialOf(id));
          const auth = createAuthenticator({
            bridges: config.mqtt.bridges,
            // a stored hash (a device provisioned or taken over through the API) wins over the config
            // file; read from memory (loaded with the registry), never from the store, on every login
            credential: (id) => {
              const hash = this.secretHashes.get(id);
              if (hash === undefined) return undefined;
              if (hash) return { stored: hash };
              const fromConfig = configSecrets.get(id);
              return fromConfig ? { digest: fromConfig } : undefined;
            },
            upgradeHash: (id, previous, next) => {
              // in the background: the device is already let in; a failed upgrade is tried again at its next login
              this.store.residents.upgradeSecretHash(id, previous, next)
                .then((upgraded) => { if (upgraded && this.secretHashes.get(id) === previous) this.secretHashes.set(id, next); })
                .catch((err: unknown) => log.warn({ err, deviceId: id }, 'device secret hash upgrade failed'));
            },
          });
          this.broker = new EmbeddedBroker({
            config: config.mqtt, auth, sink: (msg, done) => this.router.accept(msg, done), metrics, log: log.child({ module: 'broker' }),
          });
          // a device provisioned, changed or removed: the registry and its credentials anew, and
          // the alerts of a device that is gone closed
          this.bus.on('deviceChanged', this.broker, (deviceId) => {
            this.loadRegistry()
              .then(() => {
                this.credentialsChanged(deviceId);
                return this.alertService.closeOfRemovedDevices((id) => this.registry.get(id) !== undefined, this.clock.now());
              })
              .catch((err) => log.error({ err, deviceId }, 'could not reload the devices or close the alerts of a removed device'));
          });
          metrics.describe('gateway_mqtt_clients_connected', 'MQTT clients connected now');
          metrics.gauge('gateway_mqtt_clients_connected', () => this.broker.connectedClients());
        },
        listen: () => this.broker.start(),
        stop: () => {
          if (this.broker) this.bus.removeListeners(this.broker);
          return this.broker?.stop();
        },
      },
      {
        name: 'serial',
        start: () => {
          for (const serialConfig of config.serial) {
            const receiver = new SerialReceiver({
              config: serialConfig,
              log: log.child({ module: 'serial', path: serialConfig.path }),
              lookup: (key, idFields) => {
                const d = serialConfig.protocol === 'jsonl' ? this.registry.byJsonlKey(key) : this.registry.byRflinkKey(key);
                // a jsonl device is found by its own idFields (or its port's) only
                const own = d?.idFields ?? serialConfig.idFields ?? DEFAULT_ID_FIELDS;
                if (d && idFields && own.join('\u0000') !== idFields.join('\u0000')) return undefined;
                return d ? { deviceId: d.id, kind: d.kind } : undefined;
              },
              idFieldSets: () => this.registry.jsonlIdFieldSets(),
              ingest: async (deviceId, readings, meta) => { await this.router.ingestReadings(deviceId, readings, meta.source); },
              onOutage: (info) => this.bus.emit('receiver', { protocol: serialConfig.protocol, path: info.path, down: true, reason: info.reason }),
              onRecovered: (info) => this.bus.emit('receiver', {
                protocol: serialConfig.protocol, path: info.path, down: false, reason: `back after ${Math.round(info.downForMs / 1000)} s`,
              }),
              count: (reason) => metrics.inc('gateway_serial_lines_ignored_total', { reason }),
              clock: this.clock,
            });
            this.serial.push(receiver);
          }
        },
        listen: () => { for (const receiver of this.serial) void receiver.start(); },
        stop: async () => {
          for (const r of this.serial.splice(0)) await r.stop();
        },
      },
      {
        name: 'http',
        start: async () => {
          this.http = buildHttp({
            config, log, metrics,
            residents: this.store.residents, timeline: this.store.timeline,
            openAlertCounts: () => this.store.alerts.openCounts(),
            health: () => this.health(),
            settled: () => this.registrySettled(),
            siteDetail: () => this.site.detail(),
            users: this.store.users, now: () => this.clock.now(),
            plugins: [
              ...casefilePlugins({
                store: this.store,
                config, clock: this.clock,
                devicesChanged: (deviceId) => this.bus.emit('deviceChanged', deviceId),
                residentsChanged: (residentId) => this.bus.emit('residentChanged', residentId),
                visitRecorded: (v) => this.bus.emit('visitRecorded', v),
                problemChanged: (residentId, problemId) => this.bus.emit('problemChanged', residentId, problemId),
              }),
              (scope) => alertRoutes(scope, { alerts: this.store.alerts, service: this.alertService, now: () => this.clock.now() }),
              (scope) => absenceRoutes(scope, this.absences, this.store.residents),
              twilioWebhooks({ config, log: log.child({ module: 'notify' }), metrics: this.metrics, inbound: this.notifier.inbound, ready: () => this.notifier.ready }),
              (scope) => streamRoutes(scope, { hub: this.live, keysOf: (request) => callerKeys(request.caller!) }),
              (scope) => userRoutes(scope, {
                users: this.store.users, audit: this.store.audit, now: () => this.clock.now(), log: log.child({ module: 'users' }),
                secureCookies: /^https:/i.test(config.http.publicUrl ?? ''), endStreams: (key) => this.live.closeFor(key),
              }),
              // texts to the log: a newcomer can play the neighbour's "1" (README "Caseworker workspace")
              ...(this.textsToLog() ? [(scope: FastifyInstance) => demoRoutes(scope, { replyAsText: (from, text) => this.notifier.replyAsText(from, text) })] : []),
            ],
          });
          await this.http.ready();
        },
        listen: async () => { await this.http.listen({ port: config.http.port, host: config.http.host }); },
        // open streams would keep close() waiting for ever
        stop: () => { this.live.closeAll(); return this.http?.close(); },
      },
    ];
  }

  /** what proves each device now (digest or stored hash), to see when a secret was rotated */
  private credentials = new Map<string, string | null>();
  private configSecrets = new Map<string, Buffer>();
  /** every device's stored secret hash (null: none stored, the config file's secret counts), loaded with the registry */
  private secretHashes = new Map<string, string | null>();

  private credentialOf(deviceId: string): string | null {
    const hash = this.secretHashes.get(deviceId);
    if (hash === undefined) return null;
    if (hash) return storedDigest(hash)?.toString('hex') ?? hash;
    return this.configSecrets.get(deviceId)?.toString('hex') ?? null;
  }

  /**
   * A device was added, edited or removed. When what proves it changed (its secret was rotated)
   * or it is gone, its open connections are closed at once: the old secret must not keep working
   * through a session opened with it. An edit that leaves the secret alone keeps it connected.
   */
  private credentialsChanged(deviceId: string): void {
    const before = this.credentials.get(deviceId);
    const now = this.credentialOf(deviceId);
    this.credentials.set(deviceId, now);
    if (before !== undefined && before !== now) this.broker.closeDevice(deviceId);
    if (now === null) this.credentials.delete(deviceId);
  }

  /** texts go to the log (no provider to reply through): the demo reply route is on */
  private textsToLog(): boolean {
    if (this.opts.sender) return false;
    const t = this.config.twilio;
    const configured = Boolean(t?.accountSid && t.authToken && t.from);
    return (this.config.sms.provider ?? (configured ? 'twilio' : 'log')) === 'log';
  }

  private registryLoads: Promise<void> = Promise.resolve();
  private registryPending = 0;

  /**
   * What an HTTP answer waits for: the registry reload a device change started (so a device
   * provisioned can log in once the answer is there), but never more than 2 s: a store that does
   * not answer must not hold up every answer, /healthz among them.
   */
  private registrySettled(): Promise<void> {
    if (this.registryPending === 0) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => { timer = setTimeout(resolve, 2000); timer.unref(); });
    return Promise.race([this.registryLoads.catch(() => {}), cap]).finally(() => clearTimeout(timer));
  }

  /**
   * The in-memory device registry and the devices' secret hashes (what the broker checks a login
   * against) mirror the store's devices table. Loads run one after another, each applied whole
   * after its read, so an older read never overwrites a newer one.
   */
  loadRegistry(): Promise<void> {
    this.registryPending++;
    const load = this.registryLoads.catch(() => {}).then(async () => {
      const devices = await this.store.residents.listDevices();
      this.registry.replaceAll(devices.map((d) => ({
        id: d.id, residentId: d.residentId, kind: d.kind, entrance: d.entrance,
        zigbee2mqtt: d.zigbee2mqtt, rflink: d.rflink, jsonl: d.jsonl, supervisionMs: d.supervisionMs,
        ...(d.emergencyActions ? { emergencyActions: d.emergencyActions } : {}), idFields: d.idFields,
      })));
      this.secretHashes = new Map(devices.map((d) => [d.id, d.secretHash]));
    }).finally(() => { this.registryPending--; });
    this.registryLoads = load;
    return load;
  }

  /** null when healthy, else why not: the store's own answer, the same call on either engine */
  async health(): Promise<string | null> {
    if (!this.ready) return 'starting';
    const storeError = await this.store.ingest.lastError();
    if (storeError) return `store: ${storeError.message}`;
    return null;
  }

  /**
   * Builds every part, in order: the store opened and migrated, the rules restored, the
   * notifier resumed, the broker and serial receivers made, every HTTP route registered
   * (`http.ready()`). Nothing listens yet: a test may ask `http.inject()` without a port.
   */
  async build(): Promise<void> {
    if (this.built) return;
    for (const part of this.parts()) {
      try {
        await part.start();
        this.started.push(part);
      } catch (err) {
        this.log.error({ err, part: part.name }, 'start failed');
        await this.stop();
        throw err;
      }
    }
    this.built = true;
  }

  /** Builds (if not yet) and opens the broker's listeners, the serial ports and the HTTP port. */
  async start(): Promise<void> {
    await this.build();
    for (const part of this.started) {
      try {
        await part.listen?.();
      } catch (err) {
        this.log.error({ err, part: part.name }, 'start failed');
        await this.stop();
        throw err;
      }
    }
    this.ready = true;
    this.log.info({ http: this.httpPort(), mqtt: this.broker.address() }, 'gateway ready');
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.built = false;
    while (this.started.length) {
      const part = this.started.pop()!;
      try {
        await part.stop();
      } catch (err) {
        this.log.error({ err, part: part.name }, 'stop failed');
      }
    }
  }

  httpPort(): number {
    const addr = this.http?.server.address();
    return addr && typeof addr === 'object' ? addr.port : 0;
  }
  mqttPort(): number { return this.broker?.address().mqtt ?? 0; }
}

export function buildApp(config: Config, opts: AppOptions = {}): App {
  return new App(config, opts);
}
