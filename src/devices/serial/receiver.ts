// One serial receiver (one `serial:` entry): opens the port, turns lines into readings for
// known devices, and supervises the receiver itself ("Supervision and recovery"):
// an RFLink is pinged (`10;PING;`) every pingInterval; no line at all for 3 intervals, or the
// port closing or failing, is an outage, reported once; the port is reopened with backoff and
// the recovery is reported once, when lines flow again. Nothing here throws out to the process.
import type { SerialConfig } from '../../config/schema.ts';
import type { DeviceKind, Readings } from '../../domain/types.ts';
import { DEFAULT_ID_FIELDS, jsonlKey, jsonlToReadings, parseJsonlLine } from './jsonl.ts';
import { LineSplitter } from './lines.ts';
import { openSerialPort, type OpenPort, type SerialLink } from './link.ts';
import { parseRflinkLine, rflinkKeys, rflinkToReadings } from './rflink.ts';

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
  clock?: { now(): number };
  /** reopen delays: initialMs doubling up to maxMs, each with +-20 % jitter */
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
const SILENT_INTERVALS = 3;
const MAX_LINE_BYTES = 4096;
const MAX_PENDING_INGESTS = 1000;
const PING = '10;PING;\r\n';

export class SerialReceiver {
  private readonly opts: SerialReceiverOptions;
  private log!: SerialLogger;
  private running = false;
  /** bumped whenever a link is given up, so late events from it are ignored */
  private generation = 0;
  private link?: SerialLink;
  private readonly splitter = new LineSplitter(MAX_LINE_BYTES);
  private reopenTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private attempt = 0;
  private lastLineAt?: number;
  private outage?: { since: number; reason: string };
  private ingestChain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** each device's previous report (bounded by the number of configured devices) */
  private readonly recent = new Map<string, { signature: string; at: number }>();
  private readonly unknownLogged = new Set<string>();
  private readonly counters = { lines: 0, packets: 0, ingested: 0, opens: 0, outages: 0, recoveries: 0 };
  private readonly reasons: Record<string, number> = {};

  constructor(options: SerialReceiverOptions) {
    this.opts = options;
  }

  private get path(): string { return this.opts.config.path; }
  private get protocol(): 'rflink' | 'jsonl' { return this.opts.config.protocol; }
  private get pingInterval(): number { return this.opts.config.pingInterval ?? DEFAULT_PING_INTERVAL_MS; }
  /** rtl_433 prints only when it hears something: silence is an outage only where configured */
  private get liveness(): boolean { return this.protocol === 'rflink' || this.opts.config.pingInterval !== undefined; }
  private now(): number { return this.opts.clock?.now() ?? Date.now(); }

  /** Resolves after the first attempt to open the port, whether or not it succeeded. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.log = this.opts.log.child({ module: 'serial', path: this.path, protocol: this.protocol });
    await this.connect();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.stopWatchdog();
    const link = this.link;
    this.link = undefined;
    if (link) await closeQuietly(link);
    // the store stops after us: let what we heard be committed first
    await this.ingestChain;
  }

  stats(): SerialStats {
    const state = !this.running ? 'stopped' : this.outage ? 'down' : this.link?.isOpen ? 'up' : 'connecting';
    return {
      path: this.path, protocol: this.protocol, state, ...this.counters,
      lastLineAt: this.lastLineAt, downSince: this.outage?.since, counts: { ...this.reasons },
    };
  }

  private connect(): Promise<void> {
    this.reopenTimer = undefined;
    if (!this.running) return Promise.resolve();
    const gen = ++this.generation;
    this.splitter.reset();
    let link: SerialLink;
    try {
      link = (this.opts.openPort ?? openSerialPort)(this.path, this.opts.config.baudRate);
    } catch (err) {
      this.lost(`cannot open: ${message(err)}`);
      return Promise.resolve();
    }
    this.link = link;
    link.on('data', (chunk) => { if (gen === this.generation) this.onData(chunk); });
    link.on('error', (err) => {
      if (gen !== this.generation) return;
      this.log.warn({ err }, 'serial port error');
      if (!link.isOpen) this.lost(`port error: ${err.message}`);
    });
    link.on('close', (err) => {
      if (gen !== this.generation) return;
      this.lost((err as { disconnected?: boolean } | null | undefined)?.disconnected ? 'receiver disconnected' : 'port closed');
    });
    return new Promise((resolve) => {
      link.open((err) => {
        if (gen !== this.generation) {
          // stopped or given up while opening
          if (!err) void closeQuietly(link);
        } else if (err) {
          this.lost(`cannot open: ${err.message}`);
        } else {
          this.counters.opens++;
          this.lastLineAt = this.now();
          if (this.outage === undefined) this.log.info({ baudRate: this.opts.config.baudRate }, 'serial port open');
          // without a liveness signal, an open port is all we can know of the receiver
          if (!this.liveness) this.alive();
          this.startWatchdog(gen);
          if (this.protocol === 'rflink') this.ping(link);
        }
        resolve();
      });
    });
  }

  /** The receiver is unreachable: report once, give up this link, and try again later. */
  private lost(reason: string, since = this.now()): void {
    if (!this.running) return;
    this.generation++;
    this.stopWatchdog();
    const link = this.link;
    this.link = undefined;
    if (link) void closeQuietly(link);
    if (this.outage === undefined) {
      this.outage = { since, reason };
      this.counters.outages++;
      this.log.warn({ reason }, 'serial receiver outage');
      this.safely('onOutage', () => this.opts.onOutage({ path: this.path, reason, since }));
    }
    this.scheduleReopen();
  }

