// Local time: IANA zones on Temporal (zone.ts) and hour windows on top of them (hours.ts).
export { MINUTE, HOUR, DAY, isTimeZone, utcOffsetMs, nextTransition, localParts, localTime, localMinutes, zonedInstant, wallInstants, wallToEpoch, type LocalParts, type LocalTime } from './zone.ts';
export { parseHours, isWeekend, nextLocalHour, isWholeDay, inWindowAt, inWindow, nextWindowEdge, msInWindow, addMsInWindow, type HourWindow } from './hours.ts';
