// The learned inactivity model (src/rules/learned.ts): a prior from the first hour, thresholds by
// the room of the last activity, nights that wait for the morning, learned bedtimes, shrinkage
// towards the resident's own silences, bed and seat mats.
import { describe, expect, it } from 'vitest';
import type { ResidentRulesConfig } from '../../src/rules/index.ts';
import { EXPECTED_MAX, NIGHTS_KEPT, PARAMS, PRIOR_WAKE_LATE, dayThresholdMs, emptyBaseline, latestWaking, nightWindow, WAKE_MARGIN_MIN, type Baseline } from '../../src/rules/learned.ts';
import { HOUR, MIN, home, homeConfig, hours } from './driver.ts';

const TZ = 'Asia/Shanghai';
const DAY0 = Date.parse('2026-03-01T16:00:00Z'); // Monday 2 March 2026, 00:00 in Shanghai
const local = (day: number, hour: number) => DAY0 + day * 24 * HOUR + Math.round(hour * HOUR);
const learned = (extra: object = {}): ResidentRulesConfig['rules'] => ({ inactivity: { mode: 'learned', ...extra } });

const DEVICES: ResidentRulesConfig['devices'] = [
  { id: 'door', kind: 'door', entrance: true, room: 'entrance' },
  { id: 'fridge', kind: 'door', entrance: false, room: 'kitchen' },
  { id: 'pir-living', kind: 'motion', entrance: false, room: 'living' },
  { id: 'pir-bath', kind: 'motion', entrance: false, room: 'bathroom' },
  { id: 'pir-bed', kind: 'motion', entrance: false, room: 'bedroom' },
  { id: 'bed-mat', kind: 'presence', entrance: false, room: 'bedroom' },
  { id: 'seat-mat', kind: 'presence', entrance: false, room: 'living' },
  { id: 'flush', kind: 'door', entrance: false, room: 'bathroom' },
];
const cfgOf = (rules = learned()) => homeConfig(rules, TZ, DEVICES);
const prior = (cls: 'active' | 'rest' | 'bath' | 'bed') => dayThresholdMs(emptyBaseline(), cls, PARAMS);

/** One ordinary day: up at `wake`, then every 20 min the fridge or the bathroom, to bed at `bed` (hours). */
function day(h: ReturnType<typeof home>, d: number, wake = 7, bed = 22) {
  h.send('pir-bed', { occupancy: true }, local(d, wake));
  let i = 0;
  for (let t = local(d, wake) + 10 * MIN; t < local(d, bed) - 10 * MIN; t += 20 * MIN, i++) {
    if (i % 3 === 2) h.send('pir-bath', { occupancy: true }, t);
    else h.send('fridge', { contact: i % 3 === 1 }, t);
  }
  h.send('pir-bed', { occupancy: true }, local(d, bed));
}

