// The escalation plan, a pure function of the alert's cursor, its policy, who is on call and
// the time (issue 4, item 2; CONTRACT.md "escalation"):
// - step i fires at openedAt + steps[i].after unless the alert was acknowledged;
// - a step that reaches nobody (no contact of its roles on call now) passes on at once;
// - for smoke and emergency a step that asks only the resident passes on at once too: those
//   kinds never wait for the resident's answer (item 5);
// - 10 minutes after the last step fired with no acknowledgement the alert is unanswered.
// The durable cursor is alerts.escalation_step (next step) + alerts.escalation_due.
import type { EscalationStep } from '../config/index.ts';
import type { AlertKind, ContactRole } from '../domain/types.ts';

export const UNANSWERED_AFTER_MS = 10 * 60_000;

/** kinds whose resident step is the telecare pre-alarm: the resident's "1" resolves the alert */
export const PRE_ALARM_KINDS: ReadonlySet<AlertKind> = new Set(['inactivity', 'night_door']);
/** kinds that never wait for the resident */
export const NEVER_WAIT_KINDS: ReadonlySet<AlertKind> = new Set(['smoke', 'emergency']);

export interface PlannedStep<C> {
  step: number;
  via: 'sms' | 'call';
  recipients: C[];
  /** why the next step followed at once, if it did */
  passedOn?: 'nobody on call' | 'does not wait for the resident';
}

export interface EscalationPlan<C> {
  fire: PlannedStep<C>[];
  /** the cursor to store */
  nextStep: number;
  due: number | null;
  /** the unanswered time passed just now */
  unanswered: boolean;
}

export interface PlanInput<C> {
  kind: AlertKind;
  openedAt: number;
  /** alerts.escalation_step: the next step to fire */
  step: number;
  steps: readonly EscalationStep[];
  now: number;
  /** fire the next step now whatever its time (its predecessor reached nobody) */
  early?: boolean;
  /** who a step reaches at `now` */
  recipients(roles: readonly ContactRole[]): C[];
}

export function planEscalation<C>(input: PlanInput<C>): EscalationPlan<C> {
  const { steps, now, openedAt } = input;
  const fire: PlannedStep<C>[] = [];
  let i = input.step;
  let passOn = input.early === true;
  while (i < steps.length) {
    const step = steps[i];
    if (!passOn && openedAt + step.after > now) break;
    const planned: PlannedStep<C> = { step: i, via: step.via, recipients: input.recipients(step.notify) };
    passOn = false;
    if (planned.recipients.length === 0) planned.passedOn = 'nobody on call';
    else if (NEVER_WAIT_KINDS.has(input.kind) && step.notify.every((r) => r === 'resident')) planned.passedOn = 'does not wait for the resident';
    if (planned.passedOn) passOn = true;
    fire.push(planned);
    i++;
  }
  if (i < steps.length) return { fire, nextStep: i, due: openedAt + steps[i].after, unanswered: false };
  // past the last step: the unanswered clock starts when the last step went out
  if (fire.length > 0) return { fire, nextStep: i, due: now + UNANSWERED_AFTER_MS, unanswered: false };
  return { fire, nextStep: i, due: null, unanswered: true };
}
