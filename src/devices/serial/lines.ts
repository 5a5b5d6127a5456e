// Splits a serial byte stream into lines at '\n', dropping a trailing '\r'.
// Used instead of serialport's ReadlineParser because that one buffers without limit: a
// receiver at the wrong baud rate, or a noisy line, can send bytes with no newline for ever.
// Here a line longer than maxBytes is dropped (and reported) rather than held in memory.

export interface SplitResult {
  lines: string[];
  /** lines dropped for being longer than maxBytes */
  overlong: number;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** inside a line that is already too long: skip to its end */
  private discarding = false;

  constructor(private readonly maxBytes = 4096) {}

  push(chunk: Buffer): SplitResult {
    const out: SplitResult = { lines: [], overlong: 0 };
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.discarding) {
        // copied: a binding may reuse the chunk's memory for its next read
        this.parts.push(Buffer.from(chunk.subarray(start, end)));
        this.size += end - start;
        if (this.size > this.maxBytes) {
          this.reset();
          this.discarding = true;
          out.overlong += 1;
        }
      }
      if (nl === -1) break;
      if (!this.discarding) out.lines.push(this.take());
      this.discarding = false;
      start = nl + 1;
    }
    return out;
  }

  /** Forget a partial line, e.g. when the port is reopened. */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.discarding = false;
  }

  private take(): string {
    let text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.size = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return text;
  }
}
