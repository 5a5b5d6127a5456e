// The PostgreSQL engine's tables: the same statements as the SQLite engine's (sqlite/tables.ts
// and the repositories it wraps) in PostgreSQL's dialect, one port method for one there. The
// contract suite (test/store/contract.ts) holds both to the same behaviour.
import type { DeviceEvent } from '../../domain/types.ts';
import { eventFromRow } from '../events.ts';
import { parseBefore, pageFromRows, type TimelineRow } from '../timeline.ts';
import type {
  AlertRow, AlertsPort, SitePort, ProcessRow, InboundPort, AuditPort, ContactRow, DeviceRow, EventsPort, OutboxPort, OutboxRow, ProblemRow, ResidentRow,
  ResidentsPort, RuleStatePort, TimelinePort, VisitRow, VisitsPort, Ports, UsersPort, UserRow, SessionRow, IdempotencyPort, AbsencesPort, AbsenceRow, ReferralsPort, ReferralRow, PhotosPort, PhotoRow,
  CasefileReportsPort, ProblemCluster, ProfilesPort, ProfileRow, AppointmentRow, RoundsPort, RoundRow, RoundDoorRow,
} from '../ports.ts';
import { IN_DOUBT, STEP_UNANSWERED } from '../ports.ts';
import type { Sql } from './sql.ts';
import { WAKE_CHANNEL } from './notify.ts';
import { byResident } from '../grouping.ts';
import { keyClashes } from '../residents.ts';
import { ConfigError, type ResidentConfig } from '../../config/index.ts';

const BUCKET_MS = 15 * 60_000;

const residentCols = `id, name, address, timezone, locale, visit_cycle_ms AS "visitCycleMs", area, birthday, rules, source`;
const contactCols = `id, resident_id AS "residentId", name, phone, role, on_call AS "onCall", locale`;
const deviceCols = `id, resident_id AS "residentId", kind, name, room, entrance, secret_hash AS "secretHash", zigbee2mqtt, rflink, jsonl,
  supervision_ms AS "supervisionMs", emergency_actions AS "emergencyActions", id_fields AS "idFields", availability, last_seen AS "lastSeen", battery`;

const residentFromRow = (row: any): ResidentRow => ({ ...row, rules: JSON.parse(row.rules) });
const deviceFromRow = (row: any): DeviceRow => ({
  ...row,
  emergencyActions: row.emergencyActions ? JSON.parse(row.emergencyActions) : null,
  idFields: row.idFields ? JSON.parse(row.idFields) : null,
});
const jsonOrNull = (list: readonly string[] | null | undefined) => (list ? JSON.stringify(list) : null);

export function residentsTable(sql: Sql): ResidentsPort {
  const upsertResident = `INSERT INTO residents (id, name, address, timezone, locale, visit_cycle_ms, area, birthday, rules, source, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, timezone = excluded.timezone, locale = excluded.locale,
      visit_cycle_ms = excluded.visit_cycle_ms, area = excluded.area, birthday = excluded.birthday, rules = excluded.rules,
      source = excluded.source, updated_at = excluded.updated_at`;
  const insertContact = `INSERT INTO contacts (resident_id, name, phone, role, on_call, locale, position) VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  // $14 / $15: whether emergency actions / id fields were given (not given: an existing device keeps its own)
  const upsertDevice = `INSERT INTO devices (id, resident_id, kind, name, room, entrance, secret_hash, zigbee2mqtt, rflink, jsonl, supervision_ms,
      emergency_actions, id_fields)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (id) DO UPDATE SET resident_id = excluded.resident_id, kind = excluded.kind, name = excluded.name, room = excluded.room,
      entrance = excluded.entrance, secret_hash = excluded.secret_hash, zigbee2mqtt = excluded.zigbee2mqtt, rflink = excluded.rflink,
      jsonl = excluded.jsonl, supervision_ms = excluded.supervision_ms,
      emergency_actions = CASE WHEN $14::boolean THEN excluded.emergency_actions ELSE devices.emergency_actions END,
      id_fields = CASE WHEN $15::boolean THEN excluded.id_fields ELSE devices.id_fields END`;
  const getResident = async (s: Sql, id: string) =>
    (await s.rows<any>(`SELECT ${residentCols} FROM residents WHERE id = $1`, [id], 'residents.get')).map(residentFromRow)[0];
  const contacts = async (s: Sql, residentId: string, list: Array<Omit<ContactRow, 'id' | 'residentId'>>) => {
    let position = 0;
    for (const c of list) await s.rows(insertContact, [residentId, c.name, c.phone, c.role, c.onCall, c.locale, position++]);
  };

  return {
    seedFromConfig: (residents, siteTimezone, now) => sql.atomic(async (s) => {
      // a resident edited through the API belongs to the API from then on
      const written: ResidentConfig[] = [];
      for (const r of residents) if ((await getResident(s, r.id))?.source !== 'api') written.push(r);
      // a key a device the store keeps holds stops the start at the config's key, as on SQLite
      const stored = (await s.rows(`SELECT ${deviceCols} FROM devices`)).map(deviceFromRow);
      const clashes = keyClashes(residents, new Set(written.map((r) => r.id)), stored);
      if (clashes.length) throw new ConfigError(clashes);
      // devices gone from the config go first, so a key moving to a renamed device is free for it
      for (const r of written) await s.rows(`DELETE FROM devices WHERE resident_id = $1 AND NOT (id = ANY($2::text[]))`, [r.id, r.devices.map((d) => d.id)]);
      for (const r of written) {
        await s.rows(upsertResident, [r.id, r.name, r.address, r.timezone ?? siteTimezone, r.locale, r.visitCycle ?? null,
          r.area ?? null, r.birthday ?? null, JSON.stringify(r.rules), 'config', now]);
        await s.rows(`DELETE FROM contacts WHERE resident_id = $1`, [r.id]);
        await contacts(s, r.id, r.contacts.map((c) => ({ name: c.name, phone: c.phone, role: c.role, onCall: c.onCall?.text ?? null, locale: c.locale ?? null })));
        for (const d of r.devices) {
          // a config device's secret stays in the config; the store never holds it
          await s.rows(upsertDevice, [d.id, r.id, d.kind, d.name ?? null, d.room ?? null, !(d.kind === 'door' && d.entrance === false),
            null, d.zigbee2mqtt ?? null, d.rflink ?? null, d.jsonl ?? null, d.supervision ?? null,
            jsonOrNull(d.emergencyActions), jsonOrNull(d.idFields), true, true]);
        }
      }
    }),
    upsertResident: async (r, now) => {
      await sql.rows(upsertResident, [r.id, r.name, r.address, r.timezone, r.locale, r.visitCycleMs, r.area ?? null, r.birthday ?? null,
        JSON.stringify(r.rules), r.source ?? 'api', now]);
    },
    markApi: async (residentId, now) => { await sql.rows(`UPDATE residents SET source = 'api', updated_at = $1 WHERE id = $2`, [now, residentId]); },
    // the events still waiting in its inbox go with it (nobody is left to judge them; the events stay)
    deleteResident: (id) => sql.atomic(async (s) => {
      await s.rows(`DELETE FROM event_inbox WHERE resident_id = $1`, [id]);
      return (await s.count(`DELETE FROM residents WHERE id = $1`, [id])) === 1;
    }),
    listResidents: async () => (await sql.rows<any>(`SELECT ${residentCols} FROM residents ORDER BY name, id`)).map(residentFromRow),
    getResident: (id) => getResident(sql, id),
    countResidents: async () => (await sql.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM residents`))[0].n,
    replaceContacts: (residentId, list) => sql.atomic(async (s) => {
      await s.rows(`DELETE FROM contacts WHERE resident_id = $1`, [residentId]);
      await contacts(s, residentId, list);
    }),
    addContact: async (residentId, c) => (await sql.rows<{ id: number }>(`INSERT INTO contacts (resident_id, name, phone, role, on_call, locale, position)
      VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), -1) + 1 FROM contacts WHERE resident_id = $1)) RETURNING id`,
    [residentId, c.name, c.phone, c.role, c.onCall, c.locale]))[0].id,
    updateContact: async (id, c) => (await sql.count(`UPDATE contacts SET name = $2, phone = $3, role = $4, on_call = $5, locale = $6 WHERE id = $1`,
      [id, c.name, c.phone, c.role, c.onCall, c.locale])) === 1,
    deleteContact: async (id) => (await sql.count(`DELETE FROM contacts WHERE id = $1`, [id])) === 1,
    contactsOf: (residentId) => sql.rows<ContactRow>(`SELECT ${contactCols} FROM contacts WHERE resident_id = $1 ORDER BY position, id`, [residentId], 'contacts.of'),
    contactsByPhone: (phone) => sql.rows<ContactRow>(`SELECT ${contactCols} FROM contacts WHERE phone = $1 ORDER BY id`, [phone]),
    getContact: async (id) => (await sql.rows<ContactRow>(`SELECT ${contactCols} FROM contacts WHERE id = $1`, [id]))[0],
    upsertDevice: async (d) => {
      await sql.rows(upsertDevice, [d.id, d.residentId, d.kind, d.name ?? null, d.room ?? null, d.entrance, d.secretHash,
        d.zigbee2mqtt, d.rflink, d.jsonl, d.supervisionMs, jsonOrNull(d.emergencyActions), jsonOrNull(d.idFields),
        d.emergencyActions !== undefined, d.idFields !== undefined]);
    },
    deleteDevice: async (id) => (await sql.count(`DELETE FROM devices WHERE id = $1`, [id])) === 1,
    listDevices: async () => (await sql.rows(`SELECT ${deviceCols} FROM devices ORDER BY id`)).map(deviceFromRow),
    devicesOf: async (residentId) => (await sql.rows(`SELECT ${deviceCols} FROM devices WHERE resident_id = $1 ORDER BY id`, [residentId])).map(deviceFromRow),
    getDevice: async (id) => (await sql.rows(`SELECT ${deviceCols} FROM devices WHERE id = $1`, [id], 'devices.get')).map(deviceFromRow)[0],
    upgradeSecretHash: async (id, previous, next) =>
      (await sql.count(`UPDATE devices SET secret_hash = $1 WHERE id = $2 AND secret_hash = $3`, [next, id, previous])) === 1,
  };
}

