import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, loadConfig, ConfigError } from '../../src/config/index.ts';

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

const resident = (extra: object) => ({ residents: [{ id: 'r-a', name: 'A', ...extra }] });

describe('config validation names the key path', () => {
  it.each([
    [resident({ rules: { inactivity: { mode: 'fixed', after: '12 hours' } } }), 'residents[0].rules.inactivity.after: expected a duration like "30s", "10m", "12h"'],
    [resident({ rules: { nightDoor: { hours: '22-06', after: '10m' } } }), 'residents[0].rules.nightDoor.hours: expected hours like "22:00-06:00"'],
    [resident({ timezone: 'Mars/Olympus' }), 'residents[0].timezone: expected an IANA time zone like "Asia/Shanghai"'],
    [resident({ devices: [{ id: 'd1', kind: 'toaster', secret: 'x' }] }), 'residents[0].devices[0].kind:'],
    [resident({ devices: [{ id: 'd1', kind: 'door' }] }), 'residents[0].devices[0]: a device needs a secret'],
    [resident({ contacts: [{ name: 'N', phone: '13800000001', role: 'neighbor' }] }), 'residents[0].contacts[0].phone: expected an E.164'],
    [{ mqtt: { port: 'eighty' } }, 'mqtt.port:'],
    [{ mqtt: { prot: 1883 } }, 'mqtt: unknown key prot'],
    [{ storage: { sync: 'sometimes' } }, 'storage.sync:'],
    [{ residents: [{ id: 'Zhang', name: 'Z' }] }, 'residents[0].id: expected lowercase letters, digits and dashes'],
    [{ escalation: { smoke: [{ notify: ['neighbour'], after: '0s' }] } }, 'escalation.smoke[0].notify[0]:'],
    [resident({ devices: [{ id: 'd1', kind: 'door', secret: 'x', room: 'attic' }] }), 'residents[0].devices[0].room: expected a room: bedroom, bathroom'],
    [resident({ birthday: '1948-02-30' }), 'residents[0].birthday: expected a date that exists'],
    [{ site: { knockDay: 'someday' } }, 'site.knockDay: expected a weekday like "wednesday"'],
    [resident({ devices: [{ id: 'd1', kind: 'toaster', secret: 'x' }] }), 'residents[0].devices[0].kind: expected a device kind: smoke, co, gas, water, button, door, motion, presence'],
    [resident({ devices: [{ id: 'd1', kind: 'door', secret: 'x', emergencyActions: ['panic'] }] }), 'residents[0].devices[0].emergencyActions: only buttons have emergency actions'],
    [resident({ devices: [{ id: 'd1', kind: 'button', secret: 'x', emergencyActions: [] }] }), 'residents[0].devices[0].emergencyActions:'],
    [resident({ devices: [{ id: 'd1', kind: 'motion', secret: 'x', idFields: ['model', 'code'] }] }), 'residents[0].devices[0].idFields: only a device with a jsonl key has idFields'],
    [{ escalation: { co: [] } }, 'escalation.co:'],
    [resident({ devices: [{ id: 'd1', kind: 'door', jsonl: 'X10-Security;3133' }, { id: 'd2', kind: 'motion', jsonl: 'X10-Security;3133' }] }), 'residents[0].devices[1].jsonl: key already used by residents[0].devices[0]'],
    [{ residents: [
      { id: 'r-a', name: 'A', devices: [{ id: 'd1', kind: 'smoke', zigbee2mqtt: 'hall smoke' }] },
      { id: 'r-b', name: 'B', devices: [{ id: 'd2', kind: 'smoke', zigbee2mqtt: 'hall smoke' }] },
    ] }, 'residents[1].devices[0].zigbee2mqtt: friendly name already used by residents[0].devices[0]'],
    [{ residents: [
      { id: 'r-a', name: 'A', devices: [{ id: 'd1', kind: 'smoke', rflink: 'SmokeAlert;ID=123456' }] },
      { id: 'r-b', name: 'B', devices: [{ id: 'd2', kind: 'smoke', rflink: 'SmokeAlert;ID=123456' }] },
    ] }, 'residents[1].devices[0].rflink: key already used by residents[0].devices[0]'],
    [{ residents: [{ id: 'r-a', name: 'A' }, { id: 'r-a', name: 'A again' }] }, 'residents[1].id: duplicate resident id r-a'],
    // in the user's words, not the validator's
    [resident({ rules: { inactivity: { mode: 'fix', after: '12h' } } }), 'residents[0].rules.inactivity.mode: mode must be fixed or learned'],
    [resident({ rules: { inactivity: { activeHours: '07:00-22:00' } } }), 'residents[0].rules.inactivity.mode: mode must be fixed or learned'],
    // a fixed rule counts only time inside activeHours: 12 h of a 5-minute window is 144 days
    [resident({ rules: { inactivity: { mode: 'fixed', after: '12h', activeHours: '07:00-07:05' } } }), 'residents[0].rules.inactivity.after: counts only time inside activeHours (07:00-07:05, 5 min a day), so it would fire after 144 days'],
    // learned mode never alarms on a silence under an hour: a smaller floor is refused, not ignored
    [resident({ rules: { inactivity: { mode: 'learned', min: '30m' } } }), 'residents[0].rules.inactivity.min: the shortest silence learned mode alarms on cannot be under an hour'],
    [resident({ rules: { inactivity: { mode: 'learned', min: '3h', max: '2h' } } }), 'residents[0].rules.inactivity.max: the longest silence learned mode waits (max) is shorter than the shortest it alarms on (min); set max to min or more'],
    [resident({ rules: { inactivity: { mode: 'learned', max: '45m' } } }), 'residents[0].rules.inactivity.max: the longest silence learned mode waits (max) is shorter than the shortest it alarms on (min, 1h by default)'],
  ])('%#', (raw, expected) => {
    const found = problems(raw);
    expect(found.some((p) => p.startsWith(expected)), `${found.join(' | ')}`).toBe(true);
  });

  it('a learned rule with min of an hour or more and max not under it is read as written', () => {
    for (const [min, max] of [['1h', '12h'], ['90m', '90m'], [undefined, '1h'], ['2h', undefined]]) {
      const rule = { mode: 'learned', ...(min ? { min } : {}), ...(max ? { max } : {}) };
      expect(problems(resident({ rules: { inactivity: rule } })), JSON.stringify(rule)).toEqual([]);
    }
    const c = parseConfig(resident({ rules: { inactivity: { mode: 'learned', min: '1h', max: '10h' } } }), {});
    expect(c.residents[0].rules.inactivity).toMatchObject({ mode: 'learned', min: 3_600_000, max: 36_000_000 });
  });

  it('reads an inactivity rule with `after` and no mode as the fixed rule', () => {
    const c = parseConfig(resident({ rules: { inactivity: { after: '12h', activeHours: '07:00-22:00' } } }), {});
    expect(c.residents[0].rules.inactivity).toEqual({ mode: 'fixed', after: 12 * 3_600_000, activeHours: { start: 420, end: 1320, text: '07:00-22:00' } });
  });

  it('never leaves a fire or a pressed SOS button without someone to tell', () => {
    const none = parseConfig(resident({}), {}).escalation;
    expect(none.smoke).toEqual([{ notify: ['neighbor', 'family'], after: 0, via: 'sms' }, { notify: ['caseworker'], after: 120_000, via: 'sms' }]);
    expect(none.emergency).toEqual([{ notify: ['neighbor', 'family'], after: 0, via: 'sms' }, { notify: ['caseworker'], after: 180_000, via: 'sms' }]);
    expect(none.co).toEqual(none.smoke);
    // what the config says wins
    const own = parseConfig({ escalation: { emergency: [{ notify: ['family'], after: '0s' }] } }, {}).escalation;
    expect(own.emergency).toEqual([{ notify: ['family'], after: 0, via: 'sms' }]);
    expect(own.smoke).toEqual(none.smoke);
  });

  it('catches duplicate device ids across residents', () => {
    const found = problems({ residents: [
      { id: 'r-a', name: 'A', devices: [{ id: 'd1', kind: 'door', secret: 's' }] },
      { id: 'r-b', name: 'B', devices: [{ id: 'd1', kind: 'smoke', secret: 's' }] },
    ] });
    expect(found).toContain('residents[1].devices[0].id: duplicate device id d1 (also residents[0].devices[0])');
  });

  it('reads what people call a device and where it is, the area and birthday, the knock day', () => {
    const c = parseConfig({ site: { knockDay: 'wednesday' }, residents: [{
      id: 'r-a', name: 'A', area: '幸福社区 3号楼', birthday: '1948-03-12',
      devices: [{ id: 'd1', kind: 'door', secret: 's', name: '大门', room: 'entrance' }],
    }] }, {});
    expect(c.site.knockDay).toBe('wednesday');
    expect(c.residents[0]).toMatchObject({ area: '幸福社区 3号楼', birthday: '1948-03-12', devices: [{ name: '大门', room: 'entrance' }] });
  });

  it('reads the new kinds, a button\'s emergency actions and a jsonl device\'s own idFields', () => {
    const c = parseConfig(resident({ devices: [
      { id: 'd-co', kind: 'co', zigbee2mqtt: 'co' }, { id: 'd-gas', kind: 'gas', zigbee2mqtt: 'gas' },
      { id: 'd-water', kind: 'water', zigbee2mqtt: 'water' }, { id: 'd-fp1', kind: 'presence', zigbee2mqtt: 'fp1' },
      { id: 'd-fob', kind: 'button', zigbee2mqtt: 'fob', emergencyActions: ['emergency'] },
      { id: 'd-pir', kind: 'motion', jsonl: 'Generic-Motion;800a2', idFields: ['model', 'code'] },
    ] }), {});
    expect(c.residents[0].devices.map((d) => d.kind)).toEqual(['co', 'gas', 'water', 'presence', 'button', 'motion']);
    expect(c.residents[0].devices[4].emergencyActions).toEqual(['emergency']);
    expect(c.residents[0].devices[5].idFields).toEqual(['model', 'code']);
  });

  it('hazards always have an escalation: CO and gas take the smoke policy, a leak its own, unless named', () => {
    const none = parseConfig({}, {});
    expect(none.escalation.co).toEqual([{ notify: ['neighbor', 'family'], after: 0, via: 'sms' }, { notify: ['caseworker'], after: 120_000, via: 'sms' }]);
    expect(none.escalation.gas).toEqual(none.escalation.co);
    expect(none.escalation.water_leak?.[0]).toMatchObject({ notify: ['neighbor', 'family'], after: 0 });
    expect(none.escalation.smoke).toEqual(none.escalation.co);
    // where is the resident: the caseworker, then the family an hour on; never the neighbour
    expect(none.escalation.absence).toEqual([{ notify: ['caseworker'], after: 0, via: 'sms' }, { notify: ['family'], after: 3_600_000, via: 'sms' }]);
    const smoke = [{ notify: ['family'], after: '0s' }];
    const c = parseConfig({ escalation: { smoke, gas: [{ notify: ['caseworker'], after: '1m' }] } }, {});
    expect(c.escalation.co).toEqual([{ notify: ['family'], after: 0, via: 'sms' }]);
    expect(c.escalation.gas).toEqual([{ notify: ['caseworker'], after: 60_000, via: 'sms' }]);
  });

  it('substitutes ${ENV} and names the key of an unset variable', () => {
    const raw = { twilio: { accountSid: '${SID}', authToken: '${TOKEN}', from: '+15005550006' } };
    expect(parseConfig(raw, { SID: 'AC123', TOKEN: 'tok' }).twilio).toMatchObject({ accountSid: 'AC123', authToken: 'tok' });
    expect(problems(raw, { SID: 'AC123' })).toEqual(['twilio.authToken: environment variable TOKEN is not set']);
  });

  it('parses durations and hours, and defaults SMS to the log without Twilio', () => {
    const c = parseConfig(resident({ rules: { inactivity: { mode: 'fixed', after: '12h', activeHours: '07:00-22:00' } } }), {});
    expect(c.residents[0].rules.inactivity).toMatchObject({ after: 12 * 3600_000, activeHours: { start: 420, end: 1320 } });
    expect(c.sms.provider).toBe('log');
    expect(c.site.timezone).toBe('UTC');
  });

  it('loads the shipped configs', () => {
    expect(loadConfig('config/default.yaml').residents.length).toBeGreaterThan(0);
    expect(loadConfig('config/example.yaml', {
      Z2M_PASSWORD: 'p', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', CASEWORKER_TOKEN: 'caseworker-token', ADMIN_TOKEN: 'admin-token-x',
      ZHANG_DOOR_SECRET: 'a', ZHANG_FRIDGE_SECRET: 'b', ZHANG_BUTTON_SECRET: 'c',
    }).residents.length).toBeGreaterThan(0);
  });
});

describe('npm start with a bad config', () => {
  it('exits non-zero naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'residents:\n  - id: r-a\n    name: A\n    rules:\n      inactivity: { mode: fixed, after: 12x }\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('residents[0].rules.inactivity.after: expected a duration like "30s", "10m", "12h"');
  });

  it('a learned inactivity floor under an hour is refused at start, naming the key in plain words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'residents:\n  - id: r-a\n    name: A\n    rules:\n      inactivity: { mode: learned, min: 20m }\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('residents[0].rules.inactivity.min: the shortest silence learned mode alarms on cannot be under an hour');
  });

  it('says how to call it: --help prints the usage and exits 0; an unknown option exits 2 naming it', () => {
    const start = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
    const help = start('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm start [-- --config FILE]');
    expect(help.stdout).toContain('--config FILE');
    const unknown = start('--confg', 'x.yaml');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--confg'/);
    expect(unknown.stderr).toContain('usage: npm start');
    const missing = start('--config');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--config.*argument missing/);
  }, 90_000);
});
