// Ordered migrations: migration N brings the database to user_version N. They are applied
// in one transaction; a database from a newer version of the gateway is refused.
export const MIGRATIONS: readonly string[] = [
  /* 1: the foundation */ `
  CREATE TABLE residents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'en',
    visit_cycle_ms INTEGER,
    rules TEXT NOT NULL DEFAULT '{}',           -- JSON: the resident's rules slice of the config
    source TEXT NOT NULL DEFAULT 'config',      -- config | api
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    role TEXT NOT NULL,
    on_call TEXT,                               -- "HH:MM-HH:MM" or NULL for always
    locale TEXT,
    position INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX contacts_resident ON contacts(resident_id);
  CREATE INDEX contacts_phone ON contacts(phone);
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entrance INTEGER NOT NULL DEFAULT 1,
    secret_hash TEXT,                           -- scrypt, never the secret itself
    zigbee2mqtt TEXT UNIQUE,
    rflink TEXT UNIQUE,
    jsonl TEXT UNIQUE,
    supervision_ms INTEGER,
    availability TEXT NOT NULL DEFAULT 'unknown',
    last_seen INTEGER,
    battery INTEGER
  );
  CREATE INDEX devices_resident ON devices(resident_id);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    type TEXT NOT NULL,                         -- state | availability
    source TEXT NOT NULL,
    payload TEXT NOT NULL,                      -- JSON readings or {"availability": ...}
    mqtt_client TEXT,
    mqtt_message_id INTEGER
  );
  CREATE INDEX events_resident_at ON events(resident_id, at DESC, id DESC);
  CREATE INDEX events_device_msg ON events(device_id, mqtt_message_id) WHERE mqtt_message_id IS NOT NULL;
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    condition_key TEXT NOT NULL,                -- one ongoing condition, one alert
    device_id TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    opened_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at INTEGER,
    resolved_by TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    escalation_step INTEGER NOT NULL DEFAULT 0, -- next step to fire
    escalation_due INTEGER,                     -- when it fires; NULL when done or stopped
    unanswered INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX alerts_status ON alerts(status, opened_at DESC);
  CREATE INDEX alerts_resident ON alerts(resident_id, opened_at DESC);
  CREATE UNIQUE INDEX alerts_one_ongoing ON alerts(resident_id, condition_key) WHERE status != 'resolved';
  CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,                         -- alert | alert_update | notification | acknowledgement | visit | problem | ...
    data TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX timeline_resident_at ON timeline(resident_id, at DESC, id DESC);
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER,
    resident_id TEXT NOT NULL,
    contact_id INTEGER,
    phone TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'sms',        -- sms | call
    step INTEGER,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',     -- pending | sent | delivered | failed | undelivered
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    provider_id TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
  );
  CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
  CREATE UNIQUE INDEX outbox_once ON outbox(alert_id, step, phone, channel) WHERE alert_id IS NOT NULL AND step IS NOT NULL;
  CREATE TABLE rule_state (
    resident_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    last_event_id INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    visitor TEXT NOT NULL,
    at INTEGER NOT NULL,
    ended_at INTEGER,
    purpose TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    observations TEXT NOT NULL DEFAULT '{}',
    recorded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX visits_resident_at ON visits(resident_id, at DESC);
  CREATE INDEX visits_at ON visits(at);
  CREATE TABLE problems (
    id TEXT PRIMARY KEY,                        -- WT{year}{seq:3+}
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    resident_id TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    urgency TEXT NOT NULL,
    responsible TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',     -- pending | in_progress | solved
    opened_at INTEGER NOT NULL,
    solved_at INTEGER,
    follow_up_visit_id INTEGER,
    satisfaction INTEGER
  );
  CREATE INDEX problems_resident ON problems(resident_id);
  CREATE TABLE problem_seq (year INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
  );
  `,
  /* 2: reply and delivery-report lookups of the notifier */ `
  CREATE INDEX outbox_phone ON outbox(phone, alert_id);
  CREATE INDEX outbox_provider ON outbox(provider_id) WHERE provider_id IS NOT NULL;
  `,
  /* 3: the (device, message id) index cost more on every insert than it saved on the rare
        resend (DUP) lookup, which now scans the resident's recent events instead */ `
  DROP INDEX events_device_msg;
  `,
  /* 4: what people call a device and where it is; a resident's area and birthday */ `
  ALTER TABLE devices ADD COLUMN name TEXT;
  ALTER TABLE devices ADD COLUMN room TEXT;
  ALTER TABLE residents ADD COLUMN area TEXT;
  ALTER TABLE residents ADD COLUMN birthday TEXT;
  `,
  /* 5: a button's own emergency actions and a serial device's own id fields (JSON arrays) */ `
  ALTER TABLE devices ADD COLUMN emergency_actions TEXT;
  ALTER TABLE devices ADD COLUMN id_fields TEXT;
  `,
  /* 6: people who sign in on the page, their sessions, and answers kept for retried requests */ `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL UNIQUE COLLATE NOCASE, -- what acknowledgements, texts and the audit log say
    role TEXT NOT NULL,                               -- caseworker | admin
    password_hash TEXT NOT NULL,                      -- scrypt with its parameters, never the password
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_sign_in_at INTEGER
  );
  CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,                      -- sha256 of the cookie's value: a copy of the file signs nobody in
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (actor, key)
  );
  CREATE INDEX idempotency_created ON idempotency(created_at);
  `,
  /* 7: the handbook's casefile: profile fields, follow-up appointments, problem sub-kinds and
        resolutions, referrals to departments, photos, knock-on-door rounds */ `
  CREATE TABLE resident_profiles (
    resident_id TEXT PRIMARY KEY REFERENCES residents(id) ON DELETE CASCADE,
    category TEXT,                              -- elderly_alone | disability | low_income | child_in_difficulty
    household TEXT NOT NULL DEFAULT '',
    health TEXT NOT NULL DEFAULT '',
    difficulties TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
  );
  CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    date TEXT NOT NULL,                         -- YYYY-MM-DD, site calendar
    time TEXT,                                  -- HH:MM or NULL
    kind TEXT NOT NULL DEFAULT 'follow_up',     -- follow_up (复诊) | other
    place TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX appointments_date ON appointments(date);
  CREATE INDEX appointments_resident ON appointments(resident_id, date);
  ALTER TABLE problems ADD COLUMN subcategory TEXT;
  ALTER TABLE problems ADD COLUMN resolution TEXT;
  ALTER TABLE visits ADD COLUMN satisfaction INTEGER;
  CREATE INDEX problems_open_deadline ON problems(deadline) WHERE status != 'solved';
  CREATE INDEX problems_opened_at ON problems(opened_at);
  CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    problem_id TEXT NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
    department TEXT NOT NULL,                   -- civil_affairs | health | education | disabled_federation | housing | other
    note TEXT NOT NULL DEFAULT '',
    referred_at INTEGER NOT NULL,
    referred_by TEXT NOT NULL,
    taken_by TEXT,                              -- who at the department took it
    taken_at INTEGER,
    answer TEXT,
    answered_at INTEGER
  );
  CREATE INDEX referrals_problem ON referrals(problem_id);
  CREATE TABLE photos (
    id TEXT PRIMARY KEY,                        -- random, also the file name
    resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    visit_id INTEGER REFERENCES visits(id) ON DELETE CASCADE,
    problem_id TEXT REFERENCES problems(id) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
  );
  CREATE INDEX photos_visit ON photos(visit_id);
  CREATE INDEX photos_problem ON photos(problem_id);
  CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    date TEXT NOT NULL,                         -- the knock day, YYYY-MM-DD
    area TEXT,                                  -- NULL: every area
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE round_doors (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    resident_id TEXT NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending',     -- pending | seen | no_answer
    visit_id INTEGER REFERENCES visits(id) ON DELETE SET NULL,
    checklist TEXT NOT NULL DEFAULT '{}',
    note TEXT NOT NULL DEFAULT '',
    at INTEGER,
    by TEXT,
    PRIMARY KEY (round_id, resident_id)
  );
  `,
  /* 8: each inbound SMS (Twilio MessageSid) acts once: a replayed reply is recognised */ `
  CREATE TABLE inbound_messages (
    sid TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  );
  `,
  /* 9: planned absences: a caseworker (API), the family or the resident (SMS) says they are away until a date */ `
  CREATE TABLE absences (
    id INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    set_by TEXT NOT NULL,
    via TEXT NOT NULL,                          -- api | sms
    created_at INTEGER NOT NULL,
    cancelled_at INTEGER,
    cancelled_by TEXT
  );
  CREATE INDEX absences_resident ON absences(resident_id, ends_at);
  `,
  /* 10: the processes of a site: each writes its heartbeat here, and reads who else is alive */ `
  CREATE TABLE gateway_processes (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  CREATE INDEX gateway_processes_site ON gateway_processes(site, heartbeat_at);
  `,
  /* 11: a door's previous contact report, found in one step: activity counts a door only when its state
         changes (sqlite/tables.ts activitySql), so each contact report looks up the one before it */ `
  CREATE INDEX events_contact ON events(device_id, at, id) WHERE type = 'state' AND json_extract(payload, '$.contact') IS NOT NULL;
  `,
  /* 12: the rules' state carries a version, bumped by every save: a process judging from its own copy in
         memory checks it against the locked row and reloads a stale copy (several processes on one site) */ `
  ALTER TABLE rule_state ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  `,
  /* 13: the events each home's rules have still to judge: the ingest's transaction puts every stored event here,
         the deciding transaction takes a home's rows under its lock and deletes them with the state saved. Ids
         from one sequence do not commit in id order across processes, so a last-event cursor could skip one. */ `
  CREATE TABLE event_inbox (
    resident_id TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (resident_id, event_id)
  ) WITHOUT ROWID;
  INSERT INTO event_inbox (resident_id, event_id)
    SELECT e.resident_id, e.id FROM events e JOIN rule_state r ON r.resident_id = e.resident_id WHERE e.id > r.last_event_id;
  `,
  /* 14: the rules' timers as rows: each home's next due time (inactivity, night door, offline, whatever the
         core's state has waiting on the clock), written by the deciding transaction with the state's version as
         its token; a process of the site claims a due row for a lease and judges the tick under the home's lock */ `
  CREATE TABLE rule_timers (
    resident_id TEXT PRIMARY KEY,
    due_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    claimed_by TEXT,
    claim_until INTEGER
  );
  CREATE INDEX rule_timers_due ON rule_timers(due_at);
  `,
];