/**
 * activity as the rules core counts it (sqlite/tables.ts activitySql says why), on the payload
 * parsed once as p; `before` is the contact of the door's previous non-test report, if any
 */
const ACTIVE = `COALESCE((p ->> 'test')::boolean, false) = false AND (
  (p -> 'contact') IS NOT NULL AND p -> 'contact' <> 'null'::jsonb AND p -> 'contact' <> COALESCE(before, 'true'::jsonb)
  OR p -> 'occupancy' = 'true'::jsonb
  OR (jsonb_typeof(p -> 'action') = 'string' AND p ->> 'action' NOT LIKE '%release'))`;
const previousContact = `CASE WHEN e.payload::jsonb -> 'contact' IS NOT NULL THEN (SELECT b.payload::jsonb -> 'contact' FROM events b
    WHERE b.device_id = e.device_id AND b.type = 'state' AND (b.payload::jsonb -> 'contact') IS NOT NULL AND (b.at, b.id) < (e.at, e.id)
      AND b.resident_id = e.resident_id AND b.payload::jsonb -> 'contact' <> 'null'::jsonb
      AND COALESCE((b.payload::jsonb ->> 'test')::boolean, false) = false
    ORDER BY b.at DESC, b.id DESC LIMIT 1) END`;
const stateEvents = `(SELECT e.at, e.payload::jsonb AS p, ${previousContact} AS before FROM events e
  WHERE e.resident_id = $1 AND e.at >= $2 AND e.at < $3 AND e.type = 'state') e`;

