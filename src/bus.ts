// The gateway's one event bus: what happened, told to whoever listens, typed by event name
// (zigbee2mqtt's eventBus.ts is the model). A publisher does not know its listeners; every
// listener registers under an owner and is removed with it when that part stops, so a stopped
// part hears nothing and holds nothing. Listeners run in registration order, synchronously; one
// that throws is logged and the others still run. Events are told after their commit: a
// listener never sees something the store might still roll back.
import type { Logger } from 'pino';
import type { AlertRow } from './store/index.ts';
import type { DeviceEvent } from './domain/types.ts';

export interface GatewayEvents {
  /** a device event committed to the store (with its id) */
  deviceEvent: [event: DeviceEvent];
  alertOpened: [alert: AlertRow];
  alertAcknowledged: [alert: AlertRow, by: string];
  alertResolved: [alert: AlertRow, by: string];
  /** a note on an ongoing alert (repeated, cleared, still offline...) */
  alertUpdated: [alert: AlertRow];
  /** the alert's last escalation step passed unacknowledged */
  alertUnanswered: [alertId: number];
  /** a person acknowledged or resolved an alert: the rules hear which condition */
  personAction: [residentId: string, action: 'acknowledged' | 'resolved', conditionKey: string, at: number];
  /** the store could not commit (an error), or commits again (null) */
  storeHealth: [error: Error | null];
  /** a serial receiver went down or came back */
  receiver: [change: { protocol: 'rflink' | 'jsonl'; path: string; down: boolean; reason: string }];
  /** a device was provisioned, changed or removed through the API */
  deviceChanged: [deviceId: string];
  /** a resident's profile, contacts or devices changed through the API */
  residentChanged: [residentId: string];
  /** a caseworker recorded a visit */
  visitRecorded: [visit: { residentId: string; visitId: number; at: number; endedAt: number | null; until: number }];
  /** a problem found on a visit was opened, changed or solved */
  problemChanged: [residentId: string, problemId: string];
}

export type EventName = keyof GatewayEvents;
type Listener<K extends EventName> = (...args: GatewayEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Array<{ owner: object; fn: (...args: unknown[]) => void }>>();

  constructor(private readonly log: Logger) {}

  /** `fn` hears every `name` from now until `removeListeners(owner)` */
  on<K extends EventName>(name: K, owner: object, fn: Listener<K>): void {
    const list = this.listeners.get(name) ?? [];
    list.push({ owner, fn: fn as unknown as (...args: unknown[]) => void });
    this.listeners.set(name, list);
  }

  /** everything `owner` registered, gone (a part's stop) */
  removeListeners(owner: object): void {
    for (const [name, list] of this.listeners) {
      const kept = list.filter((l) => l.owner !== owner);
      if (kept.length) this.listeners.set(name, kept);
      else this.listeners.delete(name);
    }
  }

  emit<K extends EventName>(name: K, ...args: GatewayEvents[K]): void {
    // a listener added or removed while this runs takes effect from the next event
    for (const l of [...(this.listeners.get(name) ?? [])]) {
      try {
        l.fn(...args);
      } catch (err) {
        this.log.error({ err, event: name }, 'event listener failed');
      }
    }
  }

  /** how many listeners `name` has (all events: the total); a stopped gateway has none */
  listenerCount(name?: EventName): number {
    if (name) return this.listeners.get(name)?.length ?? 0;
    let n = 0;
    for (const list of this.listeners.values()) n += list.length;
    return n;
  }
}
