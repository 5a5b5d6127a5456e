// Failed authentication per source address: past `max` failures in a window the address (or
// the address and username) is refused without its credentials being looked at, so guessing
// gains nothing until the window ends. Memory is bounded: at most `maxAddresses` keys are
// remembered (the oldest are forgotten first).

/** the address a client counts against: IPv4 as is (also when mapped into IPv6), IPv6 by its /64 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

export interface FailureLimits {
  max: number;
  windowMs: number;
  maxAddresses?: number;
}

export class FailureLimiter {
  private windows = new Map<string, { start: number; failures: number }>();

  constructor(private readonly limits: FailureLimits, private readonly now: () => number = Date.now) {}

  /** ms until `key` (an addressKey, maybe with more after it) may try again, 0 when it may now */
  blockedFor(key: string): number {
    const w = this.current(key);
    return w && w.failures >= this.limits.max ? w.start + this.limits.windowMs - this.now() : 0;
  }

  /** one more failure; true when this one reached the limit (to log it once) */
  failed(key: string): boolean {
    let w = this.current(key);
    if (!w) {
      w = { start: this.now(), failures: 0 };
      this.windows.set(key, w);
      this.trim();
    }
    w.failures++;
    return w.failures === this.limits.max;
  }

  private current(key: string) {
    const w = this.windows.get(key);
    if (w && this.now() - w.start >= this.limits.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private trim(): void {
    const cap = this.limits.maxAddresses ?? 10_000;
    if (this.windows.size <= cap) return;
    const now = this.now();
    for (const [k, w] of this.windows) if (now - w.start >= this.limits.windowMs) this.windows.delete(k);
    for (const k of this.windows.keys()) {
      if (this.windows.size <= cap) break;
      this.windows.delete(k);
    }
  }
}
