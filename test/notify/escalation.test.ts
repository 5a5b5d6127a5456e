// Alarms reaching people, against a local Twilio-compatible server with the real twilio package.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, until, testConfig, PHONES, ACCOUNT_SID, AUTH_TOKEN, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => { await h?.close(); });

describe('a smoke alarm', () => {
  it('texts the neighbour and the family once each, through the twilio package', async () => {
    h = await harness();
    const alert = h.open('smoke');
    await until(() => h.fake.messages.length === 2, 'two texts');
    expect(h.fake.messages.map((m) => m.form.To).sort()).toEqual([PHONES.neighbor, PHONES.family].sort());
    for (const m of h.fake.messages) {
      expect(m.accountSid).toBe(ACCOUNT_SID);
      expect(m.auth).toEqual({ user: ACCOUNT_SID, password: AUTH_TOKEN });
      expect(m.form.From).toBe('+15005550006');
      expect(m.form.StatusCallback).toMatch(/^https:\/\/gateway\.example\.org\/twilio\/status\?o=\d+$/);
    }
    // the resident's locale is zh-CN, the family contact's own locale (en) wins for them
    expect(h.fake.to(PHONES.neighbor)[0].form.Body).toContain('Zhang Xiuying');
    expect(h.fake.to(PHONES.neighbor)[0].form.Body).toContain('烟雾报警');
    expect(h.fake.to(PHONES.family)[0].form.Body).toMatch(/SMOKE ALARM at Zhang Xiuying's home, Building 3, Unit 2, Room 601\..*Reply 1/);

    // repeated reports and a repeated call are no new texts
    h.notifier.alertOpened(alert);
    h.notifier.alertOpened(h.alerts.get(alert.id)!);
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(2);

    // every text is in the outbox, sent, and on the timeline without phone numbers
    expect(h.outbox().map((r) => [r.step, r.status])).toEqual([[0, 'sent'], [0, 'sent']]);
    const notes = h.timelineOf('notification');
    expect(notes.map((n) => [n.contact, n.role, n.status]).sort()).toEqual([['Wang Neighbor', 'neighbor', 'sent'], ['Zhang Wei', 'family', 'sent']]);
    const timelineText = JSON.stringify(h.timelineOf());
    for (const phone of Object.values(PHONES)) expect(timelineText).not.toContain(phone);
  });

  it('sends nothing again after a restart, and the caseworker step still fires once on time', async () => {
    h = await harness();
    h.open('smoke');
    await until(() => h.fake.messages.length === 2, 'two texts');
    await h.restart();
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(2);
    await h.clock.advance(2 * 60_000);
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker text');
    await h.restart();
    await h.clock.advance(60_000);
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(3);
  });
});

describe('a home whose sensors went quiet', () => {
  it('tells the caseworker that the sensors and the resident both need a look, not just "device offline"', async () => {
    h = await harness({ config: (url) => testConfig(url, { escalation: { device_offline: [{ notify: ['caseworker'], after: '0s' }] } }) });
    h.open('device_offline', { reason: 'sensors_quiet', quietDevices: ['zhang-pir', 'zhang-bath'], silenceMs: 5 * 3_600_000 });
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker text');
    const body = h.fake.to(PHONES.caseworker)[0].form.Body;
    expect(body).toContain('多数传感器无信号');
    expect(body).toContain('Zhang Xiuying');
    expect(body).not.toContain('zhang-pir');
  });
});

describe('an unanswered emergency', () => {
  it('escalates on time, then is marked unanswered and the caseworker told', async () => {
    h = await harness();
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'neighbour text');
    expect(h.fake.to(PHONES.neighbor)[0].form.Body).toContain('紧急呼叫');

    await h.clock.advance(3 * 60_000 - 1000);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.family)).toHaveLength(0);
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 3 * 60_000);

    await h.clock.advance(1000);
    await until(() => h.fake.to(PHONES.family).length === 1, 'family text at 3 min');
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(alert.openedAt + 13 * 60_000);

    await h.clock.advance(10 * 60_000 - 1000);
    await h.notifier.idle();
    expect(h.alerts.get(alert.id)!.unanswered).toBe(false);
    await h.clock.advance(1000);
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker told');
    expect(h.fake.to(PHONES.caseworker)[0].form.Body).toContain('无人响应');
    const row = h.alerts.get(alert.id)!;
    expect(row).toMatchObject({ status: 'open', unanswered: true, escalationDue: null });
    expect(h.timelineOf('escalation').filter((e) => e.event === 'unanswered')).toHaveLength(1);
    expect(h.metrics.get('gateway_alerts_unanswered_total', { kind: 'emergency' })).toBe(1);
  });

  it('a step with nobody on call passes to the next step at once', async () => {
    // 23:30 in Shanghai; the neighbour is on call 07:00-22:00
    const night = Date.parse('2026-03-02T23:30:00+08:00');
    h = await harness({
      at: night,
      config: (url) => testConfig(url, {}, [
        { name: 'Wang Neighbor', phone: PHONES.neighbor, role: 'neighbor', onCall: '07:00-22:00' },
        { name: 'Zhang Wei', phone: PHONES.family, role: 'family' },
        { name: 'Li Caseworker', phone: PHONES.caseworker, role: 'caseworker' },
      ]),
    });
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.family).length === 1, 'family texted at once');
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(0);
    const steps = h.timelineOf('escalation');
    expect(steps[0]).toMatchObject({ alertId: alert.id, step: 0, reached: 0, passedOn: 'nobody on call' });
    expect(steps[1]).toMatchObject({ alertId: alert.id, step: 1, reached: 1 });

    // a smoke alarm at night reaches the family but not the sleeping neighbour
    h.open('smoke');
    await until(() => h.fake.to(PHONES.family).length === 2, 'family texted about smoke');
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(0);
  });
});

describe('a delivery report', () => {
  it('records delivered, and an undelivered text to the step\'s only contact moves on early', async () => {
    h = await harness();
    const alert = h.open('emergency');
    await until(() => h.outbox()[0]?.status === 'sent', 'neighbour text sent');
    const row = h.outbox()[0];
    const sid = h.fake.to(PHONES.neighbor)[0].sid!;

    const sent = await h.twilioPost(`/twilio/status?o=${row.id}`, { MessageSid: sid, MessageStatus: 'sent', AccountSid: ACCOUNT_SID });
    expect(sent.status).toBe(204);
    const undelivered = await h.twilioPost(`/twilio/status?o=${row.id}`, { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect(undelivered.status).toBe(204);
    expect(h.outbox()[0].status).toBe('undelivered');
    // the family, due at 3 min, is texted now
    await until(() => h.fake.to(PHONES.family).length === 1, 'family texted early');
    expect(h.clock.now()).toBe(alert.openedAt);
    expect(h.timelineOf('delivery')).toEqual([expect.objectContaining({ alertId: alert.id, contact: 'Wang Neighbor', status: 'undelivered', errorCode: '30003' })]);
    expect(h.timelineOf('escalation').some((e) => e.event === 'early')).toBe(true);

    // and the family's text is delivered
    const familyRow = h.outbox().find((r) => r.phone === PHONES.family)!;
    await h.twilioPost('/twilio/status', { MessageSid: h.fake.to(PHONES.family)[0].sid!, MessageStatus: 'delivered' });
    expect(h.outbox().find((r) => r.id === familyRow.id)!.status).toBe('delivered');
  });
});
