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
