// SIGKILL the real gateway process at random moments while alarms flow,
// 20 rounds, restarting it on the same database each time. At the end every alarm is stored
// (a resent press may be stored twice: an alarm is never dropped as a duplicate), opened one
// alert, and its neighbour got exactly one text at the Twilio-compatible server: zero lost,
// zero duplicated.
//
// Each round presses buttons that have not alarmed yet (one resident each, so each press is a
// new alert with its own neighbour), and kills the process at a moment chosen by a seeded PRNG
// (FAULT_SEED=n to reproduce or vary): between two PUBLISHes of the burst, right after a PUBACK,
// a few ms into the burst, while the fake Twilio holds a text in flight, the instant it accepts
// a text, or up to a second after the burst. A press
// without its PUBACK is pressed again in the next round the way a device resends (same message
// id, DUP), so every alarm is PUBACKed in the end.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawnGateway, writeConfig, type GatewayProcess } from '../process.ts';
import { RawClient } from '../broker/raw-client.ts';
import { FakeTwilio } from '../notify/fake-twilio.ts';
import { prng } from '../../bench/prng.ts';
import { withTimeout, sleep, until } from './util.ts';

const SEED = Number(process.env.FAULT_SEED ?? 7_2026);
const ROUNDS = 20;
const PER_ROUND = 6;
const ACCOUNT_SID = 'AC' + 'f417'.repeat(8);
const MODES = ['publishing', 'puback', 'burst', 'held', 'accepted', 'late'] as const;
type Mode = typeof MODES[number];

interface Button { id: string; secret: string; resident: string; name: string; phone: string; messageId: number; acked: boolean; tries: number }

const buttons: Button[] = Array.from({ length: ROUNDS * PER_ROUND }, (_, i) => {
  const n = String(i + 1).padStart(3, '0');
  return {
    id: `btn-${n}`, secret: `secret-${n}`, resident: `r-${n}`, name: `Resident ${n}`,
    phone: `+861390000${n.padStart(4, '0')}`, messageId: 1 + (i % 60_000), acked: false, tries: 0,
  };
});

