// The durable outbox: retries with backoff, permanent refusals, restarts, the log provider.
import { afterEach, describe, expect, it } from 'vitest';
import { harness, until, testConfig, PHONES, type Harness } from './harness.ts';
import { backoffMs } from '../../src/backoff.ts';
import { DEFAULT_RETRY } from '../../src/notify/delivery.ts';
import { classifySendError } from '../../src/notify/senders.ts';

let h: Harness;
afterEach(async () => { await h?.close(); });

describe('retries', () => {
  it('provider 500s are retried with exponential backoff and jitter, and delivered once it recovers', async () => {
    h = await harness({ retry: { baseMs: 1000, capMs: 60_000 } });
    h.fake.failNext(3, { status: 500, code: 20500, message: 'Internal Server Error' });
    const alert = h.open('emergency');
    await until(() => h.outbox()[0]?.attempts === 1, 'first attempt');
    const waits: number[] = [];
    for (let failures = 1; failures <= 3; failures++) {
      const row = h.outbox()[0];
      expect(row.status).toBe('pending');
      const wait = row.nextAttemptAt - h.clock.now();
      waits.push(wait);
      // equal jitter: between half and all of base * 2^(failures-1)
      const ceiling = 1000 * 2 ** (failures - 1);
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThanOrEqual(ceiling);
      await h.clock.advance(wait - 1);
      await h.notifier.idle();
      expect(h.fake.requests).toHaveLength(failures);
      await h.clock.advance(1);
      await until(() => h.fake.requests.length === failures + 1, `attempt ${failures + 1}`);
    }
    await until(() => h.outbox()[0].status === 'sent', 'sent');
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(1);
    expect(h.fake.requests.map((r) => r.status)).toEqual([500, 500, 500, 201]);
    expect(h.metrics.get('gateway_notify_retries_total', { channel: 'sms' })).toBe(3);
    // the casefile shows the trouble once, then the send
    expect(h.timelineOf('notification').map((n) => n.status)).toEqual(['retrying', 'sent']);
    expect(h.alerts.get(alert.id)!.status).toBe('open');
  });

  it('network errors and timeouts retry too; a 400 and 21211 do not', () => {
    expect(classifySendError({ status: 503 }).permanent).toBe(false);
    expect(classifySendError({ status: 429, code: 20429 }).permanent).toBe(false);
    expect(classifySendError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).permanent).toBe(false);
    expect(classifySendError(Object.assign(new Error('timeout'), { code: 'ECONNABORTED' })).permanent).toBe(false);
    expect(classifySendError({ status: 400, code: 21211 })).toEqual({ permanent: true, reason: 'http 400 code 21211' });
    expect(classifySendError({ status: 400, code: 21614 }).permanent).toBe(true);
    // a wrong account setting: a fix and a restart should still deliver
    expect(classifySendError({ status: 401, code: 20003 }).permanent).toBe(false);
    const waits = [1, 2, 3, 4, 10, 20].map((n) => backoffMs(n, DEFAULT_RETRY, () => 1));
    expect(waits).toEqual([2000, 4000, 8000, 16000, 300_000, 300_000]);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(4000);
  });

  it('a dropped connection is retried', async () => {
    h = await harness({ retry: { baseMs: 1000 } });
    h.fake.failNext(1, { status: 0, reset: true });
    h.open('emergency');
    await until(() => h.outbox()[0]?.attempts === 1, 'first attempt');
    expect(h.outbox()[0].status).toBe('pending');
    await h.clock.advance(1000);
    await until(() => h.outbox()[0].status === 'sent', 'sent on retry');
    expect(h.fake.to(PHONES.neighbor)).toHaveLength(1);
  });

  it('an invalid number (21211) is not retried: the caseworker is told and the next step comes early', async () => {
    h = await harness();
    h.fake.failFor(PHONES.neighbor, { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker told');
    expect(h.fake.to(PHONES.caseworker)[0].form.Body).toBe('无法通知Wang Neighbor（邻居）Zhang Xiuying的报警：号码被拒绝，请核对联系人信息。');
    // the family step (3 min) did not wait for a text that will never arrive
    await until(() => h.fake.to(PHONES.family).length === 1, 'family early');
    expect(h.clock.now()).toBe(alert.openedAt);
    await h.clock.advance(60 * 60_000);
    await h.notifier.idle();
    const neighbourRows = h.outbox().filter((r) => r.phone === PHONES.neighbor);
    expect(neighbourRows).toEqual([expect.objectContaining({ status: 'failed', attempts: 1 })]);
    expect(h.fake.requests.filter((r) => r.form.To === PHONES.neighbor)).toHaveLength(1);
    expect(h.timelineOf('notification').find((n) => n.status === 'failed')).toMatchObject({ contact: 'Wang Neighbor', reason: 'http 400 code 21211' });
  });

  it('a text still unsent after the give-up time fails and the caseworker is told', async () => {
    h = await harness({ retry: { baseMs: 1000, capMs: 10_000, giveUpAfterMs: 60_000 } });
    h.fake.failFor(PHONES.neighbor, { status: 503 });
    h.open('emergency');
    await until(() => h.outbox()[0]?.attempts === 1, 'first attempt');
    for (let i = 0; i < 12 && h.outbox()[0].status === 'pending'; i++) {
      await h.clock.advance(10_000);
      await h.notifier.idle();
    }
    expect(h.outbox()[0].status).toBe('failed');
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker told');
  });

  it('an acknowledgement cancels texts not yet sent', async () => {
    h = await harness();
    h.fake.setOutage({ status: 500 });
    const alert = h.open('smoke');
    await until(() => h.outbox().length === 2 && h.outbox().every((r) => r.attempts === 1), 'first attempts');
    await h.acknowledge(alert.id, 'li-caseworker');
    expect(h.outbox().map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    h.fake.setOutage(null);
    await h.clock.advance(30 * 60_000);
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(0);
  });
});

describe('restarts', () => {
  it('a new notifier on the same file resumes a pending send and a due escalation exactly once', async () => {
    h = await harness({ retry: { baseMs: 1000 } });
    h.fake.setOutage({ status: 503 });
    const alert = h.open('emergency');
    await until(() => h.outbox()[0]?.attempts === 1, 'first attempt during the outage');
    // the process dies (no stop), the provider recovers, time passes the family step
    await h.restart({ crash: true });
    h.fake.setOutage(null);
    await h.clock.advance(1000);
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'pending text resumed at its retry time');
    await h.clock.advance(3 * 60_000);
    await until(() => h.fake.to(PHONES.family).length === 1, 'family step');
    // down across the unanswered time, then up again
    await h.restart();
    await h.clock.advance(0);
    await h.restart({ crash: true });
    await h.clock.advance(11 * 60_000);
    await until(() => h.fake.to(PHONES.caseworker).length === 1, 'caseworker told');
    await h.restart();
    await h.clock.advance(60 * 60_000);
    await h.notifier.idle();
    expect(h.fake.messages.map((m) => m.form.To)).toEqual([PHONES.neighbor, PHONES.family, PHONES.caseworker]);
    expect(h.alerts.get(alert.id)!.unanswered).toBe(true);
    expect(h.timelineOf('escalation').filter((e) => e.event === 'unanswered')).toHaveLength(1);
  });

  it('a due escalation step that passed while the gateway was down fires once at start', async () => {
    h = await harness();
    const alert = h.open('emergency');
    await until(() => h.fake.to(PHONES.neighbor).length === 1, 'neighbour');
    await h.notifier.stop();
    await h.clock.advance(5 * 60_000);
    await h.restart();
    await until(() => h.fake.to(PHONES.family).length === 1, 'family step on start');
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(2);
    expect(h.alerts.get(alert.id)!.escalationDue).toBe(h.clock.now() + 10 * 60_000);
  });
});

describe('the log provider', () => {
  it('writes texts to the log by id only, and refuses every webhook without an auth token', async () => {
    h = await harness({
      config: (url) => {
        const c = testConfig(url, { sms: { provider: 'log' } });
        return { ...c, twilio: undefined };
      },
    });
    const alert = h.open('smoke');
    await until(() => h.outbox().filter((r) => r.status === 'sent').length === 2, 'two texts to the log');
    expect(h.fake.requests).toHaveLength(0);
    const lines = h.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg?.includes('sms.provider: log'));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).toMatchObject({ alertId: alert.id, channel: 'sms' });
      expect(typeof l.outboxId).toBe('number');
      expect(typeof l.contactId).toBe('number');
    }
    const all = h.logs.text();
    for (const phone of Object.values(PHONES)) expect(all).not.toContain(phone);
    expect(all).not.toContain('Building 3');
    expect(all).not.toContain('烟雾');
    const res = await h.twilioPost('/twilio/sms', { From: PHONES.neighbor, Body: '1' });
    expect(res.status).toBe(403);
    expect(h.alerts.get(alert.id)!.status).toBe('open');
  });
});

describe('an acknowledgement while the notifier is down', () => {
  it('cancels the texts it had pending', async () => {
    h = await harness({ retry: { baseMs: 1000 } });
    h.fake.setOutage({ status: 503 });
    const alert = h.open('emergency');
    await until(() => h.outbox()[0]?.attempts === 1, 'first attempt');
    await h.notifier.stop();
    // the API acknowledges while the notifier is stopped: nobody tells it
    expect(h.alerts.acknowledge(alert.id, 'li-caseworker', h.clock.now())).toBe(true);
    h.fake.setOutage(null);
    await h.restart();
    await h.clock.advance(60_000);
    await h.notifier.idle();
    expect(h.fake.messages).toHaveLength(0);
    expect(h.outbox()[0].status).toBe('cancelled');
  });
});
