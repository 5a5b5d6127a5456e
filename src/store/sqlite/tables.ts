// The SQLite engine's tables: the existing synchronous repositories of src/store/, and the SQL
// that still lives in the callers (notify/outbox.ts, casefile/repository.ts, activity.ts,
// reports.ts, provisioning.ts) restated here behind the ports, statement for statement, so
// the callers can move onto the ports table by table and then drop their own copies.
// Each object is the port's synchronous twin: Sync<Port> checks the two agree.
import type { DeviceEvent } from '../../domain/types.ts';
import type { Db } from '../db.ts';
import { residentRepository } from '../residents.ts';
import { alertRepository } from '../alerts.ts';
import { timelineRepository } from '../timeline.ts';
import { ruleStateRepository } from '../rule-state.ts';
import { userRepository } from '../users.ts';
import { absenceRepository } from '../absences.ts';
import { byResident, type OverdueProblem } from '../grouping.ts';
import type { EventRepository } from '../events.ts';
import type {
  AlertsPort, AuditPort, EventsPort, OutboxPort, OutboxRow, ProblemRow, ProcessRow, ResidentsPort, RuleStatePort, SitePort, InboundPort, TimelinePort,
  VisitRow, VisitsPort, NewContact, PeriodFigures, UsersPort, IdempotencyPort, AbsencesPort, ReferralsPort, ReferralRow, PhotosPort, PhotoRow,
  CasefileReportsPort, AnsweredAlertRow, DatedRow, OpenProblemRow, ProblemCluster, ProfilesPort, ProfileRow, AppointmentRow, RoundsPort, RoundRow, RoundDoorRow,
} from '../ports.ts';
import { IN_DOUBT, STEP_UNANSWERED } from '../ports.ts';

