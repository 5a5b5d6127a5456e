// Replies and key presses: a signed "1" acknowledges, a forged one gets 403, the resident's
// "1" answers the pre-alarm, and nothing else ever acknowledges.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, until, testConfig, PHONES, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => { await h?.close(); });

// each reply is its own message: Twilio names every one, and the gateway acts on a name once
let sids = 0;
const reply = (from: string, body: string) => ({ From: from, To: '+15005550006', Body: body, MessageSid: 'SM' + String(++sids).padStart(32, '0'), AccountSid: 'ACx' });

describe('a reply of 1', () => {
  it('from a texted contact stops the escalation; the others already told hear who has it', async () => {
    h = await harness();
    const alert = h.open('smoke');
    await until(() => h.fake.messages.length === 2, 'two texts');

    const res = await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, ' 1 '));
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^<\?xml.*<Response><Message>谢谢，已确认由您处理Zhang Xiuying的报警/);
    expect(h.alerts.get(alert.id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Wang Neighbor', escalationDue: null });

    // the family, already told, hears who is handling it; the neighbour is not told about themself
    await until(() => h.fake.to(PHONES.family).length === 2, 'family follow-up');
    expect(h.fake.to(PHONES.family)[1].form.Body).toBe('Wang Neighbor is handling the alert for Zhang Xiuying. Thank you.');
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(1);

    // the caseworker step (2 min) never fires
    await h.clock.advance(20 * 60_000);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.caseworker)).toHaveLength(0);
    expect(h.alerts.get(alert.id)!.unanswered).toBe(false);
    expect(h.timelineOf('reply')).toEqual([expect.objectContaining({ alertId: alert.id, contact: 'Wang Neighbor', role: 'neighbor', action: 'acknowledged' })]);

    // a second "好" from the family: already handled, no second acknowledgement, no new texts
    const again = await h.twilioPost('/twilio/sms', reply(PHONES.family, '好'));
    expect(again.body).toContain('Wang Neighbor is already handling the alert for Zhang Xiuying');
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(3);
  });

  it.each(['1', 'OK', 'ok.', 'Yes', ' YES ', '收到', '好', '１', 'ＯＫ'])('"%s" is a confirmation', async (word) => {
    h = await harness();
    const alert = h.open('emergency');
    await until(() => h.fake.messages.length === 1, 'neighbour text');
    await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, word));
    expect(h.alerts.get(alert.id)!.status).toBe('acknowledged');
  });

  it('acknowledges the newest open alert that contact was texted about', async () => {
    h = await harness();
    const older = h.open('battery_low');
    const emergency = h.open('emergency');
    await h.clock.advance(1000);
    const smoke = h.open('smoke');
    await until(() => h.fake.to(PHONES.neighbor).length === 2, 'neighbour texted twice');
    await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, '1'));
    expect(h.alerts.get(smoke.id)!.status).toBe('acknowledged');
    expect(h.alerts.get(emergency.id)!.status).toBe('open');
    expect(h.alerts.get(older.id)!.status).toBe('open');
    await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, '1'));
    expect(h.alerts.get(emergency.id)!.status).toBe('acknowledged');
  });
});

describe('what never acknowledges', () => {
  it('a forged or missing signature gets 403', async () => {
    h = await harness();
    const alert = h.open('smoke');
    await until(() => h.fake.messages.length === 2, 'two texts');
    const forged = await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, '1'), 'bm90IGEgc2lnbmF0dXJl');
    expect(forged.status).toBe(403);
    const unsigned = await h.http.inject({
      method: 'POST', url: '/twilio/sms', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(reply(PHONES.neighbor, '1')).toString(),
    });
    expect(unsigned.statusCode).toBe(403);
    // signed for other fields than the ones sent
    const twisted = await h.twilioPost('/twilio/status', { MessageSid: 'SMx', MessageStatus: 'failed' },
      (await import('twilio')).default.getExpectedTwilioSignature('test-twilio-auth-token', 'https://gateway.example.org/twilio/status', { MessageSid: 'SMx', MessageStatus: 'delivered' }));
    expect(twisted.status).toBe(403);
    expect(h.alerts.get(alert.id)!.status).toBe('open');
    expect(h.metrics.total('gateway_twilio_webhook_rejected_total')).toBe(3);
  });

  it('an unknown number and an unknown word get a helpful reply', async () => {
    h = await harness();
    const alert = h.open('smoke');
    await until(() => h.fake.messages.length === 2, 'two texts');
    const stranger = await h.twilioPost('/twilio/sms', reply('+8613999999999', '1'));
    expect(stranger.status).toBe(200);
    expect(stranger.body).toContain('only sends home-safety alerts');
    const word = await h.twilioPost('/twilio/sms', reply(PHONES.family, 'what happened?'));
    expect(word.body).toContain('Reply 1 if you are handling the alert for Zhang Xiuying');
    const zh = await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, '在路上了'));
    expect(zh.body).toContain('请回复1');
    // a known contact never texted about anything
    const caseworker = await h.twilioPost('/twilio/sms', reply(PHONES.caseworker, '1'));
    expect(caseworker.body).toContain('目前没有需要您处理的报警');
    expect(h.alerts.get(alert.id)!.status).toBe('open');
  });
});

