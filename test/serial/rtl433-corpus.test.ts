// rtl_433 output of real security devices through the real decoder, asserting what each line
// means. test/fixtures/serial/rtl433-corpus.jsonl: lines from rtl_433_tests' .json expectations
// of its recorded captures, and lines derived from rtl_433's decoders where no recording has the
// event (each with repository, commit and file). Both old and current rtl_433 spellings are there.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { jsonlToReadings, parseJsonlLine, RTL433_QUIRKS } from '../../src/devices/serial/jsonl.ts';
import { emergencyAction } from '../../src/rules/devices.ts';
import type { DeviceKind, Readings } from '../../src/domain/types.ts';

interface Case { model: string; kind: DeviceKind; line: string; expect: Readings | null; emergency: boolean; source: { repository: string; commit: string; file: string }; note?: string }
const cases: Case[] = readFileSync(new URL('../fixtures/serial/rtl433-corpus.jsonl', import.meta.url), 'utf8')
  .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Case);

describe('rtl_433 corpus', () => {
  it('has its provenance and the security devices the gateway reads', () => {
    for (const c of cases) {
      expect(c.source.repository).toMatch(/^merbanan\/rtl_433(_tests)?$/);
      expect(c.source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(c.source.file).toMatch(/^(tests|src)\//);
    }
    const models = new Set(cases.map((c) => (parseJsonlLine(c.line) as { message: { model: string } }).message.model.replace(/\s+/g, '-')));
    for (const m of ['Interlogix-Security', 'Cavius-Security', 'X10-Security', 'DSC-Security', 'SimpliSafe-Sensor', 'Honeywell-Security', 'Chuango-Security', 'Generic-Motion', 'Kerui-Security']) expect(models).toContain(m);
    for (const name of Object.keys(RTL433_QUIRKS)) expect([...models].some((m) => m === name)).toBe(true);
  });

  it.each(cases.map((c) => [`${c.model} (${c.kind}): ${c.note ?? JSON.stringify(c.expect)}`, c] as const))('%s', (_name, c) => {
    const parsed = parseJsonlLine(c.line);
    if ('ignored' in parsed) throw new Error(`ignored: ${parsed.ignored}`);
    const readings = jsonlToReadings(parsed.message, c.kind);
    expect(readings).toEqual(c.expect);
    expect(readings !== null && emergencyAction({ id: 'd', kind: c.kind, entrance: true }, readings) !== null).toBe(c.emergency);
  });
});
