import { describe, expect, it } from 'vitest';
import type { ResidentRulesConfig } from '../../src/rules/index.ts';
import { HOUR, MIN, home, homeConfig, hours, iso } from './driver.ts';

const fixed = (after: number, active = '00:00-24:00'): ResidentRulesConfig['rules'] => ({ inactivity: { mode: 'fixed', after, activeHours: hours(active) } });

describe('fixed inactivity', () => {
  // [zone, last activity (UTC), rule, when the alert opens (UTC)]
  it.each<[string, string, ResidentRulesConfig['rules'], string]>([
    ['Asia/Shanghai', '2026-03-02T02:00:00Z', fixed(2 * HOUR), '2026-03-02T04:00:00.000Z'],
    // last seen 21:00 local: 1 h counts tonight, 11 h from 07:00 tomorrow -> 18:00 local
    ['Asia/Shanghai', '2026-03-02T13:00:00Z', fixed(12 * HOUR, '07:00-22:00'), '2026-03-03T10:00:00.000Z'],
    ['America/Los_Angeles', '2026-07-02T04:00:00Z', fixed(12 * HOUR, '07:00-22:00'), '2026-07-03T01:00:00.000Z'], // 21:00 PDT -> 18:00 PDT
    ['Pacific/Auckland', '2026-01-15T08:00:00Z', fixed(12 * HOUR, '07:00-22:00'), '2026-01-16T05:00:00.000Z'], // 21:00 NZDT -> 18:00 NZDT
    // an active window that wraps midnight: 20:00-08:00, 3 h; last seen 06:00 local: 2 h, then 1 h after 20:00
    ['Asia/Shanghai', '2026-03-01T22:00:00Z', fixed(3 * HOUR, '20:00-08:00'), '2026-03-02T13:00:00.000Z'],
  ])('%s, last seen %s -> alert at %s', (tz, lastSeen, rules, expected) => {
    const h = home(homeConfig(rules, tz), Date.parse(lastSeen) - HOUR);
    h.send('pir', { occupancy: true }, lastSeen);
    h.wait(40 * HOUR);
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual([expected]);
  });

  it('activity resumed resolves an alert nobody acknowledged', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T02:00:00Z');
    h.wait(2 * HOUR + 30 * MIN);
    h.send('fridge', { contact: false });
    expect(h.ofKey('inactivity')).toEqual(['open', 'update:activity resumed', 'resolve:activity resumed']);
  });

  it('an acknowledged alert only notes the activity; a new silence is an update to it, not a new alert', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T02:00:00Z');
    h.wait(2 * HOUR + 5 * MIN);
    h.acknowledge('inactivity');
    h.send('pir', { occupancy: true }, Date.parse('2026-03-02T05:00:00Z'));
    h.wait(3 * HOUR);
    expect(h.ofKey('inactivity')).toEqual(['open', 'update:activity resumed', 'update:no activity again']);
    h.resolve('inactivity');
    h.send('pir', { occupancy: true });
    h.wait(2 * HOUR);
    expect(h.ofKey('inactivity').slice(3)).toEqual(['open']);
  });

  it('a person resolving it restarts the silence from that moment', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T02:00:00Z');
    h.wait(2 * HOUR);
    h.wait(HOUR).resolve('inactivity');
    h.wait(2 * HOUR - MIN);
    expect(h.opened('inactivity')).toHaveLength(1);
    h.wait(2 * MIN);
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T04:00:00.000Z', '2026-03-02T07:00:00.000Z']);
  });

  it('what counts as activity: door changes (any door), motion, presses; not occupancy false, smoke or check-ins', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    h.send('pir', { occupancy: false, battery: 90 }, '2026-03-02T01:00:00Z');
    h.send('door', { contact: true, battery: 90 }, '2026-03-02T01:10:00Z'); // first report, closed: a check-in
    h.send('smoke', { smoke: false }, '2026-03-02T01:20:00Z');
    h.at('2026-03-02T02:00:00Z');
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T02:00:00.000Z']);
    for (const [device, readings] of [['fridge', { contact: false }], ['pir', { occupancy: true }], ['btn', { action: 'single' }]] as const) {
      const g = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
      g.send(device, readings, '2026-03-02T01:00:00Z');
      g.at('2026-03-02T02:30:00Z');
      expect(g.opened('inactivity'), device).toHaveLength(0);
    }
  });

  it('no inactivity block, or no device that can show activity: no inactivity alerts', () => {
    const a = home(homeConfig({}), '2026-03-02T00:00:00Z').wait(3 * 24 * HOUR);
    expect(a.opened('inactivity')).toHaveLength(0);
    const b = home(homeConfig(fixed(HOUR), 'UTC', [{ id: 'smoke', kind: 'smoke', entrance: false }]), '2026-03-02T00:00:00Z').wait(10 * HOUR);
    expect(b.opened('inactivity')).toHaveLength(0);
  });
});

