// The escalation plan and the roster as pure tables: no store, no HTTP, no waiting.
import { describe, expect, it } from 'vitest';
import { planEscalation, UNANSWERED_AFTER_MS } from '../../src/notify/escalation.ts';
import { onCallAt, recipients } from '../../src/notify/roster.ts';
import { localMinutes } from '../../src/time/index.ts';
import type { EscalationStep } from '../../src/config/index.ts';
import type { ContactRow } from '../../src/store/index.ts';
import type { AlertKind, ContactRole } from '../../src/domain/types.ts';

const MIN = 60_000;
const step = (notify: ContactRole[], after: number, via: 'sms' | 'call' = 'sms'): EscalationStep => ({ notify, after, via });
const T = Date.parse('2026-03-02T10:00:00+08:00');

function plan(kind: AlertKind, steps: EscalationStep[], cursor: number, now: number, reachable: ContactRole[] = ['neighbor', 'family', 'caseworker', 'resident'], early = false) {
  return planEscalation({
    kind, openedAt: T, step: cursor, steps, now, early,
    recipients: (roles) => roles.filter((r) => reachable.includes(r)),
  });
}

describe('planEscalation', () => {
  const steps = [step(['neighbor'], 0), step(['family'], 3 * MIN), step(['caseworker'], 10 * MIN)];

  it('fires the steps whose time has come, and no others', () => {
    expect(plan('emergency', steps, 0, T)).toMatchObject({ fire: [{ step: 0, recipients: ['neighbor'] }], nextStep: 1, due: T + 3 * MIN, unanswered: false });
    expect(plan('emergency', steps, 1, T + 3 * MIN - 1)).toMatchObject({ fire: [], nextStep: 1, due: T + 3 * MIN });
    // down for a while: everything overdue fires at once, in order
    expect(plan('emergency', steps, 0, T + 11 * MIN).fire.map((f) => f.step)).toEqual([0, 1, 2]);
  });

  it('starts the unanswered clock when the last step goes out, and reports it when it runs out', () => {
    const last = plan('emergency', steps, 2, T + 10 * MIN);
    expect(last).toMatchObject({ nextStep: 3, due: T + 10 * MIN + UNANSWERED_AFTER_MS, unanswered: false });
    expect(plan('emergency', steps, 3, T + 20 * MIN)).toEqual({ fire: [], nextStep: 3, due: null, unanswered: true });
  });

  it('a step that reaches nobody passes to the next at once', () => {
    const p = plan('emergency', steps, 0, T, ['family', 'caseworker']);
    expect(p.fire.map((f) => [f.step, f.passedOn ?? null])).toEqual([[0, 'nobody on call'], [1, null]]);
    expect(p).toMatchObject({ nextStep: 2, due: T + 10 * MIN });
  });

  it('a pre-alarm waits for the resident; smoke and emergency do not', () => {
    const withResident = [step(['resident'], 0), step(['neighbor'], 10 * MIN)];
    expect(plan('inactivity', withResident, 0, T).fire.map((f) => f.step)).toEqual([0]);
    expect(plan('night_door', withResident, 0, T).fire.map((f) => f.step)).toEqual([0]);
    expect(plan('smoke', withResident, 0, T).fire.map((f) => [f.step, f.passedOn ?? null])).toEqual([[0, 'does not wait for the resident'], [1, null]]);
    expect(plan('emergency', withResident, 0, T).fire.map((f) => f.step)).toEqual([0, 1]);
    // carbon monoxide and gas are as urgent as smoke; a leak may wait for the resident's answer
    expect(plan('co', withResident, 0, T).fire.map((f) => f.step)).toEqual([0, 1]);
    expect(plan('gas', withResident, 0, T).fire.map((f) => f.step)).toEqual([0, 1]);
    expect(plan('water_leak', withResident, 0, T).fire.map((f) => f.step)).toEqual([0]);
  });

  it('early fires the next step now (its predecessor could not be reached)', () => {
    expect(plan('emergency', steps, 1, T + MIN, undefined, true)).toMatchObject({ fire: [{ step: 1 }], nextStep: 2, due: T + 10 * MIN });
  });
});

describe('on-call hours, in the resident\'s time zone', () => {
  /** a Shanghai wall-clock time on 2 March 2026 */
  const at = (local: string) => Date.parse(`2026-03-02T${local}:00+08:00`);

  it('reads local minutes', () => {
    expect(localMinutes(at('00:00'), 'Asia/Shanghai')).toBe(0);
    expect(localMinutes(at('23:59'), 'Asia/Shanghai')).toBe(23 * 60 + 59);
    // 10:00 in Shanghai is 02:00 UTC
    expect(localMinutes(at('10:00'), 'UTC')).toBe(2 * 60);
  });

  it.each([
    ['07:00-22:00', '06:59', false], ['07:00-22:00', '07:00', true], ['07:00-22:00', '21:59', true], ['07:00-22:00', '22:00', false],
    ['22:00-06:00', '23:30', true], ['22:00-06:00', '05:59', true], ['22:00-06:00', '06:00', false], ['22:00-06:00', '12:00', false],
    ['00:00-24:00', '03:00', true], [null, '03:00', true],
  ])('%s at %s: %s', (hours, local, expected) => {
    expect(onCallAt(hours, at(local), 'Asia/Shanghai')).toBe(expected);
  });

  it('picks the contacts of the step\'s roles on call now, one per number', () => {
    const c = (id: number, role: ContactRole, phone: string, onCall: string | null = null): ContactRow =>
      ({ id, residentId: 'r', name: `c${id}`, phone, role, onCall, locale: null });
    const contacts = [c(1, 'neighbor', '+861', '07:00-22:00'), c(2, 'neighbor', '+862'), c(3, 'family', '+863'), c(4, 'family', '+863')];
    expect(recipients(contacts, ['neighbor', 'family'], at('12:00'), 'Asia/Shanghai').map((x) => x.id)).toEqual([1, 2, 3]);
    expect(recipients(contacts, ['neighbor'], at('23:00'), 'Asia/Shanghai').map((x) => x.id)).toEqual([2]);
  });
});
