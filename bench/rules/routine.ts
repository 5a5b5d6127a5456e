// A synthetic resident's month, for evaluating the inactivity rules ("Show").
//
// The routine is what caseworkers describe of an older person living alone: up between 06:30
// and 08:00 (later at weekends), busy mornings, meals in the kitchen with the fridge, a nap on
// most days, errands out of the house for one to four hours, a quiet evening in front of the
// TV, bed between 21:30 and 23:00, a bathroom trip or two at night, and a night or two a month
// at the family's. Some days are slow (longer sits, a longer nap). Sensors report as
// zigbee2mqtt ones do: occupancy true on movement and false 90 s later, a fridge door opened
// and closed, every device checking in with its battery about hourly.
//
// Residents differ, and a rule tuned on one resident's habits must not be judged on that one
// alone: each seed draws a persona (early or late riser, long or short naps, how long they sit
// still out of a sensor's view, how often they go out) within those ranges, then a month of
// days around it.
import type { DeviceEvent, DeviceRoom, DeviceSpec, Readings } from '../../src/domain/types.ts';
import { DAY, MINUTE, isWeekend, localTime, wallToEpoch } from '../../src/time/index.ts';
import { prng } from '../prng.ts';

export interface MonthOptions {
  /** default 30 */
  days?: number;
  /** default Asia/Shanghai */
  timezone?: string;
  residentId?: string;
  /** first local day, YYYY-MM-DD; default 2026-03-02 (a Monday) */
  startDay?: string;
  /** nights away at the family's; default 1 or 2 */
  overnightStays?: number;
}

export interface GeneratedMonth {
  residentId: string;
  timezone: string;
  devices: Array<DeviceSpec & { room?: DeviceRoom }>;
  events: DeviceEvent[];
  /** local midnight of the first day, and of the day after the last */
  start: number;
  end: number;
  /** when the resident is out of the home: [left, back) */
  away: Array<[number, number]>;
}

type Room = 'bedroom' | 'living' | 'kitchen' | 'bath';
const ROOMS: Room[] = ['bedroom', 'living', 'kitchen', 'bath'];

