// Domain types shared by every module. No library imports here: this is the language
// the broker, the serial receivers, the store, the rules core and the notifier all speak.

export type DeviceKind = 'smoke' | 'button' | 'door' | 'motion';
export const DEVICE_KINDS: readonly DeviceKind[] = ['smoke', 'button', 'door', 'motion'];

/** where a device is in the home (CONTRACT.md "Config": devices[].room) */
export type DeviceRoom = 'bedroom' | 'bathroom' | 'kitchen' | 'living' | 'hall' | 'entrance' | 'other';

/** Typed properties of the device dialect (zigbee2mqtt's names; see CONTRACT.md "MQTT"). */
export interface Readings {
  smoke?: boolean;
  /** true = closed, false = open */
  contact?: boolean;
  occupancy?: boolean;
  /** `sos`, `emergency`, or a press such as `single`, `double`, `hold` */
  action?: string;
  sos?: boolean;
  /** 0-100 */
  battery?: number;
  battery_low?: boolean;
  tamper?: boolean;
  /** a self-test: recorded, never an alarm */
  test?: boolean;
}

export type Availability = 'online' | 'offline';

export type EventSource = 'mqtt' | 'zigbee2mqtt' | 'rflink' | 'jsonl' | 'replay' | 'receiver';

/** One decoded message from a device, after it has been attributed to a known device. */
export interface DeviceEvent {
  /** store id; set once committed */
  id?: number;
  /** epoch milliseconds */
  at: number;
  deviceId: string;
  residentId: string;
  kind: DeviceKind;
  source: EventSource;
  /** a state report or an availability change */
  type: 'state' | 'availability';
  readings?: Readings;
  availability?: Availability;
}

export type AlertKind =
  | 'smoke'
  | 'emergency'
  | 'inactivity'
  | 'night_door'
  | 'device_offline'
  | 'battery_low'
  | 'tamper'
  /** away from home far longer than planned or usual: a question for the caseworker */
  | 'absence';
export const ALERT_KINDS: readonly AlertKind[] = [
  'smoke', 'emergency', 'inactivity', 'night_door', 'device_offline', 'battery_low', 'tamper', 'absence',
];

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export type ContactRole = 'neighbor' | 'family' | 'caseworker' | 'resident';

export interface DeviceSpec {
  id: string;
  kind: DeviceKind;
  /** doors only: true unless configured `entrance: false` */
  entrance: boolean;
}
