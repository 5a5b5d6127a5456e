// Turns an accepted message (from the broker, a bridge or a serial receiver) into a stored
// DeviceEvent. Its answer (`accept`'s callback, or `handle`'s promise) comes only after the
// commit: the broker answers PUBACK on it, so an acknowledged event is always on disk.
import type { DeviceEvent, EventSource, Readings, Availability } from '../domain/types.ts';
import type { MqttOrigin } from '../store/index.ts';
import type { Metrics } from '../metrics.ts';
import { decodeAttribute, decodeAvailability, decodeState } from './dialect.ts';
import type { DeviceRegistry, RegisteredDevice } from './registry.ts';
import { createAdmission, type AdmissionOptions, type AppendThen } from './router-admission.ts';

/** The native base topic: devices/{id} and devices/{id}/availability */
export const DEVICE_BASE = 'devices';

/** Who sent a message; decided by the broker at CONNECT. */
export type Principal =
  | { type: 'device'; deviceId: string }
  | { type: 'bridge'; username: string; baseTopic: string };

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  principal: Principal;
  origin?: MqttOrigin;
}

export type Outcome =
  | { status: 'stored'; event: DeviceEvent }
  | { status: 'duplicate'; eventId: number }
  | { status: 'dropped'; reason: string }
  | { status: 'ignored'; reason: string };

/**
 * A message's answer: the outcome once it is committed (or dropped, or ignored), else the error
 * that kept it from the store (the broker then withholds the PUBACK). Must not throw.
 */
export type Accepted = (err: Error | null, outcome?: Outcome) => void;

export interface RouterDeps {
  registry: DeviceRegistry;
  append(event: DeviceEvent, origin?: MqttOrigin): Promise<number>;
  /** the store's append, callback-style, where the engine has one (no promise a message); else `append` is adapted */
  appendThen?: AppendThen;
  /** after commit; errors here never reach the device */
  onEvent(event: DeviceEvent): void;
  metrics: Metrics;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  now(): number;
  /** how many routine reports may wait for their commit at once (life-safety reports never wait) */
  admission?: AdmissionOptions;
}

interface Target {
  device: RegisteredDevice | undefined;
  availability: boolean;
  source: EventSource;
  other?: string;
  /** zigbee2mqtt `advanced.output: attribute`: one property on its own topic */
  attribute?: string;
}

function targetOf(msg: InboundMessage, registry: DeviceRegistry): Target {
  const { topic, principal } = msg;
  if (principal.type === 'device') {
    // the ACL has already limited a device to its own topics
    const id = principal.deviceId;
    // devices/{id}/availability, told apart from devices/{id} without building either string
    const availability = topic.length === DEVICE_BASE.length + id.length + 14 && topic.endsWith('/availability');
    return { device: registry.get(id), availability, source: 'mqtt' };
  }
  const rest = topic.slice(principal.baseTopic.length + 1);
  if (rest.startsWith('bridge/')) return { device: undefined, availability: false, source: 'zigbee2mqtt', other: 'bridge_info' };
  const direct = registry.byFriendlyName(rest);
  if (direct) return { device: direct, availability: false, source: 'zigbee2mqtt' };
  if (rest.endsWith('/availability')) {
    const device = registry.byFriendlyName(rest.slice(0, -'/availability'.length));
    if (device) return { device, availability: true, source: 'zigbee2mqtt' };
  }
  if (/\/(set|get)(\/.*)?$/.test(rest)) return { device: undefined, availability: false, source: 'zigbee2mqtt', other: 'command' };
  // `{name}/{property}`: friendly names may hold "/" themselves, the property never does
  const slash = rest.lastIndexOf('/');
  if (slash > 0) {
    const device = registry.byFriendlyName(rest.slice(0, slash));
    if (device) return { device, availability: false, source: 'zigbee2mqtt', attribute: rest.slice(slash + 1) };
  }
  return { device: undefined, availability: false, source: 'zigbee2mqtt' };
}

