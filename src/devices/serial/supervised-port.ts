// A serial port kept open ("Supervision and recovery"): opened, split into bounded lines,
// pinged every interval where the protocol has a ping; no sign of life for 3 intervals, or the
// port closing or failing, is an outage, reported once; the port is reopened with backoff and
// the recovery is reported once, when the receiver is heard again. All waiting is on the Clock.
import { backoffMs, type Backoff } from '../../backoff.ts';
import { systemClock, type Clock, type Timer } from '../../clock.ts';
import { LineSplitter } from './lines.ts';
import { openSerialPort, type OpenPort, type SerialLink } from './link.ts';

export interface PortLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface SupervisedPortOptions {
  path: string;
  baudRate: number;
  log: PortLogger;
  /** whether silence is an outage; without it an open port is all we can know of the receiver */
  liveness: boolean;
  intervalMs: number;
  ping?: string;
  lines(lines: string[], overlong: number): void;
  onOutage(reason: string, since: number): void;
  onRecovered(downForMs: number): void;
  openPort?: OpenPort;
  clock?: Clock;
  backoff?: Backoff;
  random?: () => number;
}

const SILENT_INTERVALS = 3;
const MAX_LINE_BYTES = 4096;
const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, capMs: 30_000 };

export class SupervisedPort {
  private running = false;
  /** bumped whenever a link is given up, so late events from it are ignored */
  private generation = 0;
  private link?: SerialLink;
  private readonly splitter = new LineSplitter(MAX_LINE_BYTES);
  private reopenTimer?: Timer;
  private watchdog?: Timer;
  private failures = 0;
  private outage?: { since: number; reason: string };
  lastLineAt?: number;
  readonly counters = { opens: 0, outages: 0, recoveries: 0 };

  constructor(private readonly opts: SupervisedPortOptions) {}

  private get clock(): Clock { return this.opts.clock ?? systemClock; }

  get state(): 'stopped' | 'connecting' | 'up' | 'down' {
    return !this.running ? 'stopped' : this.outage ? 'down' : this.link?.isOpen ? 'up' : 'connecting';
  }
  get downSince(): number | undefined { return this.outage?.since; }

  /** Resolves after the first attempt to open the port, whether or not it succeeded. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.connect();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.reopenTimer?.cancel();
    this.reopenTimer = undefined;
    this.stopWatchdog();
    const link = this.link;
    this.link = undefined;
    if (link) await closeQuietly(link);
  }

  /** The receiver said something (a packet, a banner, a pong): it is there. */
  alive(): void {
    const now = this.clock.now();
    this.lastLineAt = now;
    this.failures = 0;
    if (this.outage === undefined) return;
    const downForMs = now - this.outage.since;
    this.outage = undefined;
    this.counters.recoveries++;
    this.opts.log.info({ downForMs }, 'serial receiver recovered');
    this.opts.onRecovered(downForMs);
  }

  private connect(): Promise<void> {
    this.reopenTimer = undefined;
    if (!this.running) return Promise.resolve();
    const gen = ++this.generation;
    this.splitter.reset();
    let link: SerialLink;
    try {
      link = (this.opts.openPort ?? openSerialPort)(this.opts.path, this.opts.baudRate);
    } catch (err) {
      this.lost(`cannot open: ${message(err)}`);
      return Promise.resolve();
    }
    this.link = link;
    link.on('data', (chunk) => { if (gen === this.generation) this.onData(chunk); });
    link.on('error', (err) => {
      if (gen !== this.generation) return;
      this.opts.log.warn({ err }, 'serial port error');
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
          this.lastLineAt = this.clock.now();
          if (this.outage === undefined) this.opts.log.info({ baudRate: this.opts.baudRate }, 'serial port open');
          if (!this.opts.liveness) this.alive();
          this.armWatchdog(gen);
          this.ping(link);
        }
        resolve();
      });
    });
  }

  /** The receiver is unreachable: report once, give up this link, and try again later. */
  private lost(reason: string, since = this.clock.now()): void {
    if (!this.running) return;
    this.generation++;
    this.stopWatchdog();
    const link = this.link;
    this.link = undefined;
    if (link) void closeQuietly(link);
    if (this.outage === undefined) {
      this.outage = { since, reason };
      this.counters.outages++;
      this.opts.log.warn({ reason }, 'serial receiver outage');
      this.opts.onOutage(reason, since);
    }
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (!this.running || this.reopenTimer !== undefined) return;
    this.failures++;
    const delay = backoffMs(this.failures, this.opts.backoff ?? DEFAULT_BACKOFF, this.opts.random);
    this.reopenTimer = this.clock.setTimer(this.clock.now() + delay, () => void this.connect());
  }

  private armWatchdog(gen: number): void {
    this.stopWatchdog();
    if (!this.opts.liveness) return;
    const interval = this.opts.intervalMs;
    this.watchdog = this.clock.setTimer(this.clock.now() + interval, () => {
      if (gen !== this.generation || !this.link) return;
      const silentFor = this.clock.now() - (this.lastLineAt ?? 0);
      if (silentFor >= SILENT_INTERVALS * interval) return this.lost(`silent for ${Math.round(silentFor / 1000)} s`, this.lastLineAt);
      this.ping(this.link);
      this.armWatchdog(gen);
    });
  }

  private stopWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private ping(link: SerialLink): void {
    if (this.opts.ping === undefined || !link.isOpen) return;
    try {
      // a failed ping needs no report of its own: the silence that follows is the outage
      link.write(this.opts.ping, () => {});
    } catch {
      /* same */
    }
  }

  private onData(chunk: Buffer): void {
    const { lines, overlong } = this.splitter.push(chunk);
    this.opts.lines(lines, overlong);
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
