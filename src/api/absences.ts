// Planned absences: a caseworker (POST /api/residents/{id}/absences), the family or the resident
// (an SMS "AWAY 12-20" / "外出 12月20日", "BACK" / "回来了") says the resident is away until a
// date. Inactivity is not alarmed on until then; not back by then, the caseworker is asked (the
// rules core's long-absence check). Every change is on the casefile timeline and goes to the
// rules core; the absences table is the record.
import type { FastifyInstance } from 'fastify';
import type { AbsenceRow, ContactRow, ResidentsPort, Store } from '../store/index.ts';
import { MAX_OPEN_ABSENCES } from '../store/index.ts';
import type { PlannedAbsence } from '../rules/state.ts';
import { DAY, localTime, wallToEpoch } from '../time/index.ts';
import { CasefileError, invalid, notFound } from '../casefile/errors.ts';
import { answerErrors, errors, isoTime, nullable, residentIdParams, bearer } from './schemas.ts';

/** the longest absence anyone may plan: a season away is a casefile matter, not a timer */
export const MAX_ABSENCE_MS = 180 * DAY;

// a bad request is a 400 with its reason's code and the field (from the message's "until: ..."),
// a missing resident or absence a 404, as every casefile route answers

export interface AbsenceDeps {
  /** the absences and the timeline, written together in one unit of work */
  store: Pick<Store, 'tx' | 'absences'>;
  residents: Pick<ResidentsPort, 'getResident'>;
  now(): number;
  /** the rules core hears of it (after the commit) */
  toRules(residentId: string, change: { planned: PlannedAbsence } | { cancelled: string }): void;
}

export interface AbsenceView {
  id: number; residentId: string; from: string; until: string; note: string; setBy: string; via: 'api' | 'sms';
  createdAt: string; status: 'planned' | 'current' | 'over' | 'cancelled'; cancelledAt: string | null; cancelledBy: string | null;
}

const iso = (t: number) => new Date(t).toISOString();

export class Absences {
  constructor(private readonly deps: AbsenceDeps) {}

  view(a: AbsenceRow, now = this.deps.now()): AbsenceView {
    const status = a.cancelledAt !== null ? 'cancelled' : a.endsAt <= now ? 'over' : a.startsAt <= now ? 'current' : 'planned';
    return {
      id: a.id, residentId: a.residentId, from: iso(a.startsAt), until: iso(a.endsAt), note: a.note, setBy: a.setBy, via: a.via,
      createdAt: iso(a.createdAt), status, cancelledAt: a.cancelledAt === null ? null : iso(a.cancelledAt), cancelledBy: a.cancelledBy,
    };
  }

  private async timezoneOf(residentId: string): Promise<string> {
    const r = await this.deps.residents.getResident(residentId);
    if (!r) throw notFound(`no resident ${residentId}`, 'resident_not_found', { id: residentId });
    return r.timezone;
  }

  /** Plan an absence [from, until); `from` defaults to now. */
  async plan(residentId: string, input: { from?: number; until: number; note?: string }, setBy: string, via: 'api' | 'sms'): Promise<AbsenceRow> {
    await this.timezoneOf(residentId);
    const now = this.deps.now();
    const from = input.from ?? now;
    const until = input.until;
    if (until <= now) throw invalid('until: already past', 'absence_past');
    if (!(until > from)) throw invalid('until: must be after from', 'absence_ends_before_start');
    if (from < now - DAY) throw invalid('from: at most a day in the past', 'absence_starts_too_early');
    if (until - from > MAX_ABSENCE_MS) throw invalid('until: an absence is at most 180 days', 'absence_too_long', { maxDays: MAX_ABSENCE_MS / DAY });
    const row = await this.deps.store.tx(async (tx) => {
      if ((await tx.absences.current(residentId, now)).length >= MAX_OPEN_ABSENCES) throw invalid(`at most ${MAX_OPEN_ABSENCES} absences not yet over`, 'absence_limit', { max: MAX_OPEN_ABSENCES });
      const id = await tx.absences.insert({ residentId, startsAt: from, endsAt: until, note: input.note ?? '', setBy, via, createdAt: now });
      await tx.timeline.add(residentId, now, 'absence_planned', { absenceId: id, from: iso(from), until: iso(until), by: setBy, via });
      return (await tx.absences.get(id))!;
    });
    this.deps.toRules(residentId, { planned: { id: String(row.id), from: row.startsAt, until: row.endsAt } });
    return row;
  }

