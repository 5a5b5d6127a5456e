// Casefile timeline query latency (p95 under 20 ms for a resident with 100,000 events).
// A store file like production's (WAL, sync normal), filled through the repositories: 100,000
// device events for one resident over ~10 months in one group commit, a neighbour's events
// interleaved, and alerts, texts, visits and problems as timeline entries. Then pages are asked
// for the way the web page does: the newest page, older pages by cursor, and type filters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../src/store/db.ts';
import { residentRepository } from '../src/store/residents.ts';
import { eventRepository } from '../src/store/events.ts';
import { timelineRepository } from '../src/store/timeline.ts';
import type { DeviceEvent } from '../src/domain/types.ts';

export interface TimelineBenchOptions {
  events?: number;
  neighbourEvents?: number;
  timelineEntries?: number;
  queries?: number;
  pageSize?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function timelineBench(opts: TimelineBenchOptions = {}) {
  const events = opts.events ?? 100_000;
  const neighbourEvents = opts.neighbourEvents ?? 20_000;
  const timelineEntries = opts.timelineEntries ?? 5_000;
  const queries = opts.queries ?? 1_000;
  const pageSize = opts.pageSize ?? 50;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-timeline-'));
  const db = openDatabase({ path: join(dir, 'gateway.db'), sync: 'normal' });
  try {
    const residents = residentRepository(db);
    const eventsRepo = eventRepository(db);
    const timeline = timelineRepository(db);
    const start = Date.parse('2026-01-01T00:00:00Z');
    const span = 300 * 86_400_000;
    for (const id of ['r-bench', 'r-neighbour']) {
      residents.upsertResident({ id, name: id, address: '', timezone: 'Asia/Shanghai', locale: 'zh-CN', visitCycleMs: null, rules: {} }, start);
      residents.upsertDevice({ id: `${id}-door`, residentId: id, kind: 'door', entrance: true, secretHash: null, zigbee2mqtt: null, rflink: null, jsonl: null, supervisionMs: null });
    }

    // every append before the first await joins one group commit: one transaction
    const t0 = performance.now();
    const pending: Promise<number>[] = [];
    const event = (residentId: string, i: number, n: number): DeviceEvent => ({
      at: start + Math.floor((i * span) / n), deviceId: `${residentId}-door`, residentId, kind: 'door', source: 'mqtt', type: 'state',
      readings: { contact: i % 2 === 0, battery: 90 },
    });
    for (let i = 0; i < events; i++) pending.push(eventsRepo.append(event('r-bench', i, events)));
    for (let i = 0; i < neighbourEvents; i++) pending.push(eventsRepo.append(event('r-neighbour', i, neighbourEvents)));
    await Promise.all(pending);
    const types = ['alert', 'acknowledgement', 'notification', 'visit', 'problem'];
    db.transaction(() => {
      for (let i = 0; i < timelineEntries; i++) {
        timeline.add('r-bench', start + Math.floor((i * span) / timelineEntries) + 7, types[i % types.length], { n: i });
      }
    })();
    const fillMs = performance.now() - t0;
    db.pragma('optimize');

    // the shapes of query the page makes, in proportion
    const end = start + span;
    const shapes: Array<() => Parameters<typeof timeline.page>[1]> = [
      () => ({ limit: pageSize }),
      () => ({ limit: pageSize, before: new Date(start + Math.random() * span).toISOString() }),
      () => ({ limit: pageSize, before: `${Math.floor(start + Math.random() * span)}.e.${Math.floor(Math.random() * events)}` }),
      () => ({ limit: pageSize, types: ['device_event'] }),
      () => ({ limit: pageSize, types: ['visit', 'problem', 'problem_update'], before: new Date(end - Math.random() * span).toISOString() }),
      () => ({ limit: pageSize, types: ['alert', 'alert_update', 'alert_resolved', 'acknowledgement', 'notification'] }),
    ];
    for (let i = 0; i < 50; i++) timeline.page('r-bench', shapes[i % shapes.length]()); // warm the page cache
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < queries; i++) {
      const query = shapes[i % shapes.length]();
      const q0 = performance.now();
      items += timeline.page('r-bench', query).items.length;
      times.push(performance.now() - q0);
    }
    times.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 1000) / 1000;
    const p95 = round(percentile(times, 95));
    return {
      opts: { events, neighbourEvents, timelineEntries, queries, pageSize },
      fillSeconds: round(fillMs / 1000),
      meanItemsPerPage: round(items / queries),
      ms: { p50: round(percentile(times, 50)), p95, p99: round(percentile(times, 99)), max: round(times[times.length - 1]) },
      target: { p95Ms: 20 },
      pass: p95 < 20,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await timelineBench(), null, 2));
}