describe('visits', () => {
  it('a visit in progress suppresses inactivity; the silence restarts when it ends', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    h.at('2026-03-02T01:00:00Z').visit(Date.parse('2026-03-02T01:00:00Z'), Date.parse('2026-03-02T03:00:00Z'));
    h.at('2026-03-02T04:59:00Z');
    expect(h.opened('inactivity')).toHaveLength(0);
    h.at('2026-03-02T06:00:00Z');
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T05:00:00.000Z']);
  });

  it('a visit settles an inactivity alert nobody acknowledged', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    h.at('2026-03-02T02:30:00Z').visit(Date.parse('2026-03-02T02:30:00Z'), Date.parse('2026-03-02T03:00:00Z'));
    expect(h.ofKey('inactivity')).toEqual(['open', 'update:caseworker visit', 'resolve:caseworker visit']);
  });
});

/** seen inside, then out through the entrance door at t */
const leave = (h: ReturnType<typeof home>, t: number) => {
  h.send('pir', { occupancy: true }, t - 30_000);
  h.send('door', { contact: false }, t);
  h.send('door', { contact: true }, t + 10_000);
};

describe('away from home', () => {

  it('door opened and closed, then no indoor motion: away, no inactivity until back', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:00:00Z'));
    h.at('2026-03-02T06:00:00Z');
    expect(h.opened('inactivity')).toHaveLength(0);
    expect(h.records()).toEqual(['away from home']);
    expect(h.log.find((d) => d.type === 'record')!.at).toBe(Date.parse('2026-03-02T01:10:10Z'));
    h.send('door', { contact: false }, '2026-03-02T06:00:00Z');
    h.send('door', { contact: true }, '2026-03-02T06:00:10Z');
    h.send('pir', { occupancy: true }, '2026-03-02T06:01:00Z');
    expect(h.records()).toEqual(['away from home', 'back home']);
    h.at('2026-03-02T08:02:00Z');
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T08:01:00.000Z']);
  });

  it('motion soon after the door closes: they did not go out', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:00:00Z'));
    h.send('pir', { occupancy: true }, '2026-03-02T01:05:00Z');
    h.at('2026-03-02T03:06:00Z');
    expect(h.records()).toEqual([]);
    expect(h.opened('inactivity')).toHaveLength(1);
  });

  it('stillness right after coming home is not taken for going out again', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:00:00Z'));
    h.send('door', { contact: false }, '2026-03-02T03:00:00Z');
    h.send('door', { contact: true }, '2026-03-02T03:00:10Z');
    h.at('2026-03-02T05:01:00Z');
    expect(h.records()).toEqual(['away from home', 'back home']);
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T05:00:10.000Z']);
  });

  it('away for 36 hours with nothing planned asks the caseworker (an absence alert), never a silence alarm; coming back settles it', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:00:00Z'));
    h.at('2026-03-05T12:00:00Z');
    expect(h.opened('inactivity')).toHaveLength(0);
    // 36 h from the door closing behind them, once
    expect(h.opened('absence').map((d) => iso(d.at))).toEqual(['2026-03-03T13:00:10.000Z']);
    expect(h.opened('absence')[0].detail).toMatchObject({ planned: false, awayForMs: 36 * HOUR });
    h.send('door', { contact: false }, '2026-03-05T12:00:00Z');
    expect(h.ofKey('absence')).toEqual(['open', 'update:back home', 'resolve:back home']);
    expect(h.records()).toContain('back home');
  });

  it('needs a motion sensor to tell "out" from "sitting still"', () => {
    const cfg = homeConfig(fixed(2 * HOUR), 'UTC', [{ id: 'door', kind: 'door', entrance: true }]);
    const h = home(cfg, '2026-03-02T00:00:00Z');
    h.send('door', { contact: false }, '2026-03-02T01:00:00Z');
    h.send('door', { contact: true }, '2026-03-02T01:00:10Z');
    h.at('2026-03-02T04:00:00Z');
    expect(h.records()).toEqual([]);
    expect(h.opened('inactivity')).toHaveLength(1);
  });

  it('a fridge door is not a way out', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    h.send('fridge', { contact: false }, '2026-03-02T01:00:00Z');
    h.send('fridge', { contact: true }, '2026-03-02T01:00:10Z');
    h.at('2026-03-02T04:00:00Z');
    expect(h.records()).toEqual([]);
    expect(h.opened('inactivity')).toHaveLength(1);
  });
});

