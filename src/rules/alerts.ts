// Alert lifecycle inside the core: one ongoing condition is one alert (CONTRACT.md "Alerts").
//
// An alert is keyed by its condition (`smoke:<device>`, `inactivity`, ...). While the key is
// open, the same condition again gives at most an 'update', never a second 'open', so nobody
// is texted twice for one fire. A condition also "latches" when it raises its alert: the latch
// is released only when the condition itself clears (smoke gone, device heard again, ...),
// not when a person resolves the alert, so resolving a still-smoky detector does not reopen
// the alert on its next report.
import type { AlertKind } from '../domain/types.ts';
import type { Decision, DeviceState, HomeState, ResidentRulesConfig } from './state.ts';

/** One decide() call's working copy: the state is mutated in place and returned at the end. */
export interface Ctx {
  cfg: ResidentRulesConfig;
  state: HomeState;
  now: number;
  decisions: Decision[];
  /**
   * The caller's state, when ctx.state is a copy-on-write copy of it (copyState): a device
   * object, alert map or latch map still shared with it is copied before its first write.
   * Unset, everything in ctx.state is the working copy's own.
   */
  shared?: HomeState;
}

/**
 * The working copy decide() mutates, without touching the caller's state: a new top level,
 * device map and activity record (an event writes them), one level deep. Nothing else is
 * written in place while it may still be the caller's: device objects are copied on their first
 * write (writableDevice), the alert and latch maps likewise (writableAlerts, writableLatched),
 * alert objects are replaced, not edited, visits and absences are replaced by new arrays, and
 * the learned baseline is copied on write by learned.ts.
 */
export function copyState(s: HomeState): HomeState {
  // the top level field by field rather than spread (V8 builds a literal of known shape several
  // times faster); NO_OPTIONAL_FIELDS below stops the build if HomeState gains an optional field
  // this literal would silently drop. The activity record has optional fields: spread.
  return {
    v: s.v, at: s.at, alerts: s.alerts, latched: s.latched, devices: { ...s.devices }, activity: { ...s.activity },
    visits: s.visits, absences: s.absences, baseline: s.baseline,
  };
}

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** copyState lists HomeState's fields one by one: an optional one would be left out without a word */
export const NO_OPTIONAL_FIELDS: [OptionalKeys<HomeState>] extends [never] ? true : never = true;

/** The device's state, ready to be written: the caller's object is copied the first time. */
export function writableDevice(ctx: Ctx, id: string): DeviceState | undefined {
  const dev = ctx.state.devices[id];
  if (dev === undefined || ctx.shared === undefined || ctx.shared.devices[id] !== dev) return dev;
  return (ctx.state.devices[id] = { ...dev });
}

/** The alert map, ready to be written. */
export function writableAlerts(ctx: Ctx): HomeState['alerts'] {
  if (ctx.shared !== undefined && ctx.state.alerts === ctx.shared.alerts) ctx.state.alerts = { ...ctx.state.alerts };
  return ctx.state.alerts;
}

/** The latch map, ready to be written. */
export function writableLatched(ctx: Ctx): HomeState['latched'] {
  if (ctx.shared !== undefined && ctx.state.latched === ctx.shared.latched) ctx.state.latched = { ...ctx.state.latched };
  return ctx.state.latched;
}

/**
 * The condition is true now: open its alert, or, if an alert for it is still open (say
 * acknowledged but not resolved), add `againNote` to it instead.
 */
export function raise(ctx: Ctx, key: string, kind: AlertKind, deviceId: string | null, detail: Record<string, unknown>, againNote: string): void {
  if (ctx.state.latched[key] !== true) writableLatched(ctx)[key] = true;
  if (ctx.state.alerts[key]) {
    ctx.decisions.push({ type: 'update', key, note: againNote, detail });
    return;
  }
  writableAlerts(ctx)[key] = { kind, deviceId, openedAt: ctx.now, acknowledged: false };
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
  delete writableAlerts(ctx)[key];
  ctx.decisions.push({ type: 'resolve', key, reason });
}

export function release(ctx: Ctx, key: string): void {
  if (key in ctx.state.latched) delete writableLatched(ctx)[key];
}

export function record(ctx: Ctx, note: string, deviceId?: string): void {
  ctx.decisions.push(deviceId ? { type: 'record', note, deviceId } : { type: 'record', note });
}

/** A person acknowledged: escalation stops (notify/), the alert stays until resolved. The state's alert map is its own (writableAlerts). */
export function personAcknowledged(state: HomeState, key: string): boolean {
  const alert = state.alerts[key];
  if (!alert) return false;
  // a new object: the one in the map may still be the caller's
  state.alerts[key] = { ...alert, acknowledged: true };
  return true;
}

/** A person resolved: the alert ends; the latch stays, so the same episode does not reopen it. The state's alert map is its own. */
export function personResolved(state: HomeState, key: string): boolean {
  if (!state.alerts[key]) return false;
  delete state.alerts[key];
  return true;
}
