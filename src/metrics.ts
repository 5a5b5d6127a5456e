// The gateway's Prometheus metrics on prom-client: counters and gauges named where they are
// counted, the histograms below, and Node's own process and event-loop metrics.
//
// Callers keep a small API: `describe(name, help)`, `inc(name, labels)`, `gauge(name, read)` and
// `observe(name, seconds)`. A counter is created on its first `inc`, with the label names that
// call used (a later call with a further label name rebuilds it, keeping its counts), so a part
// can count something new without a second edit here. `get` and `total` read counts back
// synchronously for tests and for the parts that report them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;

/** The latencies worth a distribution, not a mean: what a device and a neighbour wait for. */
export const HISTOGRAMS = {
  gateway_mqtt_puback_seconds: {
    help: 'QoS 1 PUBLISH received to PUBACK released: decode, attribute and commit (the device waits this long)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  },
  gateway_store_commit_seconds: {
    help: 'one group commit of device events (one transaction, and with sync: full one fsync)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  },
  gateway_alarm_to_sms_seconds: {
    help: 'an alert\'s first escalation step falling due to the provider accepting its first text, by kind',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  },
} as const;
export type HistogramName = keyof typeof HISTOGRAMS;

// Process metrics (CPU, memory, handles, GC, event-loop lag) describe the process, not one app:
// collected once however many apps a process builds (tests build many).
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

function key(name: string, labels: Labels): string {
  const names = Object.keys(labels);
  if (!names.length) return name;
  return `${name}\u0000${names.sort().map((k) => `${k}\u0001${labels[k]}`).join('\u0000')}`;
}

interface Series { name: string; labels: Labels; value: number }

export class Metrics {
  /** this app's own series (the process metrics are added when rendering) */
  readonly registry = new Registry();
  private readonly help = new Map<string, string>();
  private readonly counters = new Map<string, { counter: Counter<string>; labelNames: Set<string> }>();
  private readonly series = new Map<string, Series>();
  private readonly gauges = new Map<string, () => number>();
  private readonly histograms = new Map<string, Histogram<string>>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) processMetrics();
    for (const [name, h] of Object.entries(HISTOGRAMS)) {
      const labelNames = name === 'gateway_alarm_to_sms_seconds' ? ['kind'] : [];
      this.histograms.set(name, new Histogram({ name, help: h.help, buckets: [...h.buckets], labelNames, registers: [this.registry] }));
    }
  }

  describe(name: string, help: string): void {
    this.help.set(name, help);
    const c = this.counters.get(name);
    if (c) (c.counter as unknown as { help: string }).help = help;
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const counter = this.counterFor(name, labels);
    const k = key(name, labels);
    let s = this.series.get(k);
    if (!s) {
      s = { name, labels: { ...labels }, value: 0 };
      this.series.set(k, s);
    }
    s.value += by;
    counter.inc(labels, by);
  }

  get(name: string, labels: Labels = {}): number {
    return this.series.get(key(name, labels))?.value ?? 0;
  }

  /** sum over every label set of a counter */
  total(name: string): number {
    let sum = 0;
    for (const s of this.series.values()) if (s.name === name) sum += s.value;
    return sum;
  }

  /** a value read when scraped; a second call for the same name replaces the reader */
  gauge(name: string, read: () => number): void {
    const known = this.gauges.has(name);
    this.gauges.set(name, read);
    if (known) return;
    const gauges = this.gauges;
    new Gauge({
      name, help: this.help.get(name) ?? name, registers: [this.registry],
      collect() { this.set(gauges.get(name)!()); },
    });
  }

  observe(name: HistogramName, seconds: number, labels: Labels = {}): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.histograms.get(name)!.observe(labels, seconds);
  }

  /** observations of a histogram so far (for tests and the benchmarks) */
  async observations(name: HistogramName): Promise<number> {
    const { values } = await this.histograms.get(name)!.get();
    return values.filter((v) => (v as { metricName?: string }).metricName === `${name}_count`).reduce((n, v) => n + v.value, 0);
  }

  readonly contentType = this.registry.contentType;

  /** the Prometheus text exposition: this app's series, then the process's */
  async render(): Promise<string> {
    const own = await this.registry.metrics();
    return processRegistry ? own + '\n' + await processRegistry.metrics() : own;
  }

  private counterFor(name: string, labels: Labels): Counter<string> {
    const names = Object.keys(labels);
    const known = this.counters.get(name);
    if (known && names.every((n) => known.labelNames.has(n))) return known.counter;
    // first count, or a label name not seen before: (re)build with every label name so far
    const labelNames = new Set([...(known?.labelNames ?? []), ...names]);
    if (known) this.registry.removeSingleMetric(name);
    const counter = new Counter({ name, help: this.help.get(name) ?? name, labelNames: [...labelNames], registers: [this.registry] });
    this.counters.set(name, { counter, labelNames });
    // carry the counts so far over to the rebuilt counter
    if (known) for (const s of this.series.values()) if (s.name === name && s.value > 0) counter.inc(s.labels, s.value);
    return counter;
  }
}