/** a port with its promises taken off: what a synchronous engine implements */
export type Sync<P> = { [K in keyof P]: P[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never };

/**
 * Activity is a person moving about, as the rules core counts it (rules/devices.ts onContact):
 * a door contact report that changes the door's state (opened or closed; a device's first
 * report counts only when it is "open"), occupancy seen, or a button press. So a door's hourly
 * check-in that repeats "closed" is not activity, here or for inactivity. Self-tests and the
 * "release" that ends a held button are not; smoke, battery and availability reports are the
 * device's state, not the resident's. `e` names the events row being judged; its door's previous
 * report is the latest non-test contact report of that device before it (index events_contact, migration 11).
 * (postgres/tables.ts says the same in its dialect; the contract suite holds both to it)
 */
export function activitySql(e = 'events'): string {
  const contact = (row: string) => `json_extract(${row}.payload, '$.contact')`;
  const notTest = (row: string) => `COALESCE(json_extract(${row}.payload, '$.test'), 0) = 0`;
  return `${e}.type = 'state' AND ${notTest(e)} AND (
  (${contact(e)} IS NOT NULL AND ${contact(e)} != COALESCE((SELECT ${contact('b')} FROM events b INDEXED BY events_contact
      WHERE b.device_id = ${e}.device_id AND b.type = 'state' AND ${contact('b')} IS NOT NULL AND (b.at, b.id) < (${e}.at, ${e}.id)
        AND b.resident_id = ${e}.resident_id AND ${notTest('b')}
      ORDER BY b.at DESC, b.id DESC LIMIT 1), 1))
  OR json_extract(${e}.payload, '$.occupancy') = 1
  OR (json_extract(${e}.payload, '$.action') IS NOT NULL AND json_extract(${e}.payload, '$.action') NOT LIKE '%release'))`;
}
const ACTIVITY = activitySql();
export const BUCKET_MS = 15 * 60_000;

const contactCols = `id, resident_id AS residentId, name, phone, role, on_call AS onCall, locale`;

export function residentsTable(db: Db): Sync<ResidentsPort> {
  const base = residentRepository(db);
  const s = {
    markApi: db.prepare(`UPDATE residents SET source = 'api', updated_at = ? WHERE id = ?`),
    deleteResident: db.prepare(`DELETE FROM residents WHERE id = ?`),
    deleteInbox: db.prepare(`DELETE FROM event_inbox WHERE resident_id = ?`),
    count: db.prepare(`SELECT COUNT(*) AS n FROM residents`),
    addContact: db.prepare(`INSERT INTO contacts (resident_id, name, phone, role, on_call, locale, position)
      VALUES (@residentId, @name, @phone, @role, @onCall, @locale, (SELECT COALESCE(MAX(position), -1) + 1 FROM contacts WHERE resident_id = @residentId))`),
    updateContact: db.prepare(`UPDATE contacts SET name = @name, phone = @phone, role = @role, on_call = @onCall, locale = @locale WHERE id = @id`),
    deleteContact: db.prepare(`DELETE FROM contacts WHERE id = ?`),
    deleteDevice: db.prepare(`DELETE FROM devices WHERE id = ?`),
    upgradeSecretHash: db.prepare(`UPDATE devices SET secret_hash = ? WHERE id = ? AND secret_hash = ?`),
    contactsOf: db.prepare(`SELECT ${contactCols} FROM contacts WHERE resident_id = ? ORDER BY position, id`),
  };
  return {
    seedFromConfig: base.seedFromConfig,
    upsertResident: base.upsertResident,
    markApi: (residentId, now) => { s.markApi.run(now, residentId); },
    // the events still waiting in its inbox go with it (nobody is left to judge them; the events stay)
    deleteResident: (id) => db.transaction(() => {
      s.deleteInbox.run(id);
      return s.deleteResident.run(id).changes === 1;
    })(),
    listResidents: base.listResidents,
    getResident: base.getResident,
    countResidents: () => (s.count.get() as { n: number }).n,
    replaceContacts: base.replaceContacts,
    addContact: (residentId, c: NewContact) => Number(s.addContact.run({ residentId, ...c }).lastInsertRowid),
    updateContact: (id, c) => s.updateContact.run({ id, ...c }).changes === 1,
    deleteContact: (id) => s.deleteContact.run(id).changes === 1,
    contactsOf: (residentId) => s.contactsOf.all(residentId) as ReturnType<typeof base.contactsOf>,
    contactsByPhone: base.contactsByPhone,
    getContact: base.getContact,
    upsertDevice: base.upsertDevice,
    deleteDevice: (id) => s.deleteDevice.run(id).changes === 1,
    listDevices: base.listDevices,
    devicesOf: base.devicesOf,
    getDevice: base.getDevice,
    upgradeSecretHash: (id, previous, next) => s.upgradeSecretHash.run(next, id, previous).changes === 1,
  };
}

export function eventsTable(db: Db, events: EventRepository): Sync<EventsPort> {
  const buckets = db.prepare(`SELECT at / ${BUCKET_MS} AS bucket, COUNT(*) AS n FROM events
    WHERE resident_id = ? AND at >= ? AND at < ? AND ${ACTIVITY} GROUP BY bucket ORDER BY bucket`);
  const count = db.prepare(`SELECT COUNT(*) AS n FROM events WHERE resident_id = ? AND at >= ? AND at < ? AND ${ACTIVITY}`);
  return {
    after: events.after,
    get: events.get,
    getMany: (ids) => [...ids].sort((a, b) => a - b).map(events.get).filter((e): e is DeviceEvent => e !== undefined),
    maxId: events.maxId,
    activityBuckets: (residentId, from, to) => buckets.all(residentId, from, to) as Array<{ bucket: number; n: number }>,
    activityCount: (residentId, from, to) => (count.get(residentId, from, to) as { n: number }).n,
  };
}

export function timelineTable(db: Db): Sync<TimelinePort> {
  const t = timelineRepository(db);
  return { add: t.add, page: t.page };
}

export function alertsTable(db: Db): Sync<AlertsPort> {
  const a = alertRepository(db);
  const openedBetween = db.prepare(`SELECT opened_at AS openedAt, acknowledged_at AS acknowledgedAt, resolved_at AS resolvedAt,
    resolved_by AS resolvedBy FROM alerts WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, id`);
  return {
    insert: a.insert, get: a.get, ongoing: a.ongoing, list: a.list, ofResident: a.ofResident, unresolved: a.unresolved,
    openCounts: a.openCounts, acknowledge: a.acknowledge, resolve: a.resolve, setDetail: a.setDetail,
    setEscalation: a.setEscalation, due: a.due, nextDue: a.nextDue,
    openedBetween: (from, to) => openedBetween.all(from, to) as ReturnType<Sync<AlertsPort>['openedBetween']>,
    // one connection, one unit of work at a time: holding the gate is the claim
    claimDue: (now, limit = 100) => a.due(now).slice(0, limit),
  };
}

export function ruleStateTable(db: Db): Sync<RuleStatePort> {
  const r = ruleStateRepository(db);
  const get = (residentId: string) => {
    const row = r.get(residentId);
    // a row another engine's lock made before any save holds no state yet
    return row && row.state !== null ? row : undefined;
  };
  const raw = db.prepare(`SELECT state, last_event_id AS lastEventId, version FROM rule_state WHERE resident_id = ?`);
  // one connection and one unit of work at a time (the gate): holding the gate is the lock.
  // The rules lock every home a group judges only to compare its version with the copy they
  // hold, so the state is parsed when it is read, not on every lock
  const lock = (residentId: string) => {
    const row = raw.get(residentId) as { state: string | null; lastEventId: number; version: number } | undefined;
    if (!row || row.state === null) return undefined;
    const text = row.state;
    let parsed: unknown;
    let read = false;
    return {
      get state(): unknown {
        if (!read) { parsed = JSON.parse(text); read = true; }
        return parsed;
      },
      lastEventId: row.lastEventId, version: row.version,
    };
  };
  return { get, save: r.save, lock };
}

const outboxCols = `id, alert_id AS alertId, resident_id AS residentId, contact_id AS contactId, phone, channel, step, body, status,
  attempts, next_attempt_at AS nextAttemptAt, provider_id AS providerId, last_error AS lastError, created_at AS createdAt, sent_at AS sentAt`;
const OPEN = `('pending', 'sending')`;

export function outboxTable(db: Db): Sync<OutboxPort> {
  const s = {
    insert: db.prepare(`INSERT INTO outbox (alert_id, resident_id, contact_id, phone, channel, step, body, status, attempts, next_attempt_at, created_at)
      VALUES (@alertId, @residentId, @contactId, @phone, @channel, @step, @body, 'pending', 0, @at, @at) ON CONFLICT DO NOTHING`),
    get: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE id = ?`),
    byProviderId: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE provider_id = ?`),
    due: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE status IN ${OPEN} AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`),
    nextAttempt: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status IN ${OPEN}`),
    sending: db.prepare(`UPDATE outbox SET status = 'sending', next_attempt_at = @lookUpAt WHERE id = @id AND status IN ${OPEN}`),
    renew: db.prepare(`UPDATE outbox SET next_attempt_at = @until WHERE id = @id AND status = 'sending'`),
    sent: db.prepare(`UPDATE outbox SET status = CASE WHEN status IN ('pending', 'sending', 'cancelled') THEN 'sent' ELSE status END,
      provider_id = @providerId, sent_at = @at, attempts = attempts + 1, last_error = NULL WHERE id = @id`),
    retry: db.prepare(`UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = @nextAt, last_error = @error
      WHERE id = @id AND status IN ${OPEN}`),
    failed: db.prepare(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = @error WHERE id = @id AND status IN ${OPEN}`),
    delivery: db.prepare(`UPDATE outbox SET status = @status, last_error = COALESCE(@error, last_error),
      provider_id = COALESCE(provider_id, @providerId) WHERE id = @id AND status IN ('pending', 'sending', 'sent') AND status != @status`),
    pendingOf: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE alert_id = ? AND status IN ${OPEN} AND step >= 0 ORDER BY id`),
    pendingOfSettled: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE status IN ${OPEN} AND step >= 0
      AND alert_id IN (SELECT id FROM alerts WHERE status != 'open') ORDER BY id`),
    cancel: db.prepare(`UPDATE outbox SET status = 'cancelled' WHERE id = ? AND status IN ${OPEN}`),
    ofAlert: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE alert_id = ? ORDER BY id`),
    stepRows: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE alert_id = ? AND step = ? ORDER BY id`),
    callOf: db.prepare(`SELECT ${outboxCols} FROM outbox WHERE alert_id = ? AND phone = ? AND channel = 'call' ORDER BY id DESC LIMIT 1`),
    newestAlert: db.prepare(`SELECT a.id AS id FROM outbox o JOIN alerts a ON a.id = o.alert_id
      WHERE o.phone = @phone AND (o.step >= 0 OR o.step = ${STEP_UNANSWERED})
        AND (o.status IN ('sending', 'sent', 'delivered') OR (o.status = 'pending' AND o.last_error LIKE '${IN_DOUBT}%'))
        AND o.created_at <= @at
        AND a.status IN (SELECT value FROM json_each(@statuses))
      ORDER BY a.opened_at DESC, a.id DESC LIMIT 1`),
  };
  const cancelAll = db.transaction((rows: OutboxRow[]) => rows.filter((row) => s.cancel.run(row.id).changes === 1));
  const claimable = db.prepare(`SELECT ${outboxCols} FROM (
      SELECT *, ROW_NUMBER() OVER (PARTITION BY phone ORDER BY next_attempt_at, id) AS nth FROM outbox o
      WHERE status IN ${OPEN} AND next_attempt_at <= @now
        AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.phone = o.phone AND b.id != o.id AND b.status = 'sending' AND b.next_attempt_at > @now))
    WHERE nth = 1 ORDER BY next_attempt_at, id LIMIT @limit`);
  const claim = db.transaction((now: number, leaseUntil: number, limit: number) => {
    const rows = claimable.all({ now, limit }) as OutboxRow[];
    for (const row of rows) s.sending.run({ id: row.id, lookUpAt: leaseUntil });
    return rows;
  });
  return {
    enqueue(m) {
      const r = s.insert.run(m);
      return r.changes === 1 ? Number(r.lastInsertRowid) : null;
    },
    get: (id) => s.get.get(id) as OutboxRow | undefined,
    byProviderId: (sid) => s.byProviderId.get(sid) as OutboxRow | undefined,
    due: (now, limit = 100) => s.due.all(now, limit) as OutboxRow[],
    claimDue: (now, leaseUntil, limit = 100) => claim(now, leaseUntil, limit),
    nextAttempt: () => (s.nextAttempt.get() as { at: number | null }).at,
    markSending: (id, lookUpAt) => s.sending.run({ id, lookUpAt }).changes === 1,
    renewLease: (id, until) => s.renew.run({ id, until }).changes === 1,
    markSent: (id, providerId, at) => { s.sent.run({ id, providerId, at }); },
    markRetry: (id, nextAt, error, doubt = false) => { s.retry.run({ id, nextAt, error: doubt ? IN_DOUBT + error : error }); },
    markFailed: (id, error) => s.failed.run({ id, error }).changes === 1,
    markDelivery: (id, status, error, providerId) => s.delivery.run({ id, status, error, providerId }).changes === 1,
    cancelPending: (alertId) => cancelAll(s.pendingOf.all(alertId) as OutboxRow[]).map((r) => ({ ...r, status: 'cancelled' as const })),
    cancelSettled: () => cancelAll(s.pendingOfSettled.all() as OutboxRow[]).map((r) => ({ ...r, status: 'cancelled' as const })),
    ofAlert: (alertId) => s.ofAlert.all(alertId) as OutboxRow[],
    stepRows: (alertId, step) => s.stepRows.all(alertId, step) as OutboxRow[],
    callOf: (alertId, phone) => s.callOf.get(alertId, phone) as OutboxRow | undefined,
    newestAlertFor(phone, statuses, at) {
      const row = s.newestAlert.get({ phone, statuses: JSON.stringify(statuses), at }) as { id: number } | undefined;
      return row?.id ?? null;
    },
  };
}

const visitCols = `id, resident_id AS residentId, visitor, at, ended_at AS endedAt, purpose, notes, observations,
  recorded_by AS recordedBy, created_at AS createdAt, satisfaction`;
const problemCols = `id, visit_id AS visitId, resident_id AS residentId, description, category, urgency, responsible,
  deadline, status, opened_at AS openedAt, solved_at AS solvedAt, follow_up_visit_id AS followUpVisitId, satisfaction, subcategory, resolution`;

function visitFromRow(row: any): VisitRow {
  return { ...row, observations: JSON.parse(row.observations) };
}

export function visitsTable(db: Db): Sync<VisitsPort> {
  const s = {
    nextSeq: db.prepare(`INSERT INTO problem_seq (year, seq) VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET seq = seq + 1 RETURNING seq`),
    insertVisit: db.prepare(`INSERT INTO visits (resident_id, visitor, at, ended_at, purpose, notes, observations, recorded_by, created_at, satisfaction)
      VALUES (@residentId, @visitor, @at, @endedAt, @purpose, @notes, @observations, @recordedBy, @createdAt, @satisfaction)`),
    insertProblem: db.prepare(`INSERT INTO problems (id, visit_id, resident_id, description, category, subcategory, urgency, responsible, deadline, status, opened_at)
      VALUES (@id, @visitId, @residentId, @description, @category, @subcategory, @urgency, @responsible, @deadline, 'pending', @openedAt)`),
    getVisit: db.prepare(`SELECT ${visitCols} FROM visits WHERE id = ?`),
    visitsOf: db.prepare(`SELECT ${visitCols} FROM visits WHERE resident_id = @residentId
      AND (at < @at OR (at = @at AND id < @id)) ORDER BY at DESC, id DESC LIMIT @limit`),
    problemsOfVisits: db.prepare(`SELECT ${problemCols} FROM problems WHERE visit_id IN (SELECT value FROM json_each(?)) ORDER BY id`),
    problemsOf: db.prepare(`SELECT ${problemCols} FROM problems WHERE resident_id = ? ORDER BY opened_at DESC, id DESC`),
    getProblem: db.prepare(`SELECT ${problemCols} FROM problems WHERE id = ?`),
    startProblem: db.prepare(`UPDATE problems SET status = 'in_progress' WHERE id = ? AND status = 'pending'`),
    updateProblem: db.prepare(`UPDATE problems SET status = @status, solved_at = @solvedAt, follow_up_visit_id = @followUpVisitId,
      satisfaction = @satisfaction, responsible = @responsible, resolution = @resolution WHERE id = @id`),
    overdueProblems: db.prepare(`SELECT id, resident_id AS residentId, urgency, deadline FROM problems WHERE status != 'solved' AND deadline < ? ORDER BY deadline, id`),
    lastVisits: db.prepare(`SELECT resident_id AS residentId, MAX(at) AS at FROM visits WHERE at <= ? GROUP BY resident_id`),
    // the period report (casefile/reports.ts)
    visits: db.prepare(`SELECT COUNT(*) AS visits, COUNT(DISTINCT resident_id) AS residentsVisited FROM visits WHERE at >= ? AND at < ?`),
    opened: db.prepare(`SELECT COUNT(*) AS n FROM problems WHERE opened_at >= ? AND opened_at < ?`),
    solved: db.prepare(`SELECT COUNT(*) AS n FROM problems WHERE solved_at >= ? AND solved_at < ?`),
    overdue: db.prepare(`SELECT COUNT(*) AS n FROM problems WHERE opened_at < @cut AND deadline < @cut AND (solved_at IS NULL OR solved_at > @cut)`),
    due: db.prepare(`SELECT COUNT(*) AS due, COALESCE(SUM(solved_at IS NOT NULL AND solved_at <= deadline), 0) AS onTime
      FROM problems WHERE deadline >= ? AND deadline < ?`),
  };
  return {
    nextProblemSeq: (year) => (s.nextSeq.get(year) as { seq: number }).seq,
    startProblem: (id) => s.startProblem.run(id).changes === 1,
    insertVisit: (v) => Number(s.insertVisit.run({ satisfaction: null, ...v, observations: JSON.stringify(v.observations) }).lastInsertRowid),
    getVisit: (id) => {
      const row = s.getVisit.get(id);
      return row ? visitFromRow(row) : undefined;
    },
    visitsOf: (residentId, limit, beforeAt = 8.64e15, beforeId = 0) =>
      s.visitsOf.all({ residentId, limit, at: beforeAt, id: beforeId }).map(visitFromRow),
    lastVisits: (now) => new Map((s.lastVisits.all(now) as Array<{ residentId: string; at: number }>).map((r) => [r.residentId, r.at])),
    insertProblem: (p) => { s.insertProblem.run({ subcategory: null, ...p }); },
    getProblem: (id) => s.getProblem.get(id) as ProblemRow | undefined,
    problemsOfVisits: (visitIds) => s.problemsOfVisits.all(JSON.stringify(visitIds)) as ProblemRow[],
    problemsOf: (residentId) => s.problemsOf.all(residentId) as ProblemRow[],
    updateProblem: (p) => { s.updateProblem.run({ ...p, resolution: p.resolution ?? null }); },
    overdueProblems: (now) => byResident(s.overdueProblems.all(now) as OverdueProblem[]),
    periodFigures(start, end, cut): PeriodFigures {
      const v = s.visits.get(start, end) as { visits: number; residentsVisited: number };
      const due = s.due.get(start, cut) as { due: number; onTime: number };
      return {
        visits: v.visits, residentsVisited: v.residentsVisited,
        problemsOpened: (s.opened.get(start, end) as { n: number }).n,
        problemsSolved: (s.solved.get(start, end) as { n: number }).n,
        problemsOverdue: (s.overdue.get({ cut }) as { n: number }).n,
        problemsDue: due.due, problemsOnTime: due.onTime,
      };
    },
  };
}

export function auditTable(db: Db): Sync<AuditPort> {
  const add = db.prepare(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`);
  const page = db.prepare(`SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`);
  return {
    add: (at, actor, action, target, detail = {}) => { add.run(at, actor, action, target, JSON.stringify(detail)); },
    page: (limit, beforeId = Number.MAX_SAFE_INTEGER) =>
      (page.all(beforeId, limit) as Array<{ id: number; at: number; actor: string; action: string; target: string; detail: string }>)
        .map((r) => ({ ...r, at: new Date(r.at).toISOString(), detail: JSON.parse(r.detail) as Record<string, unknown> })),
  };
}

