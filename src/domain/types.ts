// Domain types shared by every module. No library imports here: this is the language
// the broker, the serial receivers, the store, the rules core and the notifier all speak.

export type DeviceKind = 'smoke' | 'co' | 'gas' | 'water' | 'button' | 'door' | 'motion' | 'presence';

/** where a device is in the home (CONTRACT.md "Config": devices[].room) */
export type DeviceRoom = 'bedroom' | 'bathroom' | 'kitchen' | 'living' | 'hall' | 'entrance' | 'other';

/**
 * What a report means, in the device dialect's names (zigbee2mqtt's; CONTRACT.md "MQTT" and
 * "Real devices"). Every vendor spelling (smoke_state, alarm_1, contact_alarm_1, presence,
 * battery_state, rtl_433 codes...) is read into these by src/devices/vocabulary.ts.
 */
export interface Readings {
  smoke?: boolean;
  carbon_monoxide?: boolean;
  gas?: boolean;
  water_leak?: boolean;
  /** true = closed, false = open */
  contact?: boolean;
  /** someone is there: a PIR's motion or an mmWave sensor's presence */
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
  | 'co'
  | 'gas'
  | 'water_leak'
  | 'emergency'
  | 'inactivity'
  | 'night_door'
  | 'device_offline'
  | 'battery_low'
  | 'tamper'
  /** away from home far longer than planned or usual: a question for the caseworker */
  | 'absence';
export const ALERT_KINDS: readonly AlertKind[] = [
  'smoke', 'co', 'gas', 'water_leak', 'emergency', 'inactivity', 'night_door', 'device_offline', 'battery_low', 'tamper', 'absence',
];

/** The hazards a reading raises, whatever kind of device reported it (a smoke+CO combo is configured as one kind). */
export const HAZARDS = [
  { reading: 'smoke', alert: 'smoke' },
  { reading: 'carbon_monoxide', alert: 'co' },
  { reading: 'gas', alert: 'gas' },
  { reading: 'water_leak', alert: 'water_leak' },
] as const satisfies ReadonlyArray<{ reading: keyof Readings; alert: AlertKind }>;

/** CONTRACT.md "Real devices": the actions of a `button` that ask for help, unless the device sets its own */
export const DEFAULT_EMERGENCY_ACTIONS: readonly string[] = ['sos', 'emergency', 'panic', 'single', 'double', 'hold', 'long', 'press'];

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export type ContactRole = 'neighbor' | 'family' | 'caseworker' | 'resident';

export interface DeviceSpec {
  id: string;
  kind: DeviceKind;
  /** doors only: true unless configured `entrance: false` */
  entrance: boolean;
  /** buttons: the actions that raise an emergency (default DEFAULT_EMERGENCY_ACTIONS) */
  emergencyActions?: readonly string[];
}
