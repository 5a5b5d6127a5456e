// Decoder benchmark: every payload of the zigbee2mqtt corpus (test/fixtures/zigbee2mqtt) through
// decodeState, against JSON.parse of the same bytes (the floor any decoder pays), interleaved
// in the same run so the ratio holds on a busy machine. `npx tsx bench/decode.ts`
import { readFileSync } from 'node:fs';
import { decodeState } from '../src/devices/index.ts';
import type { DeviceKind } from '../src/domain/types.ts';

const cases = ['models.jsonl', 'quirks.jsonl'].flatMap((f) => readFileSync(new URL(`../test/fixtures/zigbee2mqtt/${f}`, import.meta.url), 'utf8')
  .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { kind: DeviceKind; payload: unknown }))
  .map((c) => ({ kind: c.kind, bytes: Buffer.from(JSON.stringify(c.payload)) }));

function time(fn: () => void, rounds: number): number {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
let sink = 0;
const parseOnly = () => { for (const c of cases) sink += Object.keys(JSON.parse(c.bytes.toString('utf8'))).length; };
const decode = () => { for (const c of cases) { const d = decodeState(c.bytes, c.kind); if (d.ok) sink += 1; } };

for (let i = 0; i < 3; i++) { parseOnly(); decode(); } // warm up
const ROUNDS = 40;
let tParse = 0, tDecode = 0;
for (let i = 0; i < 5; i++) { tParse += time(parseOnly, ROUNDS); tDecode += time(decode, ROUNDS); }
const n = cases.length * ROUNDS * 5;
console.log(JSON.stringify({
  payloads: cases.length, decoded: n,
  jsonParsePerSec: Math.round(n / tParse), decodePerSec: Math.round(n / tDecode),
  decodeUsEach: +((tDecode / n) * 1e6).toFixed(2), ratioToJsonParse: +(tDecode / tParse).toFixed(2), sink: sink > 0,
}));
