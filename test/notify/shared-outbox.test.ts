// One outbox, several processes: delivery workers on separate PostgreSQL pools (what two gateway
// processes of a site are to the database) share the outbox through leased claims. Each text is
// sent once across them, one request per phone at a time; a worker that dies with a request in
// flight stops renewing its lease, and another adopts the text from Twilio's Messages list
// instead of sending it again. The real `twilio` package talks to the local FakeTwilio.
import { afterEach, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import type { Clock, Timer } from '../../src/clock.ts';
import { systemClock } from '../../src/clock.ts';
import { Metrics } from '../../src/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { DeliveryWorker } from '../../src/notify/delivery.ts';
import { TwilioSender, type SmsSender } from '../../src/notify/index.ts';
import { createDatabase, dropDatabase } from '../store/pg.ts';
import { FakeTwilio } from './fake-twilio.ts';
import { until } from './harness.ts';
import { waitFor } from '../helpers.ts';

const ACCOUNT_SID = 'AC' + '5a4e'.repeat(8);
const FROM = '+15005550006';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const fn of cleanup.splice(0).reverse()) await fn(); });

/** the wall clock, with timers that die together (a process killed) */
function killableClock(): Clock & { kill(): void } {
  const timers = new Set<Timer>();
  return {
    now: () => systemClock.now(),
    setTimer(at, fn) {
      const t = systemClock.setTimer(at, () => { timers.delete(t); fn(); });
      timers.add(t);
      return t;
    },
    kill() { for (const t of timers) t.cancel(); timers.clear(); },
  };
}

/** requests to one phone in flight at once, across every worker of the test */
class Overlap {
  private now = new Map<string, number>();
  max = 0;
  wrap(sender: TwilioSender): SmsSender {
    const track = async <T>(phone: string, fn: () => Promise<T>): Promise<T> => {
      const n = (this.now.get(phone) ?? 0) + 1;
      this.now.set(phone, n);
      this.max = Math.max(this.max, n);
      try { return await fn(); } finally { this.now.set(phone, (this.now.get(phone) ?? 1) - 1); }
    };
    return {
      settleMs: sender.settleMs,
      sendSms: (to, body, cb) => track(to, () => sender.sendSms(to, body, cb)),
      findSms: (q) => track(q.to, () => sender.findSms(q)),
    };
  }
}

async function site(): Promise<{ url: string; fake: FakeTwilio; open(): Promise<PostgresStore> }> {
  const url = await createDatabase();
  cleanup.push(() => dropDatabase(url));
  const fake = await new FakeTwilio().start();
  cleanup.push(() => fake.stop());
  const stores: PostgresStore[] = [];
  cleanup.push(async () => { for (const s of stores) await s.close().catch(() => {}); });
  return {
    url, fake,
    async open() {
      const s = await openPostgresStore({ url, poolSize: 4 });
      stores.push(s);
      return s;
    },
  };
}

function worker(store: PostgresStore, sender: SmsSender, clock: Clock, metrics = new Metrics()) {
  const sent: Array<{ id: number; found: boolean }> = [];
  const w = new DeliveryWorker({
    outbox: store.outbox, sender, clock, metrics, log: createLogger({ level: 'silent' }),
    statusCallback: () => undefined, retry: { baseMs: 200, capMs: 400 },
    hooks: { sent: (row, _id, found) => sent.push({ id: row.id, found }), retrying: () => {}, failed: () => {} },
  });
  return { w, sent, metrics };
}

it('two processes on one outbox send each text once, one request per phone at a time', async () => {
  const { fake, open } = await site();
  const [a, b] = [await open(), await open()];
  const overlap = new Overlap();
  const sender = () => overlap.wrap(new TwilioSender({ accountSid: ACCOUNT_SID, authToken: 'shared-outbox', from: FROM, apiBaseUrl: fake.url }));
  const wa = worker(a, sender(), systemClock);
  const wb = worker(b, sender(), systemClock);
  cleanup.push(() => wa.w.stop(), () => wb.w.stop());
  wa.w.start();
  wb.w.start();
  // each process queues the texts of the alerts it decided, and wakes its own worker; the
  // phones are shared, so the two race for them
  const ids: number[] = [];
  for (let i = 0; i < 36; i++) {
    const [store, w] = i % 2 ? [b, wb.w] : [a, wa.w];
    ids.push((await store.outbox.enqueue({
      alertId: null, residentId: `r-${i % 9}`, contactId: null, phone: `+86139000000${i % 6}`, channel: 'sms', step: null,
      body: `text ${i}`, at: Date.now(),
    }))!);
    w.flush();
    if (i % 6 === 5) await new Promise((r) => setTimeout(r, 5));
  }
  await until(() => fake.messages.length >= 36 && wa.sent.length + wb.sent.length >= 36, 'all 36 texts sent', 20_000);
  await new Promise((r) => setTimeout(r, 300)); // anything sent twice would arrive now

  expect(fake.messages).toHaveLength(36);
  for (let i = 0; i < 36; i++) expect(fake.messages.filter((m) => m.form.Body === `text ${i}`), `text ${i}`).toHaveLength(1);
  expect(overlap.max, 'requests to one phone in flight at once').toBe(1);
  // both processes did part of the work, and each row was recorded by one of them
  expect(wa.sent.length).toBeGreaterThan(0);
  expect(wb.sent.length).toBeGreaterThan(0);
  expect([...wa.sent, ...wb.sent].map((s) => s.id).sort((x, y) => x - y)).toEqual(ids);
  for (const id of ids) {
    const row = (await a.outbox.get(id))!;
    expect(row.status).toBe('sent');
    expect(fake.messages.find((m) => m.sid === row.providerId)?.form.Body).toBe(row.body);
  }
}, 60_000);