  private alive(): void {
    this.lastLineAt = this.now();
    this.attempt = 0;
    if (this.outage === undefined) return;
    const downForMs = this.now() - this.outage.since;
    this.outage = undefined;
    this.counters.recoveries++;
    this.log.info({ downForMs }, 'serial receiver recovered');
    this.safely('onRecovered', () => this.opts.onRecovered({ path: this.path, downForMs }));
  }

  private scheduleReopen(): void {
    if (!this.running || this.reopenTimer !== undefined) return;
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 30));
    // jitter: gateways that lost power together should not all retry in step
    const delay = Math.round(base * (0.8 + 0.4 * (this.opts.random ?? Math.random)()));
    this.attempt++;
    this.reopenTimer = setTimeout(() => void this.connect(), delay);
  }

  private startWatchdog(gen: number): void {
    this.stopWatchdog();
    if (!this.liveness) return;
    const interval = this.pingInterval;
    this.watchdog = setInterval(() => {
      if (gen !== this.generation || !this.link) return;
      const silentFor = this.now() - (this.lastLineAt ?? 0);
      if (silentFor >= SILENT_INTERVALS * interval) {
        this.lost(`silent for ${Math.round(silentFor / 1000)} s`, this.lastLineAt);
      } else if (this.protocol === 'rflink') {
        this.ping(this.link);
      }
    }, interval);
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private ping(link: SerialLink): void {
    if (!link.isOpen) return;
    try {
      // a failed ping needs no report of its own: the silence that follows is the outage
      link.write(PING, () => {});
    } catch {
      /* same */
    }
  }

  private onData(chunk: Buffer): void {
    try {
      const { lines, overlong } = this.splitter.push(chunk);
      for (let i = 0; i < overlong; i++) this.countReason('too_long');
      for (const line of lines) this.onLine(line);
    } catch (err) {
      this.countReason('internal_error');
      this.log.error({ err }, 'could not handle a serial line');
    }
  }

  private onLine(line: string): void {
    this.counters.lines++;
    if (this.protocol === 'rflink') {
      const result = parseRflinkLine(line);
      if ('ignored' in result) return this.ignore(result.ignored);
      this.alive();
      this.counters.packets++;
      const keys = rflinkKeys(result);
      for (const key of keys) {
        const device = this.opts.lookup(key);
        if (device) return this.deliver(device, key, rflinkToReadings(result, device.kind));
      }
      return this.unknown(keys[0]);
    }
    const result = parseJsonlLine(line);
    if ('ignored' in result) return this.ignore(result.ignored);
    this.alive();
    this.counters.packets++;
    // each device may say which fields name it (a Generic-Motion has only a code); the port's
    // idFields (default model and id) are tried last
    const portFields = this.opts.config.idFields ?? DEFAULT_ID_FIELDS;
    let firstKey: string | undefined;
    for (const fields of [...(this.opts.idFieldSets?.() ?? []), portFields]) {
      const key = jsonlKey(result.message, fields);
      if (key === undefined) continue;
      firstKey ??= key;
      const device = this.opts.lookup(key, fields);
      if (device) return this.deliver(device, key, jsonlToReadings(result.message, device.kind));
    }
    const key = jsonlKey(result.message, portFields) ?? firstKey;
    if (key === undefined) return this.countReason('no_id');
    return this.unknown(key);
  }

  private ignore(reason: string): void {
    if (reason === 'empty') return;
    this.countReason(reason);
    // banners, pongs and answers are the receiver talking; noise is not a sign of life
    if (reason !== 'garbage' && reason !== 'too_long') this.alive();
  }

  private unknown(key: string): void {
    this.countReason('unknown_device');
    // once per key, so whoever configures the home can copy it; neighbours' sensors are heard all day
    if (!this.unknownLogged.has(key) && this.unknownLogged.size < 256) {
      this.unknownLogged.add(key);
      this.log.info({ key }, `heard an unknown device; configure it as ${this.protocol}: "${key}" to use it`);
    }
  }

  private deliver(device: KnownDevice, key: string, readings: Readings | null): void {
    if (readings === null) return this.countReason('unmapped');
    // a repeat is the same readings as this device's previous report, soon after it; an
    // open-close-open within the window is three reports
    const now = this.now();
    const signature = JSON.stringify(readings);
    const last = this.recent.get(device.deviceId);
    const window = this.opts.duplicateWindowMs ?? 1000;
    if (last?.signature === signature && now - last.at < window) return this.countReason('duplicate');
    this.recent.set(device.deviceId, { signature, at: now });
    if (this.pending >= MAX_PENDING_INGESTS) {
      this.log.error({ deviceId: device.deviceId }, 'store is not keeping up; dropping a serial event');
      return this.countReason('overload');
    }
    this.pending++;
    const meta: IngestMeta = { source: this.protocol, key, path: this.path };
    // one at a time, in the order heard: a door's open must not overtake its close
    this.ingestChain = this.ingestChain
      .then(() => this.opts.ingest(device.deviceId, readings, meta))
      .then(
        () => { this.counters.ingested++; },
        (err: unknown) => {
          this.countReason('ingest_failed');
          this.log.error({ err, deviceId: device.deviceId }, 'could not store a serial event');
        },
      )
      .finally(() => { this.pending--; });
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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Close a link we are done with; its late errors are already ignored by generation.
 * Bounded: a wedged driver must not hold up the gateway's shutdown.
 */
function closeQuietly(link: SerialLink, timeoutMs = 2000): Promise<void> {
  link.removeAllListeners('data');
  if (!link.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    const done = () => { clearTimeout(timer); resolve(); };
    try {
      link.close(done);
    } catch {
      done();
    }
  });
}
