// One serial receiver (one `serial:` entry): a supervised port (open, ping, outage and
// recovery, reopen with backoff), the protocol that reads its lines, and the queue that takes
// known devices' readings to the store in order. Nothing here throws out to the process.
import type { Backoff } from '../../backoff.ts';
import type { Clock } from '../../clock.ts';
import type { SerialConfig } from '../../config/schema.ts';
import type { DeviceKind, Readings } from '../../domain/types.ts';
import { IngestQueue } from './ingest-queue.ts';
import type { OpenPort } from './link.ts';
import { protocolFor, type Candidate, type Protocol } from './protocols.ts';
import { SupervisedPort } from './supervised-port.ts';

export interface SerialLogger {
  child(bindings: Record<string, unknown>): SerialLogger;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface KnownDevice { deviceId: string; kind: DeviceKind }
export interface IngestMeta { source: 'rflink' | 'jsonl'; key: string; path: string }
export interface OutageInfo { path: string; reason: string; since: number }
export interface RecoveryInfo { path: string; downForMs: number }

export interface SerialReceiverOptions {
  config: SerialConfig;
  log: SerialLogger;
  /** a device by its `rflink` / `jsonl` key; for jsonl, with the idFields the key was made of */
  lookup(key: string, idFields?: readonly string[]): KnownDevice | undefined;
  /** jsonl: the idFields that devices set for themselves, tried before the port's own */
  idFieldSets?(): Array<readonly string[]>;
  /** stores the event and runs the rules; resolves once committed */
  ingest(deviceId: string, readings: Readings, meta: IngestMeta): Promise<void>;
  onOutage(info: OutageInfo): void;
  onRecovered(info: RecoveryInfo): void;
  /** metrics: 'unknown_device', 'garbage', 'banner', 'pong', 'duplicate', ... */
  count(reason: string): void;
  openPort?: OpenPort;
  clock?: Clock;
  /** reopen delays: about initialMs, doubling up to maxMs, with jitter */
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  /** the same readings from the same device within this window are one report (rtl_433 prints each repeat) */
  duplicateWindowMs?: number;
}

export interface SerialStats {
  path: string;
  protocol: 'rflink' | 'jsonl';
  state: 'stopped' | 'connecting' | 'up' | 'down';
  lines: number;
  packets: number;
  ingested: number;
  opens: number;
  outages: number;
  recoveries: number;
  lastLineAt?: number;
  downSince?: number;
  counts: Record<string, number>;
}

export const DEFAULT_PING_INTERVAL_MS = 30_000;

export class SerialReceiver {
  private readonly opts: SerialReceiverOptions;
  private readonly protocol: Protocol;
  private log!: SerialLogger;
  private port?: SupervisedPort;
  /** the port last stopped, for its counters in stats() */
  private stopped?: SupervisedPort;
  private readonly queue: IngestQueue<IngestMeta>;
  private readonly unknownLogged = new Set<string>();
  private readonly counters = { lines: 0, packets: 0 };
  private readonly reasons: Record<string, number> = {};

  constructor(options: SerialReceiverOptions) {
    this.opts = options;
    this.protocol = protocolFor(options.config, options.idFieldSets?.bind(options));
    this.queue = new IngestQueue<IngestMeta>({
      ingest: (deviceId, readings, meta) => this.opts.ingest(deviceId, readings, meta),
      count: (reason) => this.countReason(reason),
      now: () => this.opts.clock?.now() ?? Date.now(),
      log: { error: (obj, msg) => this.log.error(obj, msg) },
      duplicateWindowMs: options.duplicateWindowMs,
    });
  }

  private get path(): string { return this.opts.config.path; }

  /** Resolves after the first attempt to open the port, whether or not it succeeded. */
  async start(): Promise<void> {
    if (this.port) return;
    this.log = this.opts.log.child({ module: 'serial', path: this.path, protocol: this.protocol.name });
    const backoff: Backoff | undefined = this.opts.backoff && { baseMs: this.opts.backoff.initialMs, capMs: this.opts.backoff.maxMs };
    this.port = new SupervisedPort({
      path: this.path,
      baudRate: this.opts.config.baudRate,
      log: this.log,
      liveness: this.protocol.liveness,
      intervalMs: this.opts.config.pingInterval ?? DEFAULT_PING_INTERVAL_MS,
      ping: this.protocol.ping,
      lines: (lines, overlong) => this.onLines(lines, overlong),
      onOutage: (reason, since) => this.safely('onOutage', () => this.opts.onOutage({ path: this.path, reason, since })),
      onRecovered: (downForMs) => this.safely('onRecovered', () => this.opts.onRecovered({ path: this.path, downForMs })),
      openPort: this.opts.openPort,
      clock: this.opts.clock,
      backoff,
      random: this.opts.random,
    });
    await this.port.start();
  }

  async stop(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = undefined;
    await port.stop();
    // the store stops after us: let what we heard be committed first
    await this.queue.drained();
    this.stopped = port;
  }

  stats(): SerialStats {
    const port = this.port ?? this.stopped;
    return {
      path: this.path, protocol: this.protocol.name, state: this.port?.state ?? 'stopped',
      lines: this.counters.lines, packets: this.counters.packets, ingested: this.queue.ingested,
      opens: port?.counters.opens ?? 0, outages: port?.counters.outages ?? 0, recoveries: port?.counters.recoveries ?? 0,
      lastLineAt: port?.lastLineAt, downSince: this.port?.downSince, counts: { ...this.reasons },
    };
  }

  private onLines(lines: string[], overlong: number): void {
    try {
      for (let i = 0; i < overlong; i++) this.countReason('too_long');
      for (const line of lines) this.onLine(line);
    } catch (err) {
      this.countReason('internal_error');
      this.log.error({ err }, 'could not handle a serial line');
    }
  }

  private onLine(line: string): void {
    this.counters.lines++;
    const outcome = this.protocol.read(line);
    if ('ignored' in outcome) return this.ignore(outcome.ignored);
    this.port?.alive();
    this.counters.packets++;
    for (const candidate of outcome.candidates) {
      const device = this.opts.lookup(candidate.key, candidate.idFields);
      if (device) return this.deliver(device, candidate);
    }
    if (outcome.unknownKey === undefined) return this.countReason('no_id');
    this.unknown(outcome.unknownKey);
  }

  private ignore(reason: string): void {
    if (reason === 'empty') return;
    this.countReason(reason);
    // banners, pongs and answers are the receiver talking; noise is not a sign of life
    if (reason !== 'garbage' && reason !== 'too_long') this.port?.alive();
  }

  private unknown(key: string): void {
    this.countReason('unknown_device');
    // once per key, so whoever configures the home can copy it; neighbours' sensors are heard all day
    if (!this.unknownLogged.has(key) && this.unknownLogged.size < 256) {
      this.unknownLogged.add(key);
      this.log.info({ key }, `heard an unknown device; configure it as ${this.protocol.name}: "${key}" to use it`);
    }
  }

  private deliver(device: KnownDevice, candidate: Candidate): void {
    const readings = candidate.readings(device.kind);
    if (readings === null) return this.countReason('unmapped');
    this.queue.offer(device.deviceId, readings, { source: this.protocol.name, key: candidate.key, path: this.path });
  }

  private countReason(reason: string): void {
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    this.safely('count', () => this.opts.count(reason));
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, callback: what }, 'serial receiver callback failed');
    }
  }
}