describe('away from home at night', () => {
  it('slipping out during night-door hours does not hold inactivity', () => {
    const rules = { ...fixed(2 * HOUR), nightDoor: { hours: hours('22:00-06:00'), after: 10 * MIN } };
    const h = home(homeConfig(rules, 'UTC'), '2026-03-02T01:00:00Z');
    h.send('pir', { occupancy: true }, '2026-03-02T01:59:00Z');
    h.send('door', { contact: false }, '2026-03-02T02:00:00Z');
    h.send('door', { contact: true }, '2026-03-02T02:00:30Z');
    h.at('2026-03-02T05:00:00Z');
    expect(h.records()).toEqual([]);
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T04:00:30.000Z']);
  });
});

describe('planned absences', () => {
  const absence = (h: ReturnType<typeof home>, id: string, from: string, until: string) =>
    h.plan({ id, from: Date.parse(from), until: Date.parse(until) });

  it('no silence alarm until the planned end; a caseworker is asked only if they are not back 12 h after it', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    absence(h, 'a1', '2026-03-02T01:00:00Z', '2026-03-20T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:30:00Z'));
    h.at('2026-03-19T23:00:00Z');
    expect(h.opened('inactivity')).toHaveLength(0);
    expect(h.opened('absence')).toHaveLength(0);
    expect(h.records()).toEqual(['away from home (planned)']);
    h.at('2026-03-20T12:30:00Z');
    expect(h.opened('absence').map((d) => iso(d.at))).toEqual(['2026-03-20T12:00:00.000Z']);
    expect(h.opened('absence')[0].detail).toMatchObject({ plannedUntil: Date.parse('2026-03-20T00:00:00Z') });
    expect(h.opened('inactivity')).toHaveLength(0);
  });

  it('in a home where going out is not seen, the silence counts from the end of the absence', () => {
    const cfg = homeConfig(fixed(2 * HOUR), 'UTC', [{ id: 'fridge', kind: 'door', entrance: false }]);
    const h = home(cfg, '2026-03-02T00:00:00Z');
    h.send('fridge', { contact: false }, '2026-03-02T00:30:00Z');
    absence(h, 'a1', '2026-03-02T01:00:00Z', '2026-03-04T00:00:00Z');
    h.at('2026-03-04T03:00:00Z');
    // 00:30 + 2 h would have been 02:30 on the first day
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-04T02:00:00.000Z']);
  });

  it('coming home early ends it; cancelling it watches the silence again at once', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    absence(h, 'a1', '2026-03-02T01:00:00Z', '2026-03-10T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:30:00Z'));
    h.send('door', { contact: false }, '2026-03-03T09:00:00Z');
    h.send('pir', { occupancy: true }, '2026-03-03T09:01:00Z');
    expect(h.records()).toEqual(['away from home (planned)', 'back home', 'back home before the planned absence ended']);
    expect(h.state.absences).toEqual([]);
    h.at('2026-03-03T11:02:00Z');
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-03T11:01:00.000Z']);

    const c = home(homeConfig(fixed(2 * HOUR), 'UTC', [{ id: 'fridge', kind: 'door', entrance: false }]), '2026-03-02T00:00:00Z');
    absence(c, 'a2', '2026-03-02T00:00:00Z', '2026-03-10T00:00:00Z');
    c.at('2026-03-02T05:00:00Z');
    expect(c.opened('inactivity')).toHaveLength(0);
    c.cancel('a2');
    expect(c.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T05:00:00.000Z']);
  });

  it('a planned absence answers the caseworker\'s question and settles a silence alarm raised while they were away', () => {
    const h = home(homeConfig(fixed(2 * HOUR)), '2026-03-02T00:00:00Z');
    leave(h, Date.parse('2026-03-02T01:00:00Z'));
    h.at('2026-03-03T14:00:00Z');
    absence(h, 'a1', '2026-03-02T01:00:00Z', '2026-03-08T00:00:00Z');
    expect(h.ofKey('absence')).toEqual(['open', 'update:absence planned', 'resolve:absence planned']);

    const cfg = homeConfig(fixed(2 * HOUR), 'UTC', [{ id: 'fridge', kind: 'door', entrance: false }]);
    const g = home(cfg, '2026-03-02T00:00:00Z');
    g.send('fridge', { contact: false }, '2026-03-02T00:30:00Z');
    g.at('2026-03-02T03:00:00Z');
    absence(g, 'a1', '2026-03-02T00:40:00Z', '2026-03-05T00:00:00Z');
    expect(g.ofKey('inactivity')).toEqual(['open', 'update:absence planned', 'resolve:absence planned']);
  });
});