export function eventsTable(sql: Sql): EventsPort {
  const cols = `e.id, e.at, e.device_id, e.resident_id, e.type, e.source, e.payload, d.kind`;
  return {
    after: async (id, limit = 1000): Promise<DeviceEvent[]> =>
      (await sql.rows(`SELECT ${cols} FROM events e JOIN devices d ON d.id = e.device_id WHERE e.id > $1 ORDER BY e.id LIMIT $2`, [id, limit], 'events.after'))
        .map(eventFromRow),
    get: async (id) => (await sql.rows(`SELECT ${cols} FROM events e JOIN devices d ON d.id = e.device_id WHERE e.id = $1`, [id])).map(eventFromRow)[0],
    getMany: async (ids) => (ids.length
      ? await sql.rows(`SELECT ${cols} FROM events e JOIN devices d ON d.id = e.device_id WHERE e.id = ANY($1::bigint[]) ORDER BY e.id`, [ids], 'events.getMany')
      : []).map(eventFromRow),
    maxId: async () => (await sql.rows<{ id: number }>(`SELECT COALESCE(MAX(id), 0) AS id FROM events`))[0].id,
    activityBuckets: (residentId, from, to) => sql.rows(`SELECT at / ${BUCKET_MS} AS bucket, COUNT(*)::int AS n FROM ${stateEvents}
      WHERE ${ACTIVE} GROUP BY 1 ORDER BY 1`, [residentId, from, to]),
    activityCount: async (residentId, from, to) => (await sql.rows<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${stateEvents}
      WHERE ${ACTIVE}`, [residentId, from, to]))[0].n,
  };
}

/** above every id: "this whole millisecond" in a row comparison */
const MAX_ID = '9223372036854775807';

export function timelineTable(sql: Sql): TimelinePort {
  // as SQLite's: each side limited on its own index, then merged by (at, src, id) descending.
  // The cursor "strictly older than (at, src, id)" is a row comparison per side, which
  // PostgreSQL uses as the bound of its index scan; the OR form SQLite uses (faster there) is
  // only a filter here, so a page deep in a long history read every newer row first (24 ms
  // against 0.1 ms, 30 000 events of one resident).
  const page = `
    SELECT * FROM (
      SELECT at, 0 AS src, id, 'device_event' AS type, device_id AS device, payload AS data, type AS "eventType" FROM events
      WHERE resident_id = $1 AND (at, id) < ($2::bigint, CASE WHEN $3::int > 0 THEN ${MAX_ID} ELSE $4::bigint END) AND $6::boolean
      ORDER BY at DESC, id DESC LIMIT $5::int) e
    UNION ALL
    SELECT * FROM (
      SELECT at, 1 AS src, id, type, NULL AS device, data, NULL AS "eventType" FROM timeline
      WHERE resident_id = $1 AND (at, id) < ($2::bigint, CASE WHEN $3::int > 1 THEN ${MAX_ID} WHEN $3::int = 1 THEN $4::bigint ELSE 0 END)
        AND ($7::text[] IS NULL OR type = ANY($7::text[]))
      ORDER BY at DESC, id DESC LIMIT $5::int) t
    ORDER BY at DESC, src DESC, id DESC LIMIT $5::int`;
  return {
    add: async (residentId, at, type, data) => (await sql.rows<{ id: number }>(`INSERT INTO timeline (resident_id, at, type, data) VALUES ($1, $2, $3, $4) RETURNING id`,
      [residentId, at, type, JSON.stringify(data)], 'timeline.add'))[0].id,
    page: async (residentId, query) => {
      const b = parseBefore(query.before);
      const types = query.types ? query.types.filter((t) => t !== 'device_event') : null;
      const wantEvents = !query.types || query.types.includes('device_event');
      const rows = await sql.rows<TimelineRow>(page, [residentId, b.at, b.src, b.id, query.limit + 1, wantEvents, types], 'timeline.page');
      return pageFromRows(rows, query.limit);
    },
  };
}

const alertCols = `id, resident_id AS "residentId", kind, condition_key AS "conditionKey", device_id AS "deviceId", status,
  opened_at AS "openedAt", acknowledged_at AS "acknowledgedAt", acknowledged_by AS "acknowledgedBy",
  resolved_at AS "resolvedAt", resolved_by AS "resolvedBy", detail, escalation_step AS "escalationStep",
  escalation_due AS "escalationDue", unanswered`;
const alertFromRow = (row: any): AlertRow => ({ ...row, detail: JSON.parse(row.detail) });

export function alertsTable(sql: Sql): AlertsPort {
  const list = async (text: string, params: unknown[], name?: string) => (await sql.rows(text, params, name)).map(alertFromRow);
  return {
    insert: async (a) => (await sql.rows<{ id: number }>(`INSERT INTO alerts (resident_id, kind, condition_key, device_id, status, opened_at, detail, escalation_step, escalation_due)
      VALUES ($1, $2, $3, $4, 'open', $5, $6, 0, $7) RETURNING id`,
    [a.residentId, a.kind, a.conditionKey, a.deviceId, a.openedAt, JSON.stringify(a.detail), a.escalationDue]))[0].id,
    get: async (id) => (await list(`SELECT ${alertCols} FROM alerts WHERE id = $1`, [id], 'alerts.get'))[0],
    ongoing: async (residentId, key) =>
      (await list(`SELECT ${alertCols} FROM alerts WHERE resident_id = $1 AND condition_key = $2 AND status != 'resolved'`, [residentId, key], 'alerts.ongoing'))[0],
    list: (status, limit = 500) => status
      ? list(`SELECT ${alertCols} FROM alerts WHERE status = $1 ORDER BY opened_at DESC, id DESC LIMIT $2`, [status, limit])
      : list(`SELECT ${alertCols} FROM alerts ORDER BY opened_at DESC, id DESC LIMIT $1`, [limit]),
    ofResident: (residentId, limit = 100) => list(`SELECT ${alertCols} FROM alerts WHERE resident_id = $1 ORDER BY opened_at DESC, id DESC LIMIT $2`, [residentId, limit]),
    unresolved: () => list(`SELECT ${alertCols} FROM alerts WHERE status != 'resolved' ORDER BY opened_at, id`, []),
    openCounts: async () => new Map((await sql.rows<{ residentId: string; n: number }>(
      `SELECT resident_id AS "residentId", COUNT(*)::int AS n FROM alerts WHERE status != 'resolved' GROUP BY resident_id`)).map((r) => [r.residentId, r.n])),
    acknowledge: async (id, by, at) => (await sql.count(`UPDATE alerts SET status = 'acknowledged', acknowledged_at = $3, acknowledged_by = $2, escalation_due = NULL
      WHERE id = $1 AND status = 'open'`, [id, by, at])) === 1,
    resolve: async (id, by, at) => (await sql.count(`UPDATE alerts SET status = 'resolved', resolved_at = $3, resolved_by = $2, escalation_due = NULL
      WHERE id = $1 AND status != 'resolved'`, [id, by, at])) === 1,
    setDetail: async (id, detail) => { await sql.rows(`UPDATE alerts SET detail = $2 WHERE id = $1`, [id, JSON.stringify(detail)]); },
    setEscalation: async (id, step, due, unanswered = false) => {
      await sql.rows(`UPDATE alerts SET escalation_step = $2, escalation_due = $3, unanswered = $4 WHERE id = $1`, [id, step, due, unanswered], 'alerts.escalation');
    },
    due: (now) => list(`SELECT ${alertCols} FROM alerts WHERE escalation_due IS NOT NULL AND escalation_due <= $1 AND status = 'open' ORDER BY escalation_due, id`, [now], 'alerts.due'),
    nextDue: async () => (await sql.rows<{ due: number | null }>(`SELECT MIN(escalation_due) AS due FROM alerts WHERE escalation_due IS NOT NULL AND status = 'open'`))[0].due,
    claimDue: (now, limit = 100) => list(`SELECT ${alertCols} FROM alerts WHERE escalation_due IS NOT NULL AND escalation_due <= $1 AND status = 'open'
      ORDER BY escalation_due, id LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, limit], 'alerts.claim'),
    openedBetween: (from, to) => sql.rows(`SELECT opened_at AS "openedAt", acknowledged_at AS "acknowledgedAt", resolved_at AS "resolvedAt", resolved_by AS "resolvedBy"
      FROM alerts WHERE opened_at >= $1 AND opened_at < $2 ORDER BY opened_at, id`, [from, to]),
  };
}

export function ruleStateTable(sql: Sql): RuleStatePort {
  type Row = { state: string; lastEventId: number; version: number };
  const fromRow = (row: Row | undefined) => {
    if (!row) return undefined;
    const state = JSON.parse(row.state);
    // a row made by lock() before any save holds no state yet (version 0)
    return state === null ? undefined : { state, lastEventId: row.lastEventId, version: Number(row.version) };
  };
  const cols = `state, last_event_id AS "lastEventId", version`;
  return {
    get: async (residentId) => fromRow((await sql.rows<Row>(
      `SELECT ${cols} FROM rule_state WHERE resident_id = $1`, [residentId], 'rule_state.get'))[0]),
    save: async (residentId, state, lastEventId, now) => Number((await sql.rows<{ version: number }>(
      `INSERT INTO rule_state (resident_id, state, last_event_id, updated_at, version) VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT (resident_id) DO UPDATE SET state = excluded.state, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at,
          version = rule_state.version + 1
        RETURNING version`,
      [residentId, JSON.stringify(state), lastEventId, now], 'rule_state.save'))[0].version),
    lock: async (residentId) => {
      // the row must exist to be locked: a resident's first decision makes it (state null until
      // saved), and a second transaction's insert of the same key waits on the first's
      await sql.rows(`INSERT INTO rule_state (resident_id, state, last_event_id, updated_at) VALUES ($1, 'null', 0, 0)
        ON CONFLICT (resident_id) DO NOTHING`, [residentId], 'rule_state.make');
      return fromRow((await sql.rows<Row>(
        `SELECT ${cols} FROM rule_state WHERE resident_id = $1 FOR UPDATE`, [residentId], 'rule_state.lock'))[0]);
    },
  };
}

const outboxCols = `id, alert_id AS "alertId", resident_id AS "residentId", contact_id AS "contactId", phone, channel, step, body, status,
  attempts, next_attempt_at AS "nextAttemptAt", provider_id AS "providerId", last_error AS "lastError", created_at AS "createdAt", sent_at AS "sentAt"`;
const OPEN = `('pending', 'sending')`;
/** any fixed number: the advisory lock outbox claims queue on */
const OUTBOX_CLAIM_LOCK = 4_716_002;

