// One exponential backoff for everything that retries: texts the provider refused for now
// (notify/delivery.ts) and serial ports that went away (devices/serial/supervised-port.ts).

export interface Backoff {
  /** the wait before the second attempt; it doubles with each failure after that */
  baseMs: number;
  /** no wait longer than this between attempts */
  capMs: number;
}

/**
 * Wait before attempt `failures + 1`: "equal jitter", half fixed and half random, so many
 * callers failing together (a provider outage, gateways that lost power together) do not all
 * come back in the same millisecond.
 */
export function backoffMs(failures: number, policy: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
