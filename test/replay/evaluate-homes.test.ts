// The real-home evaluation's parts: reading home logs, converting them to the replay format,
// choosing collapse cuts by the method, and replaying a cut log exactly as `npm run replay
// --until` does. The logs themselves are not in the repository (their licence is not stated),
// so these tests write small logs of their own in the same formats.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertContext, chooseCuts, evaluateHome, MODES, phaseOf, summarise, verifyCut, HOUR } from '../../bench/homes/evaluate.ts';
import { loadHomes } from '../../bench/homes/load.ts';
import { readTl, readOrdonez, replayDevices, replayLines, roomOf } from '../../bench/homes/sources.ts';
import { localTime } from '../../src/time/index.ts';

const DAY_S = 86_400;
const T0 = Date.UTC(2026, 2, 2) / 1000; // Monday 2 March 2026, 00:00 (the logs' wall clock, as UTC)

/** A small home in the van Kasteren / TL format: a week of a plain routine with errands. */
function writeTlHome(dir: string, name = 'houseT', days = 8): void {
  writeFileSync(join(dir, `${name}.sensor_names`), '1\tFront door\r\n2\tPIR keuken\r\n3\tFridge\r\n4\tHall-Bedroom door\r\n5\tToilet Flush\r\n6\tpress bed links\r\n');
  const rows: Array<[number, number, number]> = [];
  for (let d = 0; d < days; d++) {
    const at = (h: number) => T0 + d * DAY_S + Math.round(h * 3600);
    rows.push([at(0) - 3600, 8 * 3600, 6]); // in bed from 23:00
    rows.push([at(7), 20, 4]);
    for (let h = 7.25; h < 21.5; h += 0.25) {
      if (h >= 10 && h < 12.5) continue; // out
      rows.push([at(h), 2, 2]);
      if (Math.round(h * 4) % 7 === 0) rows.push([at(h) + 30, 15, 3]);
      if (Math.round(h * 4) % 11 === 0) rows.push([at(h) + 60, 40, 5]);
    }
    rows.push([at(9.98), 8, 1], [at(12.5), 6, 1]);
    rows.push([at(22.8), 10, 4]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  writeFileSync(join(dir, `${name}.sensors`), rows.map((r) => r.join('\t')).join('\r\n') + '\r\n');
}

describe('home logs', () => {
  it('rooms and kinds come from the sensor names (English, Dutch, "Room,Thing")', () => {
    expect(roomOf('Hall-Bedroom door')).toBe('bedroom');
    expect(roomOf('Hall-Toilet door')).toBe('bathroom');
    expect(roomOf('PIR keuken')).toBe('kitchen');
    expect(roomOf('matt couch living room')).toBe('living');
    expect(roomOf('Kitchen,Door A')).toBe('kitchen');
    expect(roomOf('Foyer,Door')).toBe('entrance');
    expect(roomOf('front door reed')).toBe('entrance');
    expect(roomOf('Washing machine')).toBe('other');
    const dir = mkdtempSync(join(tmpdir(), 'homes-'));
    try {
      writeTlHome(dir);
      const home = readTl(join(dir, 'houseT.sensors'));
      const devices = replayDevices(home);
      const d = (id: string) => devices.get(id)!;
      const lines = replayLines(home, devices);
      expect(d('1')).toMatchObject({ kind: 'door', entrance: true, room: 'entrance', name: 'Front door' });
      expect(d('2')).toMatchObject({ kind: 'motion', room: 'kitchen' });
      expect(d('3')).toMatchObject({ kind: 'door', entrance: false, room: 'kitchen' });
      // a flush's end is the tank refilling (reported as motion is); a mat is occupied while someone lies on it
      expect(d('5')).toMatchObject({ kind: 'motion', room: 'bathroom' });
      expect(d('6')).toMatchObject({ kind: 'presence', room: 'bedroom' });
      expect(lines.find((l) => l.device === d('6').id)!.payload).toEqual({ presence: true });
      const fridge = lines.filter((l) => l.device === d('3').id).slice(0, 2);
      expect(fridge.map((l) => l.payload)).toEqual([{ contact: false }, { contact: true }]);
      expect(Date.parse(fridge[1].at) - Date.parse(fridge[0].at)).toBe(15_000);
      expect(lines.every((l, i) => i === 0 || l.at >= lines[i - 1].at)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the Ordonez format, its Place column naming the room', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homes-'));
    try {
      const file = join(dir, 'OrdonezT_Sensors.txt');
      writeFileSync(file, 'Start time          \tEnd time            \tLocation\tType\t\tPlace\n--------------------\t--------------------\t--------\t--------\t-----\n'
        + '2011-11-28 02:27:59\t2011-11-28 10:18:11\t\tBed\t\tPressure\tBedroom\n'
        + '2011-11-28 10:21:24\t2011-11-28 10:21:31\t\tCabinet\t\tMagnetic\tBathroom\n'
        + '2011-11-28 13:09:31\t2011-11-28 13:09:35\t\tMaindoor\tMagnetic\tEntrance\n');
      const home = readOrdonez(file);
      expect(home.sensors.map((s) => [s.name, s.motion, s.entrance, s.room])).toEqual([
        ['Bed (Bedroom)', true, false, 'bedroom'], ['Cabinet (Bathroom)', false, false, 'bathroom'], ['Maindoor (Entrance)', false, true, 'entrance'],
      ]);
      expect(home.intervals[0]).toEqual({ sensor: 'Bed Bedroom', start: Date.parse('2011-11-28T02:27:59Z'), end: Date.parse('2011-11-28T10:18:11Z') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the method', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homes-'));
  writeTlHome(dir);
  const [home] = loadHomes(dir);
  rmSync(dir, { recursive: true, force: true });

  it('cuts: seeded, daytime, right after an indoor sign of life, the resident home, the first day included', () => {
    const cuts = chooseCuts(home, 1, 3);
    expect(chooseCuts(home, 1, 3)).toEqual(cuts);
    expect(chooseCuts(home, 2, 3)).not.toEqual(cuts);
    expect(cuts.length).toBeGreaterThanOrEqual(9);
    const specs = new Map(home.config.residents[0].devices.map((d) => [d.id, d]));
    const start = home.events[0].at;
    expect(cuts.some((c) => c.at - start < 24 * HOUR)).toBe(true);
    const entrance = home.events.filter((e) => specs.get(e.deviceId)!.kind === 'door' && specs.get(e.deviceId)!.entrance !== false).map((e) => e.at);
    for (const c of cuts) {
      const e = home.events[c.index];
      const spec = specs.get(e.deviceId)!;
      const hour = localTime(c.at, 'UTC').msOfDay / HOUR;
      expect(hour >= 9 && hour < 19).toBe(true);
      expect(spec.kind === 'motion' || spec.kind === 'presence' ? e.readings?.occupancy === true : spec.entrance === false).toBe(true);
      // the errand is 10:00-12:30: no cut in it, nor in the two hours before the door, nor just after it (no PIR since)
      expect(entrance.some((t) => t > c.at && t <= c.at + 2 * HOUR)).toBe(false);
      expect(c.phase).toBe(phaseOf(start, c.at));
    }
  });

  it('a cut runs on from the state right after it, as the cut log replayed with --until cut + 24 h does', () => {
    const cuts = chooseCuts(home, 1, 1);
    for (const mode of [MODES.learned, MODES.fixed4h]) {
      const r = evaluateHome(home, mode, cuts);
      expect(r.cuts.length).toBe(cuts.length);
      for (const c of r.cuts.slice(0, 4)) expect(c.delayMs).toBe(verifyCut(home, mode, c));
      // the fixed rule finds each daytime collapse 4 h on, within its hours
      if (mode === MODES.fixed4h) expect(r.cuts.every((c) => c.delayMs === 4 * HOUR || (c.delayMs ?? 0) > 4 * HOUR)).toBe(true);
    }
  });

  it('false alerts are counted per resident-month and by phase; a missed collapse counts as 24 h', () => {
    const r = evaluateHome(home, MODES.fixed4h, []);
    // 10:00-12:30 out without the DIY rule knowing: no 4 h silence, so nothing on this routine
    expect(summarise([r]).falseAlerts).toBe(0);
    expect(r.absenceQuestions).toBe(0);
    const fake = { ...r, falseAlerts: [{ openedAt: r.start + HOUR, resolvedAt: r.start + 2 * HOUR, phase: 'days 1-7' as const, reachedNeighbour: true }],
      cuts: [{ index: 1, at: r.start, phase: 'days 1-7' as const, delayMs: null, via: null }, { index: 2, at: r.start, phase: 'days 1-7' as const, delayMs: HOUR, via: 'inactivity' as const }] };
    const s = summarise([fake], 'days 1-7');
    expect(s).toMatchObject({ days: 7, falseAlerts: 1, reachedNeighbour: 1, cuts: 2, missed: 1, maxMs: 24 * HOUR, sensorQuestions: 0, viaCaseworker: 0 });
    expect(s.perResidentMonth).toBeCloseTo(30 / 7);
    // a quiet-sensors alert to the caseworker is no false inactivity alert; a cut it found is found, and counted apart
    const quiet = { ...fake, sensorQuestions: [{ openedAt: r.start + 3 * HOUR, resolvedAt: null, phase: 'days 1-7' as const, reachedNeighbour: false }],
      cuts: [...fake.cuts, { index: 3, at: r.start, phase: 'days 1-7' as const, delayMs: 2 * HOUR, via: 'caseworker' as const }] };
    expect(summarise([quiet])).toMatchObject({ falseAlerts: 1, sensorQuestions: 1, cuts: 3, missed: 1, viaCaseworker: 1 });
  });

  it('a false alert\'s context: the last sign of life and its room, the silence, what came next', () => {
    // the errand: last inside at the fridge or the kitchen PIR before 10:00, the door, back at 12:30
    const text = alertContext(home, Date.parse('2026-03-02T11:00:00Z'));
    expect(text).toMatch(/^last .* \((kitchen|bathroom|bedroom)\) at 09:\d\d, silent 1\.\d h/);
    expect(text).toMatch(/then .* 1\.5 h later/);
  });
});

describe('npm run evaluate', () => {
  it('prints false alerts and collapse delays per home and phase for learned and fixed modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homes-'));
    try {
      writeTlHome(dir, 'houseT', 16);
      const json = join(dir, 'out.json');
      const run = spawnSync('npm', ['run', '--silent', 'evaluate', '--', '--homes', dir, '--verify', '2', '--json', json, '--tuned', 'houseT'], { encoding: 'utf8', timeout: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/learned: false inactivity alerts/);
      expect(run.stdout).toMatch(/fixed 4 h in 08:00-22:00/);
      expect(run.stdout).toMatch(/houseT\s+days 1-7/);
      expect(run.stdout).toMatch(/houseT\s+after 14/);
      // the homes tuned on apart (here all of them: no unseen group), and the quiet-sensors columns
      expect(run.stdout).toMatch(/1 tuned on\s+all/);
      expect(run.stdout).not.toMatch(/unseen/);
      expect(run.stdout).toMatch(/quiet sensors/);
      const out = JSON.parse(readFileSync(json, 'utf8'));
      expect(out.modes.map((m: { mode: string }) => m.mode)).toEqual(['learned', 'fixed 4 h in 08:00-22:00']);
      expect(out.modes[0].homes.houseT['days 1-7'].cuts).toBeGreaterThan(0);
      expect(out.modes[0].all.all).toMatchObject({ sensorQuestions: 0, viaCaseworker: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with its arguments', () => {
    const run = spawnSync('npm', ['run', '--silent', 'evaluate', '--', '--homes', '/nonexistent'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('not a folder');
  });
});
