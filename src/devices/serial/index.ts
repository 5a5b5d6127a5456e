// Serial receivers (RFLink, rtl_433-style JSON lines): what the rest of the gateway may use.
export {
  SerialReceiver,
  DEFAULT_PING_INTERVAL_MS,
  type SerialReceiverOptions,
  type SerialLogger,
  type SerialStats,
  type KnownDevice,
  type IngestMeta,
  type OutageInfo,
  type RecoveryInfo,
} from './receiver.ts';
export type { OpenPort, SerialLink } from './link.ts';
// pure decoders, for replaying or identifying raw receiver output
export { parseRflinkLine, rflinkKeys, rflinkToReadings, type RflinkPacket, type RflinkIgnoreReason } from './rflink.ts';
export { parseJsonlLine, jsonlKey, jsonlToReadings, DEFAULT_ID_FIELDS, type JsonlMessage } from './jsonl.ts';
