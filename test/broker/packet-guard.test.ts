import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { guardPacketSize } from '../../src/broker/packet-guard.ts';

async function feed(chunks: Buffer[], max = 1000): Promise<number | null> {
  const stream = new PassThrough();
  let tripped: number | null = null;
  guardPacketSize(stream, (n) => { tripped = n; }, max);
  for (const c of chunks) stream.write(c);
  await new Promise((r) => setImmediate(r));
  return tripped;
}

const publish = (bytes: number) => mqttPacket.generate({ cmd: 'publish', topic: 'devices/x', payload: Buffer.alloc(bytes), qos: 0, retain: false, dup: false } as never);

describe('packet size guard', () => {
  it('lets a stream of packets under the limit through, however it is split', async () => {
    const stream = Buffer.concat([publish(10), publish(900), publish(0), publish(500)]);
    expect(await feed([stream])).toBeNull();
    // one byte at a time: varints and bodies split across chunks
    expect(await feed([...stream].map((b) => Buffer.from([b])))).toBeNull();
  });

  it('trips on the first packet over the limit, even with its length split across chunks', async () => {
    const big = publish(5000);
    expect(await feed([publish(10), big.subarray(0, 2), big.subarray(2)])).toBeGreaterThan(1000);
  });

  it('trips on a malformed length of more than four bytes', async () => {
    expect(await feed([Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])], 2 ** 30)).not.toBeNull();
  });
});
