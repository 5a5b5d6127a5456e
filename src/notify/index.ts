// Notifications: escalation steps, rosters, the durable outbox and its retries, SMS
// and voice through the twilio package, en / zh-CN templates. Twilio's webhooks are routes: api/twilio.ts.
export { Notifier, type NotifierDeps } from './notifier.ts';
export { type SmsSender, type SendRef, TwilioSender, LogSender, createSender, BaseUrlRequestClient } from './senders.ts';
export { STEP_FOLLOW_UP, STEP_UNANSWERED, REPEAT_STRIDE, stepCode, decodeStep, type OutboxRow, type OutboxStatus } from './outbox.ts';
export { type RetryPolicy, DEFAULT_RETRY } from './delivery.ts';
export { UNANSWERED_AFTER_MS, PRE_ALARM_KINDS, NEVER_WAIT_KINDS, firstStepDue } from './escalation.ts';