describe('learned inactivity from the first hour', () => {
  it('the prior is a couple of hours after the kitchen, longer after the living room, never a 12-hour blind period', () => {
    expect(prior('active')).toBeGreaterThan(1 * HOUR);
    expect(prior('active')).toBeLessThan(3 * HOUR);
    expect(prior('rest')).toBeGreaterThan(prior('active'));
    const h = home(cfgOf(), local(0, 9.9));
    h.send('fridge', { contact: false }, local(0, 10));
    h.at(local(0, 18));
    const [alert] = h.opened('inactivity');
    expect(alert.at - local(0, 10)).toBe(Math.ceil(prior('active')));
    expect(alert.detail).toMatchObject({ mode: 'learned', regime: 'day', room: 'active' });
  });

  it('where the last activity was: a silence after the living room may run longer than one after the kitchen', () => {
    const kitchen = home(cfgOf(), local(0, 9.9));
    kitchen.send('fridge', { contact: false }, local(0, 10));
    kitchen.at(local(0, 19));
    const living = home(cfgOf(), local(0, 9.9));
    living.send('pir-living', { occupancy: true }, local(0, 10));
    living.at(local(0, 19));
    expect(living.opened('inactivity')[0].at - kitchen.opened('inactivity')[0].at).toBe(Math.ceil(prior('rest')) - Math.ceil(prior('active')));
  });

  it('a silence begun at night is sleep: the alarm waits until past the latest waking', () => {
    const h = home(cfgOf(), local(0, 23.9));
    h.send('pir-bed', { occupancy: true }, local(1, 0.5));
    h.at(local(1, 14));
    const [alert] = h.opened('inactivity');
    // the prior's latest waking (10:00) plus the margin, the next morning
    const w = nightWindow(emptyBaseline());
    expect(alert.at).toBe(local(1, (w.wakeLate + WAKE_MARGIN_MIN) / 60 - 9));
    expect(alert.detail).toMatchObject({ regime: 'night' });
    // and never past the ceiling (12 h) from a silence begun earlier in the night
    const early = home(cfgOf(), local(0, 21.9));
    early.send('pir-bed', { occupancy: true }, local(0, 22));
    early.at(local(1, 14));
    expect(early.opened('inactivity')[0].at).toBe(local(1, 10));
  });

  it('learns the bedtime: after a week of going to bed at 20:00 a silence from 20:05 is no longer an evening alarm', () => {
    const first = home(cfgOf(), local(0, 20));
    first.send('fridge', { contact: false }, local(0, 20) + 5 * MIN);
    first.at(local(1, 6));
    expect(first.opened('inactivity')[0].detail).toMatchObject({ regime: 'day', room: 'active@evening' });
    // (from the bedroom half an hour before the earliest bedtime is night already)
    const bedroom = home(cfgOf(), local(0, 20));
    bedroom.send('pir-bed', { occupancy: true }, local(0, 20.6));
    bedroom.at(local(1, 6));
    expect(bedroom.opened('inactivity')).toHaveLength(0);

    const h = home(cfgOf(), local(0, 6.9));
    for (let d = 0; d < 7; d++) day(h, d, 7, 20);
    // the first evening alarms: the prior puts bedtimes after 20:30; never again once learned
    expect(h.opened('inactivity').map((a) => a.detail.lastActivityAt)).toEqual([local(0, 20)]);
    expect(nightWindow(h.state.baseline).bed).toBeLessThan(5 * 60); // before 20:00 (minutes after 15:00)
    day(h, 7, 7, 20);
    h.send('fridge', { contact: false }, local(7, 20) + 5 * MIN);
    h.at(local(8, 6));
    expect(h.opened('inactivity')).toHaveLength(1);
  });

  it('shrinks towards the resident: a busy home gets shorter thresholds than the prior, one that sits long after the kitchen longer ones', () => {
    const busy = home(cfgOf(), local(0, 6));
    for (let d = 0; d < 14; d++) day(busy, d);
    expect(busy.records()).toContain('inactivity baseline learned');
    expect(busy.opened('inactivity')).toHaveLength(0);
    expect(dayThresholdMs(busy.state.baseline, 'active', PARAMS)).toBeLessThan(prior('active') - 15 * MIN);

    // every afternoon the kitchen, then three quiet hours (reading in a room without a sensor)
    const reader = home(cfgOf(), local(0, 6));
    for (let d = 0; d < 14; d++) {
      for (let t = local(d, 7); t < local(d, 13); t += 20 * MIN) reader.send('pir-bath', { occupancy: true }, t);
      reader.send('fridge', { contact: false }, local(d, 13));
      reader.send('fridge', { contact: true }, local(d, 16));
      for (let t = local(d, 16) + 20 * MIN; t < local(d, 21); t += 20 * MIN) reader.send('pir-bath', { occupancy: true }, t);
      reader.send('pir-bed', { occupancy: true }, local(d, 21.5));
    }
    const alarms = reader.opened('inactivity').map((a) => Math.floor((a.at - DAY0) / (24 * HOUR)));
    // the first afternoons alarm (the prior knows nothing of this home); then it has learned
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((d) => d < 5)).toBe(true);
    expect(dayThresholdMs(reader.state.baseline, 'active', PARAMS)).toBeGreaterThan(3 * HOUR);
  });

  it('the tail is fitted to silences past an hour (where thresholds live); the prior, stated past 15 min, gives the same thresholds at any u', () => {
    expect(PARAMS.u).toBe(60);
    for (const cls of ['active', 'rest', 'bath', 'bed'] as const) {
      const at15 = dayThresholdMs(emptyBaseline(), cls, { ...PARAMS, u: 15 });
      expect(Math.abs(prior(cls) - at15)).toBeLessThan(1_000);
    }
    // forty-minute gaps all day are pottering: under u they teach the tail nothing, so the kitchen's threshold stays the prior's
    const h = home(cfgOf(), local(0, 7));
    for (let d = 0; d < 5; d++) for (let t = local(d, 8); t < local(d, 20); t += 40 * MIN) h.send('fridge', { contact: (t / MIN) % 80 === 0 }, t);
    const b = h.state.baseline;
    expect(b.tails.active.k).toBe(0);
    expect(dayThresholdMs(b, 'active', PARAMS)).toBeLessThan(prior('active'));
  });

  it('a baseline saved when the tails counted silences past 15 min is carried to u, not read as if its counts were past an hour', () => {
    const saved = { ...emptyBaseline(), at: Date.parse('2026-03-01T00:00:00Z'), days: 10 } as ReturnType<typeof emptyBaseline>;
    delete saved.u;
    // thirty silences past 15 min in ten days after the kitchen, 20 min past it on average
    saved.tails = { ...saved.tails, active: { k: 30, s: 30 * 20 } };
    const then = dayThresholdMs(saved, 'active', { ...PARAMS, u: 15 });
    const now = dayThresholdMs(saved, 'active', PARAMS);
    expect(Math.abs(now - then)).toBeLessThan(10 * MIN);
    // read as it stands, thirty silences past an hour would put the threshold far later
    expect(dayThresholdMs({ ...saved, u: 60 }, 'active', PARAMS)).toBeGreaterThan(then + 30 * MIN);
  });

  it('the floor, the ceiling and a fixed safety net are configurable', () => {
    const floor = home(cfgOf(learned({ min: 3 * HOUR })), local(0, 9.9));
    floor.send('fridge', { contact: false }, local(0, 10));
    floor.at(local(0, 20));
    expect(floor.opened('inactivity')[0].at).toBe(local(0, 13));

    const ceiling = home(cfgOf(learned({ max: 4 * HOUR })), local(0, 21.9));
    ceiling.send('pir-bed', { occupancy: true }, local(0, 22));
    ceiling.at(local(1, 12));
    expect(ceiling.opened('inactivity')[0].at).toBe(local(1, 2));

    const net = home(cfgOf(learned({ after: HOUR, activeHours: hours('08:00-22:00') })), local(0, 9.9));
    net.send('pir-living', { occupancy: true }, local(0, 10));
    net.at(local(0, 20));
    expect(net.opened('inactivity')[0].at).toBe(local(0, 11));
    expect(net.opened('inactivity')[0].detail).toMatchObject({ safetyNet: HOUR });
  });
});

