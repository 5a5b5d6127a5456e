// Readings heard on one serial port, on their way to the store: one at a time in the order
// heard (a door's open must not overtake its close), repeats folded (rtl_433 prints each
// repeat of a radio packet), and bounded (a store that is not keeping up costs a counted drop,
// not unbounded memory).
import type { Readings } from '../../domain/types.ts';

export interface QueueLogger {
  error(obj: unknown, msg?: string): void;
}

export interface IngestQueueOptions<M> {
  ingest(deviceId: string, readings: Readings, meta: M): Promise<void>;
  count(reason: 'duplicate' | 'overload' | 'ingest_failed'): void;
  now(): number;
  log: QueueLogger;
  /** the same readings from the same device within this window are one report */
  duplicateWindowMs?: number;
  max?: number;
}

const MAX_PENDING_INGESTS = 1000;

export class IngestQueue<M> {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** each device's previous report (bounded by the number of configured devices) */
  private readonly recent = new Map<string, { signature: string; at: number }>();
  ingested = 0;

  constructor(private readonly opts: IngestQueueOptions<M>) {}

  offer(deviceId: string, readings: Readings, meta: M): void {
    // a repeat is the same readings as this device's previous report, soon after it; an
    // open-close-open within the window is three reports
    const now = this.opts.now();
    const signature = JSON.stringify(readings);
    const last = this.recent.get(deviceId);
    if (last?.signature === signature && now - last.at < (this.opts.duplicateWindowMs ?? 1000)) return this.opts.count('duplicate');
    this.recent.set(deviceId, { signature, at: now });
    if (this.pending >= (this.opts.max ?? MAX_PENDING_INGESTS)) {
      this.opts.log.error({ deviceId }, 'store is not keeping up; dropping a serial event');
      return this.opts.count('overload');
    }
    this.pending++;
    this.chain = this.chain
      .then(() => this.opts.ingest(deviceId, readings, meta))
      .then(
        () => { this.ingested++; },
        (err: unknown) => {
          this.opts.count('ingest_failed');
          this.opts.log.error({ err, deviceId }, 'could not store a serial event');
        },
      )
      .finally(() => { this.pending--; });
  }

  /** Resolves once everything offered so far is stored (or failed). */
  drained(): Promise<void> { return this.chain; }
}
