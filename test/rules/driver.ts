// A test driver for the pure core: a resident's home on a virtual clock, with ticks delivered
// by the real RuleScheduler, the way the app and replay drive it.
import type { Readings } from '../../src/domain/types.ts';
import type { HourWindow } from '../../src/config/index.ts';
import { decide, initialState, RuleScheduler, virtualClock, type Decision, type HomeState, type ResidentRulesConfig, type RuleInput } from '../../src/rules/index.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;

export function hours(text: string): HourWindow {
  const [a, b] = text.split('-').map((hm) => hm.split(':').map(Number));
  return { start: a[0] * 60 + a[1], end: b[0] * 60 + b[1], text };
}

/** A home with an entrance door, a fridge, a motion sensor, a button and a smoke alarm. */
export function homeConfig(rules: ResidentRulesConfig['rules'] = {}, timezone = 'Asia/Shanghai', devices?: ResidentRulesConfig['devices']): ResidentRulesConfig {
  return {
    residentId: 'r-test',
    timezone,
    rules,
    devices: devices ?? [
      { id: 'door', kind: 'door', entrance: true },
      { id: 'fridge', kind: 'door', entrance: false },
      { id: 'pir', kind: 'motion', entrance: false },
      { id: 'btn', kind: 'button', entrance: false },
      { id: 'smoke', kind: 'smoke', entrance: false },
    ],
  };
}

export type Logged = Decision & { at: number };
export type Opened = Extract<Decision, { type: 'open' }> & { at: number };

export function home(cfg: ResidentRulesConfig, start: number | string, state0?: HomeState) {
  const t0 = typeof start === 'string' ? Date.parse(start) : start;
  const clock = virtualClock(t0);
  let state = state0 ?? initialState(cfg, t0);
  const log: Logged[] = [];
  const step = (input: RuleInput) => {
    const r = decide(cfg, state, input, clock.now());
    state = r.state;
    for (const d of r.decisions) log.push({ ...d, at: clock.now() });
    scheduler.reschedule(cfg, state);
    return r.decisions;
  };
  const scheduler = new RuleScheduler(clock, () => step({ type: 'tick' }));
  scheduler.reschedule(cfg, state);
  const toMs = (t: number | string) => (typeof t === 'string' ? Date.parse(t) : t);
  const kindOf = (id: string) => cfg.devices.find((d) => d.id === id)?.kind ?? 'motion';
  const h = {
    cfg, log, clock, scheduler,
    get state() { return state; },
    /** let the clock run to t, delivering every tick due on the way */
    at(t: number | string) { clock.advanceTo(toMs(t)); return h; },
    /** minutes from now */
    wait(ms: number) { clock.advanceTo(clock.now() + ms); return h; },
    send(deviceId: string, readings: Readings, t?: number | string) {
      if (t !== undefined) h.at(t);
      return step({ type: 'event', event: { at: clock.now(), deviceId, residentId: cfg.residentId, kind: kindOf(deviceId), source: 'mqtt', type: 'state', readings } });
    },
    availability(deviceId: string, availability: 'online' | 'offline', t?: number | string) {
      if (t !== undefined) h.at(t);
      return step({ type: 'event', event: { at: clock.now(), deviceId, residentId: cfg.residentId, kind: kindOf(deviceId), source: 'mqtt', type: 'availability', availability } });
    },
    visit(start: number | string, end: number | string) { return step({ type: 'visit', start: toMs(start), end: toMs(end) }); },
    acknowledge(key: string) { return step({ type: 'acknowledged', key }); },
    resolve(key: string) { return step({ type: 'resolved', key }); },
    plan(absence: { id: string; from: number; until: number }) { return step({ type: 'absence', absence }); },
    cancel(id: string) { return step({ type: 'absence_cancelled', id }); },
    receiver(path: string, down: boolean, reason: string) { return step({ type: 'receiver', path, down, reason }); },
    opened(key?: string): Opened[] { return log.filter((d): d is Opened => d.type === 'open' && (key === undefined || d.key === key)); },
    ofKey(key: string) { return log.filter((d) => 'key' in d && d.key === key).map((d) => d.type === 'update' ? `update:${d.note}` : d.type === 'resolve' ? `resolve:${d.reason}` : d.type); },
    records() { return log.filter((d) => d.type === 'record').map((d) => (d as { note: string }).note); },
  };
  return h;
}

export const iso = (t: number) => new Date(t).toISOString();
