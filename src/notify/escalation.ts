// The escalation plan, a pure function of the alert's cursor, its policy, who is on call and
// the time (CONTRACT.md "escalation"):
// - step i fires at openedAt + steps[i].after unless the alert was acknowledged;
// - a step that reaches nobody (no contact of its roles on call now) passes on at once;
// - for smoke, CO, gas and emergency a step that asks only the resident passes on at once too: those
//   kinds never wait for the resident's answer;
// - a step with `repeat: { every, times }` that reached someone tells the same people again at
//   firedAt + k * every (k = 1..times) while the alert is open; repeats missed while the gateway
//   was down collapse into one (the latest due), so nobody gets a burst of texts on restart;
// - 10 minutes after the last firing (steps and repeats) with no acknowledgement the alert is
//   unanswered.
// The durable cursor is alerts.escalation_step (next step) + alerts.escalation_due, the earliest
// of the next step, the next repeat and the unanswered time. What each fired step has repeated
// is not in the cursor but in the outbox (its rows' step codes, outbox.ts), passed in as `fired`.
import type { EscalationStep } from '../config/index.ts';
import type { AlertKind, ContactRole } from '../domain/types.ts';

export const UNANSWERED_AFTER_MS = 10 * 60_000;

/**
 * The cursor a new alert starts with: its first step due at once (the plan then fires each step at
 * openedAt + after), or none when its kind has no escalation policy.
 */
export function firstStepDue(policy: Partial<Record<AlertKind, readonly EscalationStep[]>>, kind: AlertKind, openedAt: number): number | null {
  return policy[kind]?.length ? openedAt : null;
}

/** kinds whose resident step is the telecare pre-alarm: the resident's "1" resolves the alert */
export const PRE_ALARM_KINDS: ReadonlySet<AlertKind> = new Set(['inactivity', 'night_door']);
/** kinds that never wait for the resident */
export const NEVER_WAIT_KINDS: ReadonlySet<AlertKind> = new Set(['smoke', 'co', 'gas', 'emergency']);

export interface PlannedStep<C> {
  step: number;
  /** 0: the step's first firing; k: its k-th repeat */
  repeat: number;
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
  /** steps fired before (index: step): when, who, and the highest repeat already sent */
  fired?: ReadonlyArray<FiredStep<C> | undefined>;
}

export interface FiredStep<C> {
  at: number;
  recipients: C[];
  repeats: number;
}

export function planEscalation<C>(input: PlanInput<C>): EscalationPlan<C> {
  const { steps, now, openedAt } = input;
  const fire: PlannedStep<C>[] = [];
  const fired: Array<FiredStep<C> | undefined> = steps.map((_, j) => input.fired?.[j]);
  let i = input.step;
  let passOn = input.early === true;
  // repeats of steps fired before this call that are due now (at most one per step)
  for (let j = 0; j < Math.min(i, steps.length); j++) {
    const f = fired[j];
    const repeat = steps[j].repeat;
    if (!f || !repeat || f.recipients.length === 0 || f.repeats >= repeat.times) continue;
    const k = Math.min(repeat.times, Math.floor((now - f.at) / repeat.every));
    if (k <= f.repeats) continue;
    fire.push({ step: j, repeat: k, via: steps[j].via, recipients: f.recipients });
    fired[j] = { ...f, repeats: k };
  }
  while (i < steps.length) {
    const step = steps[i];
    if (!passOn && openedAt + step.after > now) break;
    const planned: PlannedStep<C> = { step: i, repeat: 0, via: step.via, recipients: input.recipients(step.notify) };
    passOn = false;
    if (planned.recipients.length === 0) planned.passedOn = 'nobody on call';
    else if (NEVER_WAIT_KINDS.has(input.kind) && step.notify.every((r) => r === 'resident')) planned.passedOn = 'does not wait for the resident';
    if (planned.passedOn) passOn = true;
    fire.push(planned);
    fired[i] = { at: now, recipients: planned.recipients, repeats: 0 };
    i++;
  }
  // the next repeat of any fired step
  let nextRepeat = Infinity;
  for (let j = 0; j < i; j++) {
    const f = fired[j];
    const repeat = steps[j].repeat;
    if (!f || !repeat || f.recipients.length === 0 || f.repeats >= repeat.times) continue;
    nextRepeat = Math.min(nextRepeat, f.at + (f.repeats + 1) * repeat.every);
  }
  if (i < steps.length) return { fire, nextStep: i, due: Math.min(openedAt + steps[i].after, nextRepeat), unanswered: false };
  if (nextRepeat !== Infinity) return { fire, nextStep: i, due: nextRepeat, unanswered: false };
  // past the last step and its repeats: the unanswered clock starts when the last of them went out
  if (fire.length > 0) return { fire, nextStep: i, due: now + UNANSWERED_AFTER_MS, unanswered: false };
  return { fire, nextStep: i, due: null, unanswered: true };
}
