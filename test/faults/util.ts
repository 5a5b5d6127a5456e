// Small helpers for the fault tests: every wait has a deadline, so a fault that hangs the
// gateway fails the test with a reason instead of stalling the suite.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** the promise, or a rejection naming `what` after `ms` */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** polls check() every 20 ms until it is truthy, or fails naming `what` after `ms` */
export async function until<T>(check: () => T, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