export function generateMonth(seed: number, opts: MonthOptions = {}): GeneratedMonth {
  const rnd = prng(seed);
  const days = opts.days ?? 30;
  const timezone = opts.timezone ?? 'Asia/Shanghai';
  const residentId = opts.residentId ?? 'r-sim';
  const [y, m, d] = (opts.startDay ?? '2026-03-02').split('-').map(Number);
  const day0 = Math.round(Date.UTC(y, m - 1, d) / DAY);
  const uni = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const expo = (mean: number) => -mean * Math.log(1 - rnd());
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  /** local wall clock: day index and minutes after that day's midnight (may exceed 1440) */
  const at = (dayIndex: number, minute: number) => wallToEpoch(day0 + dayIndex, minute * MINUTE, timezone);

  const persona = {
    wakeFrom: uni(6.25 * 60, 7.25 * 60),
    wakeSpan: uni(45, 90),
    napChance: uni(0.3, 0.9),
    napShortest: uni(20, 45),
    napLongest: uni(60, 140),
    /** the longest quiet sit (reading, sewing, a phone call) out of the sensors' view, minutes */
    sitMax: uni(30, 70),
    tvGapMax: uni(30, 60),
    bedFrom: uni(21.25 * 60, 22 * 60),
    outingChance: uni(0.4, 0.85),
  };
  const ROOM_OF: Record<Room, DeviceRoom> = { bedroom: 'bedroom', living: 'living', kitchen: 'kitchen', bath: 'bathroom' };
  const devices: Array<DeviceSpec & { room?: DeviceRoom }> = [
    { id: 'sim-door', kind: 'door', entrance: true, room: 'entrance' },
    { id: 'sim-fridge', kind: 'door', entrance: false, room: 'kitchen' },
    ...ROOMS.map((r) => ({ id: `sim-motion-${r}`, kind: 'motion' as const, entrance: false, room: ROOM_OF[r] })),
    { id: 'sim-button', kind: 'button', entrance: false },
    { id: 'sim-smoke', kind: 'smoke', entrance: false, room: 'kitchen' },
  ];
  const moves: Array<{ t: number; room: Room }> = [];
  const fridge: number[] = [];
  const move = (t: number, room: Room) => moves.push({ t, room });

  /** a busy stretch: movement every few minutes around a few rooms */
  const busy = (dayIndex: number, from: number, to: number, rooms: Room[], meanGap = 3) => {
    for (let t = from; t < to; t += Math.max(0.5, expo(meanGap))) move(at(dayIndex, t), pick(rooms));
  };
  /** ordinary daytime: busy stretches and quiet sits (reading, a phone call, sewing) */
  const ordinary = (dayIndex: number, from: number, to: number, slow: boolean) => {
    let t = from;
    while (t < to) {
      const stretch = uni(10, 40);
      busy(dayIndex, t, Math.min(to, t + stretch), ['living', 'kitchen', 'bath', 'bedroom'], 4);
      t += stretch + uni(10, persona.sitMax + (slow ? 20 : 0));
    }
  };

  // family stays: leave one day, back the next; not in the first or the last week
  const stays = opts.overnightStays ?? (rnd() < 0.5 ? 1 : 2);
  const away: Array<[number, number]> = [];
  const stayDays = new Set<number>();
  for (let i = 0; i < stays && days > 16; i++) {
    let dayIndex: number;
    do dayIndex = 3 + Math.floor(rnd() * (days - 12)); while (stayDays.has(dayIndex) || stayDays.has(dayIndex - 1) || stayDays.has(dayIndex + 1));
    stayDays.add(dayIndex);
    away.push([at(dayIndex, uni(9.5 * 60, 15 * 60)), at(dayIndex + 1, uni(11 * 60, 18 * 60))]);
  }

  let bedtime = persona.bedFrom + uni(0, 60) - 1440; // the evening before day 0
  for (let dayIndex = 0; dayIndex < days; dayIndex++) {
    const weekend = isWeekend(localTime(at(dayIndex, 720), timezone).weekday);
    const slow = rnd() < 0.12;
    const wake = persona.wakeFrom + uni(0, persona.wakeSpan) + (weekend ? uni(0, 40) : 0);
    // the night: asleep from last evening's bedtime, with a bathroom trip or two
    const trips = rnd() < 0.35 ? 0 : rnd() < 0.7 ? 1 : 2;
    for (let i = 0; i < trips; i++) {
      const t = uni(bedtime + 60, wake - 40);
      busy(dayIndex, t, t + uni(3, 8), ['bedroom', 'bath'], 1.5);
    }
    const breakfastEnd = wake + uni(45, 90);
    busy(dayIndex, wake, breakfastEnd, ['bedroom', 'bath', 'kitchen'], 2.5);
    fridge.push(at(dayIndex, uni(wake + 10, breakfastEnd)));
    const lunch = uni(11.5 * 60, 12.5 * 60);
    const lunchEnd = lunch + uni(30, 60);
    ordinary(dayIndex, breakfastEnd, lunch, slow);
    busy(dayIndex, lunch, lunchEnd, ['kitchen', 'living'], 2.5);
    fridge.push(at(dayIndex, uni(lunch, lunchEnd)), at(dayIndex, uni(lunch, lunchEnd)));
    let afternoon = lunchEnd + uni(5, 30);
    if (rnd() < persona.napChance) {
      move(at(dayIndex, afternoon), 'bedroom');
      afternoon += uni(persona.napShortest, persona.napLongest + (slow ? 20 : 0)); // the nap: no movement at all
      move(at(dayIndex, afternoon), 'bedroom');
    }
    const dinner = uni(17.5 * 60, 18.5 * 60);
    const dinnerEnd = dinner + uni(40, 70);
    ordinary(dayIndex, afternoon, dinner, slow);
    busy(dayIndex, dinner, dinnerEnd, ['kitchen', 'living'], 2.5);
    fridge.push(at(dayIndex, uni(dinner, dinnerEnd)));
    bedtime = persona.bedFrom + uni(0, 60);
    // the TV evening: little movement, a trip to the kitchen or bathroom now and then
    for (let t = dinnerEnd + uni(5, 20); t < bedtime - 15; t += uni(10, persona.tvGapMax)) move(at(dayIndex, t), pick(['living', 'living', 'kitchen', 'bath'] as Room[]));
    busy(dayIndex, bedtime - 15, bedtime, ['bath', 'bedroom'], 2);
    bedtime -= 1440; // as seen from the next day

    if (stayDays.has(dayIndex) || stayDays.has(dayIndex - 1)) continue;
    // errands: out through the entrance door, back one to four hours later
    const outings = rnd() > persona.outingChance ? 0 : rnd() < 0.75 ? 1 : 2;
    const slots: Array<[number, number]> = [[breakfastEnd + 10, lunch - 70], [Math.max(afternoon, 14.5 * 60), dinner - 70]];
    for (let i = 0; i < outings; i++) {
      const [lo, hi] = slots[i];
      if (hi <= lo) continue;
      const leave = uni(lo, hi);
      const back = Math.min(leave + uni(60, 240), i === 0 ? lunch + 60 : dinner + 45);
      if (back - leave >= 45) away.push([at(dayIndex, leave), at(dayIndex, back)]);
    }
  }

  const events: DeviceEvent[] = [];
  const emit = (t: number, deviceId: string, readings: Readings) => {
    const spec = devices.find((x) => x.id === deviceId)!;
    events.push({ at: Math.round(t), deviceId, residentId, kind: spec.kind, source: 'replay', type: 'state', readings });
  };
  const isAway = (t: number) => away.some(([a, b]) => t >= a - 60_000 && t < b + 60_000);
  for (const { t, room } of moves) if (!isAway(t)) emit(t, `sim-motion-${room}`, { occupancy: true });
  for (const t of fridge) {
    if (isAway(t)) continue;
    emit(t, 'sim-fridge', { contact: false });
    emit(t + uni(8, 40) * 1000, 'sim-fridge', { contact: true });
  }
  for (const [leave, back] of away) {
    emit(leave - 40_000, 'sim-motion-living', { occupancy: true });
    emit(leave, 'sim-door', { contact: false });
    emit(leave + uni(5, 20) * 1000, 'sim-door', { contact: true });
    emit(back, 'sim-door', { contact: false });
    emit(back + uni(5, 20) * 1000, 'sim-door', { contact: true });
    emit(back + uni(25, 150) * 1000, 'sim-motion-living', { occupancy: true });
  }
  // occupancy false 90 s after the last movement a sensor saw
  const motion = events.filter((e) => e.readings?.occupancy === true).sort((p, q) => p.at - q.at);
  const lastBy = new Map<string, number>();
  for (const e of motion) {
    const prev = lastBy.get(e.deviceId);
    if (prev !== undefined && e.at - prev > 90_000) emit(prev + 90_000, e.deviceId, { occupancy: false });
    lastBy.set(e.deviceId, e.at);
  }
  for (const [id, t] of lastBy) emit(t + 90_000, id, { occupancy: false });

  const start = at(0, 0);
  const end = at(days, 0);
  // hourly check-ins with the battery, and a monthly self-test of the smoke alarm
  for (const dev of devices) {
    let battery = 100 - Math.floor(rnd() * 10);
    for (let t = start + uni(0, 60) * MINUTE; t < end; t += uni(50, 70) * MINUTE) {
      if (rnd() < 0.01) battery = Math.max(30, battery - 1);
      emit(t, dev.id, dev.kind === 'door' ? { battery, contact: true } : dev.kind === 'motion' ? { battery, occupancy: false } : { battery });
    }
  }
  emit(at(Math.min(days - 1, 10), 10 * 60), 'sim-smoke', { test: true, smoke: true });

  events.sort((p, q) => p.at - q.at);
  return { residentId, timezone, devices, events: events.filter((e) => e.at >= start && e.at < end), start, end, away };
}