let dir: string;
let fake: FakeTwilio;
let gw: GatewayProcess | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-sigkill-rounds-'));
  fake = await new FakeTwilio().start();
});
afterAll(async () => {
  if (gw && gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL');
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(): Record<string, unknown> {
  return {
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0, publicUrl: 'https://gateway.example.org' },
    storage: { path: join(dir, 'gateway.db'), sync: 'normal' },
    ...fake.gatewayConfig({ accountSid: ACCOUNT_SID, authToken: 'fault-test-auth-token' }),
    escalation: { emergency: [{ notify: ['neighbor'], after: '0s' }] },
    residents: buttons.map((b) => ({
      id: b.resident, name: b.name, address: `Building ${b.resident}`, timezone: 'Asia/Shanghai', locale: 'en',
      contacts: [{ name: `Neighbour of ${b.name}`, phone: b.phone, role: 'neighbor' }],
      devices: [{ id: b.id, kind: 'button', secret: b.secret }],
    })),
  };
}

/** a button's MQTT connection (username = its id, password = its secret) */
async function connect(port: number, b: Button): Promise<RawClient> {
  const { client, connack } = await withTimeout(RawClient.open(port, b.id, b.secret), 10_000, `${b.id} connecting`);
  if (connack.returnCode !== 0) throw new Error(`${b.id} refused: ${connack.returnCode}`);
  return client;
}

/** presses the button: QoS 1, again with DUP and the same message id if an earlier press had no PUBACK */
function press(client: RawClient, b: Button, onAck: () => void): void {
  const dup = b.tries > 0;
  b.tries++;
  client.publish(`devices/${b.id}`, '{"action":"sos"}', b.messageId, dup).then(() => { b.acked = true; onAck(); }, () => {});
}

it(`${ROUNDS} rounds of SIGKILL while alarms flow: every PUBACKed alarm stored and texted exactly once`, async () => {
  const rng = prng(SEED);
  const file = writeConfig(dir, config());
  // every mode three or four times, in a seeded order
  const modes: Mode[] = Array.from({ length: ROUNDS }, (_, i) => MODES[i % MODES.length]);
  for (let i = modes.length - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [modes[i], modes[j]] = [modes[j], modes[i]]; }
  const log: string[] = [];
  let kills = 0;
  let heldAtKill = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const mode = modes[round];
    gw = await spawnGateway(file);
    const running = gw;
    const fresh = buttons.slice(round * PER_ROUND, (round + 1) * PER_ROUND);
    const resend = buttons.slice(0, round * PER_ROUND).filter((b) => !b.acked);
    const batch = [...resend, ...fresh];
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      running.child.kill('SIGKILL');
    };
    let acks = 0;
    const ackTarget = 1 + Math.floor(rng() * batch.length);
    const onAck = () => { acks++; if (mode === 'puback' && acks === ackTarget) kill(); };

    let release: (() => void) | null = null;
    const target = fresh[Math.floor(rng() * fresh.length)];
    if (mode === 'held') release = fake.hold(target.phone);
    if (mode === 'accepted') fake.nextMessageTo(target.phone, 20_000).then(kill, () => {});
    const delay = Math.floor(rng() * (mode === 'burst' ? 40 : 1000));
    const releaseAfter = Math.floor(rng() * 1500);

    // connect every button first, then the burst: the kill falls among the publishes
    const clients = await Promise.all(batch.map((b) => connect(running.mqttPort, b)));
    const killBefore = mode === 'publishing' ? Math.floor(rng() * batch.length) : -1;
    batch.forEach((b, i) => { if (i === killBefore) kill(); press(clients[i], b, onAck); });
    if (mode === 'burst') setTimeout(kill, delay);
    if (mode === 'held') {
      // the text is at the provider, its answer held back: the process dies with it in flight
      await until(() => fake.requests.some((r) => r.method === 'POST' && r.form.To === target.phone && r.status === 0), 15_000, `the held text to ${target.phone}`);
      heldAtKill++;
      kill();
    }
    if (mode === 'accepted') await until(() => killed, 15_000, `the text to ${target.phone} accepted`);
    if (mode === 'late' || mode === 'puback') {
      await until(() => killed || batch.every((b) => b.acked), 15_000, `PUBACKs in round ${round}`);
      if (!killed) await sleep(delay);
      kill();
    }
    await withTimeout(running.exited, 10_000, 'the killed gateway to exit');
    kills++;
    for (const c of clients) c.close();
    if (release) {
      // the provider finishes the request on its own time, while the gateway is down or restarting
      const r = release;
      setTimeout(r, releaseAfter);
    }
    log.push(`round ${round}: ${mode}, ${batch.length} presses (${resend.length} resent), ${batch.filter((b) => b.acked).length} PUBACKed`);
  }

  // a final restart: the devices press once more what never got a PUBACK, and the notifier has
  // time for what is pending (a text cut short by the last kill is looked up 5 s after it began)
  gw = await spawnGateway(file);
  const last = gw;
  const unacked = buttons.filter((x) => !x.acked);
  const clients = await Promise.all(unacked.map((b) => connect(last.mqttPort, b)));
  unacked.forEach((b, i) => press(clients[i], b, () => {}));
  await until(() => buttons.every((b) => b.acked), 15_000, 'every press PUBACKed after the final restart');
  for (const c of clients) c.close();

  const db = new Database(join(dir, 'gateway.db'), { readonly: true, fileMustExist: true });
  try {
    const open = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`);
    await until(() => (open.get() as { n: number }).n === 0 && buttons.every((b) => fake.to(b.phone).length > 0), 45_000,
      `every text sent (${log.join('; ')})`);
    await sleep(1500); // anything wrongly still on its way would arrive now

    const events = db.prepare(`SELECT device_id AS device, COUNT(*) AS n FROM events WHERE type = 'state' GROUP BY device_id`).all() as Array<{ device: string; n: number }>;
    const alerts = db.prepare(`SELECT id, device_id AS device, kind FROM alerts`).all() as Array<{ id: number; device: string; kind: string }>;
    const outbox = db.prepare(`SELECT alert_id AS alertId, phone, status, provider_id AS providerId FROM outbox`).all() as Array<{ alertId: number; phone: string; status: string; providerId: string }>;
    const found = db.prepare(`SELECT COUNT(*) AS n FROM timeline WHERE type = 'notification' AND json_extract(data, '$.found') = 1`).get() as { n: number };
    const problems: string[] = [];
    for (const b of buttons) {
      const stored = events.find((e) => e.device === b.id)?.n ?? 0;
      const mine = alerts.filter((a) => a.device === b.id);
      const texts = fake.to(b.phone);
      const rows = outbox.filter((o) => o.phone === b.phone);
      // a press resent after a kill may be stored twice: an alarm is never dropped as a resend
      // (CONTRACT.md "Alerts"); what must hold is one alert and one text
      if (stored < 1) problems.push(`${b.id}: ${stored} events stored`);
      if (mine.length !== 1 || mine[0].kind !== 'emergency') problems.push(`${b.id}: ${mine.length} alerts`);
      if (texts.length !== 1) problems.push(`${b.id}: ${texts.length} texts to its neighbour`);
      else if (!texts[0].form.Body.includes(b.name)) problems.push(`${b.id}: the text does not name ${b.name}`);
      if (rows.length !== 1 || rows[0].status !== 'sent' || rows[0].providerId !== texts[0]?.sid) {
        problems.push(`${b.id}: outbox ${JSON.stringify(rows)} vs sid ${texts[0]?.sid}`);
      }
    }
    const summary = `seed ${SEED}: ${ROUNDS} rounds, ${kills} SIGKILLs (${heldAtKill} with a text held in flight), ` +
      `${buttons.length} alarms, ${buttons.reduce((n, b) => n + b.tries, 0)} presses, ${fake.messages.length} texts accepted, ` +
      `${fake.listRequests.length} look-ups, ${found.n} texts found at the provider instead of sent again`;
    console.log(summary);
    expect(problems, `${summary}\n${log.join('\n')}`).toEqual([]);
    expect(fake.messages).toHaveLength(buttons.length);
  } finally {
    db.close();
  }
  last.child.kill('SIGTERM');
  expect(await withTimeout(last.exited, 10_000, 'SIGTERM exit')).toBe(0);
}, 600_000);
