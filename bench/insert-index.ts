// What a device event's row costs SQLite at the group commit, by index: the real schema (every
// migration), the ingest's own statements (multi-row INSERTs of 64, the inbox's INSERT ... SELECT,
// and the rules' removal of the judged inbox rows in a transaction of their own), 50 residents'
// reports interleaved as at saturation; CPU (user + system) per row and the pages written to the
// WAL per group (ingest and removal), with and without the per-resident index, by group size.
//
//   npx tsx bench/insert-index.ts [--groups 300] [--residents 50]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/db.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const GROUPS = Number(arg('--groups', '300'));
const RESIDENTS = Number(arg('--residents', '50'));
const ROWS = 64;

function run(groupSize: number, setup: string[], inbox: boolean): { us: number; sysUs: number; walPagesPerGroup: number } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-insert-'));
  const db = openDatabase({ path: join(dir, 'g.db'), sync: 'normal' });
  for (const sql of setup) db.exec(sql);
  const insert = db.prepare(`INSERT INTO events (at, device_id, resident_id, type, source, payload, mqtt_client, mqtt_message_id)
    VALUES ${Array.from({ length: ROWS }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
  const toInbox = db.prepare('INSERT INTO event_inbox (resident_id, event_id) SELECT resident_id, id FROM events WHERE id BETWEEN ? AND ?');
  // the rules take a home's inbox rows away once they judged them (a transaction of their own):
  // the inbox stays small, as it does in a running gateway
  const judged = db.prepare('DELETE FROM event_inbox WHERE resident_id = ? AND event_id BETWEEN ? AND ?');
  const judge = db.transaction((first: number, last: number) => {
    for (let r = 0; r < RESIDENTS; r++) judged.run(`r-${r}`, first, last);
  });
  const payloads = [JSON.stringify({ occupancy: true, battery: 90 }), JSON.stringify({ occupancy: false, battery: 90 })];
  const params: unknown[] = [];
  let at = Date.now();
  let n = 0;
  const group = db.transaction(() => {
    let first = 0;
    let last = 0;
    for (let b = 0; b < groupSize / ROWS; b++) {
      params.length = 0;
      for (let i = 0; i < ROWS; i++, n++) {
        const r = n % RESIDENTS;
        params.push(at++, `dev${r}`, `r-${r}`, 'state', 'mqtt', payloads[n & 1], `c:dev${r}`, (n % 65535) + 1);
      }
      last = Number(insert.run(params).lastInsertRowid);
      if (!first) first = last - ROWS + 1;
    }
    if (inbox) toInbox.run(first, last);
    return [first, last];
  });
  const groupAndJudge = () => {
    const [first, last] = group();
    if (inbox) judge(first, last);
  };
  // a table that has some history, as a running gateway's does
  for (let i = 0; i < 50; i++) groupAndJudge();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < GROUPS; i++) groupAndJudge();
  const cpu = process.cpuUsage(cpu0);
  // the pages a commit writes: ten more groups with the checkpoint held off, counted in the WAL
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  for (let i = 0; i < 10; i++) groupAndJudge();
  const walBytes = statSync(join(dir, 'g.db-wal')).size;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const rows = GROUPS * groupSize;
  return { us: (cpu.user + cpu.system) / rows, sysUs: cpu.system / rows, walPagesPerGroup: walBytes / (pageSize + 24) / 10 };
}

const variants: Array<[string, string[], boolean]> = [
  ['the schema as it is', [], true],
  ['without events_resident_at', ['DROP INDEX events_resident_at'], true],
  ['without events_contact', ['DROP INDEX events_contact'], true],
  ['without the inbox rows', [], false],
  ['neither resident index nor inbox', ['DROP INDEX events_resident_at'], false],
];
console.log(`Group commit of device events: ${RESIDENTS} residents interleaved, ${GROUPS} groups a run, sync: normal, WAL`);
console.log('variant                          group  CPU us/row  (system)  WAL pages/group');
for (const groupSize of [64, 256, 768]) {
  for (const [name, setup, inbox] of variants) {
    const r = run(groupSize, setup, inbox);
    console.log(`${name.padEnd(32)} ${String(groupSize).padStart(5)} ${r.us.toFixed(2).padStart(11)} ${('(' + r.sysUs.toFixed(2) + ')').padStart(9)} ${r.walPagesPerGroup.toFixed(0).padStart(16)}`);
  }
}
