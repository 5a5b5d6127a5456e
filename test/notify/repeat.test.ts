// An escalation step's optional `repeat: { every, times }`: the same people are
// told again while the alert is open, each repeat its own outbox row (step code repeat*1000+step),
// all from the durable cursor and the outbox, so a restart neither loses nor doubles a repeat.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, until, testConfig, PHONES, type Harness } from './harness.ts';
import { parseConfig, ConfigError } from '../../src/config/index.ts';
import { planEscalation, UNANSWERED_AFTER_MS } from '../../src/notify/escalation.ts';
import { decodeStep, stepCode, REPEAT_STRIDE, STEP_FOLLOW_UP, STEP_UNANSWERED } from '../../src/notify/outbox.ts';

const MIN = 60_000;
let h: Harness;
afterEach(async () => { await h?.close(); });

/** emergency: the neighbour at once and again at 5 and 10 min; the family at 3 min */
const repeating = () => harness({
  config: (url) => testConfig(url, {
    escalation: {
      emergency: [
        { notify: ['neighbor'], after: '0s', repeat: { every: '5m', times: 2 } },
        { notify: ['family'], after: '3m' },
      ],
    },
  }),
});

const codes = (h: Harness, phone: string) => h.outbox().filter((r) => r.phone === phone).map((r) => r.step);

describe('a repeating step', () => {
  it('tells the same people again every 5 min, twice, then the alert is unanswered 10 min after the last repeat', async () => {
    h = await repeating();
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'first text');
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 3 * MIN);

    await h.clock.advance(3 * MIN);
    await until(() => h.fake.to(PHONES.family).length === 1, 'family at 3 min');
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 5 * MIN);

    await h.clock.advance(2 * MIN - 1000);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(1);
    await h.clock.advance(1000);
    await until(() => h.fake.to(PHONES.neighbor).length === 2, 'first repeat at 5 min');
    expect(h.fake.to(PHONES.neighbor)[1].form.Body).toBe(h.fake.to(PHONES.neighbor)[0].form.Body);

    await h.clock.advance(5 * MIN);
    await until(() => h.fake.to(PHONES.neighbor).length === 3, 'second repeat at 10 min');
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 10 * MIN + UNANSWERED_AFTER_MS);

    // no third repeat; unanswered 10 min after the last repeat, not after the last step
    await h.clock.advance(10 * MIN - 1000);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(3);
    expect(h.alerts.get(alert.id)!.unanswered).toBe(false);
    await h.clock.advance(1000);
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker told');
    expect(h.alerts.get(alert.id)).toMatchObject({ unanswered: true, escalationDue: null });
    await h.clock.advance(60 * MIN);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(3);
    expect(h.fake.to(PHONES.family)).toHaveLength(1);

    // distinct outbox rows, and the timeline names step and repeat
    expect(codes(h, PHONES.neighbor)).toEqual([0, 1000, 2000]);
    expect(codes(h, PHONES.family)).toEqual([1]);
    expect(h.timelineOf('escalation').map((e) => [e.event, e.step, e.repeat, (e.at as number) - alert.openedAt])).toEqual([
      ['step', 0, undefined, 0], ['step', 1, undefined, 3 * MIN], ['repeat', 0, 1, 5 * MIN], ['repeat', 0, 2, 10 * MIN],
      ['unanswered', undefined, undefined, 20 * MIN],
    ]);
    expect(h.timelineOf('notification').filter((n) => n.contact === 'Wang Neighbor' && n.status === 'sent').map((n) => [n.step, n.repeat]))
      .toEqual([[0, undefined], [0, 1], [0, 2]]);
  });

  it('stops when someone acknowledges', async () => {
    h = await repeating();
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'first text');
    await h.clock.advance(5 * MIN);
    await until(() => h.fake.to(PHONES.neighbor).length === 2, 'first repeat');
    await h.clock.advance(MIN);
    expect(await h.acknowledge(alert.id, 'Zhang Wei')).toBe(true);
    await h.clock.advance(60 * MIN);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor).filter((m) => m.form.Body.includes('Zhang Wei'))).toHaveLength(1); // "is handling it"
    expect(codes(h, PHONES.neighbor)).toEqual([0, 1000, STEP_FOLLOW_UP]);
    expect(h.alerts.get(alert.id)!.unanswered).toBe(false);
    expect(h.fake.to(PHONES.caseworker)).toHaveLength(0);
  });

  it('resumes after restarts (clean and killed) without sending a repeat twice', async () => {
    h = await repeating();
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'first text');
    await h.clock.advance(5 * MIN);
    await until(() => h.fake.to(PHONES.neighbor).length === 2, 'first repeat');
    await h.notifier.idle();

    await h.restart({ crash: true });
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(2);
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 10 * MIN);

    await h.restart();
    await h.clock.advance(5 * MIN);
    await until(() => h.fake.to(PHONES.neighbor).length === 3, 'second repeat from the new notifier');
    await h.notifier.idle();
    await h.restart({ crash: true });
    // a repeat due exactly now, and already sent, is not sent again
    h.notifier.alertOpened(h.alerts.get(alert.id)!);
    await h.clock.advance(30 * MIN);
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker told');
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(3);
    expect(codes(h, PHONES.neighbor)).toEqual([0, 1000, 2000]);
  });

  it('sends the repeats missed while the gateway was down as one text, on time for the rest', async () => {
    h = await repeating();
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'first text');
    await h.notifier.idle();
    await h.notifier.stop();
    await h.clock.advance(12 * MIN); // down from 0 to 12 min: the family step and both repeats missed
    await h.restart();
    await until(() => h.fake.to(PHONES.family).length === 1 && h.fake.to(PHONES.neighbor).length === 2, 'catch-up');
    await h.notifier.idle();
    expect(codes(h, PHONES.neighbor)).toEqual([0, 2000]);
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 12 * MIN + UNANSWERED_AFTER_MS);
  });
});

