// Alert lifecycle inside the core: one ongoing condition is one alert (CONTRACT.md "Alerts").
//
// An alert is keyed by its condition (`smoke:<device>`, `inactivity`, ...). While the key is
// open, the same condition again gives at most an 'update', never a second 'open', so nobody
// is texted twice for one fire. A condition also "latches" when it raises its alert: the latch
// is released only when the condition itself clears (smoke gone, device heard again, ...),
// not when a person resolves the alert, so resolving a still-smoky detector does not reopen
// the alert on its next report.
import type { AlertKind } from '../domain/types.ts';
import type { Decision, HomeState, ResidentRulesConfig } from './state.ts';

/** One decide() call's working copy: the state is mutated in place and returned at the end. */
export interface Ctx {
  cfg: ResidentRulesConfig;
  state: HomeState;
  now: number;
  decisions: Decision[];
}

/** A shallow-enough copy that decide() can mutate without touching the caller's state. */
export function cloneState(s: HomeState): HomeState {
  const devices: HomeState['devices'] = {};
  for (const [id, d] of Object.entries(s.devices)) devices[id] = { ...d };
  const alerts: HomeState['alerts'] = {};
  for (const [key, a] of Object.entries(s.alerts)) alerts[key] = { ...a };
  return {
    ...s,
    alerts,
    latched: { ...s.latched },
    devices,
    activity: { ...s.activity },
    visits: s.visits.map((v) => ({ ...v })),
    absences: s.absences.map((p) => ({ ...p })),
    // the baseline is large and copied on write by learned.ts
    baseline: s.baseline,
  };
}

/**
 * The condition is true now: open its alert, or, if an alert for it is still open (say
 * acknowledged but not resolved), add `againNote` to it instead.
 */
export function raise(ctx: Ctx, key: string, kind: AlertKind, deviceId: string | null, detail: Record<string, unknown>, againNote: string): void {
  ctx.state.latched[key] = true;
  if (ctx.state.alerts[key]) {
    ctx.decisions.push({ type: 'update', key, note: againNote, detail });
    return;
  }
  ctx.state.alerts[key] = { kind, deviceId, openedAt: ctx.now, acknowledged: false };
  ctx.decisions.push(deviceId === null
    ? { type: 'open', key, kind, detail }
    : { type: 'open', key, kind, deviceId, detail });
}

export function update(ctx: Ctx, key: string, note: string, detail?: Record<string, unknown>): void {
  if (!ctx.state.alerts[key]) return;
  ctx.decisions.push(detail ? { type: 'update', key, note, detail } : { type: 'update', key, note });
}

/** The condition cleared in a way that settles it: resolve the alert if one is open. */
export function autoResolve(ctx: Ctx, key: string, reason: string): void {
  if (!ctx.state.alerts[key]) return;
  delete ctx.state.alerts[key];
  ctx.decisions.push({ type: 'resolve', key, reason });
}

export function release(ctx: Ctx, key: string): void {
  delete ctx.state.latched[key];
}

export function record(ctx: Ctx, note: string, deviceId?: string): void {
  ctx.decisions.push(deviceId ? { type: 'record', note, deviceId } : { type: 'record', note });
}

/** A person acknowledged: escalation stops (notify/), the alert stays until resolved. */
export function personAcknowledged(state: HomeState, key: string): boolean {
  const alert = state.alerts[key];
  if (!alert) return false;
  alert.acknowledged = true;
  return true;
}

/** A person resolved: the alert ends; the latch stays, so the same episode does not reopen it. */
export function personResolved(state: HomeState, key: string): boolean {
  if (!state.alerts[key]) return false;
  delete state.alerts[key];
  return true;
}
