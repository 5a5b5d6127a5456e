export { openDatabase, migrate, type Db } from './db.ts';
export { MIGRATIONS } from './migrations.ts';
export { residentRepository, type ResidentRepository, type ResidentRow, type ContactRow, type DeviceRow } from './residents.ts';
export { eventRepository, eventPayload, eventFromRow, type EventRepository, type MqttOrigin } from './events.ts';
export { timelineRepository, type TimelineRepository, type TimelineItem, type TimelinePage, type TimelineQuery } from './timeline.ts';
export { hashSecret, verifySecret, digest, sameDigest, generateSecret } from './secrets.ts';
export { alertRepository, type AlertRepository, type AlertRow } from './alerts.ts';
export { ruleStateRepository, type RuleStateRepository } from './rule-state.ts';
export { absenceRepository, MAX_OPEN_ABSENCES, type AbsenceRepository, type AbsenceRow } from './absences.ts';