  async cancel(residentId: string, id: number, by: string): Promise<AbsenceRow> {
    const now = this.deps.now();
    const { changed, row } = await this.deps.store.tx(async (tx) => {
      const before = await tx.absences.get(id);
      if (!before || before.residentId !== residentId) throw notFound(`no absence ${id} for ${residentId}`, 'absence_not_found', { id });
      if (!(await tx.absences.cancel(id, by, now))) return { changed: false, row: before };
      await tx.timeline.add(residentId, now, 'absence_cancelled', { absenceId: id, by });
      return { changed: true, row: (await tx.absences.get(id))! };
    });
    if (changed) this.deps.toRules(residentId, { cancelled: String(id) });
    return row;
  }

  /** The resident is back (they or the family said so): absences under way end now. */
  async backNow(residentId: string, by: string, via: 'api' | 'sms'): Promise<AbsenceRow[]> {
    const now = this.deps.now();
    // the absences that end and their timeline entries commit together; the rules hear after
    const ended = await this.deps.store.tx(async (tx) => {
      const out: AbsenceRow[] = [];
      for (const a of await tx.absences.current(residentId, now)) {
        if (a.startsAt > now || !(await tx.absences.endNow(a.id, now))) continue;
        await tx.timeline.add(residentId, now, 'absence_ended', { absenceId: a.id, by, via });
        out.push(a);
      }
      return out;
    });
    for (const a of ended) this.deps.toRules(residentId, { planned: { id: String(a.id), from: a.startsAt, until: now } });
    return ended;
  }

  async list(residentId: string): Promise<AbsenceRow[]> {
    await this.timezoneOf(residentId);
    return this.deps.store.absences.recent(residentId, 50);
  }

  /**
   * The SMS keywords, from a resident or a family contact: "AWAY <date>", "AWAY <n>d", "外出 <date>",
   * "外出<n>天"; "BACK", "回来了", "到家了". Returns the answer to text back, or null when the
   * message is not one of them (it is then an ordinary reply).
   */
  async sms(contacts: ContactRow[], text: string): Promise<string | null> {
    const words = text.normalize('NFKC').trim().replace(/[.!?。！？]+$/u, '');
    const away = /^(away|外出|出门)\s*(.*)$/iu.exec(words);
    const back = /^(back|home|回来了?|到家了?|已回家|已到家)$/iu.test(words);
    if (!away && !back) return null;
    const allowed = contacts.filter((c) => c.role === 'resident' || c.role === 'family');
    const speaker = allowed[0] ?? contacts[0];
    const zh = (speaker?.locale ?? (speaker && (await this.deps.residents.getResident(speaker.residentId))?.locale)) === 'zh-CN';
    const residentIds = [...new Set(allowed.map((c) => c.residentId))];
    if (residentIds.length !== 1) {
      return zh ? '无法登记外出：请联系社工。' : 'Could not note the absence: please ask the caseworker.';
    }
    const residentId = residentIds[0];
    const resident = (await this.deps.residents.getResident(residentId))!;
    const contact = allowed.find((c) => c.residentId === residentId)!;
    const by = `${contact.name} (${contact.role})`;
    if (back) {
      const ended = await this.backNow(residentId, by, 'sms');
      if (zh) return ended.length ? `已记录${resident.name}已回家。` : `${resident.name}目前没有登记外出。`;
      return ended.length ? `Noted: ${resident.name} is back home.` : `No absence is planned for ${resident.name}.`;
    }
    const until = parseUntil(away![2], resident.timezone, this.deps.now());
    if (until === null) {
      return zh ? '请写明回家日期，例如“外出 12月20日”或“外出 3天”。' : 'Please give the day of return, e.g. "AWAY 12-20" or "AWAY 3d".';
    }
    try {
      const row = await this.plan(residentId, { until }, by, 'sms');
      const day = localDate(row.endsAt - 1, resident.timezone);
      return zh ? `已登记${resident.name}外出至${day}。回家后请回复“回来了”。` : `Noted: ${resident.name} away until ${day}. Reply BACK when home.`;
    } catch (err) {
      if (err instanceof CasefileError) return zh ? '无法登记外出：日期不对。' : `Could not note the absence: ${err.message}.`;
      throw err;
    }
  }
}

/** YYYY-MM-DD of the local day `at` falls in */
function localDate(at: number, timezone: string): string {
  return new Date(localTime(at, timezone).day * DAY).toISOString().slice(0, 10);
}

/**
 * When an absence given as words ends: the end of a day ("2026-12-20", "12-20", "12/20",
 * "12月20日"; month first, the next such day) or in n days ("3d", "3 days", "3天"), 1 to 180
 * days. The end of day is the next local midnight. Null when the words are none of these.
 */
