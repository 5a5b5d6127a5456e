// The store boundary: every table behind an async port, and a unit of work `tx(fn)`. Two
// engines implement it (sqlite/ embedded, postgres/ for a site of several machines) and one
// contract suite (test/store/contract.ts) says what any engine must do. Callers import these
// types, never better-sqlite3 or pg, and never write SQL.
//
// Rows are the domain's own shapes: times are milliseconds since the epoch, JSON columns are
// parsed objects, booleans are booleans, ids are numbers (a PostgreSQL BIGINT id or time is
// below 2^53). Every method is safe to call outside a transaction (it then commits on its own);
// a multi-row method (seedFromConfig, replaceContacts, cancelPending, ...) is atomic either way.
import type { AlertKind, AlertStatus, ContactRole, DeviceEvent, DeviceKind, DeviceRoom } from '../domain/types.ts';
import type { ResidentConfig } from '../config/index.ts';
import type { AlertRow } from './alerts.ts';
import type { ContactRow, DeviceRow, ResidentRow } from './residents.ts';
import type { AppendDone, MqttOrigin } from './events.ts';
import type { TimelinePage, TimelineQuery } from './timeline.ts';
import type { SessionRow, UserRole, UserRow } from './users.ts';
import type { AbsenceRow } from './absences.ts';

export type { AlertRow, ContactRow, DeviceRow, ResidentRow, MqttOrigin, TimelinePage, TimelineQuery, SessionRow, UserRole, UserRow, AbsenceRow };

export type Engine = 'sqlite' | 'postgres';

// ---- residents, contacts, devices ----------------------------------------------------------

export type NewResident = Omit<ResidentRow, 'source' | 'area' | 'birthday'> & Partial<Pick<ResidentRow, 'area' | 'birthday'>> & { source?: 'config' | 'api' };
export type NewContact = Omit<ContactRow, 'id' | 'residentId'>;
/** emergencyActions and idFields not given: an existing device keeps what it has */
export type NewDevice = Omit<DeviceRow, 'availability' | 'lastSeen' | 'battery' | 'name' | 'room' | 'emergencyActions' | 'idFields'>
  & Partial<Pick<DeviceRow, 'name' | 'room' | 'emergencyActions' | 'idFields'>>;

export interface ResidentsPort {
  /** config residents seed the store on every start; an API-owned resident (source 'api') is left alone */
  seedFromConfig(residents: ResidentConfig[], siteTimezone: string, now: number): Promise<void>;
  upsertResident(r: NewResident, now: number): Promise<void>;
  /** the resident becomes the API's: the config file no longer overwrites it */
  markApi(residentId: string, now: number): Promise<void>;
  /** contacts, devices and visits go with it (problems with their visits) */
  deleteResident(residentId: string): Promise<boolean>;
  listResidents(): Promise<ResidentRow[]>;
  getResident(id: string): Promise<ResidentRow | undefined>;
  countResidents(): Promise<number>;
  replaceContacts(residentId: string, contacts: NewContact[]): Promise<void>;
  /** appended after the resident's other contacts; its new id */
  addContact(residentId: string, contact: NewContact): Promise<number>;
  updateContact(id: number, contact: NewContact): Promise<boolean>;
  deleteContact(id: number): Promise<boolean>;
  contactsOf(residentId: string): Promise<ContactRow[]>;
  contactsByPhone(phone: string): Promise<ContactRow[]>;
  getContact(id: number): Promise<ContactRow | undefined>;
  /** throws StoreConflict when a zigbee2mqtt / rflink / jsonl key is another device's */
  upsertDevice(d: NewDevice): Promise<void>;
  deleteDevice(id: string): Promise<boolean>;
  listDevices(): Promise<DeviceRow[]>;
  devicesOf(residentId: string): Promise<DeviceRow[]>;
  getDevice(id: string): Promise<DeviceRow | undefined>;
  /** a device's stored secret hash re-hashed (stronger parameters) only while it is still `previous`; false when it was not */
  upgradeSecretHash(id: string, previous: string, next: string): Promise<boolean>;
}

// ---- device events -------------------------------------------------------------------------

