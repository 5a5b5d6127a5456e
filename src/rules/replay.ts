// Replay: events through the core with ticks from a virtual clock (the same decide()/nextDue()
// and the same RuleScheduler the app runs), so `npm run replay` and the evaluations decide what
// the live gateway would have decided for the same events and times.
import type { DeviceEvent } from '../domain/types.ts';
import { decide, initialState, nextDue } from './core.ts';
import { RuleScheduler, virtualClock } from './scheduler.ts';
import type { HomeState, ResidentRulesConfig, RuleInput } from './state.ts';

/** a receiver outage or recovery as the log records it (the input 'receiver' at its time) */
export type ReceiverChange = Extract<RuleInput, { type: 'receiver' }> & { at: number };

export interface OpenedAlert { key: string; kind: string; openedAt: number; resolvedAt: number | null }

/**
 * Replay events (and receiver outages) through the core with ticks from a virtual clock; `pauses`
 * get the state as of that moment.
 */
export function replay(
  cfg: ResidentRulesConfig, events: ReadonlyArray<DeviceEvent | ReceiverChange>, start: number, until: number,
  pauses: Array<{ at: number; take: (state: HomeState) => void }> = [], state0?: HomeState,
  /** called after each event is judged, with the state as of then (the state a log cut right after it ends in) */
  afterEvent?: (index: number, state: HomeState) => void,
): { alerts: OpenedAlert[]; state: HomeState } {
  const clock = virtualClock(start);
  let state = state0 ?? initialState(cfg, start);
  const alerts: OpenedAlert[] = [];
  const open = new Map<string, OpenedAlert>();
  const apply = (input: RuleInput, now: number) => {
    const r = decide(cfg, state, input, now);
    state = r.state;
    for (const d of r.decisions) {
      if (d.type === 'open') {
        const a = { key: d.key, kind: d.kind, openedAt: now, resolvedAt: null };
        alerts.push(a);
        open.set(d.key, a);
      } else if (d.type === 'resolve' && open.has(d.key)) {
        open.get(d.key)!.resolvedAt = now;
        open.delete(d.key);
      }
    }
    const due = nextDue(cfg, state);
    // a due time that is not in the future would spin the scheduler: a bug in the core
    if (due !== null && due <= now && input.type === 'tick') throw new Error(`nextDue ${due} not after tick at ${now}`);
    scheduler.schedule(cfg.residentId, due);
  };
  const scheduler = new RuleScheduler(clock, () => apply({ type: 'tick' }, clock.now()));
  scheduler.schedule(cfg.residentId, nextDue(cfg, state));
  const waits = pauses.slice().sort((a, b) => a.at - b.at);
  let w = 0;
  events.forEach((event, index) => {
    while (w < waits.length && waits[w].at <= event.at) {
      clock.advanceTo(waits[w].at);
      waits[w++].take(state);
    }
    clock.advanceTo(event.at);
    apply(event.type === 'receiver' ? { type: 'receiver', path: event.path, down: event.down, reason: event.reason } : { type: 'event', event }, event.at);
    afterEvent?.(index, state);
  });
  for (; w < waits.length; w++) {
    clock.advanceTo(waits[w].at);
    waits[w].take(state);
  }
  clock.advanceTo(until);
  scheduler.stop();
  return { alerts, state };
}