describe('away from home, learned mode', () => {
  const learnedCfg = (devices?: ResidentRulesConfig['devices']) => homeConfig({ inactivity: { mode: 'learned' } }, 'UTC', devices);

  it('homes without a motion sensor: inside, then the door, then nothing inside is going out', () => {
    const h = home(learnedCfg([{ id: 'door', kind: 'door', entrance: true }, { id: 'fridge', kind: 'door', entrance: false, room: 'kitchen' }]), '2026-03-02T08:00:00Z');
    h.send('fridge', { contact: false }, '2026-03-02T08:50:00Z');
    h.send('fridge', { contact: true }, '2026-03-02T08:51:00Z');
    h.send('door', { contact: false }, '2026-03-02T09:00:00Z');
    h.send('door', { contact: true }, '2026-03-02T09:00:10Z');
    h.at('2026-03-02T17:00:00Z');
    expect(h.records()).toEqual(['away from home']);
    expect(h.opened('inactivity')).toHaveLength(0);
  });

  it('the door after two quiet hours inside brings someone in: stillness then is judged, not taken for an errand', () => {
    const h = home(learnedCfg(), '2026-03-02T08:00:00Z');
    h.send('fridge', { contact: false }, '2026-03-02T08:00:00Z');
    h.send('door', { contact: false }, '2026-03-02T10:30:00Z');
    h.send('door', { contact: true }, '2026-03-02T10:30:10Z');
    h.at('2026-03-02T18:00:00Z');
    expect(h.records()).toEqual([]);
    expect(h.opened('inactivity')).toHaveLength(1);
  });

  it('while out, one sensor stirring (a pet, the sun) is not coming home; two different ones are', () => {
    const h = home(learnedCfg(), '2026-03-02T08:00:00Z');
    leave(h, Date.parse('2026-03-02T09:00:00Z'));
    h.send('pir', { occupancy: true }, '2026-03-02T11:00:00Z');
    h.send('pir', { occupancy: true }, '2026-03-02T11:05:00Z');
    expect(h.records()).toEqual(['away from home']);
    // nothing after the stir: asked no sooner than 6 h on, and the caseworker, not the neighbour
    h.at('2026-03-02T17:04:00Z');
    expect(h.opened('inactivity')).toHaveLength(0);
    h.at('2026-03-02T17:06:00Z');
    expect(h.opened('inactivity').map((d) => iso(d.at))).toEqual(['2026-03-02T17:05:00.000Z']);
    expect(h.opened('inactivity')[0]).toMatchObject({ kind: 'absence', detail: { afterStir: true, reason: 'stir_while_away', stirDevice: 'pir', awaySince: Date.parse('2026-03-02T09:00:10Z') } });
    h.send('pir', { occupancy: true }, '2026-03-02T18:00:00Z');
    h.send('fridge', { contact: false }, '2026-03-02T18:02:00Z');
    expect(h.records()).toEqual(['away from home', 'back home']);
    expect(h.ofKey('inactivity')).toEqual(['open', 'update:activity resumed', 'resolve:activity resumed']);
  });

  it('a silence that began at home, not after a stir while out, is still an inactivity alarm', () => {
    const h = home(learnedCfg(), '2026-03-02T08:00:00Z');
    h.send('pir', { occupancy: true }, '2026-03-02T11:00:00Z');
    h.at('2026-03-02T23:00:00Z');
    expect(h.opened('inactivity').map((d) => d.kind)).toEqual(['inactivity']);
  });
});