export interface EventsPort {
  /** committed events after `id`, oldest first (what the rules core has not seen yet) */
  after(id: number, limit?: number): Promise<DeviceEvent[]>;
  get(id: number): Promise<DeviceEvent | undefined>;
  /** the events of these ids that are stored, in id order, in one read (a removed device's are gone) */
  getMany(ids: readonly number[]): Promise<DeviceEvent[]>;
  maxId(): Promise<number>;
  /** activity counts of a resident per 15-minute bucket (bucket = floor(at / 900000)) in [from, to) */
  activityBuckets(residentId: string, from: number, to: number): Promise<Array<{ bucket: number; n: number }>>;
  activityCount(residentId: string, from: number, to: number): Promise<number>;
}

/**
 * Ingest: each append joins the next group commit. The promise resolves with the stored id only
 * after the transaction holding it has committed (so the broker may PUBACK then, never sooner);
 * a negative id: a resend (DUP) of the stored event -id, nothing new written.
 */
export interface Ingest {
  append(event: DeviceEvent, origin?: MqttOrigin): Promise<number>;
  /**
   * The same, callback-style, for an engine that can answer without a promise a message (SQLite:
   * `done` runs from the group commit itself): `done(null, id)` only after the commit, `done(err)`
   * for every event of a group that failed. Optional: without it, callers adapt `append`.
   */
  appendThen?(event: DeviceEvent, origin: MqttOrigin | undefined, done: AppendDone): void;
  /** null when commits succeed; else the last error (re-checked on each call) */
  lastError(): Promise<Error | null>;
  /** told once when commits start failing and once when they succeed again */
  onHealthChange(fn: (error: Error | null) => void): void;
  /** told after each group commit how long its transaction took and how many events it held */
  onCommit(fn: (seconds: number, events: number) => void): void;
  stats(): IngestStats;
}

export interface IngestStats {
  /** events appended (committed or not) */
  appended: number;
  /** group transactions committed */
  commits: number;
  /** the largest group committed so far */
  largestGroup: number;
  /** groups rolled back by one report's data the database refused, then committed report by report (PostgreSQL) */
  split?: number;
}

// ---- casefile timeline ---------------------------------------------------------------------

export interface TimelinePort {
  add(residentId: string, at: number, type: string, data: Record<string, unknown>): Promise<number>;
  page(residentId: string, query: TimelineQuery): Promise<TimelinePage>;
}

// ---- alerts --------------------------------------------------------------------------------

export interface NewAlert {
  residentId: string;
  kind: AlertKind;
  conditionKey: string;
  deviceId: string | null;
  openedAt: number;
  detail: Record<string, unknown>;
  escalationDue: number | null;
}

export interface AlertsPort {
  /** throws StoreConflict when the condition already has an alert not resolved */
  insert(a: NewAlert): Promise<number>;
  get(id: number): Promise<AlertRow | undefined>;
  ongoing(residentId: string, conditionKey: string): Promise<AlertRow | undefined>;
  list(status: AlertStatus | undefined, limit?: number): Promise<AlertRow[]>;
  ofResident(residentId: string, limit?: number): Promise<AlertRow[]>;
  unresolved(): Promise<AlertRow[]>;
  openCounts(): Promise<Map<string, number>>;
  /** true when this call moved the alert from open to acknowledged */
  acknowledge(id: number, by: string, at: number): Promise<boolean>;
  /** true when this call resolved it */
  resolve(id: number, by: string, at: number): Promise<boolean>;
  setDetail(id: number, detail: Record<string, unknown>): Promise<void>;
  setEscalation(id: number, step: number, due: number | null, unanswered?: boolean): Promise<void>;
  /** open alerts whose escalation is due at `now` */
  due(now: number): Promise<AlertRow[]>;
  nextDue(): Promise<number | null>;
  /**
   * Inside a unit of work: the open alerts whose escalation is due, each locked until commit and
   * skipped by any other process's claim meanwhile (PostgreSQL: FOR UPDATE SKIP LOCKED). So two
   * processes never fire the same step: whoever holds an alert moves its cursor before commit.
   */
  claimDue(now: number, limit?: number): Promise<AlertRow[]>;
  /** opened in [from, to): what the period report judges answer times on */
  openedBetween(from: number, to: number): Promise<Array<Pick<AlertRow, 'openedAt' | 'acknowledgedAt' | 'resolvedAt' | 'resolvedBy'>>>;
}

