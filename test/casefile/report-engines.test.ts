// The period report and its series on both engines from one fixture: the same figures, and
// whole local days of the site's zone across a daylight-saving change (Europe/Berlin moved its
// clocks forward on 2026-03-29: that day has 23 hours, and a visit at 00:30 local time on the
// next day is still 22:30 UTC on the 29th).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { reportRepository } from '../../src/casefile/reports.ts';
import { reportSeriesRepository } from '../../src/casefile/report-series.ts';
import { warmthRepository } from '../../src/casefile/warmth.ts';
import { warningService } from '../../src/casefile/warnings.ts';
import type { DeviceEvent } from '../../src/domain/types.ts';
import { createDatabase, dropDatabase } from '../store/pg.ts';

const TZ = 'Europe/Berlin';
const utc = (iso: string) => Date.parse(iso);
const NOW = utc('2026-04-10T12:00:00Z');

const config = parseConfig({
  residents: [
    { id: 'r-a', name: 'A', area: 'north', devices: [{ id: 'a-button', kind: 'button', secret: 'a-secret' }, { id: 'a-door', kind: 'door', secret: 'a-door-secret' }] },
    { id: 'r-b', name: 'B', area: 'south', devices: [{ id: 'b-button', kind: 'button', secret: 'b-secret' }] },
  ],
});

async function fill(store: Store): Promise<void> {
  await store.residents.seedFromConfig(config.residents, TZ, utc('2026-03-01T00:00:00Z'));
  const visit = async (residentId: string, iso: string, satisfaction: number | null = null) => store.visits.insertVisit({
    residentId, visitor: 'li', at: utc(iso), endedAt: null, purpose: 'routine', notes: '', observations: {}, recordedBy: 'li', createdAt: utc(iso), satisfaction,
  });
  const v1 = await visit('r-a', '2026-03-28T22:30:00Z'); // 23:30 on the 28th, local
  await visit('r-a', '2026-03-28T23:30:00Z', 5); // 00:30 on the 29th (still +01:00)
  await visit('r-b', '2026-03-29T21:30:00Z'); // 23:30 on the 29th (now +02:00)
  await visit('r-b', '2026-03-29T22:30:00Z', 3); // 00:30 on the 30th
  await store.visits.insertProblem({
    id: 'WT2026001', visitId: v1, residentId: 'r-a', description: 'x', category: 'health', urgency: 'normal', responsible: 'li',
    deadline: utc('2026-03-29T21:59:59Z'), openedAt: utc('2026-03-28T23:00:00Z'), // 00:00 on the 29th: the day's first instant
  });
  // four weeks before NOW: A's presses fall 40, 30, 20, 10 a week (a decline), beside 50 hourly
  // "closed" check-ins of A's door each week, which are no activity (counted, they would flatten
  // the fall to 90, 80, 70, 60 and hide it)
  const week = 7 * 86_400_000;
  const appends: Array<Promise<number>> = [];
  const at = (w: number, i: number) => NOW - (4 - w) * week + 60_000 + i * 3_600_000;
  const event = (deviceId: string, kind: 'button' | 'door', t: number, readings: DeviceEvent['readings']): DeviceEvent =>
    ({ at: t, deviceId, residentId: 'r-a', kind, source: 'mqtt', type: 'state', readings });
  for (let w = 0; w < 4; w++) {
    for (let i = 0; i < 50; i++) appends.push(store.ingest.append(event('a-door', 'door', at(w, i), { contact: true })));
    for (let i = 0; i < 40 - 10 * w; i++) appends.push(store.ingest.append(event('a-button', 'button', at(w, i) + 1000, { action: 'single' })));
  }
  await Promise.all(appends);
  await store.alerts.insert({ residentId: 'r-b', kind: 'emergency', conditionKey: 'sos', deviceId: 'b-button', /* 23:59 on the 29th */ openedAt: utc('2026-03-29T21:59:00Z'), detail: {}, escalationDue: null });
}

const engines: Array<{ name: string; open(): Promise<Store>; done(): Promise<void> }> = [];
const dir = mkdtempSync(join(tmpdir(), 'gateway-report-engines-'));
let pgUrl: string | undefined;
engines.push({ name: 'sqlite', open: async () => openSqliteStore({ path: join(dir, 'store.db'), sync: 'normal' }), done: async () => {} });
engines.push({ name: 'postgres', open: async () => openPostgresStore({ url: (pgUrl = await createDatabase()), poolSize: 3 }), done: async () => { if (pgUrl) await dropDatabase(pgUrl); } });