export function outboxTable(sql: Sql): OutboxPort {
  // READ COMMITTED: a row another transaction is sending is waited for and its status checked again
  const cancel = (where: string, params: unknown[]) => sql.rows<OutboxRow>(`UPDATE outbox SET status = 'cancelled'
    WHERE status IN ${OPEN} AND step >= 0 AND ${where} RETURNING ${outboxCols}`, params).then((rows) => rows.sort((a, b) => a.id - b.id));
  return {
    enqueue: async (m) => (await sql.rows<{ id: number }>(`INSERT INTO outbox (alert_id, resident_id, contact_id, phone, channel, step, body, status, attempts, next_attempt_at, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) ON CONFLICT DO NOTHING RETURNING id`,
    [m.alertId, m.residentId, m.contactId, m.phone, m.channel, m.step, m.body, m.at], 'outbox.enqueue'))[0]?.id ?? null,
    get: async (id) => (await sql.rows<OutboxRow>(`SELECT ${outboxCols} FROM outbox WHERE id = $1`, [id], 'outbox.get'))[0],
    byProviderId: async (sid) => (await sql.rows<OutboxRow>(`SELECT ${outboxCols} FROM outbox WHERE provider_id = $1`, [sid]))[0],
    due: (now, limit = 100) => sql.rows<OutboxRow>(`SELECT ${outboxCols} FROM outbox WHERE status IN ${OPEN} AND next_attempt_at <= $1
      ORDER BY next_attempt_at, id LIMIT $2`, [now, limit], 'outbox.due'),
    claimDue: (now, leaseUntil, limit = 100) => sql.atomic(async (s) => {
      // claims queue behind each other site-wide (a short transaction each), and the claim below
      // runs after the lock with a fresh snapshot, so it sees every lease committed before it
      await s.rows('SELECT pg_advisory_xact_lock($1)', [OUTBOX_CLAIM_LOCK], 'outbox.claimLock');
      const rows = await s.rows<OutboxRow>(`WITH taken AS (
          SELECT ${outboxCols} FROM (
            SELECT DISTINCT ON (phone) * FROM outbox o
            WHERE status IN ${OPEN} AND next_attempt_at <= $1
              AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.phone = o.phone AND b.id != o.id AND b.status = 'sending' AND b.next_attempt_at > $1)
            ORDER BY phone, next_attempt_at, id) one_a_phone
          ORDER BY next_attempt_at, id LIMIT $3)
        UPDATE outbox o SET status = 'sending', next_attempt_at = $2 FROM taken WHERE o.id = taken.id AND o.status IN ${OPEN}
        RETURNING taken.*`, [now, leaseUntil, limit], 'outbox.claim');
      return rows.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    }),
    nextAttempt: async () => (await sql.rows<{ at: number | null }>(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status IN ${OPEN}`))[0].at,
    markSending: async (id, lookUpAt) => (await sql.count(`UPDATE outbox SET status = 'sending', next_attempt_at = $2 WHERE id = $1 AND status IN ${OPEN}`,
      [id, lookUpAt], 'outbox.sending')) === 1,
    renewLease: async (id, until) => (await sql.count(`UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND status = 'sending'`,
      [id, until], 'outbox.renew')) === 1,
    markSent: async (id, providerId, at) => {
      await sql.rows(`UPDATE outbox SET status = CASE WHEN status IN ('pending', 'sending', 'cancelled') THEN 'sent' ELSE status END,
        provider_id = $2, sent_at = $3, attempts = attempts + 1, last_error = NULL WHERE id = $1`, [id, providerId, at], 'outbox.sent');
    },
    markRetry: async (id, nextAt, error, doubt = false) => {
      await sql.rows(`UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = $2, last_error = $3
        WHERE id = $1 AND status IN ${OPEN}`, [id, nextAt, doubt ? IN_DOUBT + error : error]);
    },
    markFailed: async (id, error) => (await sql.count(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $2
      WHERE id = $1 AND status IN ${OPEN}`, [id, error])) === 1,
    markDelivery: async (id, status, error, providerId) => (await sql.count(`UPDATE outbox SET status = $2, last_error = COALESCE($3, last_error),
      provider_id = COALESCE(provider_id, $4) WHERE id = $1 AND status IN ('pending', 'sending', 'sent') AND status != $2`, [id, status, error, providerId])) === 1,
    cancelPending: (alertId) => cancel(`alert_id = $1`, [alertId]),
    cancelSettled: () => cancel(`alert_id IN (SELECT id FROM alerts WHERE status != 'open')`, []),
    ofAlert: (alertId) => sql.rows<OutboxRow>(`SELECT ${outboxCols} FROM outbox WHERE alert_id = $1 ORDER BY id`, [alertId], 'outbox.ofAlert'),
    stepRows: (alertId, step) => sql.rows<OutboxRow>(`SELECT ${outboxCols} FROM outbox WHERE alert_id = $1 AND step = $2 ORDER BY id`, [alertId, step]),
    callOf: async (alertId, phone) => (await sql.rows<OutboxRow>(`SELECT ${outboxCols} FROM outbox WHERE alert_id = $1 AND phone = $2 AND channel = 'call'
      ORDER BY id DESC LIMIT 1`, [alertId, phone]))[0],
    newestAlertFor: async (phone, statuses, at) => (await sql.rows<{ id: number }>(`SELECT a.id FROM outbox o JOIN alerts a ON a.id = o.alert_id
      WHERE o.phone = $1 AND (o.step >= 0 OR o.step = ${STEP_UNANSWERED}) AND a.status = ANY($2::text[])
        AND (o.status IN ('sending', 'sent', 'delivered') OR (o.status = 'pending' AND o.last_error LIKE '${IN_DOUBT}%'))
        AND o.created_at <= $3
      ORDER BY a.opened_at DESC, a.id DESC LIMIT 1`, [phone, statuses, at], 'outbox.newestAlert'))[0]?.id ?? null,
  };
}

const visitCols = `id, resident_id AS "residentId", visitor, at, ended_at AS "endedAt", purpose, notes, observations,
  recorded_by AS "recordedBy", created_at AS "createdAt", satisfaction`;
const problemCols = `id, visit_id AS "visitId", resident_id AS "residentId", description, category, urgency, responsible,
  deadline, status, opened_at AS "openedAt", solved_at AS "solvedAt", follow_up_visit_id AS "followUpVisitId", satisfaction, subcategory, resolution`;
const visitFromRow = (row: any): VisitRow => ({ ...row, observations: JSON.parse(row.observations) });

