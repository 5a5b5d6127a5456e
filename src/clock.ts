// Time as a dependency: the live clock here, a virtual one for replay and tests.
export interface Timer { cancel(): void }
export interface Clock {
  now(): number;
  /** runs fn at (or soon after) epoch ms `at` */
  setTimer(at: number, fn: () => void): Timer;
}

// setTimeout's limit is 2^31-1 ms; longer waits re-arm
const MAX_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    let handle: NodeJS.Timeout;
    const arm = () => {
      const delay = Math.max(0, at - Date.now());
      handle = setTimeout(delay > MAX_DELAY ? arm : fn, Math.min(delay, MAX_DELAY));
      handle.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * One timer for "when the next thing is due": a worker that keeps a single timer for its earliest
 * due time (the escalation's next step, the outbox's next attempt) sets it here instead of
 * juggling a handle and its time. `set` replaces the timer (null: none); `setEarlier` only ever
 * brings it forward. The callback runs once per arming; setting the same time again is free.
 */
export class WakeUp {
  private timer: Timer | null = null;
  private due = Infinity;
  constructor(private readonly clock: Clock, private readonly fn: () => void) {}

  /** when it will fire, or Infinity */
  get at(): number { return this.due; }

  set(at: number | null): void {
    if (at === null) return this.cancel();
    if (this.timer && this.due === at) return;
    this.timer?.cancel();
    this.due = at;
    this.timer = this.clock.setTimer(at, () => {
      this.timer = null;
      this.due = Infinity;
      this.fn();
    });
  }

  /** fires at `at` unless it is already armed sooner */
  setEarlier(at: number): void {
    if (this.timer && this.due <= at) return;
    this.set(at);
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
    this.due = Infinity;
  }
}