// ---- the rules core's state ----------------------------------------------------------------

/** `version` is bumped by every save (0: never saved): a copy in memory with another version is stale */
export interface RuleStateRow { state: unknown; lastEventId: number; version: number }

export interface RuleStatePort {
  get(residentId: string): Promise<RuleStateRow | undefined>;
  /** writes the state and returns its new version (the previous one + 1) */
  save(residentId: string, state: unknown, lastEventId: number, now: number): Promise<number>;
  /**
   * Inside a transaction: takes the resident's decision lock until commit and returns the
   * state as stored, with its version (undefined: never saved, version 0). Two transactions
   * that lock one resident run one after the other, on any engine and across processes
   * (PostgreSQL: a row lock, SELECT ... FOR UPDATE).
   */
  lock(residentId: string): Promise<RuleStateRow | undefined>;
}

// ---- the events the rules have still to judge ------------------------------------------------

/**
 * Every event the ingest stores is put in its resident's inbox in the same transaction; the
 * rules' deciding unit of work, holding the resident's lock (ruleState.lock), takes the rows,
 * judges those events and removes them with the state it saves. So an event stored by one
 * process is judged by whichever process decides next for that home, even if the first dies
 * before judging it, and none is judged twice.
 */
export interface InboxPort {
  /** the resident's events waiting with an id above `afterId`, by id (oldest first), at most `limit` */
  take(residentId: string, limit: number, afterId?: number): Promise<number[]>;
  /** judged: gone from the inbox */
  remove(residentId: string, eventIds: readonly number[]): Promise<void>;
  /**
   * the residents with events waiting (the restart's catch-up drains each); with `storedBefore`,
   * only those with an event stored (its `at`) before then: left by a process that died
   */
  residents(storedBefore?: number): Promise<string[]>;
}

// ---- the rules' timers ----------------------------------------------------------------------

/**
 * A home's next due time as the rules core's saved state implies it (inactivity, night door, a
 * device silent or low on battery: whatever `nextDue` covers), with the state's version as its
 * token. The deciding unit of work writes it with the state it saves; a process of the site
 * claims due rows for a lease and judges the tick in a deciding unit of work, where a token no
 * longer the state's version is stale and dropped.
 */
export interface RuleTimerRow { residentId: string; dueAt: number; version: number; claimedBy: string | null; claimUntil: number | null }

export interface RuleTimersPort {
  /** the home's next due time for the state saved at `version` (null: nothing due: the row goes); any claim is cleared */
  set(residentId: string, dueAt: number | null, version: number): Promise<void>;
  get(residentId: string): Promise<RuleTimerRow | undefined>;
  /**
   * Takes rows due at `now` (of residents still stored) that no unexpired lease holds, earliest
   * first: each gets `claimedBy` and `claimUntil = leaseUntil` and is returned so. No row is handed
   * to two claimers while its lease runs (PostgreSQL: FOR UPDATE SKIP LOCKED); one whose claimer
   * died is claimable again once its lease has run out.
   */
  claimDue(now: number, by: string, leaseUntil: number, limit?: number): Promise<RuleTimerRow[]>;
  /** the earliest moment a row becomes claimable (its due time, or its lease's end if later), or null */
  nextDue(): Promise<number | null>;
}

// ---- the outbox ----------------------------------------------------------------------------

export type Channel = 'sms' | 'call';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'cancelled';

