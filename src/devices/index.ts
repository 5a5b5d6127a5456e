export { decodeState, decodeAvailability, decodeAttribute, MAX_PAYLOAD_BYTES, type Decoded } from './dialect.ts';
export { PROPERTIES, readProperties, merge, onOff, type Property, type ReadResult } from './vocabulary.ts';
export { DeviceRegistry, type RegisteredDevice } from './registry.ts';
export { createDeviceRouter, DEVICE_BASE, type DeviceRouter, type Principal, type InboundMessage, type Outcome, type Accepted } from './router.ts';
