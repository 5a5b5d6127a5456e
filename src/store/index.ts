export { openDatabase, migrate, type Db } from './db.ts';
export { MIGRATIONS } from './migrations.ts';
export { residentRepository, type ResidentRepository, type ResidentRow, type ContactRow, type DeviceRow } from './residents.ts';
export { eventRepository, eventPayload, eventFromRow, appendPromise, type EventRepository, type MqttOrigin, type AppendDone } from './events.ts';
export { timelineRepository, type TimelineRepository, type TimelineItem, type TimelinePage, type TimelineQuery } from './timeline.ts';
export { hashSecret, verifySecret, verifySecretAsync, storedDigest, isLegacyHash, digest, sameDigest, generateSecret } from './secrets.ts';
export { alertRepository, type AlertRepository, type AlertRow } from './alerts.ts';
export { ruleStateRepository, type RuleStateRepository } from './rule-state.ts';
export { MAX_OPEN_ABSENCES, type AbsenceRow } from './absences.ts';
// the async store boundary: ports, both engines, one opener
export * from './ports.ts';
export { openStore, type StorageOptions } from './open.ts';
export { openSqliteStore, type SqliteStore } from './sqlite/index.ts';
// the PostgreSQL engine is loaded by openStore only when storage.url asks for it: importing pg
// costs a gateway on SQLite a quarter of a second at every start for nothing
export type { PostgresStore, PostgresOptions } from './postgres/index.ts';
