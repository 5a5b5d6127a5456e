// Visit planning (GET /api/visits/due): who should be visited next, and why.
// Two sources: the resident's visit cycle has lapsed, or the devices say something is off
// (alerts, silent devices, much less activity than the resident's own usual), or problems are
// past their deadline. Filterable by area: the list a caseworker takes out in the morning.
import type { AlertsPort, ResidentsPort, VisitsPort } from '../store/index.ts';
import type { ActivityRepository } from './activity.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** a resident without a configured visitCycle is visited at least monthly */
export const DEFAULT_VISIT_CYCLE_MS = 30 * DAY_MS;
/** a device silent this long is offline unless it has its own supervision interval (zigbee2mqtt's battery timeout) */
export const DEVICE_SILENCE_MS = 25 * HOUR_MS;
/** alerts this recent still call for a visit even once resolved */
export const RECENT_ALERT_MS = 7 * DAY_MS;
/** last 7 days below this share of the weekly average of the 4 weeks before is "well below usual" */
export const LOW_ACTIVITY_RATIO = 0.5;
/** below this weekly average the baseline is too thin to judge a drop on */
export const MIN_USUAL_WEEKLY = 14;

export type DueReason =
  | { code: 'open_alerts'; score: number; alerts: Array<{ id: number; kind: string; status: string; openedAt: string }> }
  | { code: 'recent_alerts'; score: number; alerts: Array<{ id: number; kind: string; openedAt: string }> }
  | { code: 'devices_offline'; score: number; devices: Array<{ id: string; kind: string; availability: string; lastSeen: string | null }> }
  | { code: 'low_activity'; score: number; lastWeek: number; usualWeekly: number }
  | { code: 'never_visited'; score: number }
  | { code: 'problems_overdue'; score: number; problems: Array<{ id: string; urgency: string; deadline: string }> }
  | { code: 'visit_overdue'; score: number; lastVisitAt: string; dueSince: string; daysOverdue: number };

// Scores order the list, most urgent first: an alert someone may still be in is first, then
// what the devices say, then the calendar. A resident's score is the sum of their reasons'.
const ALERT_SCORE: Record<string, number> = { smoke: 100, co: 100, gas: 100, emergency: 100, inactivity: 90, night_door: 70, water_leak: 70 };
const OTHER_ALERT_SCORE = 50;

export interface PlanningDeps {
  residents: Pick<ResidentsPort, 'listResidents' | 'devicesOf'>;
  alerts: Pick<AlertsPort, 'ofResident'>;
  visits: Pick<VisitsPort, 'lastVisits' | 'overdueProblems'>;
  activity: ActivityRepository;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function dueVisits(deps: PlanningDeps, now: number, filter: { area?: string } = {}) {
  const lastVisits = await deps.visits.lastVisits(now);
  const overdue = await deps.visits.overdueProblems(now);
  const items = [];
  for (const r of await deps.residents.listResidents()) {
    if (filter.area && r.area !== filter.area) continue;
    const reasons: DueReason[] = [];

    const alerts = await deps.alerts.ofResident(r.id, 100);
    const open = alerts.filter((a) => a.status !== 'resolved');
    if (open.length) {
      // an acknowledged alert has someone on it already: it weighs half
      const top = Math.max(...open.map((a) => (ALERT_SCORE[a.kind] ?? OTHER_ALERT_SCORE) * (a.status === 'open' ? 1 : 0.5)));
      reasons.push({
        code: 'open_alerts', score: top + 5 * (open.length - 1),
        alerts: open.map((a) => ({ id: a.id, kind: a.kind, status: a.status, openedAt: iso(a.openedAt) })),
      });
    }
    const recent = alerts.filter((a) => a.status === 'resolved' && a.openedAt >= now - RECENT_ALERT_MS);
    if (recent.length) {
      reasons.push({ code: 'recent_alerts', score: 30, alerts: recent.map((a) => ({ id: a.id, kind: a.kind, openedAt: iso(a.openedAt) })) });
    }

    // never heard from counts too: a device that has not reported since it was set up protects nobody
    const silent = (await deps.residents.devicesOf(r.id)).filter((d) =>
      d.availability === 'offline' || d.lastSeen === null || now - d.lastSeen > (d.supervisionMs ?? DEVICE_SILENCE_MS));
    if (silent.length) {
      reasons.push({
        code: 'devices_offline', score: 40,
        devices: silent.map((d) => ({ id: d.id, kind: d.kind, availability: d.availability, lastSeen: d.lastSeen === null ? null : iso(d.lastSeen) })),
      });
    }

    const lastWeek = await deps.activity.count(r.id, now - 7 * DAY_MS, now);
    const usualWeekly = (await deps.activity.count(r.id, now - 35 * DAY_MS, now - 7 * DAY_MS)) / 4;
    if (usualWeekly >= MIN_USUAL_WEEKLY && lastWeek < usualWeekly * LOW_ACTIVITY_RATIO) {
      reasons.push({ code: 'low_activity', score: 60, lastWeek, usualWeekly: Math.round(usualWeekly * 10) / 10 });
    }

    // a problem past its deadline needs someone at the door: a high one most of all
    const late = overdue.get(r.id);
    if (late) {
      reasons.push({
        code: 'problems_overdue', score: (late.some((p) => p.urgency === 'high') ? 65 : 50) + 5 * (late.length - 1),
        problems: late.map((p) => ({ id: p.id, urgency: p.urgency, deadline: iso(p.deadline) })),
      });
    }

    const cycleMs = r.visitCycleMs ?? DEFAULT_VISIT_CYCLE_MS;
    const lastVisit = lastVisits.get(r.id);
    if (lastVisit === undefined) {
      reasons.push({ code: 'never_visited', score: 45 });
    } else if (now - lastVisit >= cycleMs) {
      const daysOverdue = Math.floor((now - lastVisit - cycleMs) / DAY_MS);
      reasons.push({
        code: 'visit_overdue', score: 35 + Math.min(20, daysOverdue),
        lastVisitAt: iso(lastVisit), dueSince: iso(lastVisit + cycleMs), daysOverdue,
      });
    }

    if (!reasons.length) continue;
    reasons.sort((a, b) => b.score - a.score);
    items.push({
      residentId: r.id, name: r.name, address: r.address, area: r.area,
      lastVisitAt: lastVisit === undefined ? null : iso(lastVisit),
      visitCycleDays: Math.round((cycleMs / DAY_MS) * 10) / 10,
      nextVisitDue: lastVisit === undefined ? null : iso(lastVisit + cycleMs),
      score: reasons.reduce((sum, x) => sum + x.score, 0),
      reasons,
    });
  }
  items.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  return { at: iso(now), area: filter.area ?? null, items };
}