describe("the home's rhythm of sleep", () => {
  // the resident is last seen outside the bedroom at `lastOut`, then the bedroom PIR at 10:30 of the next morning, then nothing
  const morningInBed = (lastOut: number) => {
    const h = home(cfgOf(), lastOut - 1 * MIN);
    h.send('fridge', { contact: false }, lastOut);
    h.send('pir-bed', { occupancy: true }, lastOut + 10 * MIN);
    h.send('pir-bed', { occupancy: true }, local(1, 10.5));
    h.at(local(1, 23));
    return h.opened('inactivity')[0];
  };

  it('a late morning in bed after a late night is sleep, found within six hours; after a usual night it is a daytime silence', () => {
    // home at 03:00, four hours after the usual bedtime (the prior's 23:00): the morning's deadline moves
    // by as much (10:00 + 90 min + 4 h), no more than six hours after the last sign of life
    const late = morningInBed(local(1, 3));
    expect(late.detail).toMatchObject({ regime: 'night', room: 'bed' });
    expect(late.at).toBe(local(1, 15.5));
    // to bed at 23:00: lying still at 10:30 is the day's (a nap's threshold from the prior)
    const usual = morningInBed(local(0, 23));
    expect(usual.detail).toMatchObject({ regime: 'day', room: 'bed' });
    expect(usual.at - local(1, 10.5)).toBeLessThan(4 * HOUR);
  });

  it('a home where no sensor sees the bed: an evening silence within 90 min of the night window is an early night; with a bedroom sensor it is the evening\'s', () => {
    const blind = DEVICES.filter((d) => d.room !== 'bedroom');
    const night = home(homeConfig(learned(), TZ, blind), local(0, 19.9));
    night.send('fridge', { contact: false }, local(0, 20)); // the prior's night window opens at 21:00
    night.at(local(1, 14));
    const [early] = night.opened('inactivity');
    expect(early.detail).toMatchObject({ regime: 'night' });
    expect(early.at).toBe(local(1, 8)); // the ceiling, 12 h
    // 18:30 is still the day's, whatever the home
    const day = home(homeConfig(learned(), TZ, blind), local(0, 18.4));
    day.send('fridge', { contact: false }, local(0, 18.5));
    day.at(local(1, 14));
    expect(day.opened('inactivity')[0].detail).toMatchObject({ regime: 'day', room: 'active' });
    // a home that would have seen them go to bed: the kitchen at 20:00 then nothing is an evening silence
    const seen = home(cfgOf(), local(0, 19.9));
    seen.send('fridge', { contact: false }, local(0, 20));
    seen.at(local(1, 14));
    expect(seen.opened('inactivity')[0].detail).toMatchObject({ regime: 'day', room: 'active@evening' });
  });

  it('the latest waking is widened by how much later the latest of 28 nights is expected than the latest seen, in the wakings\' own spread', () => {
    // the expected largest of n normal draws (Harter's table: 0.5642 for 2, 1.5388 for 10, 2.0137 for 28)
    expect(EXPECTED_MAX[1]).toBe(0);
    expect(EXPECTED_MAX[2]).toBeCloseTo(0.5642, 3);
    expect(EXPECTED_MAX[10]).toBeCloseTo(1.5388, 3);
    expect(EXPECTED_MAX[NIGHTS_KEPT]).toBeCloseTo(2.0137, 3);
    // one night seen, up at 08:00 (17 h after 15:00): two spreads later, the spread still mostly the prior's
    const one = latestWaking([17 * 60]);
    expect(one).toBeCloseTo(17 * 60 + EXPECTED_MAX[NIGHTS_KEPT] * (PARAMS.wakeSpread * PARAMS.wakeSpreadNights) / (PARAMS.wakeSpreadNights + 1), 6);
    // 28 nights seen: the latest of them, nothing added
    const wakes = Array.from({ length: NIGHTS_KEPT }, (_, i) => 16 * 60 + (i % 7) * 10).sort((a, b) => a - b);
    expect(latestWaking(wakes)).toBe(wakes[wakes.length - 1]);
    // ten nights: an irregular sleeper (wakings two hours apart) waits longer past its latest than a regular one
    const regular = Array.from({ length: 10 }, (_, i) => 16 * 60 + i * 3);
    const irregular = Array.from({ length: 10 }, (_, i) => 16 * 60 + i * 13);
    expect(latestWaking(irregular) - irregular[9]).toBeGreaterThan(latestWaking(regular) - regular[9] + 10);
    // blended with the prior's latest waking as nights accrue
    const b: Baseline = { ...emptyBaseline(), nights: [{ day: 1, bed: 8 * 60, wake: 17 * 60 }] };
    expect(nightWindow(b).wakeLate).toBeCloseTo((PRIOR_WAKE_LATE * 2 + one) / 3, 6);
  });

  it('one night seen, up at 08:10: a lie-in on the second morning to 11:15 is sleep, not an alarm (it was at 10:53 with the latest seen alone)', () => {
    const twoNights = () => {
      const h = home(cfgOf(), local(0, 21.9));
      h.send('pir-bed', { occupancy: true }, local(0, 22));
      day(h, 1, 8, 22); // up at 08:00 in the bedroom, the kitchen at 08:10: the first night learned
      h.send('pir-bed', { occupancy: true }, local(2, 7.5)); // stirs in bed, then lies in
      return h;
    };
    const h = twoNights();
    h.send('pir-bath', { occupancy: true }, local(2, 11.25));
    expect(h.state.baseline.nights).toHaveLength(2);
    expect(h.opened('inactivity')).toHaveLength(0);
    // and a resident who does not get up is still found that morning
    const still = twoNights();
    still.at(local(2, 14));
    const [alert] = still.opened('inactivity');
    expect(alert.detail).toMatchObject({ regime: 'night', room: 'bed' });
    expect(alert.at).toBeGreaterThan(local(2, 11.25));
    expect(alert.at).toBeLessThan(local(2, 11.5));
  });

  it('up after a late night and back to the bedroom: a silence that begins after the usual waking with the resident up is no night', () => {
    const h = home(cfgOf(), local(1, 3) - MIN);
    h.send('fridge', { contact: false }, local(1, 3));
    h.send('pir-bed', { occupancy: true }, local(1, 3) + 10 * MIN);
    h.send('fridge', { contact: true }, local(1, 9)); // up
    h.send('pir-bed', { occupancy: true }, local(1, 10.5));
    h.at(local(1, 23));
    const [alert] = h.opened('inactivity');
    expect(alert.detail).toMatchObject({ regime: 'day', room: 'bed' });
    expect(alert.at - local(1, 10.5)).toBeLessThan(4 * HOUR);
  });
});

