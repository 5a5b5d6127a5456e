// The SMS provider is down for a minute, answering 500s and 503s,
// hanging until the client times out, and accepting some texts while the answer never comes
// back; then it recovers. Every text arrives exactly once after it returns: none lost, and
// none of the texts the provider had already accepted sent a second time.
//
// The whole gateway (buildApp: broker, store, rules, notifier) with real MQTT presses and the
// real twilio package against a local Twilio-compatible server. The minute is a virtual-clock
// minute (the notifier's retry schedule runs on the injected clock), so the test does not wait
// out the backoff; the HTTP requests and their timeouts are real. The twilio client's timeout
// is 1.5 s here instead of the production 15 s (REQUEST_TIMEOUT_MS) so hangs end quickly.
import { afterEach, expect, it } from 'vitest';
import { sqliteStores, startGateway, type TestGateway } from '../helpers.ts';
import { FakeTwilio, type Failure } from '../notify/fake-twilio.ts';
import { VirtualClock } from '../notify/harness.ts';
import { TwilioSender } from '../../src/notify/index.ts';
import { sleep, until } from './util.ts';

const ACCOUNT_SID = 'AC' + '0d7a'.repeat(8);
const FROM = '+15005550006';
const REQUEST_TIMEOUT_MS = 1500;

const residents = Array.from({ length: 8 }, (_, i) => ({
  id: `r-${i + 1}`, name: `Resident ${i + 1}`, button: `btn-${i + 1}`, secret: `secret-${i + 1}`, phone: `+86139100000${i + 1}`,
}));

/** the outage, by virtual second since the first press; recovered from 60 s */
const PHASES: Array<{ from: number; failure: Failure; what: string }> = [
  { from: 0, failure: { status: 500, code: 20500, message: 'Internal Server Error' }, what: '500s' },
  { from: 15, failure: { status: 0, hang: true }, what: 'hangs until the client times out' },
  { from: 30, failure: { status: 0, hang: true, accepted: true }, what: 'texts accepted, answers never sent' },
  { from: 40, failure: { status: 0, reset: true, accepted: true }, what: 'texts accepted, connections dropped' },
  { from: 48, failure: { status: 503, code: 20503, message: 'Service Unavailable' }, what: '503s' },
];
/** which residents press, at which virtual second of the outage */
const PRESSES: Array<{ at: number; who: number[] }> = [
  { at: 0, who: [0, 1] }, { at: 10, who: [2] }, { at: 20, who: [3] }, { at: 32, who: [4, 5] }, { at: 42, who: [6] }, { at: 50, who: [7] },
];

let gw: TestGateway | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  await gw?.stop();
  await fake?.stop();
  gw = undefined;
  fake = undefined;
});

it('a minute of provider outage (500s, hangs, lost answers, resets): every text arrives exactly once after it returns', async () => {
  fake = await new FakeTwilio().start();
  // behind the wall clock, so that Twilio's date_created (real time) is never before a row's created_at
  const clock = new VirtualClock(Date.now() - 10 * 60_000);
  const sender = new TwilioSender({
    accountSid: ACCOUNT_SID, authToken: 'outage-auth-token', from: FROM, apiBaseUrl: fake.url, requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  gw = await startGateway({
    http: { host: '127.0.0.1', port: 0, publicUrl: 'https://gateway.example.org' },
    ...fake.gatewayConfig({ accountSid: ACCOUNT_SID, authToken: 'outage-auth-token', from: FROM }),
    escalation: { emergency: [{ notify: ['neighbor'], after: '0s' }] },
    residents: residents.map((r) => ({
      id: r.id, name: r.name, address: `Building ${r.id}`, timezone: 'Asia/Shanghai', locale: 'en',
      contacts: [{ name: `Neighbour of ${r.name}`, phone: r.phone, role: 'neighbor' }],
      devices: [{ id: r.button, kind: 'button', secret: r.secret }],
    })),
  }, { clock, sender });
  const { db } = sqliteStores(gw.app);
  const buttons = await Promise.all(residents.map((r) => gw!.connect(r.button, r.secret)));

  const start = clock.now();
  const log: string[] = [];
  for (let second = 0; second < 60; second++) {
    const phase = [...PHASES].reverse().find((p) => p.from <= second)!;
    if (phase.from === second) { fake.setOutage(phase.failure); log.push(`${second}s: ${phase.what}`); }
    for (const p of PRESSES.filter((x) => x.at === second)) {
      await Promise.all(p.who.map((i) => buttons[i].publishAsync(`devices/${residents[i].button}`, '{"action":"sos"}', { qos: 1 })));
    }
    await clock.advance(1000);
    // real time for requests to be answered, or to hang until the client gives up
    await sleep(phase.failure.hang ? 250 : 40);
  }
  expect(clock.now() - start).toBe(60_000);
  const duringOutage = fake.requests.length;
  const lost = fake.messages.length; // accepted while the answers were lost
  expect(fake.requests.filter((r) => r.status === -2).length, 'requests that hung until the client timed out').toBeGreaterThan(0);
  expect(lost, 'texts the provider accepted without the gateway hearing so').toBeGreaterThan(0);
  const inDoubt = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'sending' OR last_error LIKE 'in doubt:%'`).get() as { n: number };
  expect(inDoubt.n, 'rows whose last request ended without an answer').toBeGreaterThan(0);
  expect(db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'`).get()).toEqual({ n: 0 });

  // the provider is back: the retries (up to about a minute apart by now) find it
  fake.setOutage(null);
  log.push('60s: recovered');
  const open = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`);
  for (let step = 0; step < 120 && (open.get() as { n: number }).n > 0; step++) {
    await clock.advance(5000);
    await gw.app.notifier.idle();
  }
  await until(() => (open.get() as { n: number }).n === 0, 10_000, `every text sent (${log.join('; ')})`);
  await clock.advance(10 * 60_000);
  // every request started is answered and recorded: nothing is still on its way
  await gw.app.notifier.idle();

  const rows = db.prepare(`SELECT phone, status, provider_id AS providerId, attempts FROM outbox ORDER BY id`).all() as
    Array<{ phone: string; status: string; providerId: string; attempts: number }>;
  expect(rows).toHaveLength(residents.length);
  for (const r of residents) {
    const texts = fake.to(r.phone);
    expect(texts, `texts to ${r.name}'s neighbour`).toHaveLength(1);
    expect(texts[0].form.Body).toContain(r.name);
    const row = rows.find((x) => x.phone === r.phone)!;
    expect(row.status).toBe('sent');
    expect(row.providerId, 'the outbox names the text the provider has').toBe(texts[0].sid);
    expect(row.attempts).toBeGreaterThan(1);
  }
  const found = db.prepare(`SELECT COUNT(*) AS n FROM timeline WHERE type = 'notification' AND json_extract(data, '$.found') = 1`).get() as { n: number };
  expect(found.n, 'texts accepted during the outage are adopted, not sent again').toBe(lost);
  expect(gw.app.metrics.get('gateway_notify_lookups_total', { outcome: 'found' })).toBe(lost);
  expect(gw.app.metrics.get('gateway_notify_failed_total', { channel: 'sms', permanent: 'false' }) ?? 0).toBe(0);
  console.log(`outage: ${residents.length} alarms, ${duringOutage} requests during the minute ` +
    `(${fake.requests.slice(0, duringOutage).filter((r) => r.status === -2).length} hung), ${lost} texts accepted with the answer lost, ` +
    `${fake.messages.length} texts in all, ${fake.listRequests.length} look-ups`);
}, 120_000);
