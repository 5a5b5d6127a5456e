// Signs of life from the devices: what counts as activity, counted by local hour of day (the
// casefile chart) and per week (visit planning's "well below their own usual").
import type { EventsPort } from '../store/index.ts';
import { localParts } from './calendar.ts';

const DAY_MS = 24 * 3_600_000;
// 15-minute buckets map exactly onto local hours in every zone in use (offsets are whole
// quarter hours), so the time-zone arithmetic runs per bucket, not per event.
const BUCKET_MS = 15 * 60_000;

/** activity as the rules core counts it (a door only when its state changes): the events port's one definition per engine */
export function activityRepository(events: EventsPort) {
  return {
    /** activity counts per hour of day (0-23, local to `timeZone`) over `days` days before `now` */
    async byHour(residentId: string, timeZone: string, days: number, now: number) {
      const from = now - days * DAY_MS;
      const hours = new Array<number>(24).fill(0);
      let total = 0;
      for (const row of await events.activityBuckets(residentId, from, now)) {
        hours[localParts(row.bucket * BUCKET_MS, timeZone).hour] += row.n;
        total += row.n;
      }
      return { residentId, timezone: timeZone, days, from: new Date(from).toISOString(), to: new Date(now).toISOString(), total, hours };
    },
    count: (residentId: string, from: number, to: number): Promise<number> => events.activityCount(residentId, from, to),
  };
}
export type ActivityRepository = ReturnType<typeof activityRepository>;