export function parseUntil(words: string, timezone: string, now: number): number | null {
  const w = words.normalize('NFKC').trim().toLowerCase();
  const today = localTime(now, timezone).day;
  const endOf = (day: number) => wallToEpoch(day + 1, 0, timezone);
  const days = /^(\d{1,3})\s*(d|day|days|天|日)$/u.exec(w);
  if (days) {
    const n = Number(days[1]);
    return n >= 1 && n <= 180 ? endOf(today + n) : null;
  }
  let y: number | null = null, m: number, d: number;
  const full = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(w);
  const short = /^(\d{1,2})[-/.](\d{1,2})$/.exec(w) ?? /^(\d{1,2})月(\d{1,2})[日号]?$/u.exec(w);
  if (full) [y, m, d] = [Number(full[1]), Number(full[2]), Number(full[3])];
  else if (short) [m, d] = [Number(short[1]), Number(short[2])];
  else return null;
  const dayOf = (year: number) => {
    const t = Date.UTC(year, m - 1, d);
    const date = new Date(t);
    return date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? Math.round(t / DAY) : null;
  };
  const thisYear = new Date(today * DAY).getUTCFullYear();
  let day = y !== null ? dayOf(y) : dayOf(thisYear);
  if (day !== null && y === null && day < today) day = dayOf(thisYear + 1);
  if (day === null || day < today || day - today > 180) return null;
  return endOf(day);
}

// ---- HTTP ----

const absenceSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, residentId: { type: 'string' }, from: isoTime, until: isoTime, note: { type: 'string' },
    setBy: { type: 'string' }, via: { type: 'string', enum: ['api', 'sms'] }, createdAt: isoTime,
    status: { type: 'string', enum: ['planned', 'current', 'over', 'cancelled'] },
    cancelledAt: nullable(isoTime), cancelledBy: nullable({ type: 'string' }),
  },
} as const;

const timeText = { type: 'string', minLength: 1, maxLength: 40, description: 'ISO-8601 time with an offset, or a day YYYY-MM-DD (in the resident\'s time zone: from its start; until its end)' } as const;

/** an ISO time, or a local day: `from` its start, `until` its end (the next midnight) */
function parseTime(text: string, timezone: string, end: boolean, key: string): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) {
    const t = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (!Number.isNaN(t) && new Date(t).toISOString().startsWith(text)) return wallToEpoch(Math.round(t / DAY) + (end ? 1 : 0), 0, timezone);
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(text) && /(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t) && Math.abs(t) < 8.64e15) return t;
  }
  throw invalid(`${key}: expected an ISO-8601 time with an offset, or a day like 2026-12-20`, 'invalid_time');
}

export async function absenceRoutes(app: FastifyInstance, absences: Absences, residents: Pick<ResidentsPort, 'getResident'>): Promise<void> {
  answerErrors(app);
  const timezone = async (id: string) => {
    const r = await residents.getResident(id);
    if (!r) throw notFound(`no resident ${id}`, 'resident_not_found', { id });
    return r.timezone;
  };

  app.post<{ Params: { id: string }; Body: { from?: string; until: string; note?: string } }>('/api/residents/:id/absences', {
    schema: {
      summary: 'Plan an absence: no inactivity alarm until it ends; not back by then, the caseworker is asked', tags: ['absences'], security: bearer,
      params: residentIdParams,
      body: {
        type: 'object', required: ['until'], additionalProperties: false,
        properties: { from: { ...timeText, description: 'default now' }, until: timeText, note: { type: 'string', maxLength: 500 } },
      },
      response: { 201: absenceSchema, ...errors(400, 401, 404) },
    },
  }, async (request, reply) => {
    const tz = await timezone(request.params.id);
    const b = request.body;
    const row = await absences.plan(request.params.id, {
      from: b.from === undefined ? undefined : parseTime(b.from, tz, false, 'from'), until: parseTime(b.until, tz, true, 'until'), note: b.note,
    }, request.caller!.displayName ?? request.caller!.name, 'api');
    return reply.code(201).send(absences.view(row));
  });

  app.get<{ Params: { id: string } }>('/api/residents/:id/absences', {
    schema: {
      summary: "A resident's absences, newest first (the last 50)", tags: ['absences'], security: bearer,
      params: residentIdParams,
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: absenceSchema } } }, ...errors(401, 404) },
    },
  }, async (request) => ({ items: (await absences.list(request.params.id)).map((a) => absences.view(a)) }));

  app.delete<{ Params: { id: string; absenceId: number } }>('/api/residents/:id/absences/:absenceId', {
    schema: {
      summary: 'Cancel a planned absence (inactivity is watched again at once)', tags: ['absences'], security: bearer,
      params: { type: 'object', required: ['id', 'absenceId'], properties: { ...residentIdParams.properties, absenceId: { type: 'integer', minimum: 1, maximum: 2 ** 53 - 1 } } },
      response: { 200: absenceSchema, ...errors(400, 401, 404) },
    },
  }, async (request) => absences.view(await absences.cancel(request.params.id, request.params.absenceId, request.caller!.displayName ?? request.caller!.name)));
}
