// A cap on MQTT packet size, checked on the wire before aedes buffers a packet: without it a
// client (even one never authenticated: the CONNECT itself) could announce a 256 MB packet and
// the parser would hold it all. A device report is a few hundred bytes.
import type { Duplex } from 'node:stream';

export const MAX_PACKET_BYTES = 64 * 1024;

/**
 * Follows the fixed headers in the byte stream (type byte, then the remaining length as a
 * 1-4 byte varint [MQTT-2.2.3]) and calls `tooLarge` once when a packet announces more than
 * `max` bytes. It only observes the chunks aedes reads; it never consumes them.
 */
export function guardPacketSize(conn: Duplex, tooLarge: (announced: number) => void, max = MAX_PACKET_BYTES): void {
  let skip = 0; // body bytes of the current packet still to pass
  let state: 'type' | 'length' = 'type';
  let length = 0;
  let multiplier = 1;
  let tripped = false;
  conn.on('data', (chunk: Buffer) => {
    if (tripped) return;
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++];
      if (state === 'type') {
        state = 'length';
        length = 0;
        multiplier = 1;
        continue;
      }
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if (length > max || (byte & 0x80 && multiplier > 128 ** 3)) {
        tripped = true;
        tooLarge(length);
        return;
      }
      if (!(byte & 0x80)) {
        skip = length;
        state = 'type';
      }
    }
  });
}