export function createDeviceRouter(deps: RouterDeps) {
  const { registry, metrics, log } = deps;
  const admission = createAdmission({ append: deps.append, appendThen: deps.appendThen }, metrics, deps.admission);
  metrics.describe('gateway_messages_accepted_total', 'Device messages committed to the store');
  metrics.describe('gateway_messages_dropped_total', 'Device messages dropped, by reason');
  metrics.describe('gateway_fields_dropped_total', 'Fields left out of a stored report because their value could not be read, by reason');
  // a device that always sends one bad field (a 200 % battery) is logged once per field, not every report
  const fieldLogged = new Set<string>();
  // zigbee2mqtt `attribute_and_json` publishes each property again on its own topic right after the JSON
  const lastJson = new Map<string, { at: number; readings: Readings }>();
  // a device going unavailable is logged once, and coming back once, however often it repeats
  const availability = new Map<string, Availability>();

  // one label object per source, not one per message
  const sourceLabels = new Map<EventSource, { source: EventSource }>();
  const labelsOf = (source: EventSource) => {
    let labels = sourceLabels.get(source);
    if (!labels) sourceLabels.set(source, labels = { source });
    return labels;
  };

  // no promise: the store's group commit calls back, and the answer goes straight on to the broker
  function store(device: RegisteredDevice, source: EventSource, readings: Readings | undefined, availabilityNow: Availability | undefined, origin: MqttOrigin | undefined, done: Accepted): undefined {
    const event: DeviceEvent = availabilityNow
      ? { at: deps.now(), deviceId: device.id, residentId: device.residentId, kind: device.kind, source, type: 'availability', availability: availabilityNow }
      : { at: deps.now(), deviceId: device.id, residentId: device.residentId, kind: device.kind, source, type: 'state', readings };
    admission.appendThen(event, origin, (err, id) => {
      if (err) return done(err);
      let outcome: Outcome;
      try {
        outcome = stored(device, source, event, id!);
      } catch (thrown) {
        // committed, but its bookkeeping failed: no PUBACK, and the resend is found as a duplicate
        return done(thrown as Error);
      }
      done(null, outcome);
    });
    return undefined;
  }

  function stored(device: RegisteredDevice, source: EventSource, event: DeviceEvent, id: number): Outcome {
    if (id < 0) {
      metrics.inc('gateway_messages_duplicate_total');
      return { status: 'duplicate', eventId: -id };
    }
    event.id = id;
    metrics.inc('gateway_messages_accepted_total', labelsOf(source));
    if (event.type === 'availability' && availability.get(device.id) !== event.availability) {
      const before = availability.get(device.id);
      availability.set(device.id, event.availability!);
      if (event.availability === 'offline') log.info({ deviceId: device.id, residentId: device.residentId }, 'device unavailable');
      else if (before === 'offline') log.info({ deviceId: device.id, residentId: device.residentId }, 'device available again');
    }
    try {
      deps.onEvent(event);
    } catch (err) {
      log.warn({ err, deviceId: device.id }, 'event listener failed');
    }
    return { status: 'stored', event };
  }

  function droppedFields(device: RegisteredDevice, reasons: readonly string[] | undefined): void {
    for (const reason of reasons ?? []) {
      metrics.inc('gateway_fields_dropped_total', { reason });
      const key = `${device.id}\u0000${reason}`;
      if (fieldLogged.has(key) || fieldLogged.size >= 10_000) continue;
      fieldLogged.add(key);
      log.warn({ deviceId: device.id, reason }, 'field dropped, the rest of the report kept');
    }
  }

  /** the same readings the device's JSON state just gave: its attribute_and_json copy */
  function repeatsJson(device: RegisteredDevice, readings: Readings): boolean {
    const last = lastJson.get(device.id);
    if (!last || deps.now() - last.at > 2000) return false;
    return Object.entries(readings).every(([k, v]) => (last.readings as Record<string, unknown>)[k] === v);
  }

  function drop(reason: string, context: object): Outcome {
    metrics.inc('gateway_messages_dropped_total', { reason });
    log.warn({ ...context, reason }, 'message dropped');
    return { status: 'dropped', reason };
  }

  /** the outcome when it is known at once (dropped, ignored); undefined when `done` answers after the commit */
  function route(msg: InboundMessage, done: Accepted): Outcome | undefined {
      const target = targetOf(msg, registry);
      if (target.other) {
        metrics.inc('gateway_messages_ignored_total', { reason: target.other });
        return { status: 'ignored', reason: target.other };
      }
      if (!target.device) return drop('unknown_device', { topic: msg.topic.slice(0, 200) });
      const ctx = () => ({ deviceId: target.device!.id });
      if (target.availability) {
        const decoded = decodeAvailability(msg.payload);
        if (!decoded.ok) return drop(decoded.reason, ctx());
        return store(target.device, target.source, undefined, decoded.value, msg.origin, done);
      }
      if (target.attribute !== undefined) {
        const decoded = decodeAttribute(target.attribute, msg.payload, target.device.kind);
        // linkquality, voltage, illuminance...: nothing we read, and the JSON state (if any) carries the rest
        if (decoded === undefined) {
          metrics.inc('gateway_messages_ignored_total', { reason: 'attribute_unread' });
          return { status: 'ignored', reason: 'attribute_unread' };
        }
        if (!decoded.ok) return drop(decoded.reason, ctx());
        if (repeatsJson(target.device, decoded.value)) {
          metrics.inc('gateway_messages_ignored_total', { reason: 'attribute_repeat' });
          return { status: 'ignored', reason: 'attribute_repeat' };
        }
        // something new: the JSON state is no longer what the device says
        lastJson.delete(target.device.id);
        return store(target.device, target.source, decoded.value, undefined, msg.origin, done);
      }
      const decoded = decodeState(msg.payload, target.device.kind);
      if (!decoded.ok) {
        droppedFields(target.device, decoded.dropped?.slice(1));
        return drop(decoded.reason, ctx());
      }
      if (decoded.dropped) droppedFields(target.device, decoded.dropped);
      if (target.source === 'zigbee2mqtt') {
        if (lastJson.size > 10_000) lastJson.clear();
        lastJson.set(target.device.id, { at: deps.now(), readings: decoded.value });
      }
      return store(target.device, target.source, decoded.value, undefined, msg.origin, done);
  }

  function accept(msg: InboundMessage, done: Accepted): void {
    let outcome: Outcome | undefined;
    try {
      outcome = route(msg, done);
    } catch (err) {
      return done(err as Error);
    }
    if (outcome) done(null, outcome);
  }

  return {
    /** what the store's admission held back so far, and holds now */
    admission: admission.stats,

    /**
     * A message the broker accepted from an authenticated client: `done` once it is committed (at
     * once for one dropped or ignored), or with the error that kept it from the store. The broker's
     * path: no promise between its hook and the group commit.
     */
    accept,

    /** the same as a promise, settled after the commit */
    handle(msg: InboundMessage): Promise<Outcome> {
      return new Promise((resolve, reject) => accept(msg, (err, outcome) => (err ? reject(err) : resolve(outcome!))));
    },

    /** Readings heard by a serial receiver (already decoded by its protocol parser). */
    ingestReadings(deviceId: string, readings: Readings, source: EventSource): Promise<Outcome> {
      return new Promise((resolve, reject) => {
        const device = registry.get(deviceId);
        if (!device) return resolve(drop('unknown_device', { deviceId }));
        store(device, source, readings, undefined, undefined, (err, outcome) => (err ? reject(err) : resolve(outcome!)));
      });
    },
  };
}
export type DeviceRouter = ReturnType<typeof createDeviceRouter>;