export interface OutboxRow {
  id: number;
  alertId: number | null;
  residentId: string;
  contactId: number | null;
  phone: string;
  channel: Channel;
  step: number | null;
  /** the text, or for a call its TwiML */
  body: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  providerId: string | null;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

/** what a caller enqueues: the row's own fields, and when */
export type NewMessage = Pick<OutboxRow, 'alertId' | 'residentId' | 'contactId' | 'phone' | 'channel' | 'step' | 'body'> & { at: number };

/** the SQL of notify/outbox.ts behind a port; see that file for the states and the step codes */
export interface OutboxPort {
  /** the new row's id, or null when this (alert, step, phone, channel) was already queued */
  enqueue(m: NewMessage): Promise<number | null>;
  get(id: number): Promise<OutboxRow | undefined>;
  byProviderId(sid: string): Promise<OutboxRow | undefined>;
  due(now: number, limit?: number): Promise<OutboxRow[]>;
  /**
   * Takes due rows for sending, atomically: each is marked 'sending' with next_attempt_at =
   * `leaseUntil` and returned as it was before (so a row already 'sending', whose sender died
   * before its lease ran out, shows as in doubt). No row is handed to two claimers; one whose
   * lease runs out without an answer is due again, to be looked up at the provider first.
   * One request per phone at a time, site-wide: a claim takes at most one row of a phone, and
   * none of a phone with another row under an unexpired lease, so a look-up in the provider's
   * message list never meets a text another process has sent but not yet recorded.
   */
  claimDue(now: number, leaseUntil: number, limit?: number): Promise<OutboxRow[]>;
  nextAttempt(): Promise<number | null>;
  markSending(id: number, lookUpAt: number): Promise<boolean>;
  /**
   * The sender is alive and its request still running: the row's lease now runs until `until`.
   * Only a row still 'sending' is touched (a row already sent, retried or cancelled is left as it
   * is); false when there was none. A sender that dies stops renewing, and the row is due again
   * (in doubt) once the last lease runs out.
   */
  renewLease(id: number, until: number): Promise<boolean>;
  markSent(id: number, providerId: string, at: number): Promise<void>;
  /** `doubt`: the request may have been carried out (last_error starts with IN_DOUBT) */
  markRetry(id: number, nextAt: number, error: string, doubt?: boolean): Promise<void>;
  markFailed(id: number, error: string): Promise<boolean>;
  markDelivery(id: number, status: OutboxStatus, error: string | null, providerId: string | null): Promise<boolean>;
  cancelPending(alertId: number): Promise<OutboxRow[]>;
  cancelSettled(): Promise<OutboxRow[]>;
  ofAlert(alertId: number): Promise<OutboxRow[]>;
  stepRows(alertId: number, step: number): Promise<OutboxRow[]>;
  callOf(alertId: number, phone: string): Promise<OutboxRow | undefined>;
  /**
   * The newest alert in one of `statuses` that `phone` was asked about ("Reply 1": an escalation
   * step or the unanswered notice) by a text or call queued at or before `at` that went out or
   * may have (sending, sent, delivered, or pending in doubt); never one still queued, failed or
   * cancelled, which the number never read.
   */
  newestAlertFor(phone: string, statuses: string[], at: number): Promise<number | null>;
}

/** the marker notify/outbox.ts puts before last_error of a row in doubt */
export const IN_DOUBT = 'in doubt: ';
/** outbox step code of the caseworkers' "nobody answered" notice (notify/outbox.ts) */
export const STEP_UNANSWERED = -2;

// ---- visits, problems, the WT counter -------------------------------------------------------

export type Urgency = 'high' | 'normal';
export type ProblemCategory = 'livelihood' | 'health' | 'social';
export type ProblemStatus = 'pending' | 'in_progress' | 'solved';

export interface VisitRow {
  id: number;
  residentId: string;
  visitor: string;
  at: number;
  endedAt: number | null;
  purpose: string;
  notes: string;
  observations: Record<string, string | undefined>;
  recordedBy: string;
  createdAt: number;
  /** the resident's satisfaction 1-5 asked on a follow-up visit, or null */
  satisfaction: number | null;
}

export interface ProblemRow {
  id: string;
  visitId: number;
  residentId: string;
  description: string;
  category: ProblemCategory;
  urgency: Urgency;
  responsible: string;
  deadline: number;
  status: ProblemStatus;
  openedAt: number;
  solvedAt: number | null;
  followUpVisitId: number | null;
  satisfaction: number | null;
  /** the handbook's sub-kind of the category, or null */
  subcategory: string | null;
  /** what was done to solve it */
  resolution: string | null;
}

export interface PeriodFigures {
  visits: number;
  residentsVisited: number;
  problemsOpened: number;
  problemsSolved: number;
  /** open at `cut` and past their deadline then */
  problemsOverdue: number;
  /** deadlines in [start, cut), and how many of those were solved by their deadline */
  problemsDue: number;
  problemsOnTime: number;
}

export interface VisitsPort {
  /** bumps and returns the year's problem counter: two visits never share a number */
  nextProblemSeq(year: number): Promise<number>;
  insertVisit(v: Omit<VisitRow, 'id' | 'satisfaction'> & { satisfaction?: number | null }): Promise<number>;
  getVisit(id: number): Promise<VisitRow | undefined>;
  /** newest first, strictly older than (beforeAt, beforeId) */
  visitsOf(residentId: string, limit: number, beforeAt?: number, beforeId?: number): Promise<VisitRow[]>;
  /** each resident's latest visit at or before `now` */
  lastVisits(now: number): Promise<Map<string, number>>;
  insertProblem(p: Omit<ProblemRow, 'status' | 'solvedAt' | 'followUpVisitId' | 'satisfaction' | 'subcategory' | 'resolution'> & { subcategory?: string | null }): Promise<void>;
  getProblem(id: string): Promise<ProblemRow | undefined>;
  problemsOfVisits(visitIds: number[]): Promise<ProblemRow[]>;
  problemsOf(residentId: string): Promise<ProblemRow[]>;
  /** `resolution` not given: none (null) */
  /** a pending problem is in progress (a referral started it); false when it was not pending */
  startProblem(id: string): Promise<boolean>;
  updateProblem(p: Pick<ProblemRow, 'id' | 'status' | 'solvedAt' | 'followUpVisitId' | 'satisfaction' | 'responsible'> & { resolution?: string | null }): Promise<void>;
  /** open problems past their deadline at `now`, by resident, oldest deadline first */
  overdueProblems(now: number): Promise<Map<string, Array<{ id: string; urgency: Urgency; deadline: number }>>>;
  /** the visits and problems side of GET /api/reports for [start, end), judged as of `cut` */
  periodFigures(start: number, end: number, cut: number): Promise<PeriodFigures>;
}

// ---- audit log -----------------------------------------------------------------------------

export interface AuditEntry { id: number; at: string; actor: string; action: string; target: string; detail: Record<string, unknown> }

export interface AuditPort {
  /** who changed what, when; `detail` never holds secrets */
  add(at: number, actor: string, action: string, target: string, detail?: Record<string, unknown>): Promise<void>;
  /** newest first, ids below `beforeId` */
  page(limit: number, beforeId?: number): Promise<AuditEntry[]>;
}

// ---- people who sign in, their sessions ----------------------------------------------------

export interface UsersPort {
  /** throws StoreConflict when the username or the display name is taken (either case) */
  create(u: { username: string; displayName: string; role: UserRole; passwordHash: string }, now: number): Promise<UserRow>;
  get(id: number): Promise<UserRow | undefined>;
  /** case does not matter */
  byUsername(username: string): Promise<UserRow | undefined>;
  /** case does not matter */
  byDisplayName(name: string): Promise<UserRow | undefined>;
  /** enabled first, then by display name */
  list(): Promise<UserRow[]>;
  update(u: UserRow, now: number): Promise<void>;
  signedIn(id: number, now: number): Promise<void>;
  activeAdmins(): Promise<number>;
  /** `tokenHash`: the SHA-256 of the cookie's value, never the value */
  createSession(tokenHash: Buffer, userId: number, csrf: string, now: number, expiresAt: number): Promise<void>;
  session(tokenHash: Buffer): Promise<SessionRow | undefined>;
  touch(tokenHash: Buffer, now: number): Promise<void>;
  deleteSession(tokenHash: Buffer): Promise<void>;
  deleteSessionsOf(userId: number): Promise<void>;
  deleteOtherSessions(userId: number, keep: Buffer): Promise<void>;
  /** sessions past their end, or unused since `idleBefore` */
  purge(now: number, idleBefore: number): Promise<void>;
}

// ---- answers kept for retried requests (Idempotency-Key) ----------------------------------

export interface IdempotencyPort {
  /** the answer given to (actor, key) on this route before, if any */
  remembered(actor: string, key: string, route: string): Promise<{ status: number; body: string } | undefined>;
  /** the first answer for (actor, key) stays: a second remember is ignored */
  remember(actor: string, key: string, route: string, status: number, body: string, now: number): Promise<void>;
  forgetBefore(at: number): Promise<void>;
}

// ---- planned absences ----------------------------------------------------------------------

export interface AbsencesPort {
  insert(a: Omit<AbsenceRow, 'id' | 'cancelledAt' | 'cancelledBy'>): Promise<number>;
  get(id: number): Promise<AbsenceRow | undefined>;
  /** not cancelled and not yet over at `now`, soonest first */
  current(residentId: string, now: number): Promise<AbsenceRow[]>;
  /** newest start first */
  recent(residentId: string, limit: number): Promise<AbsenceRow[]>;
  /** true when this call cancelled it */
  cancel(id: number, by: string, at: number): Promise<boolean>;
  /** the resident is back: the absence ends now (kept, not cancelled); true when it was still running */
  endNow(id: number, at: number): Promise<boolean>;
}

// ---- the site: its processes, and what is overdue -------------------------------------------

export interface ProcessRow { id: string; site: string; host: string; pid: number; startedAt: number; heartbeatAt: number }

/** what is overdue at a moment: work that has a due time and that no process has done */
export interface Overdue {
  /** open alerts whose next escalation step is due before the cut */
  escalations: number;
  /** texts and calls still to send (or in doubt) whose attempt was due before the cut */
  outbox: number;
  /** the rules' timers (rule_timers) due before the cut that no process has fired */
  timers: number;
  /** the oldest of them, or null */
  oldestDueAt: number | null;
}

export interface SitePort {
  /** this process is alive at `at` (its row written or refreshed); rows silent for a day are removed */
  heartbeat(p: Omit<ProcessRow, 'heartbeatAt'>, at: number): Promise<void>;
  /** the site's processes heard from at or after `since`, oldest started first */
  alive(site: string, since: number): Promise<ProcessRow[]>;
  /** a process that stops cleanly takes its row away */
  forget(id: string): Promise<void>;
  /** what should have happened before `cut` and has not */
  overdue(cut: number): Promise<Overdue>;
}

// ---- referrals of problems to departments --------------------------------------------------

export interface ReferralRow {
  id: number; problemId: string; department: string; note: string; referredAt: number; referredBy: string;
  takenBy: string | null; takenAt: number | null; answer: string | null; answeredAt: number | null;
}

export interface ReferralsPort {
  /** its new id */
  insert(r: Pick<ReferralRow, 'problemId' | 'department' | 'note' | 'referredAt' | 'referredBy'>): Promise<number>;
  get(id: number): Promise<ReferralRow | undefined>;
  /** a problem's referrals, oldest first */
  of(problemId: string): Promise<ReferralRow[]>;
  /** who at the department took it and when, its answer and when; false when there is no such referral */
  update(r: Pick<ReferralRow, 'id' | 'takenBy' | 'takenAt' | 'answer' | 'answeredAt'>): Promise<boolean>;
}

// ---- photos of visits and problems (the row; the file lives beside the database) ----------

export interface PhotoRow {
  id: string; residentId: string; visitId: number | null; problemId: string | null;
  width: number; height: number; bytes: number; createdAt: number; createdBy: string;
}

export interface PhotosPort {
  insert(p: PhotoRow): Promise<void>;
  get(id: string): Promise<PhotoRow | undefined>;
  /** oldest first */
  ofVisit(visitId: number): Promise<PhotoRow[]>;
  ofProblem(problemId: string): Promise<PhotoRow[]>;
  delete(id: string): Promise<boolean>;
  /** every photo's id (the start-up sweep of files whose row went) */
  ids(): Promise<string[]>;
}

// ---- inbound messages ----------------------------------------------------------------------

export interface InboundPort {
  /**
   * Remembers a provider message id (Twilio's MessageSid): true the first time it is seen, by
   * any process of the site, ever; false for a replay. Committed before the reply acts.
   */
  firstTime(sid: string, at: number): Promise<boolean>;
}

// ---- the casefile's reports, profiles, appointments, rounds (the rest of the casefile) ------
// (one block, kept apart from the ports above so that merges with other work stay easy)

/** `area` null: every resident; else only the residents of that area */
export type AreaFilter = string | null;

/** a row dated at a moment, of one resident (the report series counts them per day or week) */
export interface DatedRow { at: number; residentId: string }

export interface AnsweredAlertRow { openedAt: number; acknowledgedAt: number | null; resolvedAt: number | null; resolvedBy: string | null }

/** an open problem as reminders and warnings list it */
export interface OpenProblemRow {
  id: string; residentId: string; description: string; category: ProblemCategory; subcategory: string | null;
  urgency: Urgency; responsible: string; deadline: number; status: ProblemStatus;
}

export interface ProblemCluster { area: string; category: ProblemCategory; n: number; residents: number; ids: string[] }

export interface CasefileReportsPort {
  /** GET /api/reports's figures for [start, end) judged as of `cut`, and how many residents (of the area) there are */
  periodFigures(start: number, end: number, cut: number, area: AreaFilter): Promise<PeriodFigures & { residents: number }>;
  /** alerts opened in [start, end) of the area's residents (a deleted resident's alert: only when area is null) */
  alertsOpened(start: number, end: number, area: AreaFilter): Promise<AnsweredAlertRow[]>;
  /** the residents (of the area) with their area */
  residentAreas(area: AreaFilter): Promise<Array<{ id: string; area: string | null; createdAt: number }>>;
  /** visits, problems opened, problems solved, alerts opened in [start, end) of the area's residents */
  datedRows(what: 'visits' | 'opened' | 'solved' | 'alerts', start: number, end: number, area: AreaFilter): Promise<DatedRow[]>;
  /** the resident of each problem open at `cut` and past its deadline then */
  overdueAt(cut: number, area: AreaFilter): Promise<string[]>;
  /** satisfaction ratings given at or before `now`: a problem's when it was solved, a visit's when it took place */
  ratings(scope: { residentId: string | null; area: AreaFilter }, now: number): Promise<Array<{ at: number; rating: number }>>;
  /** problems not solved whose deadline is before `before`, by deadline */
  openProblemsBefore(before: number): Promise<OpenProblemRow[]>;
  /** areas where at least `min` problems of one category were opened in [from, to], most first */
  problemClusters(from: number, to: number, min: number): Promise<ProblemCluster[]>;
  /**
   * activity (as events.activityBuckets counts it) of every resident per week counted back
   * from `now`: week 0 is (now - 7 days, now], only events after `from`
   */
  weeklyActivity(from: number, now: number): Promise<Array<{ residentId: string; week: number; n: number }>>;
}

export interface ProfileRow {
  category: string | null; household: string; health: string; difficulties: string; notes: string;
  updatedAt: number | null; updatedBy: string | null;
}

export interface AppointmentRow {
  id: number; residentId: string; date: string; time: string | null; kind: string; place: string; note: string; createdBy: string; createdAt: number;
}

export interface ProfilesPort {
  get(residentId: string): Promise<ProfileRow | undefined>;
  /** the whole profile written (inserted or replaced) */
  put(residentId: string, p: Omit<ProfileRow, 'updatedAt' | 'updatedBy'> & { updatedAt: number; updatedBy: string }): Promise<void>;
  /** each resident's category, where one is set */
  categories(): Promise<Map<string, string>>;
  insertAppointment(a: Omit<AppointmentRow, 'id'>): Promise<number>;
  appointment(id: number): Promise<AppointmentRow | undefined>;
  /** a resident's, from `fromDate` on, by date and time */
  appointmentsOf(residentId: string, fromDate: string): Promise<AppointmentRow[]>;
  /** everyone's on dates from..to, by date and time */
  appointmentsIn(from: string, to: string): Promise<AppointmentRow[]>;
  deleteAppointment(id: number): Promise<boolean>;
}

export interface RoundRow { id: number; date: string; area: string | null; createdBy: string; createdAt: number }
export interface RoundDoorRow {
  residentId: string; status: 'pending' | 'seen' | 'no_answer'; visitId: number | null;
  checklist: Record<string, string>; note: string; at: number | null; by: string | null;
}

export interface RoundsPort {
  /** the round and a pending door for each resident, atomically; its id */
  insert(r: Omit<RoundRow, 'id'>, residentIds: string[]): Promise<number>;
  get(id: number): Promise<RoundRow | undefined>;
  /**
   * the round of that date and area (null: every area), if any. Looked for in a unit of work, the
   * look holds that date and area until the unit commits: another unit's look for the same waits,
   * so find-then-insert in one unit makes one round however many ask at once (both engines)
   */
  find(date: string, area: string | null): Promise<number | undefined>;
  /** dates from..to, newest first */
  list(from: string, to: string): Promise<RoundRow[]>;
  doors(roundId: number): Promise<RoundDoorRow[]>;
  door(roundId: number, residentId: string): Promise<RoundDoorRow | undefined>;
  updateDoor(roundId: number, d: RoundDoorRow): Promise<boolean>;
}

// ---- the whole store -----------------------------------------------------------------------

/** what a unit of work sees: every table, all in one transaction */
export interface Ports {
  residents: ResidentsPort;
  events: EventsPort;
  timeline: TimelinePort;
  alerts: AlertsPort;
  ruleState: RuleStatePort;
  outbox: OutboxPort;
  visits: VisitsPort;
  audit: AuditPort;
  site: SitePort;
  inbound: InboundPort;
  users: UsersPort;
  idempotency: IdempotencyPort;
  absences: AbsencesPort;
  referrals: ReferralsPort;
  photos: PhotosPort;
  inbox: InboxPort;
  ruleTimers: RuleTimersPort;
  // the rest of the casefile
  casefileReports: CasefileReportsPort;
  profiles: ProfilesPort;
  rounds: RoundsPort;
}

export type Tx = Ports;

export interface TxOptions {
  /**
   * false: this commit may skip its own flush to disk (SQLite under storage.sync: full runs it at
   * synchronous = NORMAL; PostgreSQL: SET LOCAL synchronous_commit = off). Only for what can be
   * rebuilt from a durable record: the rules' state and decisions, which the events replay.
   */
  durable?: boolean;
}

/**
 * what a NOTIFY between a site's processes says is worth a look (store/postgres/notify.ts); `timer`:
 * a rules timer row due sooner than it was (its ids: the due time in ms), sent by the statement
 * that writes the row, so it is delivered on commit and never for a rollback
 */
export type WakeKind = 'inbox' | 'escalation' | 'outbox' | 'alert' | 'timer';

/**
 * Wake-ups between the processes of one site (PostgreSQL's LISTEN/NOTIFY): a hint to look at
 * the store now rather than at the next poll, never the only way work is found. `ids` are
 * resident ids (inbox), `<alert id>:<action>` (alert), or due times in ms (timer); never phone
 * numbers or notes.
 */
export interface SiteSignals {
  notify(kind: WakeKind, ids?: string[]): void;
  /** `fn` hears the other processes' notifications of `kind` (no ids: look at everything) until off(owner) */
  on(kind: WakeKind, owner: object, fn: (ids: string[]) => void): void;
  off(owner: object): void;
}

export interface Store extends Ports {
  readonly engine: Engine;
  /** PostgreSQL: the site's wake-ups; absent on SQLite (one process) */
  readonly signals?: SiteSignals;
  /** the migrations applied: the schema version of the database */
  readonly schemaVersion: number;
  /**
   * A unit of work: `fn` runs in one transaction, committed when its promise resolves and
   * rolled back when it rejects. Transactions never see each other's uncommitted writes; on
   * SQLite (one connection) they run one at a time, on PostgreSQL side by side (serialise what
   * must be with ruleState.lock). `fn` may be run again after a serialisation failure or a
   * deadlock, so it must do nothing but store work (announce after tx resolves).
   */
  tx<T>(fn: (tx: Tx) => Promise<T>, options?: TxOptions): Promise<T>;
  /** device events: group commit */
  ingest: Ingest;
  close(): Promise<void>;
}

/** a uniqueness rule of the store was broken (a device key taken, a second ongoing alert) */
export class StoreConflict extends Error {
  readonly code = 'STORE_CONFLICT';
  constructor(message: string, readonly constraint?: string) {
    super(message);
    this.name = 'StoreConflict';
  }
}

/** the database was written by a newer gateway: refused, never guessed at */
export class SchemaTooNew extends Error {
  readonly code = 'SCHEMA_TOO_NEW';
  constructor(readonly found: number, readonly known: number) {
    super(`database schema version ${found} is newer than this gateway knows (${known}); refusing to guess`);
    this.name = 'SchemaTooNew';
  }
}