export function visitsTable(sql: Sql): VisitsPort {
  const count = async (text: string, params: unknown[]) => (await sql.rows<{ n: number }>(text, params))[0].n;
  return {
    startProblem: async (id) => (await sql.count(`UPDATE problems SET status = 'in_progress' WHERE id = $1 AND status = 'pending'`, [id])) === 1,
    nextProblemSeq: async (year) => (await sql.rows<{ seq: number }>(`INSERT INTO problem_seq (year, seq) VALUES ($1, 1)
      ON CONFLICT (year) DO UPDATE SET seq = problem_seq.seq + 1 RETURNING seq`, [year]))[0].seq,
    insertVisit: async (v) => (await sql.rows<{ id: number }>(`INSERT INTO visits (resident_id, visitor, at, ended_at, purpose, notes, observations, recorded_by, created_at, satisfaction)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [v.residentId, v.visitor, v.at, v.endedAt, v.purpose, v.notes, JSON.stringify(v.observations), v.recordedBy, v.createdAt, v.satisfaction ?? null]))[0].id,
    getVisit: async (id) => (await sql.rows(`SELECT ${visitCols} FROM visits WHERE id = $1`, [id])).map(visitFromRow)[0],
    visitsOf: async (residentId, limit, beforeAt = 8.64e15, beforeId = 0) => (await sql.rows(`SELECT ${visitCols} FROM visits WHERE resident_id = $1
      AND (at, id) < ($2::bigint, $3::bigint) ORDER BY at DESC, id DESC LIMIT $4`, [residentId, beforeAt, beforeId, limit])).map(visitFromRow),
    lastVisits: async (now) => new Map((await sql.rows<{ residentId: string; at: number }>(
      `SELECT resident_id AS "residentId", MAX(at) AS at FROM visits WHERE at <= $1 GROUP BY resident_id`, [now])).map((r) => [r.residentId, r.at])),
    insertProblem: async (p) => {
      await sql.rows(`INSERT INTO problems (id, visit_id, resident_id, description, category, urgency, responsible, deadline, status, opened_at, subcategory)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)`,
      [p.id, p.visitId, p.residentId, p.description, p.category, p.urgency, p.responsible, p.deadline, p.openedAt, p.subcategory ?? null]);
    },
    getProblem: async (id) => (await sql.rows<ProblemRow>(`SELECT ${problemCols} FROM problems WHERE id = $1`, [id]))[0],
    problemsOfVisits: (visitIds) => sql.rows<ProblemRow>(`SELECT ${problemCols} FROM problems WHERE visit_id = ANY($1::bigint[]) ORDER BY id`, [visitIds]),
    problemsOf: (residentId) => sql.rows<ProblemRow>(`SELECT ${problemCols} FROM problems WHERE resident_id = $1 ORDER BY opened_at DESC, id DESC`, [residentId]),
    updateProblem: async (p) => {
      await sql.rows(`UPDATE problems SET status = $2, solved_at = $3, follow_up_visit_id = $4, satisfaction = $5, responsible = $6, resolution = $7 WHERE id = $1`,
        [p.id, p.status, p.solvedAt, p.followUpVisitId, p.satisfaction, p.responsible, p.resolution ?? null]);
    },
    overdueProblems: async (now) => byResident(await sql.rows(`SELECT id, resident_id AS "residentId", urgency, deadline FROM problems
      WHERE status != 'solved' AND deadline < $1 ORDER BY deadline, id`, [now])),
    periodFigures: async (start, end, cut) => {
      const v = (await sql.rows<{ visits: number; residentsVisited: number }>(`SELECT COUNT(*)::int AS visits,
        COUNT(DISTINCT resident_id)::int AS "residentsVisited" FROM visits WHERE at >= $1 AND at < $2`, [start, end]))[0];
      const due = (await sql.rows<{ due: number; onTime: number }>(`SELECT COUNT(*)::int AS due,
        COUNT(*) FILTER (WHERE solved_at IS NOT NULL AND solved_at <= deadline)::int AS "onTime"
        FROM problems WHERE deadline >= $1 AND deadline < $2`, [start, cut]))[0];
      return {
        visits: v.visits, residentsVisited: v.residentsVisited,
        problemsOpened: await count(`SELECT COUNT(*)::int AS n FROM problems WHERE opened_at >= $1 AND opened_at < $2`, [start, end]),
        problemsSolved: await count(`SELECT COUNT(*)::int AS n FROM problems WHERE solved_at >= $1 AND solved_at < $2`, [start, end]),
        problemsOverdue: await count(`SELECT COUNT(*)::int AS n FROM problems WHERE opened_at < $1 AND deadline < $1
          AND (solved_at IS NULL OR solved_at > $1)`, [cut]),
        problemsDue: due.due, problemsOnTime: due.onTime,
      };
    },
  };
}

export function auditTable(sql: Sql): AuditPort {
  return {
    add: async (at, actor, action, target, detail = {}) => {
      await sql.rows(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`, [at, actor, action, target, JSON.stringify(detail)]);
    },
    page: async (limit, beforeId = Number.MAX_SAFE_INTEGER) =>
      (await sql.rows<{ id: number; at: number; actor: string; action: string; target: string; detail: string }>(
        `SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2`, [beforeId, limit]))
        .map((r) => ({ ...r, at: new Date(r.at).toISOString(), detail: JSON.parse(r.detail) as Record<string, unknown> })),
  };
}

export interface TablesOptions {
  /**
   * The site's wake-ups: the payload telling the other processes that a rules timer row is now due
   * at `dueAt` (notify.ts). Given, a row written due sooner than any process may be armed for is
   * notified by the statement that writes it (ruleTimersTable).
   */
  timerWake?: (dueAt: number) => string;
}

export function tables(sql: Sql, options: TablesOptions = {}): Ports {
  return {
    residents: residentsTable(sql), events: eventsTable(sql), timeline: timelineTable(sql), alerts: alertsTable(sql),
    ruleState: ruleStateTable(sql), outbox: outboxTable(sql), visits: visitsTable(sql), audit: auditTable(sql), site: siteTable(sql),
    inbound: inboundTable(sql), users: usersTable(sql), idempotency: idempotencyTable(sql), absences: absencesTable(sql),
    referrals: referralsTable(sql), photos: photosTable(sql),
    casefileReports: casefileReportsTable(sql), profiles: profilesTable(sql), rounds: roundsTable(sql), inbox: inboxTable(sql),
    ruleTimers: ruleTimersTable(sql, options.timerWake),
  };
}

const processCols = `id, site, host, pid, started_at AS "startedAt", heartbeat_at AS "heartbeatAt"`;
/** a process silent this long is no longer listed anywhere: its row goes (sqlite/tables.ts says the same) */
const PROCESS_ROW_TTL_MS = 24 * 3_600_000;

export function siteTable(sql: Sql): SitePort {
  return {
    heartbeat: (p, at) => sql.atomic(async (s) => {
      await s.rows(`INSERT INTO gateway_processes (id, site, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = GREATEST(gateway_processes.heartbeat_at, excluded.heartbeat_at)`,
      [p.id, p.site, p.host, p.pid, p.startedAt, at], 'site.heartbeat');
      await s.rows(`DELETE FROM gateway_processes WHERE heartbeat_at < $1`, [at - PROCESS_ROW_TTL_MS], 'site.prune');
    }),
    alive: (site, since) => sql.rows<ProcessRow>(`SELECT ${processCols} FROM gateway_processes WHERE site = $1 AND heartbeat_at >= $2
      ORDER BY started_at, id`, [site, since], 'site.alive'),
    forget: async (id) => { await sql.rows(`DELETE FROM gateway_processes WHERE id = $1`, [id]); },
    overdue: async (cut) => {
      const [row] = await sql.rows<{ escalations: number; outbox: number; timers: number; e: number | null; o: number | null; t: number | null }>(`SELECT
          (SELECT COUNT(*) FROM alerts WHERE status = 'open' AND escalation_due IS NOT NULL AND escalation_due < $1) AS escalations,
          (SELECT MIN(escalation_due) FROM alerts WHERE status = 'open' AND escalation_due IS NOT NULL AND escalation_due < $1) AS e,
          (SELECT COUNT(*) FROM outbox WHERE status IN ${OPEN} AND next_attempt_at < $1) AS outbox,
          (SELECT MIN(next_attempt_at) FROM outbox WHERE status IN ${OPEN} AND next_attempt_at < $1) AS o,
          (SELECT COUNT(*) FROM rule_timers rt WHERE due_at < $1 AND EXISTS (SELECT 1 FROM residents r WHERE r.id = rt.resident_id)) AS timers,
          (SELECT MIN(due_at) FROM rule_timers rt WHERE due_at < $1 AND EXISTS (SELECT 1 FROM residents r WHERE r.id = rt.resident_id)) AS t`,
      [cut], 'site.overdue');
      const oldest = [row.e, row.o, row.t].filter((x): x is number => x !== null);
      return { escalations: Number(row.escalations), outbox: Number(row.outbox), timers: Number(row.timers), oldestDueAt: oldest.length ? Math.min(...oldest) : null };
    },
  };
}

export function inboundTable(sql: Sql): InboundPort {
  return {
    // ON CONFLICT waits for a concurrent insert of the same sid to commit or roll back: one process wins
    firstTime: async (sid, at) => (await sql.count('INSERT INTO inbound_messages (sid, at) VALUES ($1, $2) ON CONFLICT (sid) DO NOTHING',
      [sid, at], 'inbound.remember')) === 1,
  };
}

// SQLite's users columns are UNIQUE COLLATE NOCASE; here the unique indexes are on lower(...),
// so the look-ups compare lower(...) too, and lists sort by code point as SQLite does
const userCols = `id, username, display_name AS "displayName", role, password_hash AS "passwordHash", disabled,
  created_at AS "createdAt", updated_at AS "updatedAt", last_sign_in_at AS "lastSignInAt"`;