const results = new Map<string, unknown>();
const stores: Store[] = [];

beforeAll(async () => {
  for (const e of engines) {
    const store = await e.open();
    stores.push(store);
    await fill(store);
    const report = reportRepository(store.casefileReports);
    const series = reportSeriesRepository(store.casefileReports);
    const warmth = warmthRepository(store.casefileReports);
    results.set(e.name, {
      day28: await report.report('2026-03-28', '2026-03-28', TZ, NOW),
      day29: await report.report('2026-03-29', '2026-03-29', TZ, NOW),
      day29North: await report.report('2026-03-29', '2026-03-29', TZ, NOW, 'north'),
      days: await series.series('2026-03-27', '2026-03-31', TZ, NOW, null),
      weeks: await series.series('2026-01-01', '2026-04-05', TZ, NOW, null),
      warmth: await warmth.index({}, TZ, NOW),
      warnings: await warningService({ store }).warnings(NOW),
    });
  }
});

afterAll(async () => {
  for (const s of stores) await s.close();
  for (const e of engines) await e.done();
  rmSync(dir, { recursive: true, force: true });
});

describe('reports on both engines across a daylight-saving change', () => {
  it('counts whole local days: the 23-hour day holds what happened between its midnights, and only that', () => {
    for (const e of engines) {
      const r = results.get(e.name) as Record<string, any>;
      expect(r.day28, e.name).toMatchObject({ visits: 1, residentsVisited: 1, residents: 2, problemsOpened: 0 });
      expect(r.day29, e.name).toMatchObject({ visits: 2, residentsVisited: 2, problemsOpened: 1, problemsDue: 1, onTimeRate: 0, problemsOverdue: 1 });
      expect(r.day29.alerts.total, e.name).toBe(1);
      expect(r.day29North, e.name).toMatchObject({ visits: 1, residents: 1, problemsOpened: 1, area: 'north' });
      expect(r.day29North.alerts.total, e.name).toBe(0);
      expect(r.days.unit, e.name).toBe('day');
      expect(r.days.series.map((b: { start: string; visits: number }) => [b.start, b.visits]), e.name).toEqual([
        ['2026-03-27', 0], ['2026-03-28', 1], ['2026-03-29', 2], ['2026-03-30', 1], ['2026-03-31', 0],
      ]);
      expect(r.days.series.find((b: { start: string }) => b.start === '2026-03-29'), e.name).toMatchObject({ problemsOpened: 1, alerts: 1 });
      expect(r.days.byArea.map((a: { area: string; visits: number; problemsOverdue: number }) => [a.area, a.visits, a.problemsOverdue]), e.name).toEqual([
        ['north', 2, 1], ['south', 2, 0],
      ]);
      // weeks start on Monday: the change falls in the week of 2026-03-23
      expect(r.weeks.unit, e.name).toBe('week');
      expect(r.weeks.series.filter((b: { visits: number }) => b.visits).map((b: { start: string; visits: number }) => [b.start, b.visits]), e.name).toEqual([
        ['2026-03-23', 3], ['2026-03-30', 1],
      ]);
      expect(r.warmth, e.name).toEqual({ index: 4, stars: 4, ratings: 2, history: [{ month: '2026-03', index: 4, ratings: 2 }] });
    }
  });

  it("warns of A's falling activity (check-ins not counted), the overdue problem and who was not visited for long", () => {
    for (const e of engines) {
      const w = (results.get(e.name) as { warnings: { counts: Record<string, number>; items: Array<Record<string, unknown>> } }).warnings;
      expect(w.counts, e.name).toEqual({ activity_decline: 1, problem_overdue: 1 });
      expect(w.items.find((i) => i.code === 'activity_decline'), e.name).toMatchObject({ residentId: 'r-a', weekly: [40, 30, 20, 10] });
      expect(w.items.find((i) => i.code === 'problem_overdue'), e.name).toMatchObject({ residentId: 'r-a', problemId: 'WT2026001' });
    }
  });

  it('gives the same figures on both engines', () => {
    expect(results.get('postgres')).toEqual(results.get('sqlite'));
  });
});