describe('company, learned mode', () => {
  const cfg = homeConfig({ inactivity: { mode: 'learned' } }, 'UTC', [
    { id: 'door', kind: 'door', entrance: true, room: 'entrance' },
    { id: 'pir-kitchen', kind: 'motion', entrance: false, room: 'kitchen' },
    { id: 'pir-living', kind: 'motion', entrance: false, room: 'living' },
    { id: 'fridge', kind: 'door', entrance: false, room: 'kitchen' },
  ]);
  const t = (hhmmss: string) => Date.parse(`2026-03-02T${hhmmss}Z`);
  /** the kitchen and the living room move within a second of each other, at each of `times` */
  const together = (h: ReturnType<typeof home>, times: string[]) => {
    for (const x of times) {
      h.send('pir-kitchen', { occupancy: true }, t(x));
      h.send('pir-living', { occupancy: true }, t(x) + 1_000);
    }
  };
  const out = (h: ReturnType<typeof home>, at: string) => {
    h.send('door', { contact: false }, t(at));
    h.send('door', { contact: true }, t(at) + 10_000);
  };

  it('two rooms moving at once, twice minutes apart, then the door and nothing: the visitor may have left alone; the caseworker is asked 6 h on', () => {
    const h = home(cfg, t('08:00:00'));
    together(h, ['10:00:00', '10:05:00']);
    out(h, '10:20:00');
    h.at(t('16:20:00'));
    expect(h.records()).toEqual(['away from home']);
    expect(h.opened('inactivity')).toHaveLength(0);
    h.at(t('16:21:00'));
    const opened = h.opened('inactivity');
    expect(opened.map((d) => iso(d.at))).toEqual(['2026-03-02T16:20:10.000Z']);
    expect(opened[0]).toMatchObject({ kind: 'absence', detail: { reason: 'company_left', awaySince: t('10:20:10') } });
    // they come home: it settles like any silence alert
    h.send('door', { contact: false }, t('18:00:00'));
    expect(h.ofKey('inactivity')).toEqual(['open', 'update:activity resumed', 'resolve:activity resumed']);
  });

  it('one person going from room to room, then the door: out, nothing asked while they are', () => {
    const h = home(cfg, t('08:00:00'));
    // two rooms within a second once (a PIR seeing through the doorway), then one room at a time
    together(h, ['10:00:00']);
    h.send('pir-kitchen', { occupancy: true }, t('10:05:00'));
    h.send('pir-living', { occupancy: true }, t('10:05:30'));
    out(h, '10:20:00');
    h.at(t('23:00:00'));
    expect(h.records()).toEqual(['away from home']);
    expect(h.opened('inactivity')).toHaveLength(0);
  });

  it('company long before the door changes nothing; back through the door after company ends the question', () => {
    const h = home(cfg, t('08:00:00'));
    together(h, ['09:00:00', '09:05:00']);
    h.send('fridge', { contact: false }, t('09:50:00'));
    out(h, '10:00:00');
    h.at(t('23:00:00'));
    expect(h.opened('inactivity')).toHaveLength(0);
    const h2 = home(cfg, t('08:00:00'));
    together(h2, ['10:00:00', '10:05:00']);
    out(h2, '10:20:00');
    h2.send('door', { contact: false }, t('13:00:00'));
    h2.send('pir-kitchen', { occupancy: true }, t('13:01:00'));
    out(h2, '14:00:00');
    h2.at(t('23:00:00'));
    expect(h2.records()).toEqual(['away from home', 'back home', 'away from home']);
    expect(h2.opened('inactivity')).toHaveLength(0);
  });

  it('company, then the door, on a planned absence: no early question; only the absence check 12 h after the plan', () => {
    for (const planAt of ['09:00:00', '11:00:00']) {
      // planned before they left, or entered by the family once they had gone
      const h = home(cfg, t('08:00:00'));
      const plan = () => h.plan({ id: 'p1', from: t('09:00:00'), until: Date.parse('2026-03-04T18:00:00Z') });
      if (planAt === '09:00:00') plan();
      together(h, ['10:00:00', '10:05:00']);
      out(h, '10:20:00');
      if (planAt === '11:00:00') { h.at(t('11:00:00')); plan(); }
      h.at(Date.parse('2026-03-05T05:59:00Z'));
      expect(h.opened('inactivity'), planAt).toHaveLength(0);
      expect(h.opened('absence'), planAt).toHaveLength(0);
      h.at(Date.parse('2026-03-05T06:01:00Z'));
      expect(h.opened('inactivity'), planAt).toHaveLength(0);
      expect(h.opened('absence').map((d) => iso(d.at)), planAt).toEqual(['2026-03-05T06:00:00.000Z']);
    }
  });

  it('the caseworker asked after the visitors left is not asked again at the 36 h check while that question stands', () => {
    const h = home(cfg, t('08:00:00'));
    together(h, ['10:00:00', '10:05:00']);
    out(h, '10:20:00');
    h.at(Date.parse('2026-03-04T12:00:00Z'));
    expect(h.opened('inactivity').map((d) => d.detail.reason)).toEqual(['company_left']);
    expect(h.opened('absence')).toHaveLength(0);
  });

  it('a home switched to the fixed rule while out after company: out is out', () => {
    const h = home(cfg, t('08:00:00'));
    together(h, ['10:00:00', '10:05:00']);
    out(h, '10:20:00');
    h.at(t('10:30:00'));
    const h2 = home(homeConfig(fixed(4 * HOUR), 'UTC', cfg.devices), t('10:30:00'), JSON.parse(JSON.stringify(h.state)));
    h2.at(t('23:00:00'));
    expect(h2.opened('inactivity')).toHaveLength(0);
  });

  it('a saved state from before company was read (no company fields) loads and runs', () => {
    const h = home(cfg, t('08:00:00'));
    together(h, ['10:00:00', '10:05:00']);
    const saved = JSON.parse(JSON.stringify(h.state));
    for (const k of ['moved', 'twoRoomsAt', 'companyAt', 'afterCompany']) delete saved.activity[k];
    const h2 = home(cfg, t('10:06:00'), saved);
    out(h2, '10:20:00');
    h2.at(t('23:00:00'));
    expect(h2.records()).toEqual(['away from home']);
    expect(h2.opened('inactivity')).toHaveLength(0);
  });
});