export function usersTable(sql: Sql): UsersPort {
  const one = async (text: string, params: unknown[], name?: string) => (await sql.rows<UserRow>(text, params, name))[0];
  return {
    create: async (u, now) => (await one(`INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${userCols}`, [u.username, u.displayName, u.role, u.passwordHash, now]))!,
    get: (id) => one(`SELECT ${userCols} FROM users WHERE id = $1`, [id], 'users.get'),
    byUsername: (username) => one(`SELECT ${userCols} FROM users WHERE lower(username) = lower($1)`, [username], 'users.byUsername'),
    byDisplayName: (name) => one(`SELECT ${userCols} FROM users WHERE lower(display_name) = lower($1)`, [name]),
    list: () => sql.rows<UserRow>(`SELECT ${userCols} FROM users ORDER BY disabled, lower(display_name) COLLATE "C", id`),
    update: async (u, now) => {
      await sql.rows(`UPDATE users SET display_name = $2, role = $3, password_hash = $4, disabled = $5, updated_at = $6 WHERE id = $1`,
        [u.id, u.displayName, u.role, u.passwordHash, u.disabled, now]);
    },
    signedIn: async (id, now) => { await sql.rows(`UPDATE users SET last_sign_in_at = $2 WHERE id = $1`, [id, now]); },
    activeAdmins: async () => (await sql.rows<{ n: number }>(`SELECT COUNT(*)::int AS n FROM users WHERE role = 'admin' AND NOT disabled`))[0].n,
    createSession: async (tokenHash, userId, csrf, now, expiresAt) => {
      await sql.rows(`INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)`,
        [tokenHash, userId, csrf, now, expiresAt]);
    },
    session: async (tokenHash) => (await sql.rows<SessionRow>(`SELECT user_id AS "userId", csrf, created_at AS "createdAt",
      last_seen_at AS "lastSeenAt", expires_at AS "expiresAt" FROM sessions WHERE token_hash = $1`, [tokenHash], 'sessions.get'))[0],
    touch: async (tokenHash, now) => { await sql.rows(`UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1`, [tokenHash, now], 'sessions.touch'); },
    deleteSession: async (tokenHash) => { await sql.rows(`DELETE FROM sessions WHERE token_hash = $1`, [tokenHash]); },
    deleteSessionsOf: async (userId) => { await sql.rows(`DELETE FROM sessions WHERE user_id = $1`, [userId]); },
    deleteOtherSessions: async (userId, keep) => { await sql.rows(`DELETE FROM sessions WHERE user_id = $1 AND token_hash != $2`, [userId, keep]); },
    purge: async (now, idleBefore) => { await sql.rows(`DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, [now, idleBefore]); },
  };
}

export function idempotencyTable(sql: Sql): IdempotencyPort {
  return {
    remembered: async (actor, key, route) => (await sql.rows<{ status: number; body: string }>(
      `SELECT status, body FROM idempotency WHERE actor = $1 AND key = $2 AND route = $3`, [actor, key, route]))[0],
    remember: async (actor, key, route, status, body, now) => {
      await sql.rows(`INSERT INTO idempotency (actor, key, route, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (actor, key) DO NOTHING`, [actor, key, route, status, body, now]);
    },
    forgetBefore: async (at) => { await sql.rows(`DELETE FROM idempotency WHERE created_at < $1`, [at]); },
  };
}

const absenceCols = `id, resident_id AS "residentId", starts_at AS "startsAt", ends_at AS "endsAt", note, set_by AS "setBy", via,
  created_at AS "createdAt", cancelled_at AS "cancelledAt", cancelled_by AS "cancelledBy"`;

const referralCols = `id, problem_id AS "problemId", department, note, referred_at AS "referredAt", referred_by AS "referredBy",
  taken_by AS "takenBy", taken_at AS "takenAt", answer, answered_at AS "answeredAt"`;

export function referralsTable(sql: Sql): ReferralsPort {
  return {
    insert: async (r) => (await sql.rows<{ id: number }>(`INSERT INTO referrals (problem_id, department, note, referred_at, referred_by)
      VALUES ($1, $2, $3, $4, $5) RETURNING id`, [r.problemId, r.department, r.note, r.referredAt, r.referredBy]))[0].id,
    get: async (id) => (await sql.rows<ReferralRow>(`SELECT ${referralCols} FROM referrals WHERE id = $1`, [id]))[0],
    of: (problemId) => sql.rows<ReferralRow>(`SELECT ${referralCols} FROM referrals WHERE problem_id = $1 ORDER BY referred_at, id`, [problemId]),
    update: async (r) => (await sql.count(`UPDATE referrals SET taken_by = $1, taken_at = $2, answer = $3, answered_at = $4 WHERE id = $5`,
      [r.takenBy, r.takenAt, r.answer, r.answeredAt, r.id])) === 1,
  };
}

const photoCols = `id, resident_id AS "residentId", visit_id AS "visitId", problem_id AS "problemId", width, height, bytes,
  created_at AS "createdAt", created_by AS "createdBy"`;

export function photosTable(sql: Sql): PhotosPort {
  return {
    insert: async (p) => {
      await sql.rows(`INSERT INTO photos (id, resident_id, visit_id, problem_id, width, height, bytes, created_at, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [p.id, p.residentId, p.visitId, p.problemId, p.width, p.height, p.bytes, p.createdAt, p.createdBy]);
    },
    get: async (id) => (await sql.rows<PhotoRow>(`SELECT ${photoCols} FROM photos WHERE id = $1`, [id]))[0],
    ofVisit: (visitId) => sql.rows<PhotoRow>(`SELECT ${photoCols} FROM photos WHERE visit_id = $1 ORDER BY created_at, id`, [visitId]),
    ofProblem: (problemId) => sql.rows<PhotoRow>(`SELECT ${photoCols} FROM photos WHERE problem_id = $1 ORDER BY created_at, id`, [problemId]),
    delete: async (id) => (await sql.count(`DELETE FROM photos WHERE id = $1`, [id])) === 1,
    ids: async () => (await sql.rows<{ id: string }>(`SELECT id FROM photos`)).map((r) => r.id),
  };
}

export function absencesTable(sql: Sql): AbsencesPort {
  return {
    insert: async (a) => (await sql.rows<{ id: number }>(`INSERT INTO absences (resident_id, starts_at, ends_at, note, set_by, via, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, [a.residentId, a.startsAt, a.endsAt, a.note, a.setBy, a.via, a.createdAt]))[0].id,
    get: async (id) => (await sql.rows<AbsenceRow>(`SELECT ${absenceCols} FROM absences WHERE id = $1`, [id]))[0],
    current: (residentId, now) => sql.rows<AbsenceRow>(`SELECT ${absenceCols} FROM absences WHERE resident_id = $1 AND cancelled_at IS NULL
      AND ends_at > $2 ORDER BY starts_at, id`, [residentId, now], 'absences.current'),
    recent: (residentId, limit) => sql.rows<AbsenceRow>(`SELECT ${absenceCols} FROM absences WHERE resident_id = $1
      ORDER BY starts_at DESC, id DESC LIMIT $2`, [residentId, limit]),
    cancel: async (id, by, at) => (await sql.count(`UPDATE absences SET cancelled_at = $1, cancelled_by = $2 WHERE id = $3 AND cancelled_at IS NULL`,
      [at, by, id])) > 0,
    endNow: async (id, at) => (await sql.count(`UPDATE absences SET ends_at = $1 WHERE id = $2 AND cancelled_at IS NULL AND ends_at > $1`, [at, id])) > 0,
  };
}

// ---- the events the rules have still to judge (inbox) ----------------------------------------

export function inboxTable(sql: Sql): import('../ports.ts').InboxPort {
  return {
    take: async (residentId, limit, afterId = 0) => (await sql.rows<{ id: number }>(
      `SELECT event_id AS id FROM event_inbox WHERE resident_id = $1 AND event_id > $3 ORDER BY event_id LIMIT $2`, [residentId, limit, afterId], 'inbox.take'))
      .map((r) => Number(r.id)),
    remove: async (residentId, eventIds) => {
      if (eventIds.length) await sql.rows(`DELETE FROM event_inbox WHERE resident_id = $1 AND event_id = ANY($2::bigint[])`, [residentId, eventIds], 'inbox.remove');
    },
    residents: async (storedBefore) => (storedBefore === undefined
      ? await sql.rows<{ r: string }>(`SELECT DISTINCT resident_id AS r FROM event_inbox ORDER BY resident_id`)
      : await sql.rows<{ r: string }>(`SELECT DISTINCT i.resident_id AS r FROM event_inbox i JOIN events e ON e.id = i.event_id WHERE e.at < $1
          ORDER BY i.resident_id`, [storedBefore], 'inbox.left')).map((x) => x.r),
  };
}

// ---- the rules' timers (rule_timers) ---------------------------------------------------------

const timerCols = `resident_id AS "residentId", due_at AS "dueAt", version, claimed_by AS "claimedBy", claim_until AS "claimUntil"`;

/**
 * `wake`: the payload of the site's timer wake-up (notify.ts). With it, `set` also notifies, in the
 * same statement (so on its commit, and never for a rollback), when the row is now due sooner than
 * it could be claimed before (its due time, or its lease's end if later; or there was no row):
 * every other process armed its one timer no later than that at its last look (nextDue), so only
 * a due time brought forward can be missed until the next poll. A due time moved later, the usual
 * case (a sign of life pushes the silence on), sends nothing.
 */
export function ruleTimersTable(sql: Sql, wake?: (dueAt: number) => string): import('../ports.ts').RuleTimersPort {
  type Row = import('../ports.ts').RuleTimerRow;
  const upsert = `INSERT INTO rule_timers (resident_id, due_at, version, claimed_by, claim_until) VALUES ($1, $2, $3, NULL, NULL)
        ON CONFLICT (resident_id) DO UPDATE SET due_at = excluded.due_at, version = excluded.version, claimed_by = NULL, claim_until = NULL`;
  return {
    set: async (residentId, dueAt, version) => {
      if (dueAt === null) await sql.rows(`DELETE FROM rule_timers WHERE resident_id = $1`, [residentId], 'rule_timers.clear');
      else if (!wake) await sql.rows(upsert, [residentId, dueAt, version], 'rule_timers.set');
      // the CTE "was" reads the row as it stood before this statement (one snapshot for all of it)
      else await sql.rows(`WITH was AS (SELECT GREATEST(due_at, COALESCE(claim_until, due_at)) AS at FROM rule_timers WHERE resident_id = $1),
          up AS (${upsert} RETURNING 1)
        SELECT pg_notify($4, $5) FROM up WHERE NOT EXISTS (SELECT 1 FROM was WHERE was.at <= $2)`,
      [residentId, dueAt, version, WAKE_CHANNEL, wake(dueAt)], 'rule_timers.set_wake');
    },
    get: async (residentId) => (await sql.rows<Row>(`SELECT ${timerCols} FROM rule_timers WHERE resident_id = $1`, [residentId]))[0],
    // a row another claim (or a deciding unit rewriting it) holds is skipped, not waited for; FOR
    // UPDATE re-reads a row committed meanwhile, so a lease just taken elsewhere is seen
    claimDue: async (now, by, leaseUntil, limit = 50) => (await sql.rows<Row>(`UPDATE rule_timers t SET claimed_by = $2, claim_until = $3
      FROM (SELECT resident_id FROM rule_timers c WHERE c.due_at <= $1 AND (c.claim_until IS NULL OR c.claim_until <= $1)
          AND EXISTS (SELECT 1 FROM residents r WHERE r.id = c.resident_id)
        ORDER BY c.due_at, c.resident_id LIMIT $4 FOR UPDATE OF c SKIP LOCKED) due
      WHERE t.resident_id = due.resident_id
      RETURNING t.resident_id AS "residentId", t.due_at AS "dueAt", t.version, t.claimed_by AS "claimedBy", t.claim_until AS "claimUntil"`,
    [now, by, leaseUntil, limit], 'rule_timers.claim')).sort((a, b) => a.dueAt - b.dueAt || (a.residentId < b.residentId ? -1 : 1)),
    nextDue: async () => (await sql.rows<{ at: number | null }>(`SELECT MIN(GREATEST(due_at, COALESCE(claim_until, due_at))) AS at FROM rule_timers t
      WHERE EXISTS (SELECT 1 FROM residents r WHERE r.id = t.resident_id)`, [], 'rule_timers.next'))[0].at,
  };
}

// ---- the rest of the casefile: reports, warnings, reminders, profiles, appointments, rounds ----

/** the rows of the area's residents only ($n NULL: everyone's) */
const ofArea = (n: number) => `($${n}::text IS NULL OR resident_id IN (SELECT id FROM residents WHERE area = $${n}::text))`;
const WEEK_MS = 7 * 86_400_000;
/** every resident's state events in ($1, $2], each with its door's previous contact (ACTIVE judges them) */
const stateEventsOfAll = `(SELECT e.resident_id, e.at, e.payload::jsonb AS p, ${previousContact} AS before FROM events e
  WHERE e.at > $1 AND e.at <= $2 AND e.type = 'state') e`;

export function casefileReportsTable(sql: Sql): CasefileReportsPort {
  const n = async (text: string, params: unknown[]) => (await sql.rows<{ n: number }>(text, params))[0].n;
  const dated = {
    visits: `SELECT at, resident_id AS "residentId" FROM visits WHERE at >= $1 AND at < $2 AND ${ofArea(3)}`,
    opened: `SELECT opened_at AS at, resident_id AS "residentId" FROM problems WHERE opened_at >= $1 AND opened_at < $2 AND ${ofArea(3)}`,
    solved: `SELECT solved_at AS at, resident_id AS "residentId" FROM problems WHERE solved_at >= $1 AND solved_at < $2 AND ${ofArea(3)}`,
    alerts: `SELECT opened_at AS at, resident_id AS "residentId" FROM alerts WHERE opened_at >= $1 AND opened_at < $2 AND ${ofArea(3)}`,
  };
  return {
    periodFigures: async (start, end, cut, area) => {
      const v = (await sql.rows<{ visits: number; residentsVisited: number }>(`SELECT COUNT(*)::int AS visits,
        COUNT(DISTINCT resident_id)::int AS "residentsVisited" FROM visits WHERE at >= $1 AND at < $2 AND ${ofArea(3)}`, [start, end, area]))[0];
      const due = (await sql.rows<{ due: number; onTime: number }>(`SELECT COUNT(*)::int AS due,
        COUNT(*) FILTER (WHERE solved_at IS NOT NULL AND solved_at <= deadline)::int AS "onTime"
        FROM problems WHERE deadline >= $1 AND deadline < $2 AND ${ofArea(3)}`, [start, cut, area]))[0];
      return {
        visits: v.visits, residentsVisited: v.residentsVisited,
        residents: await n(`SELECT COUNT(*)::int AS n FROM residents WHERE $1::text IS NULL OR area = $1::text`, [area]),
        problemsOpened: await n(`SELECT COUNT(*)::int AS n FROM problems WHERE opened_at >= $1 AND opened_at < $2 AND ${ofArea(3)}`, [start, end, area]),
        problemsSolved: await n(`SELECT COUNT(*)::int AS n FROM problems WHERE solved_at >= $1 AND solved_at < $2 AND ${ofArea(3)}`, [start, end, area]),
        problemsOverdue: await n(`SELECT COUNT(*)::int AS n FROM problems WHERE opened_at < $1 AND deadline < $1
          AND (solved_at IS NULL OR solved_at > $1) AND ${ofArea(2)}`, [cut, area]),
        problemsDue: due.due, problemsOnTime: due.onTime,
      };
    },
    alertsOpened: (start, end, area) => sql.rows(`SELECT opened_at AS "openedAt", acknowledged_at AS "acknowledgedAt", resolved_at AS "resolvedAt",
      resolved_by AS "resolvedBy" FROM alerts WHERE opened_at >= $1 AND opened_at < $2 AND ${ofArea(3)}`, [start, end, area]),
    residentAreas: (area) => sql.rows(`SELECT id, area, created_at AS "createdAt" FROM residents WHERE $1::text IS NULL OR area = $1::text`, [area]),
    datedRows: (what, start, end, area) => sql.rows(dated[what], [start, end, area]),
    overdueAt: async (cut, area) => (await sql.rows<{ residentId: string }>(`SELECT resident_id AS "residentId" FROM problems
      WHERE opened_at < $1 AND deadline < $1 AND (solved_at IS NULL OR solved_at > $1) AND ${ofArea(2)}`, [cut, area])).map((r) => r.residentId),
    ratings: (scope, now) => sql.rows(`
      SELECT p.solved_at AS at, p.satisfaction AS rating FROM problems p JOIN residents r ON r.id = p.resident_id
        WHERE p.status = 'solved' AND p.satisfaction IS NOT NULL AND p.solved_at IS NOT NULL
          AND ($1::text IS NULL OR p.resident_id = $1::text) AND ($2::text IS NULL OR r.area = $2::text) AND p.solved_at <= $3
      UNION ALL
      SELECT v.at AS at, v.satisfaction AS rating FROM visits v JOIN residents r ON r.id = v.resident_id
        WHERE v.satisfaction IS NOT NULL
          AND ($1::text IS NULL OR v.resident_id = $1::text) AND ($2::text IS NULL OR r.area = $2::text) AND v.at <= $3`, [scope.residentId, scope.area, now]),
    openProblemsBefore: (before) => sql.rows(`SELECT id, resident_id AS "residentId", description, category, subcategory, urgency, responsible, deadline, status
      FROM problems WHERE status != 'solved' AND deadline < $1 ORDER BY deadline, id`, [before]),
    problemClusters: async (from, to, min) => (await sql.rows<ProblemCluster>(`SELECT r.area AS area, p.category AS category, COUNT(*)::int AS n,
      array_agg(p.id ORDER BY p.id) AS ids, COUNT(DISTINCT p.resident_id)::int AS residents FROM problems p JOIN residents r ON r.id = p.resident_id
      WHERE p.opened_at >= $1 AND p.opened_at <= $2 AND r.area IS NOT NULL GROUP BY r.area, p.category HAVING COUNT(*) >= $3
      ORDER BY n DESC, r.area, p.category`, [from, to, min])).map((c) => ({ ...c, ids: [...c.ids].sort() })),
    weeklyActivity: (from, now) => sql.rows(`SELECT resident_id AS "residentId", (($2::bigint - at) / ${WEEK_MS})::int AS week, COUNT(*)::int AS n
      FROM ${stateEventsOfAll} WHERE ${ACTIVE} GROUP BY 1, 2 ORDER BY 1, 2`, [from, now]),
  };
}

const appointmentCols = `id, resident_id AS "residentId", date, time, kind, place, note, created_by AS "createdBy", created_at AS "createdAt"`;

export function profilesTable(sql: Sql): ProfilesPort {
  return {
    get: async (residentId) => (await sql.rows<ProfileRow>(`SELECT category, household, health, difficulties, notes, updated_at AS "updatedAt",
      updated_by AS "updatedBy" FROM resident_profiles WHERE resident_id = $1`, [residentId]))[0],
    put: async (residentId, p) => {
      await sql.rows(`INSERT INTO resident_profiles (resident_id, category, household, health, difficulties, notes, updated_at, updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (resident_id) DO UPDATE SET category = excluded.category, household = excluded.household, health = excluded.health,
          difficulties = excluded.difficulties, notes = excluded.notes, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [residentId, p.category, p.household, p.health, p.difficulties, p.notes, p.updatedAt, p.updatedBy]);
    },
    categories: async () => new Map((await sql.rows<{ residentId: string; category: string }>(
      `SELECT resident_id AS "residentId", category FROM resident_profiles WHERE category IS NOT NULL`)).map((r) => [r.residentId, r.category])),
    insertAppointment: async (a) => (await sql.rows<{ id: number }>(`INSERT INTO appointments (resident_id, date, time, kind, place, note, created_by, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, [a.residentId, a.date, a.time, a.kind, a.place, a.note, a.createdBy, a.createdAt]))[0].id,
    appointment: async (id) => (await sql.rows<AppointmentRow>(`SELECT ${appointmentCols} FROM appointments WHERE id = $1`, [id]))[0],
    // time NULL sorts first, as in SQLite
    appointmentsOf: (residentId, fromDate) => sql.rows(`SELECT ${appointmentCols} FROM appointments WHERE resident_id = $1 AND date >= $2
      ORDER BY date, time NULLS FIRST, id`, [residentId, fromDate]),
    appointmentsIn: (from, to) => sql.rows(`SELECT ${appointmentCols} FROM appointments WHERE date >= $1 AND date <= $2
      ORDER BY date, time NULLS FIRST, id`, [from, to]),
    deleteAppointment: async (id) => (await sql.count(`DELETE FROM appointments WHERE id = $1`, [id])) === 1,
  };
}

const roundCols = `id, date, area, created_by AS "createdBy", created_at AS "createdAt"`;
const doorCols = `resident_id AS "residentId", status, visit_id AS "visitId", checklist, note, at, "by"`;
const doorFromRow = (row: any): RoundDoorRow => ({ ...row, checklist: JSON.parse(row.checklist) });

export function roundsTable(sql: Sql): RoundsPort {
  return {
    insert: (r, residentIds) => sql.atomic(async (s) => {
      const id = (await s.rows<{ id: number }>(`INSERT INTO rounds (date, area, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
        [r.date, r.area, r.createdBy, r.createdAt]))[0].id;
      await s.rows(`INSERT INTO round_doors (round_id, resident_id) SELECT $1, unnest($2::text[]) AS resident_id`, [id, residentIds]);
      return id;
    }),
    get: async (id) => (await sql.rows<RoundRow>(`SELECT ${roundCols} FROM rounds WHERE id = $1`, [id]))[0],
    // Inside a unit of work the look first takes a lock on this date and area, held to its commit:
    // a second unit making the same round waits here and then finds the first one's row (READ
    // COMMITTED: each statement sees what committed before it), so two requests at the same
    // instant make one round, as on SQLite. Outside a unit of work the lock ends with the statement.
    // (a statement of its own: joined to the look, the planner skips it when there is no round yet)
    find: async (date, area) => {
      await sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('round:' || $1 || ':' || coalesce($2::text, ''), 0))`, [date, area]);
      return (await sql.rows<{ id: number }>(`SELECT id FROM rounds WHERE date = $1 AND area IS NOT DISTINCT FROM $2::text
        ORDER BY id LIMIT 1`, [date, area]))[0]?.id;
    },
    list: (from, to) => sql.rows(`SELECT ${roundCols} FROM rounds WHERE date >= $1 AND date <= $2 ORDER BY date DESC, id DESC`, [from, to]),
    doors: async (roundId) => (await sql.rows(`SELECT ${doorCols} FROM round_doors WHERE round_id = $1`, [roundId])).map(doorFromRow),
    door: async (roundId, residentId) => (await sql.rows(`SELECT ${doorCols} FROM round_doors WHERE round_id = $1 AND resident_id = $2`,
      [roundId, residentId])).map(doorFromRow)[0],
    updateDoor: async (roundId, d) => (await sql.count(`UPDATE round_doors SET status = $3, visit_id = $4, checklist = $5, note = $6, at = $7, "by" = $8
      WHERE round_id = $1 AND resident_id = $2`, [roundId, d.residentId, d.status, d.visitId, JSON.stringify(d.checklist), d.note, d.at, d.by])) === 1,
  };
}