describe('bed and seat mats', () => {
  it('while the seat is occupied the silence is judged as a sit, whatever the flush did after', () => {
    const h = home(cfgOf(), local(0, 13.9));
    h.send('seat-mat', { occupancy: true }, local(0, 14));
    h.send('flush', { contact: false }, local(0, 14) + 5_000);
    h.send('flush', { contact: true }, local(0, 14) + 60_000);
    h.at(local(0, 23));
    expect(h.opened('inactivity')[0].detail).toMatchObject({ room: 'rest' });
  });

  it('getting up after a while on the mat is a sign of life; a PIR clearing a minute after it fired is not', () => {
    const mat = home(cfgOf(), local(0, 9.9));
    mat.send('seat-mat', { occupancy: true }, local(0, 10));
    mat.send('seat-mat', { occupancy: false }, local(0, 12));
    // the two hours on the seat were a usual sit, learned as one
    const sit = dayThresholdMs(mat.state.baseline, 'rest', PARAMS);
    expect(sit).toBeGreaterThan(prior('rest'));
    mat.at(local(0, 20));
    expect(mat.opened('inactivity')[0].at).toBe(local(0, 12) + Math.ceil(sit));

    const pir = home(cfgOf(), local(0, 9.9));
    pir.send('pir-living', { occupancy: true }, local(0, 10));
    pir.send('pir-living', { occupancy: false }, local(0, 10) + 90_000);
    pir.at(local(0, 20));
    expect(pir.opened('inactivity')[0].at).toBe(local(0, 10) + Math.ceil(prior('rest')));
  });
});

describe('saved state', () => {
  it('a state saved by the model before this one continues, starting its baseline afresh', () => {
    const h = home(cfgOf(), local(0, 9));
    h.send('fridge', { contact: false }, local(0, 9.5));
    const old = JSON.parse(JSON.stringify(h.state));
    old.baseline = { days: [{ day: 20514, weekend: false, silence: new Array(24).fill(30) }], noted: true };
    delete old.absences;
    delete old.activity.room;
    delete old.activity.lastOutside;
    const again = home(cfgOf(), local(0, 9.5), old);
    again.send('fridge', { contact: true }, local(0, 10));
    again.at(local(0, 20));
    expect(again.opened('inactivity')[0].at).toBe(local(0, 10) + Math.ceil(prior('active')));
  });
});
