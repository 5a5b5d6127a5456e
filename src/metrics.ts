// Counters and gauges rendered as Prometheus text; no library, a handful of series.
type Labels = Record<string, string>;

function key(name: string, labels: Labels): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

export class Metrics {
  private counters = new Map<string, { name: string; value: number }>();
  private gauges = new Map<string, () => number>();
  private help = new Map<string, string>();

  describe(name: string, help: string): void { this.help.set(name, help); }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const k = key(name, labels);
    const c = this.counters.get(k);
    if (c) c.value += by;
    else this.counters.set(k, { name, value: by });
  }

  get(name: string, labels: Labels = {}): number {
    return this.counters.get(key(name, labels))?.value ?? 0;
  }

  /** sum over every label set of a counter */
  total(name: string): number {
    let sum = 0;
    for (const c of this.counters.values()) if (c.name === name) sum += c.value;
    return sum;
  }

  gauge(name: string, read: () => number): void { this.gauges.set(name, read); }

  render(): string {
    const lines: string[] = [];
    const byName = new Map<string, string[]>();
    for (const [k, c] of this.counters) {
      const list = byName.get(c.name) ?? [];
      list.push(`${k} ${c.value}`);
      byName.set(c.name, list);
    }
    for (const [name, series] of byName) {
      if (this.help.has(name)) lines.push(`# HELP ${name} ${this.help.get(name)}`);
      lines.push(`# TYPE ${name} counter`, ...series);
    }
    for (const [name, read] of this.gauges) {
      if (this.help.has(name)) lines.push(`# HELP ${name} ${this.help.get(name)}`);
      lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    }
    return lines.join('\n') + '\n';
  }
}