const processCols = `id, site, host, pid, started_at AS startedAt, heartbeat_at AS heartbeatAt`;
/** a process silent this long is no longer listed anywhere: its row goes */
export const PROCESS_ROW_TTL_MS = 24 * 3_600_000;

export function siteTable(db: Db): Sync<SitePort> {
  const s = {
    beat: db.prepare(`INSERT INTO gateway_processes (id, site, host, pid, started_at, heartbeat_at) VALUES (@id, @site, @host, @pid, @startedAt, @at)
      ON CONFLICT (id) DO UPDATE SET heartbeat_at = MAX(heartbeat_at, excluded.heartbeat_at)`),
    prune: db.prepare(`DELETE FROM gateway_processes WHERE heartbeat_at < ?`),
    alive: db.prepare(`SELECT ${processCols} FROM gateway_processes WHERE site = ? AND heartbeat_at >= ? ORDER BY started_at, id`),
    forget: db.prepare(`DELETE FROM gateway_processes WHERE id = ?`),
    escalations: db.prepare(`SELECT COUNT(*) AS n, MIN(escalation_due) AS oldest FROM alerts
      WHERE status = 'open' AND escalation_due IS NOT NULL AND escalation_due < ?`),
    outbox: db.prepare(`SELECT COUNT(*) AS n, MIN(next_attempt_at) AS oldest FROM outbox WHERE status IN ${OPEN} AND next_attempt_at < ?`),
    timers: db.prepare(`SELECT COUNT(*) AS n, MIN(due_at) AS oldest FROM rule_timers t WHERE due_at < ?
      AND EXISTS (SELECT 1 FROM residents r WHERE r.id = t.resident_id)`),
  };
  const beat = db.transaction((p: Omit<ProcessRow, 'heartbeatAt'>, at: number) => {
    s.beat.run({ ...p, at });
    s.prune.run(at - PROCESS_ROW_TTL_MS);
  });
  return {
    heartbeat: (p, at) => { beat(p, at); },
    alive: (site, since) => s.alive.all(site, since) as ProcessRow[],
    forget: (id) => { s.forget.run(id); },
    overdue(cut) {
      const e = s.escalations.get(cut) as { n: number; oldest: number | null };
      const o = s.outbox.get(cut) as { n: number; oldest: number | null };
      const t = s.timers.get(cut) as { n: number; oldest: number | null };
      const oldest = [e.oldest, o.oldest, t.oldest].filter((x): x is number => x !== null);
      return { escalations: e.n, outbox: o.n, timers: t.n, oldestDueAt: oldest.length ? Math.min(...oldest) : null };
    },
  };
}

