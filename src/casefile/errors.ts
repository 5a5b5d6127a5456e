// What went wrong with a casefile request, in the domain's words; src/api/ maps each reason
// to an HTTP status so this module knows nothing of transport. Each failure also carries a
// code and its parameters (the field, the key path, the limit it broke), which the page says in
// the reader's language: "invalid" alone tells a caseworker nothing they can fix.
export type CasefileErrorReason = 'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'too_large';

/** every code a casefile error may carry; the page has words for each (test/casefile/i18n.test.ts) */
export const CASEFILE_ERROR_CODES = [
  // dates, times and spans
  'invalid_date', 'date_out_of_range', 'from_after_to', 'span_too_long', 'invalid_time', 'time_out_of_range', 'invalid_clock_time',
  // visits and problems
  'visit_ends_before_start', 'visit_too_long', 'subcategory_mismatch', 'follow_up_not_theirs', 'follow_up_before_problem',
  'resolution_required', 'follow_up_visit_not_theirs', 'solved_before_visit', 'solved_in_future', 'problem_status', 'problem_not_solved',
  // referrals
  'problem_solved', 'taken_by_required', 'taken_before_referred', 'answered_before_taken',
  // photos
  'photo_too_large', 'photo_too_many_pixels', 'photo_unreadable', 'photo_limit', 'photo_not_yours',
  // planned absences
  'absence_past', 'absence_ends_before_start', 'absence_starts_too_early', 'absence_too_long', 'absence_limit',
  // rounds
  'round_no_residents', 'round_area_empty', 'round_exists', 'door_recorded',
  // the casefile's fields
  'nothing_to_change', 'unknown_field', 'field_not_editable', 'invalid_choice',
  // provisioning: the config schema's checks, by what the key holds
  'invalid_phone', 'invalid_timezone', 'invalid_duration', 'invalid_hours', 'invalid_id', 'invalid_rflink_key', 'unknown_key',
  'field_required', 'invalid_value', 'entrance_doors_only', 'already_used', 'bridge_username', 'device_exists', 'resident_exists',
  'resident_has_alerts',
  // what is not there (any more)
  'resident_not_found', 'visit_not_found', 'problem_not_found', 'photo_not_found', 'round_not_found', 'door_not_on_round',
  'appointment_not_found', 'contact_not_found', 'device_not_found', 'referral_not_found', 'absence_not_found',
] as const;
export type CasefileErrorCode = typeof CASEFILE_ERROR_CODES[number];
/** what a key holds decides what was wrong with it, whatever words the schema used */
export const CODE_OF_KEY: Readonly<Record<string, CasefileErrorCode>> = {
  phone: 'invalid_phone', timezone: 'invalid_timezone',
  after: 'invalid_duration', visitCycle: 'invalid_duration', supervision: 'invalid_duration', min: 'invalid_duration', max: 'invalid_duration',
  hours: 'invalid_hours', activeHours: 'invalid_hours', onCall: 'invalid_hours',
  birthday: 'invalid_date', id: 'invalid_id', rflink: 'invalid_rflink_key',
};
export type ErrorParams = Record<string, string | number | boolean | null | string[]>;

export class CasefileError extends Error {
  constructor(readonly reason: CasefileErrorReason, message: string, readonly code: CasefileErrorCode, readonly params: ErrorParams = {}) {
    super(message);
    this.name = 'CasefileError';
  }
}

// message first: it is what people reading the API see, and it names the field ("endedAt: ...")
export const invalid = (message: string, code: CasefileErrorCode, params?: ErrorParams) => new CasefileError('invalid', message, code, params);
export const notFound = (message: string, code: CasefileErrorCode, params?: ErrorParams) => new CasefileError('not_found', message, code, params);
export const conflict = (message: string, code: CasefileErrorCode, params?: ErrorParams) => new CasefileError('conflict', message, code, params);
export const forbidden = (message: string, code: CasefileErrorCode, params?: ErrorParams) => new CasefileError('forbidden', message, code, params);
export const tooLarge = (message: string, code: CasefileErrorCode, params?: ErrorParams) => new CasefileError('too_large', message, code, params);
