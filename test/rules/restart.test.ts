// "A restart rebuilds running timers from the store alone": for the core that means the state
// survives JSON and, continued from the parsed copy with a fresh scheduler, gives the very same
// decisions at the very same times as if nothing had happened.
import { describe, expect, it } from 'vitest';
import type { Readings } from '../../src/domain/types.ts';
import { nextDue } from '../../src/rules/index.ts';
import { HOUR, MIN, home, homeConfig, hours, type Logged } from './driver.ts';

const TZ = 'Asia/Shanghai';
const DAY0 = Date.parse('2026-03-01T16:00:00Z'); // Monday 2 March 2026, 00:00 in Shanghai
const local = (day: number, hour: number) => DAY0 + day * 24 * HOUR + Math.round(hour * HOUR);

type Input = [at: number, what: { device: string; readings: Readings } | { device: string; availability: 'online' | 'offline' } | { visit: [number, number] } | { ack: string }];

/** Fifteen ordinary days, then a day with something pending on every timer. */
function scenario(): Input[] {
  const out: Input[] = [];
  for (let d = 0; d < 16; d++) {
    for (let t = local(d, 7); t <= local(d, 21.5); t += 25 * MIN) out.push([t, { device: 'pir', readings: { occupancy: true } }]);
    out.push([local(d, 9), { device: 'fridge', readings: { contact: false } }], [local(d, 9) + 20_000, { device: 'fridge', readings: { contact: true } }]);
    for (const dev of ['door', 'fridge', 'btn', 'smoke']) out.push([local(d, 12), { device: dev, readings: { battery: 90 } }]);
  }
  const d = 16;
  out.push(
    [local(d, 7), { device: 'pir', readings: { occupancy: true } }],
    [local(d, 8), { device: 'pir', availability: 'offline' }], // grace 5 min
    [local(d, 8.05), { device: 'pir', availability: 'online' }],
    [local(d, 9), { device: 'pir', availability: 'offline' }],
    [local(d, 9.5), { device: 'pir', readings: { occupancy: true } }], // back online, and activity
    [local(d, 10), { device: 'door', readings: { contact: false } }], // going out
    [local(d, 10) + 10_000, { device: 'door', readings: { contact: true } }],
    [local(d, 13), { device: 'door', readings: { contact: false } }], // back
    [local(d, 13) + 10_000, { device: 'door', readings: { contact: true } }],
    [local(d, 13.02), { device: 'pir', readings: { occupancy: true } }],
    [local(d, 14), { visit: [local(d, 14), local(d, 15)] }],
    [local(d, 16), { device: 'smoke', readings: { smoke: true } }],
    [local(d, 16.1), { ack: 'smoke:smoke' }],
    [local(d, 16.2), { device: 'smoke', readings: { smoke: false } }],
    [local(d, 20), { device: 'pir', readings: { occupancy: true } }], // then silence until the night door
    [local(d, 23), { device: 'door', readings: { contact: false } }],
    [local(d + 1, 7), { device: 'door', readings: { contact: true } }],
  );
  return out.sort((a, b) => a[0] - b[0]);
}

const cfg = homeConfig({
  inactivity: { mode: 'learned' },
  nightDoor: { hours: hours('22:00-06:00'), after: 10 * MIN },
  offline: { after: 5 * MIN },
}, TZ);

function play(h: ReturnType<typeof home>, inputs: Input[]) {
  for (const [t, what] of inputs) {
    h.at(t);
    if ('readings' in what) h.send(what.device, what.readings);
    else if ('availability' in what) h.availability(what.device, what.availability);
    else if ('visit' in what) h.visit(what.visit[0], what.visit[1]);
    else h.acknowledge(what.ack);
  }
}

const END = local(18, 0);
const inputs = scenario();
const straight = home(cfg, local(0, 6));
play(straight, inputs);
straight.at(END);

describe('state survives a restart', () => {
  it('the straight run has something on every timer', () => {
    const keys = new Set(straight.log.map((d) => ('key' in d ? d.key : `record:${d.note}`)));
    for (const k of ['device_offline:pir', 'night_door:door', 'smoke:smoke', 'inactivity', 'record:away from home', 'record:inactivity baseline learned']) expect(keys).toContain(k);
  });

  // mid offline grace, mid away confirmation, mid visit, mid silence, mid night door, mid learning
  it.each([
    local(3, 12.5), local(16, 8.02), local(16, 9.03), local(16, 10.1), local(16, 14.5), local(16, 16.15),
    local(16, 21), local(16, 23.1), local(16, 23.2), local(17, 3),
  ])('through JSON at %i: same decisions, same times', (split) => {
    const before = home(cfg, local(0, 6));
    play(before, inputs.filter(([t]) => t <= split));
    before.at(split);
    const saved = JSON.stringify(before.state);
    expect(JSON.parse(saved)).toEqual(before.state);
    // the restarted side: a new clock and scheduler, armed from the parsed state alone
    const after = home(cfg, split, JSON.parse(saved));
    expect(after.scheduler.dueAt(cfg.residentId)).toBe(nextDue(cfg, before.state));
    play(after, inputs.filter(([t]) => t > split));
    after.at(END);
    const strip = (log: Logged[]) => log.map((d) => JSON.stringify(d));
    expect([...strip(before.log), ...strip(after.log)]).toEqual(strip(straight.log));
  });
});