describe('the resident pre-alarm', () => {
  it('asks the resident first; their "1" resolves the alert before any neighbour is disturbed', async () => {
    h = await harness();
    const alert = h.open('inactivity');
    await until(() => h.fake.to(PHONES.resident).length === 1, 'pre-alarm');
    expect(h.fake.to(PHONES.resident)[0].form.Body).toBe('Zhang Xiuying您好，这里是平安服务。请问您一切安好吗？安好请回复1。');
    const res = await h.twilioPost('/twilio/sms', reply(PHONES.resident, '1'));
    expect(res.body).toContain('谢谢Zhang Xiuying，祝您安好');
    expect(h.alerts.get(alert.id)).toMatchObject({ status: 'resolved', resolvedBy: 'Zhang Xiuying', escalationDue: null });
    expect(h.timelineOf('alert_update')).toEqual([expect.objectContaining({ reason: 'resident confirmed well' })]);
    await h.clock.advance(30 * 60_000);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(0);
  });

  it('silence lets the neighbour step fire', async () => {
    h = await harness();
    h.open('inactivity');
    await until(() => h.fake.to(PHONES.resident).length === 1, 'pre-alarm');
    await h.clock.advance(10 * 60_000);
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'neighbour at 10 min');
    expect(h.fake.to(PHONES.neighbor)[0].form.Body).toContain('长时间无活动');
  });

  it('smoke never waits for the resident, and their "1" does not stop it', async () => {
    h = await harness({
      config: (url) => testConfig(url, {
        escalation: { smoke: [{ notify: ['resident'], after: '0s' }, { notify: ['neighbor'], after: '5m' }, { notify: ['family'], after: '10m' }] },
      }),
    });
    const alert = h.open('smoke');
    // the neighbour step follows the resident's at once
    await until(() => h.fake.to(PHONES.neighbor).length === 1 && h.fake.to(PHONES.resident).length === 1, 'resident and neighbour');
    expect(h.fake.to(PHONES.resident)[0].form.Body).toBe('您家烟雾报警，已通知您的联系人。');
    const res = await h.twilioPost('/twilio/sms', reply(PHONES.resident, '1'));
    expect(res.body).toContain('已通知您的联系人');
    expect(h.alerts.get(alert.id)!.status).toBe('open');
    await h.clock.advance(10 * 60_000);
    await until(() => h.fake.to(PHONES.family).length === 1, 'family at 10 min');
  });
});