it('a process that dies with a request in flight: another adopts the text from Twilio once the lease runs out, never sends it again', async () => {
  const { fake, open } = await site();
  const a = await open();
  const phone = '+8613900000077';
  const twilioSender = () => new TwilioSender({
    accountSid: ACCOUNT_SID, authToken: 'shared-outbox', from: FROM, apiBaseUrl: fake.url, requestTimeoutMs: 2_000,
  });
  const now = Date.now() - 1000; // Twilio's date_created is to the second
  const id = (await a.outbox.enqueue({ alertId: null, residentId: 'r-1', contactId: null, phone, channel: 'sms', step: null, body: 'SOS: Zhang', at: now }))!;

  const release = fake.hold(phone);
  const clockA = killableClock();
  const wa = worker(a, twilioSender(), clockA);
  wa.w.start();
  await until(() => fake.requests.some((r) => r.form.To === phone), 'the request in flight from process A');
  const leasedAt = Date.now();
  // A dies: its timers stop (no more lease renewals) and its connections go
  clockA.kill();
  await a.close();
  release(); // Twilio accepts the text; nobody is left in A to record it
  await until(() => fake.to(phone).length === 1, 'Twilio has the text');

  const b = await open();
  const wb = worker(b, twilioSender(), systemClock);
  cleanup.push(() => wb.w.stop());
  wb.w.start();
  await waitFor(async () => (await b.outbox.get(id))?.status === 'sent', 15_000, 'B records the text');
  const adoptedAfter = Date.now() - leasedAt;
  await new Promise((r) => setTimeout(r, 500));

  expect(fake.to(phone)).toHaveLength(1);
  const row = (await b.outbox.get(id))!;
  expect(row.providerId).toBe(fake.to(phone)[0].sid);
  expect(wb.sent).toEqual([{ id, found: true }]);
  expect(wb.metrics.get('gateway_notify_lookups_total', { outcome: 'found' })).toBe(1);
  // not before A's lease (the sender's settle time, 2 s here) could have run out
  expect(adoptedAfter).toBeGreaterThanOrEqual(1_000);
}, 60_000);

it('a live process renews its lease: a slow request is never taken over by another process', async () => {
  const { fake, open } = await site();
  const [a, b] = [await open(), await open()];
  const phone = '+8613900000088';
  const twilioSender = () => new TwilioSender({
    accountSid: ACCOUNT_SID, authToken: 'shared-outbox', from: FROM, apiBaseUrl: fake.url, requestTimeoutMs: 10_000,
  });
  const id = (await a.outbox.enqueue({ alertId: null, residentId: 'r-1', contactId: null, phone, channel: 'sms', step: null, body: 'slow', at: Date.now() }))!;
  const release = fake.hold(phone);
  const wa = worker(a, withSettle(twilioSender(), 1_000), systemClock);
  cleanup.push(() => wa.w.stop());
  wa.w.start();
  await until(() => fake.requests.some((r) => r.form.To === phone), 'the request in flight from process A');
  const wb = worker(b, twilioSender(), systemClock);
  cleanup.push(() => wb.w.stop());
  wb.w.start();
  // A's request takes three of its leases (1 s each): B must not claim the row meanwhile
  await new Promise((r) => setTimeout(r, 2_500));
  expect(fake.listRequests, 'no look-up by B: the row was never in doubt').toHaveLength(0);
  release();
  await waitFor(async () => (await a.outbox.get(id))?.status === 'sent', 5_000, 'A records its text');
  expect(fake.to(phone)).toHaveLength(1);
  expect(wa.sent).toEqual([{ id, found: false }]);
  expect(wb.sent).toEqual([]);
}, 60_000);

/** the same sender with a shorter lease (settle time), so that one request outlives several leases */
function withSettle(sender: TwilioSender, settleMs: number): SmsSender {
  return { settleMs, sendSms: (to, body, cb) => sender.sendSms(to, body, cb), findSms: (q) => sender.findSms(q) };
}
