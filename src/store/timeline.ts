// The casefile timeline: device events (from the events table) merged with everything else
// that happened to a resident (alerts, texts, replies, visits, problems), newest first.
import type { Db } from './db.ts';

export interface TimelineItem {
  at: string;
  type: string;
  [key: string]: unknown;
}

export interface TimelinePage {
  items: TimelineItem[];
  /** pass as `before` to get the next (older) page; null at the end */
  nextBefore: string | null;
}

export interface TimelineQuery {
  limit: number;
  /** an ISO-8601 moment or a cursor from a previous page */
  before?: string;
  /** only these types ('device_event', 'alert', 'notification', 'visit', ...) */
  types?: string[];
}

const MAX_AT = 8.64e15;

/** cursor: "<at ms>.<e|t>.<id>": a total order even when several items share a millisecond */
export function parseBefore(before: string | undefined): { at: number; src: number; id: number } {
  if (!before) return { at: MAX_AT, src: 2, id: 0 };
  const cursor = /^(\d+)\.([et])\.(\d+)$/.exec(before);
  if (cursor) return { at: Number(cursor[1]), src: cursor[2] === 't' ? 1 : 0, id: Number(cursor[3]) };
  const at = Date.parse(before);
  if (Number.isNaN(at)) throw new RangeError('before: expected an ISO-8601 time or a cursor from nextBefore');
  return { at, src: 0, id: 0 };
}

/** one row of the merged page query: src 0 = an event, 1 = a timeline entry */
export interface TimelineRow { at: number; src: number; id: number; type: string; device: string | null; data: string; eventType: string | null }

/** the page from up to limit + 1 rows, newest first (every engine's page query ends here) */
export function pageFromRows(rows: TimelineRow[], limit: number): TimelinePage {
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  const items = shown.map((row): TimelineItem => {
    const data = JSON.parse(row.data);
    if (row.src === 0) {
      return row.eventType === 'availability'
        ? { at: new Date(row.at).toISOString(), type: 'device_event', eventId: row.id, deviceId: row.device, availability: data.availability }
        : { at: new Date(row.at).toISOString(), type: 'device_event', eventId: row.id, deviceId: row.device, readings: data };
    }
    return { ...data, at: new Date(row.at).toISOString(), type: row.type, entryId: row.id };
  });
  const last = shown[shown.length - 1];
  return { items, nextBefore: more && last ? `${last.at}.${last.src ? 't' : 'e'}.${last.id}` : null };
}

export function timelineRepository(db: Db) {
  const add = db.prepare(`INSERT INTO timeline (resident_id, at, type, data) VALUES (?, ?, ?, ?)`);
  // Each side is limited on its own index before the merge, so a page costs two short index
  // scans whatever the resident's history holds.
  // Rows are ordered by (at, src, id) descending; src 1 = timeline, 0 = events.
  const page = db.prepare(`
    SELECT * FROM (
      SELECT at, 0 AS src, id, 'device_event' AS type, device_id AS device, payload AS data, type AS eventType FROM events
      WHERE resident_id = @resident AND (at < @at OR (at = @at AND (0 < @src OR (0 = @src AND id < @id))))
        AND @wantEvents = 1
      ORDER BY at DESC, id DESC LIMIT @limit)
    UNION ALL
    SELECT * FROM (
      SELECT at, 1 AS src, id, type, NULL AS device, data, NULL AS eventType FROM timeline
      WHERE resident_id = @resident AND (at < @at OR (at = @at AND (1 < @src OR (1 = @src AND id < @id))))
        AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
      ORDER BY at DESC, id DESC LIMIT @limit)
    ORDER BY at DESC, src DESC, id DESC LIMIT @limit`);

  return {
    add(residentId: string, at: number, type: string, data: Record<string, unknown>): number {
      return Number(add.run(residentId, at, type, JSON.stringify(data)).lastInsertRowid);
    },
    page(residentId: string, query: TimelineQuery): TimelinePage {
      const b = parseBefore(query.before);
      const types = query.types?.filter((t) => t !== 'device_event');
      const wantEvents = !query.types || query.types.includes('device_event') ? 1 : 0;
      const rows = page.all({
        resident: residentId, at: b.at, src: b.src, id: b.id, limit: query.limit + 1, wantEvents,
        types: query.types ? JSON.stringify(types) : null,
      }) as TimelineRow[];
      return pageFromRows(rows, query.limit);
    },
  };
}
export type TimelineRepository = ReturnType<typeof timelineRepository>;
