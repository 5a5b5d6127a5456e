// One person, one file on one screen: GET /api/residents/{id}/casefile gathers the resident,
// the handbook's fields, contacts, devices with status, open problems by deadline, follow-up
// appointments and the service-warmth index. PATCH edits the fields (admins all of them,
// caseworkers difficulties and notes). Appointments (复诊日) and the warmth index have their
// own routes too.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import type { ResidentsPort, AlertsPort } from '../store/index.ts';
import type { ProfilePatch, AppointmentInput } from '../casefile/profile.ts';
import { RESIDENT_CATEGORIES } from '../casefile/handbook.ts';
import { contactView, deviceView } from '../casefile/provisioning.ts';
import { localDate } from '../casefile/calendar.ts';
import { notFound } from '../casefile/errors.ts';
import { casefileErrors, errors, nullable, residentIdParams, bearer } from './schemas.ts';
import { personName } from './users.ts';

const text = (max: number, min = 0) => ({ type: 'string', minLength: min, maxLength: max });
const warmthSchema = {
  type: 'object',
  properties: {
    index: nullable({ type: 'number' }), stars: nullable({ type: 'integer' }), ratings: { type: 'integer' },
    history: { type: 'array', items: { type: 'object', properties: { month: { type: 'string' }, index: { type: 'number' }, ratings: { type: 'integer' } } } },
  },
} as const;
const profileSchema = {
  type: 'object',
  properties: {
    residentId: { type: 'string' }, category: nullable({ type: 'string' }), household: { type: 'string' }, health: { type: 'string' },
    difficulties: { type: 'string' }, notes: { type: 'string' }, updatedAt: nullable({ type: 'string' }), updatedBy: nullable({ type: 'string' }),
  },
} as const;
const appointmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, residentId: { type: 'string' }, date: { type: 'string' }, time: nullable({ type: 'string' }), kind: { type: 'string' },
    place: { type: 'string' }, note: { type: 'string' }, createdBy: { type: 'string' }, createdAt: { type: 'string' },
  },
} as const;

export async function casefileRoutes(app: FastifyInstance, deps: { casefile: Casefile; residents: Pick<ResidentsPort, 'getResident' | 'contactsOf' | 'devicesOf'>; alerts: Pick<AlertsPort, 'ofResident'>; now(): number }): Promise<void> {
  casefileErrors(app);
  const { casefile } = deps;
  const tags = ['casefile'];

  app.get<{ Params: { id: string } }>('/api/residents/:id/casefile', {
    schema: {
      summary: 'One person, one file: the resident, the handbook fields, contacts, devices, open problems, appointments and warmth index', tags, security: bearer,
      params: residentIdParams, response: errors(400, 401, 404),
    },
  }, async (request) => {
    const r = await deps.residents.getResident(request.params.id);
    if (!r) throw notFound(`no resident ${request.params.id}`, 'resident_not_found', { id: request.params.id });
    const now = deps.now();
    const [contacts, devices, alerts] = await Promise.all([deps.residents.contactsOf(r.id), deps.residents.devicesOf(r.id), deps.alerts.ofResident(r.id, 50)]);
    const open = (await casefile.visits.problemsOf(r.id, 'open')).sort((a, b) => a.deadline.localeCompare(b.deadline));
    const lastVisit = (await casefile.visits.listVisits(r.id, 1)).items[0] ?? null;
    return {
      resident: {
        id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, area: r.area, birthday: r.birthday,
        visitCycleMs: r.visitCycleMs, source: r.source,
      },
      profile: await casefile.profiles.get(r.id),
      contacts: contacts.map(contactView),
      devices: devices.map(deviceView),
      openAlerts: alerts.filter((a) => a.status !== 'resolved').map((a) => ({ id: a.id, kind: a.kind, status: a.status, openedAt: new Date(a.openedAt).toISOString() })),
      openProblems: await Promise.all(open.map(async (p) => ({ ...p, referrals: await casefile.referrals.of(p.id) }))),
      appointments: await casefile.profiles.appointmentsOf(r.id, localDate(now, casefile.site.timeZone)),
      lastVisit: lastVisit && { id: lastVisit.id, at: lastVisit.at, visitor: lastVisit.visitor, purpose: lastVisit.purpose },
      warmth: await casefile.warmth({ residentId: r.id }),
    };
  });

  app.patch<{ Params: { id: string }; Body: ProfilePatch }>('/api/residents/:id/casefile', {
    schema: {
      summary: 'Edit the casefile fields: admins all; caseworkers difficulties and notes only (403 otherwise). Audited.', tags, security: bearer,
      params: residentIdParams,
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: {
          category: { ...nullable({ type: 'string', enum: [...RESIDENT_CATEGORIES, null] }), description: 'elderly_alone | disability | low_income | child_in_difficulty' },
          household: text(2000), health: text(5000), difficulties: text(5000), notes: text(20000),
        },
      },
      response: { 200: profileSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => casefile.profiles.update(request.params.id, request.body, { name: personName(request.caller), role: request.caller!.role }));

  app.get<{ Params: { id: string } }>('/api/residents/:id/appointments', {
    schema: { summary: 'Follow-up appointments (复诊日), by date', tags, security: bearer, params: residentIdParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: appointmentSchema } } }, ...errors(400, 401, 404) } },
  }, async (request) => ({ items: await casefile.profiles.appointmentsOf(request.params.id) }));

  app.post<{ Params: { id: string }; Body: AppointmentInput }>('/api/residents/:id/appointments', {
    schema: {
      summary: 'Record a follow-up appointment (复诊日): a reminder on that day', tags, security: bearer, params: residentIdParams,
      body: {
        type: 'object', additionalProperties: false, required: ['date'],
        properties: {
          date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, time: { type: 'string', pattern: '^\\d{2}:\\d{2}$' },
          kind: { type: 'string', enum: ['follow_up', 'other'] }, place: text(200), note: text(2000),
        },
      },
      response: { 201: appointmentSchema, ...errors(400, 401, 404) },
    },
  }, async (request, reply) => reply.code(201).send(await casefile.profiles.addAppointment(request.params.id, request.body, personName(request.caller))));

  app.delete<{ Params: { id: number } }>('/api/appointments/:id', {
    schema: { summary: 'Remove an appointment', tags, security: bearer, params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] }, response: { 204: { type: 'null' }, ...errors(400, 401, 404) } },
  }, async (request, reply) => { await casefile.profiles.deleteAppointment(request.params.id, personName(request.caller)); return reply.code(204).send(); });

  app.get<{ Params: { id: string } }>('/api/residents/:id/warmth', {
    schema: { summary: "A resident's service-warmth index (1-5) with its monthly history", tags, security: bearer, params: residentIdParams, response: { 200: warmthSchema, ...errors(400, 401, 404) } },
  }, async (request) => {
    if (!(await deps.residents.getResident(request.params.id))) throw notFound(`no resident ${request.params.id}`, 'resident_not_found', { id: request.params.id });
    return casefile.warmth({ residentId: request.params.id });
  });

  app.get<{ Querystring: { area?: string } }>('/api/warmth', {
    schema: {
      summary: "The site's (or one area's) service-warmth index: mean satisfaction 1-5 on solved problems and follow-up visits", tags, security: bearer,
      querystring: { type: 'object', additionalProperties: false, properties: { area: text(100, 1) } },
      response: { 200: warmthSchema, ...errors(400, 401) },
    },
  }, async (request) => casefile.warmth({ area: request.query.area }));
}