export function inboundTable(db: Db): Sync<InboundPort> {
  const remember = db.prepare('INSERT INTO inbound_messages (sid, at) VALUES (?, ?) ON CONFLICT (sid) DO NOTHING');
  return { firstTime: (sid, at) => remember.run(sid, at).changes === 1 };
}

export function usersTable(db: Db): Sync<UsersPort> {
  return userRepository(db);
}

export function idempotencyTable(db: Db): Sync<IdempotencyPort> {
  const remembered = db.prepare(`SELECT status, body FROM idempotency WHERE actor = ? AND key = ? AND route = ?`);
  const remember = db.prepare(`INSERT INTO idempotency (actor, key, route, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (actor, key) DO NOTHING`);
  const forget = db.prepare(`DELETE FROM idempotency WHERE created_at < ?`);
  return {
    remembered: (actor, key, route) => remembered.get(actor, key, route) as { status: number; body: string } | undefined,
    remember: (actor, key, route, status, body, now) => { remember.run(actor, key, route, status, body, now); },
    forgetBefore: (at) => { forget.run(at); },
  };
}

const referralCols = `id, problem_id AS problemId, department, note, referred_at AS referredAt, referred_by AS referredBy,
  taken_by AS takenBy, taken_at AS takenAt, answer, answered_at AS answeredAt`;

