// Festivals when visiting is customary, on the lunar calendar: Spring Festival (正月初一),
// Mid-Autumn (八月十五) and Double Ninth (九月初九, the elders' day). Lunar dates come from
// tyme4ts; a lunar year begins in January or February, so a Gregorian range looks at the lunar
// years on either side of it.
import { createRequire } from 'node:module';
import type { LunarDay as LunarDayClass } from 'tyme4ts';
import type { CivilDate } from './calendar.ts';

// loaded when a festival is first asked for, not at start
const require = createRequire(import.meta.url);
let lunarDay: typeof LunarDayClass | undefined;
const LunarDay = () => (lunarDay ??= (require('tyme4ts') as { LunarDay: typeof LunarDayClass }).LunarDay);

export const FESTIVALS = [
  { code: 'spring_festival', month: 1, day: 1 },
  { code: 'mid_autumn', month: 8, day: 15 },
  { code: 'double_ninth', month: 9, day: 9 },
] as const;
export type FestivalCode = typeof FESTIVALS[number]['code'];

function solar(lunarYear: number, month: number, day: number): CivilDate | null {
  try {
    const s = LunarDay().fromYmd(lunarYear, month, day).getSolarDay();
    return `${s.getYear()}-${String(s.getMonth()).padStart(2, '0')}-${String(s.getDay()).padStart(2, '0')}`;
  } catch {
    return null; // outside the years the library can convert
  }
}

/** the festivals falling on from..to (inclusive), in date order */
export function festivalsBetween(from: CivilDate, to: CivilDate): Array<{ code: FestivalCode; date: CivilDate; lunar: string }> {
  const out: Array<{ code: FestivalCode; date: CivilDate; lunar: string }> = [];
  for (let y = Number(from.slice(0, 4)) - 1; y <= Number(to.slice(0, 4)); y++) {
    for (const f of FESTIVALS) {
      const date = solar(y, f.month, f.day);
      if (date && date >= from && date <= to) out.push({ code: f.code, date, lunar: `${y}-${String(f.month).padStart(2, '0')}-${String(f.day).padStart(2, '0')}` });
    }
  }
  return out.sort((a, b) => a.date.localeCompare(b.date));
}
