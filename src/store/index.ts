// The store's boundary: the async ports, both engines and one opener, and the domain's row
// shapes. The SQLite engine's synchronous repositories and its connection (`Db`) are not
// exported: they are the engine's own (src/store/sqlite/ builds its ports on them); tests and
// benchmarks that read SQLite rows directly import the files themselves.
export type { ResidentRow, ContactRow, DeviceRow } from './residents.ts';
export { appendPromise, type MqttOrigin, type AppendDone } from './events.ts';
export type { TimelineItem, TimelinePage, TimelineQuery } from './timeline.ts';
export { hashSecret, verifySecret, verifySecretAsync, storedDigest, isLegacyHash, digest, sameDigest, generateSecret } from './secrets.ts';
export type { AlertRow } from './alerts.ts';
export { MAX_OPEN_ABSENCES, type AbsenceRow } from './absences.ts';
// the async store boundary: ports, both engines, one opener
export * from './ports.ts';
export { openStore, type StorageOptions } from './open.ts';
export { openSqliteStore, type SqliteStore } from './sqlite/index.ts';
// the PostgreSQL engine is loaded by openStore only when storage.url asks for it: importing pg
// costs a gateway on SQLite a quarter of a second at every start for nothing
export type { PostgresStore, PostgresOptions } from './postgres/index.ts';