export function referralsTable(db: Db): Sync<ReferralsPort> {
  const s = {
    insert: db.prepare(`INSERT INTO referrals (problem_id, department, note, referred_at, referred_by) VALUES (?, ?, ?, ?, ?)`),
    get: db.prepare(`SELECT ${referralCols} FROM referrals WHERE id = ?`),
    of: db.prepare(`SELECT ${referralCols} FROM referrals WHERE problem_id = ? ORDER BY referred_at, id`),
    update: db.prepare(`UPDATE referrals SET taken_by = @takenBy, taken_at = @takenAt, answer = @answer, answered_at = @answeredAt WHERE id = @id`),
  };
  return {
    insert: (r) => Number(s.insert.run(r.problemId, r.department, r.note, r.referredAt, r.referredBy).lastInsertRowid),
    get: (id) => s.get.get(id) as ReferralRow | undefined,
    of: (problemId) => s.of.all(problemId) as ReferralRow[],
    update: (r) => s.update.run({ id: r.id, takenBy: r.takenBy, takenAt: r.takenAt, answer: r.answer, answeredAt: r.answeredAt }).changes === 1,
  };
}

const photoCols = `id, resident_id AS residentId, visit_id AS visitId, problem_id AS problemId, width, height, bytes, created_at AS createdAt, created_by AS createdBy`;

