// A serial receiver's outage in the replay log ({"at","receiver","down","reason"}): replay opens
// the same device_offline alerts the live gateway opens for it, for the homes the receiver serves.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.ts';
import { readEvents, readLog, replayAll } from '../../src/replay.ts';
import { virtualClock } from '../../src/rules/index.ts';
import { startGateway } from '../helpers.ts';

const CONFIG = 'test/fixtures/replay/receiver-config.yaml';
const EVENTS = 'test/fixtures/replay/receiver-events.jsonl';
const UNTIL = '2026-11-02T06:00:00Z';

describe('a receiver outage in the replay log', () => {
  it('npm run replay opens one device_offline alert per home the receiver serves, resolved when it is back', () => {
    const run = spawnSync('npm', ['run', '--silent', 'replay', '--', '--config', CONFIG, '--events', EVENTS, '--until', UNTIL], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    const alerts = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts).toEqual([
      // the RFLink receiver serves r-wu only; reported down twice, one alert; back at 01:30
      { kind: 'device_offline', residentId: 'r-wu', key: 'receiver_offline:/dev/ttyUSB0', openedAt: '2026-11-02T01:00:00.000Z', resolvedAt: '2026-11-02T01:30:00.000Z' },
      // the jsonl receiver serves r-li only, and is still down
      { kind: 'device_offline', residentId: 'r-li', key: 'receiver_offline:/dev/ttyACM0', openedAt: '2026-11-02T02:00:00.000Z' },
    ]);
    expect(run.stderr).toContain('line 7: unknown receiver "/dev/ttyS9" (not in the config\'s serial list), skipped');
    expect(run.stderr).toContain('line 8: "down" is not true or false, skipped');
  }, 90_000);

  it('the alerts come from the receiver lines: without them, none', () => {
    const config = loadConfig(CONFIG, {});
    const events = readEvents(readFileSync(EVENTS, 'utf8'), config, () => {});
    expect(events.length).toBe(3);
    expect(replayAll(config, events, Date.parse(UNTIL))).toEqual([]);
  });

  it('the running gateway opens and resolves the same outage alerts at the same times as replay', async () => {
    const config = loadConfig(CONFIG, {});
    const log = readLog(readFileSync(EVENTS, 'utf8'), config, () => {});
    const until = Date.parse(UNTIL);
    const expected = replayAll(config, log, until);
    expect(expected.length).toBe(2);

    const clock = virtualClock(log[0].at);
    const residents = (await import('yaml')).parse(readFileSync(CONFIG, 'utf8')).residents;
    // no serial ports here: a receiver on a path that does not exist would report its own outage;
    // the outage and recovery reach the rules as the serial part hands them over (app.ts)
    const gw = await startGateway({ residents }, { clock });
    try {
      const protocolOf = new Map(config.serial.map((s) => [s.path, s.protocol] as const));
      const rflink = new Set(config.residents.flatMap((r) => r.devices.filter((d) => d.rflink).map((d) => d.id)));
      const handed = new Set<string>();
      for (const item of log) {
        clock.advanceTo(item.at);
        if (item.type === 'receiver') {
          // readLog gives one copy per home served; the live receiver reports once
          const once = `${item.at}|${item.path}`;
          if (handed.has(once)) continue;
          handed.add(once);
          gw.app.rules.onReceiver(protocolOf.get(item.path)!, item.path, item.down, item.reason);
        } else {
          await gw.app.router.ingestReadings(item.deviceId, item.readings!, rflink.has(item.deviceId) ? 'rflink' : 'jsonl');
        }
        await gw.app.rules.idle();
      }
      clock.advanceTo(until);
      await gw.app.rules.idle();
      const live = (await gw.app.store.alerts.list(undefined)).sort((a, b) => a.openedAt - b.openedAt || a.id - b.id);
      expect(live.map((a) => ({
        kind: a.kind, residentId: a.residentId, key: a.conditionKey, openedAt: new Date(a.openedAt).toISOString(),
        ...(a.resolvedAt ? { resolvedAt: new Date(a.resolvedAt).toISOString() } : {}),
      }))).toEqual(expected);
      // the detail app.ts used to write: the receiver and the reason, and the repeat as a note
      const wu = live.find((a) => a.residentId === 'r-wu')!;
      expect(wu.deviceId).toBeNull();
      expect(wu.detail).toMatchObject({ receiver: '/dev/ttyUSB0', reason: 'port closed', notes: [{ note: 'still offline' }] });
      const timeline = (await gw.app.store.timeline.page('r-wu', { limit: 50 })).items.map((i) => i.type);
      expect(timeline).toEqual(expect.arrayContaining(['alert', 'alert_update', 'alert_resolved']));
    } finally {
      await gw.stop();
    }
  });
});
