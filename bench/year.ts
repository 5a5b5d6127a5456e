// A store with a year of a district: 1,000 residents, 5 devices each, a year of device events,
// weekly visits with problems, and alerts. Measures the caseworkers' queries on it: a timeline
// page, a month's and a year's report, and the visit-planning list.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteStore } from '../src/store/index.ts';
import { residentRepository } from '../src/store/residents.ts';
import { timelineRepository } from '../src/store/timeline.ts';
import { createCasefile } from '../src/casefile/index.ts';
import { prng } from './prng.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** the same for what answers with a promise: until it has settled */
async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export async function yearBench(opts: { residents?: number; eventsPerDay?: number } = {}) {
  const residentsN = opts.residents ?? 1000;
  const perDay = opts.eventsPerDay ?? 8;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-year-'));
  const store = openSqliteStore({ path: join(dir, 'gateway.db'), sync: 'normal' });
  const db = store.db;
  const rand = prng(2026);
  const start = Date.parse('2025-11-28T00:00:00+08:00');
  const end = start + 365 * 86_400_000;
  try {
    const residents = residentRepository(db);
    const fill = time(() => db.transaction(() => {
      const insertEvent = db.prepare(`INSERT INTO events (at, device_id, resident_id, type, source, payload) VALUES (?, ?, ?, 'state', 'mqtt', ?)`);
      const insertVisit = db.prepare(`INSERT INTO visits (resident_id, visitor, at, purpose, notes, recorded_by, created_at) VALUES (?, 'li-caseworker', ?, 'routine', '', 'li-caseworker', ?)`);
      const insertProblem = db.prepare(`INSERT INTO problems (id, visit_id, resident_id, description, category, urgency, responsible, deadline, status, opened_at, solved_at)
        VALUES (?, ?, ?, 'problem', 'livelihood', 'normal', 'li-caseworker', ?, ?, ?, ?)`);
      const insertAlert = db.prepare(`INSERT INTO alerts (resident_id, kind, condition_key, device_id, status, opened_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by)
        VALUES (?, 'inactivity', ?, NULL, 'resolved', ?, ?, 'wang', ?, 'wang')`);
      let problemSeq = 0;
      for (let r = 0; r < residentsN; r++) {
        const id = `r-${r}`;
        residents.upsertResident({ id, name: `Resident ${r}`, address: '', timezone: 'Asia/Shanghai', locale: 'zh-CN', visitCycleMs: 7 * 86_400_000, area: `area-${r % 20}`, birthday: `19${40 + (r % 40)}-0${1 + (r % 9)}-1${r % 10}`, rules: {} }, start);
        for (let d = 0; d < 5; d++) residents.upsertDevice({ id: `${id}-d${d}`, residentId: id, kind: d === 0 ? 'door' : 'motion', entrance: true, secretHash: null, zigbee2mqtt: null, rflink: null, jsonl: null, supervisionMs: null });
        for (let day = 0; day < 365; day++) {
          for (let k = 0; k < perDay; k++) {
            insertEvent.run(start + day * 86_400_000 + Math.floor(rand() * 86_400_000), `${id}-d${k % 5}`, id, k % 5 === 0 ? '{"contact":false}' : '{"occupancy":true}');
          }
        }
        for (let week = 0; week < 52; week++) {
          const at = start + week * 7 * 86_400_000 + Math.floor(rand() * 86_400_000);
          const visitId = Number(insertVisit.run(id, at, at).lastInsertRowid);
          if (rand() < 0.2) {
            const solved = rand() < 0.8 ? at + Math.floor(rand() * 5 * 86_400_000) : null;
            insertProblem.run(`WT${2025 + (at > Date.parse('2026-01-01') ? 1 : 0)}${String(++problemSeq).padStart(6, '0')}`, visitId, id, at + 3 * 86_400_000, solved ? 'solved' : 'pending', at, solved);
          }
        }
        for (let a = 0; a < 12; a++) {
          const at = start + Math.floor(rand() * 365 * 86_400_000);
          insertAlert.run(id, `inactivity#${a}`, at, at + Math.floor(rand() * 300_000), at + 3_600_000);
        }
      }
    })());
    db.exec('ANALYZE');
    const timeline = timelineRepository(db);
    const casefile = createCasefile({
      store, site: { timezone: 'Asia/Shanghai', holidays: ['2026-10-01', '2026-10-02'], knockDay: 'wednesday' },
      bridgeUsernames: [], configSecret: () => undefined, now: () => end, devicesChanged: () => {}, photoDir: join(dir, 'photos'),
    });
    const pages: number[] = [];
    for (let i = 0; i < 300; i++) {
      const id = `r-${Math.floor(rand() * residentsN)}`;
      pages.push(time(() => timeline.page(id, { limit: 50 })).ms);
    }
    pages.sort((a, b) => a - b);
    const month = await timeAsync(() => casefile.report('2026-10-01', '2026-10-31'));
    const year = await timeAsync(() => casefile.report('2025-11-28', '2026-11-27'));
    const due = await timeAsync(() => casefile.dueVisits());
    const dueArea = await timeAsync(() => casefile.dueVisits({ area: 'area-3' }));
    const seriesMonth = await timeAsync(() => casefile.reportSeries('2026-10-01', '2026-10-31'));
    const seriesYear = await timeAsync(() => casefile.reportSeries('2025-11-28', '2026-11-27'));
    const reminders = await timeAsync(() => casefile.reminders.reminders('2026-11-20', '2026-11-27', end));
    const warnings = await timeAsync(() => casefile.warnings.warnings(end));
    const warmth = await timeAsync(() => casefile.warmth({}));
    const events = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      residents: residentsN, events, fillSeconds: round(fill.ms / 1000),
      timelinePageMs: { p50: round(percentile(pages, 50)), p95: round(percentile(pages, 95)), max: round(pages[pages.length - 1]) },
      reportMonthMs: round(month.ms), reportYearMs: round(year.ms), dueVisitsMs: round(due.ms), dueVisitsOneAreaMs: round(dueArea.ms),
      reportSeriesMonthMs: round(seriesMonth.ms), reportSeriesYearMs: round(seriesYear.ms), remindersWeekMs: round(reminders.ms),
      reminderItems: reminders.value.items.length, warningsMs: round(warnings.ms), warnings: warnings.value.counts, warmthMs: round(warmth.ms),
      reportMonth: { visits: (month.value as { visits: number }).visits, coverage: (month.value as { coverage: number }).coverage },
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await yearBench(), null, 2));
}