export function photosTable(db: Db): Sync<PhotosPort> {
  const s = {
    insert: db.prepare(`INSERT INTO photos (id, resident_id, visit_id, problem_id, width, height, bytes, created_at, created_by)
      VALUES (@id, @residentId, @visitId, @problemId, @width, @height, @bytes, @createdAt, @createdBy)`),
    get: db.prepare(`SELECT ${photoCols} FROM photos WHERE id = ?`),
    ofVisit: db.prepare(`SELECT ${photoCols} FROM photos WHERE visit_id = ? ORDER BY created_at, id`),
    ofProblem: db.prepare(`SELECT ${photoCols} FROM photos WHERE problem_id = ? ORDER BY created_at, id`),
    delete: db.prepare(`DELETE FROM photos WHERE id = ?`),
    ids: db.prepare(`SELECT id FROM photos`).pluck(),
  };
  return {
    insert: (p) => { s.insert.run(p); },
    get: (id) => s.get.get(id) as PhotoRow | undefined,
    ofVisit: (visitId) => s.ofVisit.all(visitId) as PhotoRow[],
    ofProblem: (problemId) => s.ofProblem.all(problemId) as PhotoRow[],
    delete: (id) => s.delete.run(id).changes === 1,
    ids: () => s.ids.all() as string[],
  };
}

export function absencesTable(db: Db): Sync<AbsencesPort> {
  return absenceRepository(db);
}

// ---- the events the rules have still to judge (inbox) ----------------------------------------

export function inboxTable(db: Db): Sync<import('../ports.ts').InboxPort> {
  const take = db.prepare(`SELECT event_id AS id FROM event_inbox WHERE resident_id = ? AND event_id > ? ORDER BY event_id LIMIT ?`).pluck();
  // one statement for a save's many ids (a group that decided nothing is saved within 5 s)
  const remove = db.prepare(`DELETE FROM event_inbox WHERE resident_id = ? AND event_id IN (SELECT value FROM json_each(?))`);
  const residents = db.prepare(`SELECT DISTINCT resident_id FROM event_inbox ORDER BY resident_id`).pluck();
  const leftBefore = db.prepare(`SELECT DISTINCT i.resident_id FROM event_inbox i JOIN events e ON e.id = i.event_id WHERE e.at < ? ORDER BY i.resident_id`).pluck();
  return {
    take: (residentId, limit, afterId = 0) => take.all(residentId, afterId, limit) as number[],
    remove: (residentId, eventIds) => { if (eventIds.length) remove.run(residentId, JSON.stringify(eventIds)); },
    residents: (storedBefore) => (storedBefore === undefined ? residents.all() : leftBefore.all(storedBefore)) as string[],
  };
}

// ---- the rules' timers (rule_timers) ---------------------------------------------------------

const timerCols = `resident_id AS residentId, due_at AS dueAt, version, claimed_by AS claimedBy, claim_until AS claimUntil`;

export function ruleTimersTable(db: Db): Sync<import('../ports.ts').RuleTimersPort> {
  type Row = import('../ports.ts').RuleTimerRow;
  const s = {
    set: db.prepare(`INSERT INTO rule_timers (resident_id, due_at, version, claimed_by, claim_until) VALUES (?, ?, ?, NULL, NULL)
      ON CONFLICT (resident_id) DO UPDATE SET due_at = excluded.due_at, version = excluded.version, claimed_by = NULL, claim_until = NULL`),
    clear: db.prepare(`DELETE FROM rule_timers WHERE resident_id = ?`),
    get: db.prepare(`SELECT ${timerCols} FROM rule_timers WHERE resident_id = ?`),
    // one connection, one unit of work at a time: the statement is the claim
    claim: db.prepare(`UPDATE rule_timers SET claimed_by = @by, claim_until = @until WHERE resident_id IN (
        SELECT t.resident_id FROM rule_timers t WHERE t.due_at <= @now AND (t.claim_until IS NULL OR t.claim_until <= @now)
          AND EXISTS (SELECT 1 FROM residents r WHERE r.id = t.resident_id)
        ORDER BY t.due_at, t.resident_id LIMIT @limit)
      RETURNING ${timerCols}`),
    next: db.prepare(`SELECT MIN(MAX(due_at, COALESCE(claim_until, due_at))) FROM rule_timers t
      WHERE EXISTS (SELECT 1 FROM residents r WHERE r.id = t.resident_id)`).pluck(),
  };
  return {
    set: (residentId, dueAt, version) => { if (dueAt === null) s.clear.run(residentId); else s.set.run(residentId, dueAt, version); },
    get: (residentId) => s.get.get(residentId) as Row | undefined,
    claimDue: (now, by, leaseUntil, limit = 50) => (s.claim.all({ now, by, until: leaseUntil, limit }) as Row[])
      .sort((a, b) => a.dueAt - b.dueAt || (a.residentId < b.residentId ? -1 : 1)),
    nextDue: () => (s.next.get() as number | null) ?? null,
  };
}

// ---- the rest of the casefile: reports, warnings, reminders, profiles, appointments, rounds ----

/** the rows of the area's residents only (@area NULL: everyone's) */
const OF_AREA = `(@area IS NULL OR resident_id IN (SELECT id FROM residents WHERE area = @area))`;
const WEEK_MS = 7 * 86_400_000;

