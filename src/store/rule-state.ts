// The rules core's state per resident, with the id of the last event it has seen and a version
// that every save bumps: a process keeping the state in memory checks its copy against the
// locked row's version before judging, and reloads a stale copy (another process saved since).
import type { Db } from './db.ts';

export function ruleStateRepository(db: Db) {
  const get = db.prepare(`SELECT state, last_event_id AS lastEventId, version FROM rule_state WHERE resident_id = ?`);
  const save = db.prepare(`INSERT INTO rule_state (resident_id, state, last_event_id, updated_at, version) VALUES (?, ?, ?, ?, 1)
    ON CONFLICT(resident_id) DO UPDATE SET state = excluded.state, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at,
      version = rule_state.version + 1
    RETURNING version`);
  return {
    get(residentId: string): { state: unknown; lastEventId: number; version: number } | undefined {
      const row = get.get(residentId) as { state: string; lastEventId: number; version: number } | undefined;
      return row ? { state: JSON.parse(row.state), lastEventId: row.lastEventId, version: row.version } : undefined;
    },
    /** writes the state; returns its new version */
    save(residentId: string, state: unknown, lastEventId: number, now: number): number {
      return (save.get(residentId, JSON.stringify(state), lastEventId, now) as { version: number }).version;
    },
  };
}
export type RuleStateRepository = ReturnType<typeof ruleStateRepository>;