describe('the plan', () => {
  const steps = [
    { notify: ['neighbor' as const], after: 0, via: 'sms' as const, repeat: { every: 5 * MIN, times: 2 } },
    { notify: ['family' as const], after: 3 * MIN, via: 'sms' as const },
  ];
  const base = { kind: 'emergency' as const, openedAt: 0, steps, recipients: (roles: readonly string[]) => [...roles] };

  it('is due at the earliest of the next step and the next repeat', () => {
    expect(planEscalation({ ...base, step: 0, now: 0 })).toMatchObject({ nextStep: 1, due: 3 * MIN, fire: [{ step: 0, repeat: 0 }] });
    const fired = [{ at: 0, recipients: ['neighbor'], repeats: 0 }];
    expect(planEscalation({ ...base, step: 1, now: 3 * MIN, fired })).toMatchObject({ nextStep: 2, due: 5 * MIN, fire: [{ step: 1, repeat: 0 }] });
    expect(planEscalation({ ...base, step: 2, now: 5 * MIN, fired })).toMatchObject({ due: 10 * MIN, fire: [{ step: 0, repeat: 1, recipients: ['neighbor'] }] });
    expect(planEscalation({ ...base, step: 2, now: 10 * MIN, fired: [{ ...fired[0], repeats: 1 }] }))
      .toMatchObject({ due: 20 * MIN, unanswered: false, fire: [{ step: 0, repeat: 2 }] });
    expect(planEscalation({ ...base, step: 2, now: 20 * MIN, fired: [{ ...fired[0], repeats: 2 }] })).toMatchObject({ due: null, unanswered: true, fire: [] });
  });

  it('never repeats a step that reached nobody', () => {
    const plan = planEscalation({ ...base, step: 0, now: 0, recipients: (roles) => (roles.includes('neighbor') ? [] : [...roles]) });
    expect(plan.fire.map((p) => [p.step, p.passedOn ?? null])).toEqual([[0, 'nobody on call'], [1, null]]);
    expect(plan.due).toBe(UNANSWERED_AFTER_MS);
  });

  it('codes a repeat into the outbox step without touching the follow-up codes', () => {
    expect(stepCode(0)).toBe(0);
    expect(stepCode(1, 2)).toBe(2 * REPEAT_STRIDE + 1);
    expect(decodeStep(2001)).toEqual({ step: 1, repeat: 2 });
    expect(decodeStep(3)).toEqual({ step: 3, repeat: 0 });
    expect(() => stepCode(REPEAT_STRIDE)).toThrow();
    expect([STEP_FOLLOW_UP, STEP_UNANSWERED].every((c) => c < 0)).toBe(true);
  });
});

describe('repeat in the config', () => {
  function problems(repeat: unknown): string[] {
    try {
      parseConfig({ escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }, { notify: ['family'], after: '1m', repeat }] } }, {});
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  }

  it('parses every as a duration', () => {
    const config = parseConfig({ escalation: { smoke: [{ notify: ['neighbor'], after: '0s', repeat: { every: '5m', times: 2 } }] } }, {});
    expect(config.escalation.smoke![0].repeat).toEqual({ every: 5 * MIN, times: 2 });
  });

  it.each([
    [{ every: '5 minutes', times: 2 }, 'escalation.smoke[1].repeat.every: expected a duration like "30s", "10m", "12h"'],
    [{ every: '0s', times: 2 }, 'escalation.smoke[1].repeat.every: expected a duration above zero'],
    [{ every: '5m', times: 0 }, 'escalation.smoke[1].repeat.times: expected a whole number from 1 to 10'],
    [{ every: '5m', times: 11 }, 'escalation.smoke[1].repeat.times: expected a whole number from 1 to 10'],
    [{ every: '5m', times: 1.5 }, 'escalation.smoke[1].repeat.times: expected a whole number from 1 to 10'],
    [{ every: '5m' }, 'escalation.smoke[1].repeat.times:'],
    [{ every: '5m', times: 2, until: 'ack' }, 'escalation.smoke[1].repeat: unknown key until'],
    ['5m', 'escalation.smoke[1].repeat:'],
  ])('%j', (repeat, expected) => {
    const found = problems(repeat);
    expect(found.some((p) => p.startsWith(expected)), found.join(' | ')).toBe(true);
  });
});