export function casefileReportsTable(db: Db): Sync<CasefileReportsPort> {
  const s = {
    visits: db.prepare(`SELECT COUNT(*) AS visits, COUNT(DISTINCT resident_id) AS residentsVisited FROM visits WHERE at >= @start AND at < @end AND ${OF_AREA}`),
    residents: db.prepare(`SELECT COUNT(*) AS n FROM residents WHERE @area IS NULL OR area = @area`),
    opened: db.prepare(`SELECT COUNT(*) AS n FROM problems WHERE opened_at >= @start AND opened_at < @end AND ${OF_AREA}`),
    solved: db.prepare(`SELECT COUNT(*) AS n FROM problems WHERE solved_at >= @start AND solved_at < @end AND ${OF_AREA}`),
    overdue: db.prepare(`SELECT COUNT(*) AS n FROM problems WHERE opened_at < @cut AND deadline < @cut
      AND (solved_at IS NULL OR solved_at > @cut) AND ${OF_AREA}`),
    due: db.prepare(`SELECT COUNT(*) AS due, COALESCE(SUM(solved_at IS NOT NULL AND solved_at <= deadline), 0) AS onTime
      FROM problems WHERE deadline >= @start AND deadline < @end AND ${OF_AREA}`),
    alerts: db.prepare(`SELECT opened_at AS openedAt, acknowledged_at AS acknowledgedAt, resolved_at AS resolvedAt, resolved_by AS resolvedBy
      FROM alerts WHERE opened_at >= @start AND opened_at < @end AND ${OF_AREA}`),
    residentAreas: db.prepare(`SELECT id, area, created_at AS createdAt FROM residents WHERE @area IS NULL OR area = @area`),
    dated: {
      visits: db.prepare(`SELECT at, resident_id AS residentId FROM visits WHERE at >= @start AND at < @end AND ${OF_AREA}`),
      opened: db.prepare(`SELECT opened_at AS at, resident_id AS residentId FROM problems WHERE opened_at >= @start AND opened_at < @end AND ${OF_AREA}`),
      solved: db.prepare(`SELECT solved_at AS at, resident_id AS residentId FROM problems WHERE solved_at >= @start AND solved_at < @end AND ${OF_AREA}`),
      alerts: db.prepare(`SELECT opened_at AS at, resident_id AS residentId FROM alerts WHERE opened_at >= @start AND opened_at < @end AND ${OF_AREA}`),
    },
    overdueAt: db.prepare(`SELECT resident_id FROM problems WHERE opened_at < @cut AND deadline < @cut AND (solved_at IS NULL OR solved_at > @cut) AND ${OF_AREA}`).pluck(),
    ratings: db.prepare(`
      SELECT p.solved_at AS at, p.satisfaction AS rating FROM problems p JOIN residents r ON r.id = p.resident_id
        WHERE p.status = 'solved' AND p.satisfaction IS NOT NULL AND p.solved_at IS NOT NULL
          AND (@residentId IS NULL OR p.resident_id = @residentId) AND (@area IS NULL OR r.area = @area) AND p.solved_at <= @now
      UNION ALL
      SELECT v.at AS at, v.satisfaction AS rating FROM visits v JOIN residents r ON r.id = v.resident_id
        WHERE v.satisfaction IS NOT NULL
          AND (@residentId IS NULL OR v.resident_id = @residentId) AND (@area IS NULL OR r.area = @area) AND v.at <= @now`),
    openProblems: db.prepare(`SELECT id, resident_id AS residentId, description, category, subcategory, urgency, responsible, deadline, status
      FROM problems WHERE status != 'solved' AND deadline < ? ORDER BY deadline, id`),
    clusters: db.prepare(`SELECT r.area AS area, p.category AS category, COUNT(*) AS n, GROUP_CONCAT(p.id) AS ids,
      COUNT(DISTINCT p.resident_id) AS residents FROM problems p JOIN residents r ON r.id = p.resident_id
      WHERE p.opened_at >= ? AND p.opened_at <= ? AND r.area IS NOT NULL GROUP BY r.area, p.category HAVING COUNT(*) >= ? ORDER BY n DESC, r.area, p.category`),
    weekly: db.prepare(`SELECT resident_id AS residentId, CAST((@now - at) / ${WEEK_MS} AS INTEGER) AS week, COUNT(*) AS n FROM events
      WHERE at > @from AND at <= @now AND ${ACTIVITY} GROUP BY resident_id, week ORDER BY resident_id, week`),
  };
  const n = (stmt: { get(p: unknown): unknown }, p: unknown) => (stmt.get(p) as { n: number }).n;
  return {
    periodFigures(start, end, cut, area) {
      const v = s.visits.get({ start, end, area }) as { visits: number; residentsVisited: number };
      const due = s.due.get({ start, end: cut, area }) as { due: number; onTime: number };
      return {
        visits: v.visits, residentsVisited: v.residentsVisited, residents: n(s.residents, { area }),
        problemsOpened: n(s.opened, { start, end, area }), problemsSolved: n(s.solved, { start, end, area }),
        problemsOverdue: n(s.overdue, { cut, area }), problemsDue: due.due, problemsOnTime: due.onTime,
      };
    },
    alertsOpened: (start, end, area) => s.alerts.all({ start, end, area }) as AnsweredAlertRow[],
    residentAreas: (area) => s.residentAreas.all({ area }) as Array<{ id: string; area: string | null; createdAt: number }>,
    datedRows: (what, start, end, area) => s.dated[what].all({ start, end, area }) as DatedRow[],
    overdueAt: (cut, area) => s.overdueAt.all({ cut, area }) as string[],
    ratings: (scope, now) => s.ratings.all({ residentId: scope.residentId, area: scope.area, now }) as Array<{ at: number; rating: number }>,
    openProblemsBefore: (before) => s.openProblems.all(before) as OpenProblemRow[],
    problemClusters: (from, to, min) => (s.clusters.all(from, to, min) as Array<Omit<ProblemCluster, 'ids'> & { ids: string }>)
      .map((c) => ({ ...c, ids: c.ids.split(',').sort() })),
    weeklyActivity: (from, now) => s.weekly.all({ from, now }) as Array<{ residentId: string; week: number; n: number }>,
  };
}