describe('a call', () => {
  it('says the alert in the contact\'s language and a key press of 1 acknowledges', async () => {
    h = await harness({
      config: (url) => testConfig(url, { escalation: { emergency: [{ notify: ['neighbor', 'family'], after: '0s', via: 'call' }] } }),
    });
    const alert = h.open('emergency');
    await until(() => h.fake.calls.length === 2, 'two calls');
    const zh = h.fake.calls.find((c) => c.form.To === PHONES.neighbor)!;
    const en = h.fake.calls.find((c) => c.form.To === PHONES.family)!;
    expect(zh.form.Twiml).toContain(`<Gather numDigits="1" action="https://gateway.example.org/twilio/voice?alert=${alert.id}" method="POST"`);
    expect(zh.form.Twiml).toContain('language="cmn-CN"');
    expect(zh.form.Twiml).toContain('紧急呼叫按钮被按下');
    expect(en.form.Twiml).toContain('language="en-US"');
    expect(en.form.Twiml).toContain('EMERGENCY BUTTON pressed at the home of Zhang Xiuying, Building 3, Unit 2, Room 601. Press 1');

    const url = `/twilio/voice?alert=${alert.id}`;
    const wrong = await h.twilioPost(url, { CallSid: zh.sid!, To: PHONES.neighbor, From: '+15005550006', Digits: '7' });
    expect(wrong.body).toContain('<Gather');
    expect(h.alerts.get(alert.id)!.status).toBe('open');
    const pressed = await h.twilioPost(url, { CallSid: zh.sid!, To: PHONES.neighbor, From: '+15005550006', Digits: '1' });
    expect(pressed.status).toBe(200);
    expect(pressed.body).toContain('<Say');
    expect(h.alerts.get(alert.id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Wang Neighbor' });
    // the family, called, gets a text saying who has it
    await until(() => h.fake.to(PHONES.family).length === 1, 'family told');
    expect(h.fake.to(PHONES.family)[0].form.Body).toContain('Wang Neighbor is handling');
  });

  it('a night-door pre-alarm call: the resident presses 1 and the alert is resolved', async () => {
    h = await harness();
    const alert = h.open('night_door');
    await until(() => h.fake.calls.length === 1, 'call to the resident');
    const call = h.fake.calls[0];
    expect(call.form.To).toBe(PHONES.resident);
    const pressed = await h.twilioPost(`/twilio/voice?alert=${alert.id}`, { CallSid: call.sid!, To: PHONES.resident, Digits: '1' });
    expect(pressed.body).toContain('祝您安好');
    expect(h.alerts.get(alert.id)!.status).toBe('resolved');
    await h.clock.advance(10 * 60_000);
    await h.notifier.idle();
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(0);
  });
});

describe('a text on its way during the acknowledgement', () => {
  it('still reaches its reader, followed by who is handling it', async () => {
    h = await harness();
    const release = h.fake.hold(PHONES.family);
    const alert = h.open('smoke');
    await until(() => h.fake.to(PHONES.neighbor).length === 1 && h.fake.requests.some((r) => r.form.To === PHONES.family), 'family request in flight');
    await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, '1'));
    expect(h.alerts.get(alert.id)!.status).toBe('acknowledged');
    release();
    await until(() => h.fake.to(PHONES.family).length === 2, 'the alert text, then the follow-up');
    expect(h.fake.to(PHONES.family)[1].form.Body).toContain('Wang Neighbor is handling');
    expect(h.outbox().find((r) => r.phone === PHONES.family && r.step === 0)!.status).toBe('sent');
  });

  it('a text not yet sent is cancelled instead', async () => {
    h = await harness({ retry: { baseMs: 1000 } });
    h.fake.failFor(PHONES.family, { status: 503 });
    const alert = h.open('smoke');
    await until(() => h.fake.to(PHONES.neighbor).length === 1 && h.outbox().some((r) => r.phone === PHONES.family && r.attempts === 1), 'family retrying');
    await h.twilioPost('/twilio/sms', reply(PHONES.neighbor, '1'));
    expect(h.alerts.get(alert.id)!.status).toBe('acknowledged');
    expect(h.outbox().find((r) => r.phone === PHONES.family)!.status).toBe('cancelled');
    await h.clock.advance(60_000);
    await h.notifier.idle();
    expect(h.fake.requests.filter((r) => r.form.To === PHONES.family)).toHaveLength(1);
  });
});

describe('an alert closed before anyone took it on', () => {
  it('the people already texted hear that it cleared, once', async () => {
    h = await harness();
    const alert = h.open('smoke');
    await until(() => h.fake.messages.length === 2, 'two texts');
    expect(h.alerts.resolve(alert.id, 'system', h.clock.now())).toBe(true);
    h.notifier.alertResolved(h.alerts.get(alert.id)!, 'system');
    h.notifier.alertResolved(h.alerts.get(alert.id)!, 'system');
    await until(() => h.fake.messages.length === 4, 'two follow-ups');
    expect(h.fake.to(PHONES.family)[1].form.Body).toBe('Update: the alert for Zhang Xiuying has cleared.');
    expect(h.fake.to(PHONES.neighbor)[1].form.Body).toBe('更新：Zhang Xiuying的报警已解除。');
    await h.clock.advance(20 * 60_000);
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(4);
  });

  it('a text still on its way when the alert cleared gets the follow-up too', async () => {
    h = await harness();
    // the family's text is accepted by the provider only after the alert has been resolved
    const release = h.fake.hold(PHONES.family);
    const alert = h.open('smoke');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'neighbour text');
    expect(h.alerts.resolve(alert.id, 'system', h.clock.now())).toBe(true);
    h.notifier.alertResolved(h.alerts.get(alert.id)!, 'system');
    release();
    await until(() => h.fake.to(PHONES.family).length === 2, 'family follow-up');
    expect(h.fake.to(PHONES.family)[1].form.Body).toBe('Update: the alert for Zhang Xiuying has cleared.');
    await until(() => h.fake.to(PHONES.neighbor).length === 2, 'neighbour follow-up');
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(4);
  });
});
