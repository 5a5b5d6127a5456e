// The rules core's state per resident, with the id of the last event it has seen: a restart
// loads it, replays the events committed after it, and re-arms every timer from it.
import type { Db } from './db.ts';

export function ruleStateRepository(db: Db) {
  const get = db.prepare(`SELECT state, last_event_id AS lastEventId FROM rule_state WHERE resident_id = ?`);
  const save = db.prepare(`INSERT INTO rule_state (resident_id, state, last_event_id, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT(resident_id) DO UPDATE SET state = excluded.state, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at`);
  return {
    get(residentId: string): { state: unknown; lastEventId: number } | undefined {
      const row = get.get(residentId) as { state: string; lastEventId: number } | undefined;
      return row ? { state: JSON.parse(row.state), lastEventId: row.lastEventId } : undefined;
    },
    save(residentId: string, state: unknown, lastEventId: number, now: number): void {
      save.run(residentId, JSON.stringify(state), lastEventId, now);
    },
  };
}
export type RuleStateRepository = ReturnType<typeof ruleStateRepository>;