const appointmentCols = `id, resident_id AS residentId, date, time, kind, place, note, created_by AS createdBy, created_at AS createdAt`;

export function profilesTable(db: Db): Sync<ProfilesPort> {
  const s = {
    get: db.prepare(`SELECT category, household, health, difficulties, notes, updated_at AS updatedAt, updated_by AS updatedBy
      FROM resident_profiles WHERE resident_id = ?`),
    put: db.prepare(`INSERT INTO resident_profiles (resident_id, category, household, health, difficulties, notes, updated_at, updated_by)
      VALUES (@residentId, @category, @household, @health, @difficulties, @notes, @updatedAt, @updatedBy)
      ON CONFLICT(resident_id) DO UPDATE SET category = excluded.category, household = excluded.household, health = excluded.health,
        difficulties = excluded.difficulties, notes = excluded.notes, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    categories: db.prepare(`SELECT resident_id AS residentId, category FROM resident_profiles WHERE category IS NOT NULL`),
    insertAppointment: db.prepare(`INSERT INTO appointments (resident_id, date, time, kind, place, note, created_by, created_at)
      VALUES (@residentId, @date, @time, @kind, @place, @note, @createdBy, @createdAt)`),
    appointment: db.prepare(`SELECT ${appointmentCols} FROM appointments WHERE id = ?`),
    appointmentsOf: db.prepare(`SELECT ${appointmentCols} FROM appointments WHERE resident_id = ? AND date >= ? ORDER BY date, time, id`),
    appointmentsIn: db.prepare(`SELECT ${appointmentCols} FROM appointments WHERE date >= ? AND date <= ? ORDER BY date, time, id`),
    deleteAppointment: db.prepare(`DELETE FROM appointments WHERE id = ?`),
  };
  return {
    get: (residentId) => s.get.get(residentId) as ProfileRow | undefined,
    put: (residentId, p) => { s.put.run({ residentId, ...p }); },
    categories: () => new Map((s.categories.all() as Array<{ residentId: string; category: string }>).map((r) => [r.residentId, r.category])),
    insertAppointment: (a) => Number(s.insertAppointment.run(a).lastInsertRowid),
    appointment: (id) => s.appointment.get(id) as AppointmentRow | undefined,
    appointmentsOf: (residentId, fromDate) => s.appointmentsOf.all(residentId, fromDate) as AppointmentRow[],
    appointmentsIn: (from, to) => s.appointmentsIn.all(from, to) as AppointmentRow[],
    deleteAppointment: (id) => s.deleteAppointment.run(id).changes === 1,
  };
}

const roundCols = `id, date, area, created_by AS createdBy, created_at AS createdAt`;
const doorCols = `resident_id AS residentId, status, visit_id AS visitId, checklist, note, at, by`;
const doorFromRow = (row: any): RoundDoorRow => ({ ...row, checklist: JSON.parse(row.checklist) });

export function roundsTable(db: Db): Sync<RoundsPort> {
  const s = {
    insert: db.prepare(`INSERT INTO rounds (date, area, created_by, created_at) VALUES (?, ?, ?, ?)`),
    insertDoor: db.prepare(`INSERT INTO round_doors (round_id, resident_id) VALUES (?, ?)`),
    get: db.prepare(`SELECT ${roundCols} FROM rounds WHERE id = ?`),
    find: db.prepare(`SELECT id FROM rounds WHERE date = ? AND area IS ? ORDER BY id LIMIT 1`).pluck(),
    list: db.prepare(`SELECT ${roundCols} FROM rounds WHERE date >= ? AND date <= ? ORDER BY date DESC, id DESC`),
    doors: db.prepare(`SELECT ${doorCols} FROM round_doors WHERE round_id = ?`),
    door: db.prepare(`SELECT ${doorCols} FROM round_doors WHERE round_id = ? AND resident_id = ?`),
    updateDoor: db.prepare(`UPDATE round_doors SET status = @status, visit_id = @visitId, checklist = @checklist, note = @note, at = @at, by = @by
      WHERE round_id = @roundId AND resident_id = @residentId`),
  };
  const insert = db.transaction((r: Omit<RoundRow, 'id'>, residentIds: string[]) => {
    const id = Number(s.insert.run(r.date, r.area, r.createdBy, r.createdAt).lastInsertRowid);
    for (const residentId of residentIds) s.insertDoor.run(id, residentId);
    return id;
  });
  return {
    insert: (r, residentIds) => insert(r, residentIds),
    get: (id) => s.get.get(id) as RoundRow | undefined,
    find: (date, area) => s.find.get(date, area) as number | undefined,
    list: (from, to) => s.list.all(from, to) as RoundRow[],
    doors: (roundId) => s.doors.all(roundId).map(doorFromRow),
    door: (roundId, residentId) => {
      const row = s.door.get(roundId, residentId);
      return row ? doorFromRow(row) : undefined;
    },
    updateDoor: (roundId, d) => s.updateDoor.run({ roundId, ...d, checklist: JSON.stringify(d.checklist) }).changes === 1,
  };
}
