// npm run replay: the same decoders and rules over recorded events on a virtual clock; and the
// invariant that the live gateway decides the same alerts for the same events and times.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.ts';
import { readEvents, replayAll } from '../../src/replay.ts';
import { virtualClock } from '../../src/rules/index.ts';
import { sqliteStores, startGateway, waitFor } from '../helpers.ts';

const CONFIG = 'test/fixtures/replay/config.yaml';
const EVENTS = 'test/fixtures/replay/events.jsonl';

describe('npm run replay', () => {
  it('prints each alert as a JSON line with kind, residentId, openedAt and resolvedAt', () => {
    const run = spawnSync('npm', ['run', '--silent', 'replay', '--', '--config', CONFIG, '--events', EVENTS, '--until', '2026-11-02T23:00:00Z'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    const alerts = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.map((a) => a.kind)).toEqual(['smoke', 'inactivity', 'night_door']);
    // smoke at 11:00 Shanghai; cleared later but open until a person resolves it
    expect(alerts[0]).toMatchObject({ residentId: 'r-zhang', openedAt: '2026-11-02T03:00:00.000Z' });
    expect(alerts[0].resolvedAt).toBeUndefined();
    // last activity 11:30 local + 3 h of active hours; resolved when the door opens
    expect(alerts[1]).toMatchObject({ openedAt: '2026-11-02T06:30:00.000Z', resolvedAt: '2026-11-02T14:30:00.000Z' });
    // entrance door open at 22:30 local for more than 10 min; the fridge door at night never counts
    expect(alerts[2]).toMatchObject({ kind: 'night_door', openedAt: '2026-11-02T14:40:00.000Z' });
    expect(run.stderr).toContain('line 11: payload dropped (not_object)');
  });

  it('judges silences up to --until', () => {
    const config = loadConfig(CONFIG, {});
    const events = readEvents(readFileSync(EVENTS, 'utf8'), config, () => {});
    const short = replayAll(config, events).map((a) => a.kind);
    const long = replayAll(config, events, Date.parse('2026-11-04T00:00:00Z')).map((a) => a.kind);
    expect(short).not.toContain('device_offline');
    expect(long).toContain('device_offline');
  });

  it('stops with a usage line without its arguments', () => {
    const run = spawnSync('npm', ['run', '--silent', 'replay'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: npm run replay');
  });

  it('prints its options with --help and names an unknown one', () => {
    const replay = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/replay.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
    const help = replay('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm run replay -- --config FILE --events EVENTS.jsonl [--until ISO-8601]');
    expect(help.stdout).toContain('--until TIME');
    const unknown = replay('--config', CONFIG, '--event', EVENTS);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--event'/);
  }, 90_000);
});

describe('live and replay agree', () => {
  it('the running gateway opens the same alerts at the same times as replay', async () => {
    const config = loadConfig(CONFIG, {});
    const events = readEvents(readFileSync(EVENTS, 'utf8'), config, () => {});
    const until = Date.parse('2026-11-02T23:00:00Z');
    const expected = replayAll(config, events, until);

    const clock = virtualClock(events[0].at);
    const raw = readFileSync(CONFIG, 'utf8');
    const residents = (await import('yaml')).parse(raw).residents;
    const gw = await startGateway({ residents }, { clock });
    try {
      const secrets: Record<string, string> = { 'zhang-door': 's1', 'zhang-fridge': 's2', 'zhang-motion': 's3', 'zhang-smoke': 's4', 'zhang-button': 's5' };
      const lines = readFileSync(EVENTS, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const clients = new Map<string, Awaited<ReturnType<typeof gw.connect>>>();
      for (const line of lines) {
        clock.advanceTo(Date.parse(line.at));
        let c = clients.get(line.device);
        if (!c) { c = await gw.connect(line.device, secrets[line.device]); clients.set(line.device, c); }
        await c.publishAsync(`devices/${line.device}`, typeof line.payload === 'string' ? line.payload : JSON.stringify(line.payload), { qos: 1 });
        // the rules judge this event at this moment before time moves on
        await gw.app.rules.idle();
      }
      clock.advanceTo(until);
      await gw.app.rules.idle();
      const live = await waitFor(() => {
        const rows = sqliteStores(gw.app).alerts.list(undefined).sort((a, b) => a.openedAt - b.openedAt || a.id - b.id);
        return rows.length >= expected.length ? rows : null;
      }, 3000, 'live alerts');
      expect(live.map((a) => ({ kind: a.kind, openedAt: new Date(a.openedAt).toISOString(), resolvedAt: a.resolvedAt ? new Date(a.resolvedAt).toISOString() : undefined })))
        .toEqual(expected.map((a) => ({ kind: a.kind, openedAt: a.openedAt, resolvedAt: a.resolvedAt })));
    } finally {
      await gw.stop();
    }
  });
});
