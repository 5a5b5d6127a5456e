// The thin adapter between the pure core and time: one timer per resident at nextDue(), and a
// callback when it is due. The app's onDue runs decide(..., { type: 'tick' }, clock.now()) and
// calls schedule() again with the new state's nextDue(). Because the due time is derived from
// the saved state alone, a restart rebuilds every timer by calling schedule() once per resident.
import { nextDue } from './core.ts';
import type { HomeState, ResidentRulesConfig } from './state.ts';

export interface TimerHandle { cancel(): void }

export interface RuleClock {
  now(): number;
  /** run fn at (or as soon as possible after) epoch ms `at` */
  setTimer(at: number, fn: () => void): TimerHandle;
}

export class RuleScheduler {
  private readonly timers = new Map<string, { at: number; handle: TimerHandle }>();

  constructor(private readonly clock: RuleClock, private readonly onDue: (residentId: string) => void) {}

  /** Keep exactly one timer for the resident at `at`; null cancels it. */
  schedule(residentId: string, at: number | null): void {
    const current = this.timers.get(residentId);
    if (current && current.at === at) return;
    current?.handle.cancel();
    this.timers.delete(residentId);
    if (at === null) return;
    const handle = this.clock.setTimer(at, () => {
      // drop our record first: onDue normally schedules the next timer at once
      if (this.timers.get(residentId)?.handle === handle) this.timers.delete(residentId);
      this.onDue(residentId);
    });
    this.timers.set(residentId, { at, handle });
  }

  /** schedule() at the state's own next due time. */
  reschedule(cfg: ResidentRulesConfig, state: HomeState): void {
    this.schedule(cfg.residentId, nextDue(cfg, state));
  }

  dueAt(residentId: string): number | null {
    return this.timers.get(residentId)?.at ?? null;
  }

  stop(): void {
    for (const { handle } of this.timers.values()) handle.cancel();
    this.timers.clear();
  }
}

export interface VirtualClock extends RuleClock {
  /** run every timer due by `t`, in time order (ties in the order they were set), then stand at `t` */
  advanceTo(t: number): void;
  /** the earliest pending timer, or null */
  nextTimer(): number | null;
}

/** A clock for replay and tests: time moves only when told, and timers run in order. */
export function virtualClock(start: number): VirtualClock {
  let now = start;
  let seq = 0;
  const pending = new Map<number, { at: number; seq: number; fn: () => void }>();
  const earliest = () => {
    let best: { at: number; seq: number; fn: () => void } | null = null;
    for (const t of pending.values()) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  };
  return {
    now: () => now,
    setTimer(at, fn) {
      const id = seq++;
      pending.set(id, { at, seq: id, fn });
      return { cancel: () => void pending.delete(id) };
    },
    advanceTo(t) {
      for (;;) {
        const next = earliest();
        if (!next || next.at > t) break;
        pending.delete(next.seq);
        // a timer set in the past runs now; the clock never goes backwards
        now = Math.max(now, next.at);
        next.fn();
      }
      now = Math.max(now, t);
    },
    nextTimer: () => earliest()?.at ?? null,
  };
}

