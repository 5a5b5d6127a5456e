// Every case of the upstream fixture corpus through the real decoder, asserting what it means.
// test/fixtures/zigbee2mqtt/models.jsonl: zigbee2mqtt payloads for real models, made by running
// zigbee-herdsman-converters' own converters on the Zigbee messages those devices send (each line
// names the repository, commit, file, line, converter and input it came from; see
// scripts/derive-z2m-fixtures.mjs). quirks.jsonl: cases from zigbee2mqtt issues and
// device files that the converters alone do not produce.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeState } from '../../src/devices/index.ts';
import { emergencyAction } from '../../src/rules/devices.ts';
import type { DeviceKind, Readings } from '../../src/domain/types.ts';
import { DEVICE_KIND_NAMES as DEVICE_KINDS } from '../../src/config/schema.ts';

interface Case {
  vendor: string; model: string; kind: DeviceKind; scenario: string;
  payload: Record<string, unknown>; expect: Readings; emergency: boolean; dropped?: string[];
  source: { repository: string; commit: string; file: string; line?: number | null; converter?: string; input?: string; issue?: string };
}

function load(name: string): Case[] {
  return readFileSync(new URL(`../fixtures/zigbee2mqtt/${name}`, import.meta.url), 'utf8')
    .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Case);
}
const models = load('models.jsonl');
const quirks = load('quirks.jsonl');
const all = [...models, ...quirks];

describe('the corpus itself', () => {
  it('covers at least 60 models of every kind we judge, each case with its provenance', () => {
    const byKind = new Map<DeviceKind, Set<string>>();
    for (const c of all) {
      expect(DEVICE_KINDS).toContain(c.kind);
      expect(c.source.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(c.source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(c.source.file).toMatch(/\S/);
      (byKind.get(c.kind) ?? byKind.set(c.kind, new Set()).get(c.kind)!).add(`${c.vendor} ${c.model}`);
    }
    expect(new Set(all.map((c) => `${c.vendor} ${c.model}`)).size).toBeGreaterThanOrEqual(60);
    for (const kind of DEVICE_KINDS) expect(byKind.get(kind)?.size ?? 0, kind).toBeGreaterThanOrEqual(5);
  });

  it('holds alarms for every hazard, real emergencies and keys that are not', () => {
    for (const key of ['smoke', 'carbon_monoxide', 'gas', 'water_leak'] as const) {
      expect(all.filter((c) => c.expect[key] === true).length, key).toBeGreaterThanOrEqual(10);
    }
    expect(all.filter((c) => c.emergency).length).toBeGreaterThanOrEqual(20);
    expect(all.filter((c) => c.kind === 'button' && !c.emergency && /arm|disarm/.test(String(c.payload.action))).length).toBeGreaterThanOrEqual(10);
  });
});

describe.each([['models.jsonl', models], ['quirks.jsonl', quirks]] as const)('%s through the decoder', (_file, cases) => {
  it.each(cases.map((c) => [`${c.vendor} ${c.model} (${c.kind}) ${c.scenario}`, c] as const))('%s', (_name, c) => {
    const decoded = decodeState(Buffer.from(JSON.stringify(c.payload)), c.kind);
    expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).toEqual(c.expect);
    expect(decoded.dropped ?? []).toEqual(c.dropped ?? []);
    const spec = { id: 'd', kind: c.kind, entrance: true };
    expect(emergencyAction(spec, decoded.value) !== null, 'an emergency?').toBe(c.emergency);
  });
});

describe('the README and docs/devices.md say what the decoder reads', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const devicesSection = readme.slice(readme.indexOf('## Devices'), readme.indexOf('## Alerts and rules'));
  const verified = readFileSync(new URL('../../docs/devices.md', import.meta.url), 'utf8');

  it('every property of the vocabulary is in the README table', async () => {
    const { PROPERTIES } = await import('../../src/devices/index.ts');
    for (const key of Object.keys(PROPERTIES)) expect(devicesSection, key).toContain(`\`${key}\``);
  });

  it('every model of the corpus is listed as verified', () => {
    for (const c of all) if (!c.vendor.startsWith('(')) expect(verified, `${c.vendor} ${c.model}`).toContain(`${c.vendor} ${c.model}`);
  });
});