describe('quiet sensors, learned mode', () => {
  // a home whose bathroom PIR, bedroom door, fridge and kitchen PIR all report every day
  const cfg = homeConfig({ inactivity: { mode: 'learned' } }, 'UTC', [
    { id: 'door', kind: 'door', entrance: true, room: 'entrance' },
    { id: 'fridge', kind: 'door', entrance: false, room: 'kitchen' },
    { id: 'bedroom', kind: 'door', entrance: false, room: 'bedroom' },
    { id: 'pir-bath', kind: 'motion', entrance: false, room: 'bathroom' },
    { id: 'pir-kitchen', kind: 'motion', entrance: false, room: 'kitchen' },
  ]);
  const day0 = Date.parse('2026-03-02T00:00:00Z');
  type H = ReturnType<typeof home>;
  const at = (day: number, hh: number, mm = 0) => day0 + day * 24 * HOUR + hh * HOUR + mm * MIN;
  const ordinaryDay = (h: H, day: number) => {
    h.send('bedroom', { contact: false }, at(day, 7, 50));
    h.send('bedroom', { contact: true }, at(day, 7, 51));
    h.send('pir-bath', { occupancy: true }, at(day, 8));
    h.send('fridge', { contact: false }, at(day, 8, 10));
    h.send('fridge', { contact: true }, at(day, 8, 11));
    for (let hh = 9; hh <= 21; hh++) h.send('pir-kitchen', { occupancy: true }, at(day, hh));
    h.send('pir-bath', { occupancy: true }, at(day, 21, 30));
    h.send('bedroom', { contact: false }, at(day, 22));
    h.send('bedroom', { contact: true }, at(day, 22, 1));
  };
  // only the kitchen PIR still reports, hourly, as a failing network (or a cat) does
  const kitchenOnlyDay = (h: H, day: number) => { for (let hh = 8; hh <= 21; hh++) h.send('pir-kitchen', { occupancy: true }, at(day, hh)); };
  const silenceAlerts = (h: H) => h.opened('inactivity').map((d) => ({ at: iso(d.at), kind: d.kind, reason: (d.detail as { reason?: string }).reason }));

  it('most daily sensors silent for a day while one still reports: the silence goes to the caseworker as quiet sensors, not to the neighbour', () => {
    const h = home(cfg, day0);
    for (let d = 0; d < 6; d++) ordinaryDay(h, d);
    for (let d = 6; d < 9; d++) kitchenOnlyDay(h, d);
    // each silent device has had its own device_offline (25 h without a report); no silence alarm yet
    expect(h.opened().map((d) => d.key).sort()).toEqual(['device_offline:bedroom', 'device_offline:door', 'device_offline:fridge', 'device_offline:pir-bath']);
    h.send('pir-kitchen', { occupancy: true }, at(9, 8, 30));
    h.send('pir-kitchen', { occupancy: true }, at(9, 10));
    h.at(at(9, 20));
    const alerts = silenceAlerts(h);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'device_offline', reason: 'sensors_quiet' });
    expect(h.opened('inactivity')[0].detail).toMatchObject({ quietDevices: ['fridge', 'bedroom', 'pir-bath'] });
    expect(Date.parse(alerts[0].at) - at(9, 10)).toBeLessThanOrEqual(6 * HOUR);
    // a sign of life settles it like any silence alert
    h.send('pir-kitchen', { occupancy: true }, at(9, 21));
    expect(h.ofKey('inactivity').at(-1)).toBe('resolve:activity resumed');
  });

  it('out by the door while most sensors are quiet, the one still reporting stirs: no second sensor can confirm a return, so the silence goes to the caseworker at its own threshold, not after 6 h', () => {
    const h = home(cfg, day0);
    for (let d = 0; d < 6; d++) ordinaryDay(h, d);
    for (let d = 6; d < 8; d++) kitchenOnlyDay(h, d);
    h.send('pir-kitchen', { occupancy: true }, at(8, 8, 30));
    h.send('pir-kitchen', { occupancy: true }, at(8, 8, 55));
    h.send('door', { contact: false }, at(8, 9));
    h.send('door', { contact: true }, at(8, 9) + 10_000);
    h.at(at(8, 10));
    expect(h.records()).toContain('away from home');
    h.send('pir-kitchen', { occupancy: true }, at(8, 11)); // the lone stir: back unseen, or a cat
    h.at(at(8, 23));
    const alerts = silenceAlerts(h);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'device_offline', reason: 'sensors_quiet' })]);
    expect(h.opened('inactivity')[0].detail).toMatchObject({ afterStir: true });
    expect(Date.parse(alerts[0].at) - at(8, 11)).toBeLessThan(4 * HOUR);
    // the same outing and stir with every sensor reporting: the floor holds, and the caseworker is asked where they are
    const well = home(cfg, day0);
    for (let d = 0; d < 8; d++) ordinaryDay(well, d);
    well.send('pir-kitchen', { occupancy: true }, at(8, 8, 30));
    well.send('pir-kitchen', { occupancy: true }, at(8, 8, 55));
    well.send('door', { contact: false }, at(8, 9));
    well.send('door', { contact: true }, at(8, 9) + 10_000);
    well.send('pir-kitchen', { occupancy: true }, at(8, 11));
    well.at(at(8, 23));
    expect(silenceAlerts(well)).toEqual([expect.objectContaining({ kind: 'absence', reason: 'stir_while_away' })]);
    expect(Date.parse(silenceAlerts(well)[0].at) - at(8, 11)).toBeGreaterThanOrEqual(6 * HOUR);
  });

  it('a collapse after an ordinary morning is an inactivity alarm: every sensor fell silent at once', () => {
    const h = home(cfg, day0);
    for (let d = 0; d < 6; d++) ordinaryDay(h, d);
    h.send('bedroom', { contact: false }, at(6, 7, 50));
    h.send('pir-bath', { occupancy: true }, at(6, 8));
    h.send('pir-kitchen', { occupancy: true }, at(6, 9));
    h.send('pir-kitchen', { occupancy: true }, at(6, 10));
    h.at(at(6, 20));
    expect(silenceAlerts(h)).toEqual([expect.objectContaining({ kind: 'inactivity' })]);
    expect(Date.parse(silenceAlerts(h)[0].at) - at(6, 10)).toBeLessThanOrEqual(6 * HOUR);
  });

  it('days away do not count as the sensors\' silence: a collapse soon after coming home is an inactivity alarm', () => {
    const h = home(cfg, day0);
    for (let d = 0; d < 6; d++) ordinaryDay(h, d);
    h.send('fridge', { contact: false }, at(6, 8, 50));
    h.send('door', { contact: false }, at(6, 9));
    h.send('door', { contact: true }, at(6, 9, 0) + 10_000);
    h.at(at(9, 10));
    expect(h.records()).toContain('away from home');
    h.send('door', { contact: false }, at(9, 10));
    h.send('door', { contact: true }, at(9, 10) + 10_000);
    h.send('pir-kitchen', { occupancy: true }, at(9, 10, 5));
    h.at(at(9, 20));
    expect(h.records()).toContain('back home');
    expect(silenceAlerts(h)).toEqual([expect.objectContaining({ kind: 'inactivity' })]);
  });

  it('a home still being installed (most of its sensors never heard, its first days): the silence goes to the caseworker; once fitted, or after those days, to the neighbour', () => {
    // day 0: only the fridge is fitted yet, then the resident sits still all afternoon
    const installing = home(cfg, day0);
    installing.send('fridge', { contact: false }, at(0, 9));
    installing.send('fridge', { contact: true }, at(0, 9, 1));
    installing.at(at(0, 18));
    expect(silenceAlerts(installing)).toEqual([expect.objectContaining({ kind: 'device_offline', reason: 'sensors_quiet' })]);
    expect(installing.opened('inactivity')[0].detail).toMatchObject({ installing: true, quietDevices: ['bedroom', 'pir-bath', 'pir-kitchen'] });
    // the same afternoon with the sensors fitted and heard (but the kitchen PIR, not yet): an inactivity alarm at the same time
    const fitted = home(cfg, day0);
    fitted.send('bedroom', { contact: false }, at(0, 8, 50));
    fitted.send('pir-bath', { occupancy: true }, at(0, 8, 55));
    fitted.send('fridge', { contact: false }, at(0, 9));
    fitted.send('fridge', { contact: true }, at(0, 9, 1));
    fitted.at(at(0, 18));
    expect(silenceAlerts(fitted)).toEqual([expect.objectContaining({ kind: 'inactivity' })]);
    expect(Math.abs(fitted.opened('inactivity')[0].at - installing.opened('inactivity')[0].at)).toBeLessThan(MIN);
    // three days on, a sensor still unheard is broken, not being fitted: the silence is the resident's
    const later = home(cfg, day0);
    for (let d = 0; d < 3; d++) {
      for (let hh = 8; hh <= 20; hh++) later.send('fridge', { contact: hh % 2 === 0 }, at(d, hh));
    }
    later.send('fridge', { contact: false }, at(3, 9));
    later.at(at(3, 18));
    // (its evenings, 20:00 to 08:00 with nothing but a fridge, went to the caseworker while it was being installed)
    expect(silenceAlerts(later).filter((a) => Date.parse(a.at) > at(3, 9))).toEqual([expect.objectContaining({ kind: 'inactivity' })]);
  });
});
