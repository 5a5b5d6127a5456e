// One SQLite connection, many async callers. better-sqlite3 is synchronous, so a statement is
// never interrupted; but a unit of work whose function awaits between its statements leaves
// BEGIN open across turns of the event loop, and anything run on the connection meanwhile
// would land inside that transaction. The gate queues it instead: a unit of work holds the
// gate from BEGIN to COMMIT, and every other use of the connection (a single port call, a
// group commit of the ingest) runs at once when the gate is free, else in order once it is.
// The free path is synchronous, so a port call costs what the statement costs.
import { AsyncLocalStorage } from 'node:async_hooks';

export class Gate {
  private held = false;
  private readonly waiting: Array<() => void> = [];
  /** marks code running inside a unit of work, so a call that would wait on itself fails instead */
  private readonly inside = new AsyncLocalStorage<object>();
  /** the unit of work holding the gate now (a timer it left behind is not inside it) */
  private holder: object | null = null;

  private insideHolder(): boolean {
    return this.holder !== null && this.inside.getStore() === this.holder;
  }

  /** runs `fn` now when the gate is free, else after the units of work ahead of it */
  run<T>(fn: () => T): Promise<T> {
    if (!this.held) return settle(fn);
    if (this.insideHolder()) return Promise.reject(selfWait());
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => settle(fn).then(resolve, reject));
    });
  }

  /** like run, for a caller that wants no promise (the ingest's group commit) */
  whenFree(fn: () => void): void {
    if (!this.held) fn();
    else this.waiting.push(fn);
  }

  /** holds the gate while `fn` runs, however long it awaits */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    if (this.insideHolder()) throw selfWait();
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(() => { this.held = true; resolve(); }));
    else this.held = true;
    const token = {};
    this.holder = token;
    try {
      return await this.inside.run(token, fn);
    } finally {
      this.holder = null;
      // On Node 20 an enabled AsyncLocalStorage puts a hook on every promise the process makes
      // (the broker's and the ingest's too: 6 % of the CPU at saturation); between units of work
      // nothing needs it, so it is switched off until the next one runs
      this.inside.disable();
      this.release();
    }
  }

  get busy(): boolean { return this.held; }

  private release(): void {
    this.held = false;
    // single calls run straight away; the next unit of work takes the gate and the rest wait for it
    while (!this.held && this.waiting.length) this.waiting.shift()!();
  }
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

function selfWait(): Error {
  return new Error('store used outside its unit of work from inside tx(): use the ports tx(fn) hands to fn (a nested tx, or a call on the store itself, would wait for itself)');
}
