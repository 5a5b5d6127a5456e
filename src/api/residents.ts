// Residents and their casefile timeline.
import type { FastifyInstance } from 'fastify';
import type { ResidentsPort, TimelinePort } from '../store/index.ts';
// one serialiser for a device and a contact, here and in provisioning's answers (never a secret)
import { contactView, deviceView } from '../casefile/provisioning.ts';
import { bearer, errors } from './schemas.ts';

export interface ResidentRoutesDeps {
  residents: Pick<ResidentsPort, 'listResidents' | 'getResident' | 'listDevices' | 'devicesOf' | 'contactsOf'>;
  timeline: Pick<TimelinePort, 'page'>;
  /** open alerts per resident, for the list's ordering */
  openAlertCounts(): Promise<Map<string, number>>;
}

const residentParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 100 } },
  required: ['id'],
} as const;

export async function residentRoutes(app: FastifyInstance, deps: ResidentRoutesDeps): Promise<void> {
  app.get('/api/residents', {
    schema: { summary: 'Residents with their devices and open alert counts, those with open alerts first', tags: ['residents'], security: bearer, response: errors(401) },
  }, async () => {
    const [open, residents, devices] = await Promise.all([deps.openAlertCounts(), deps.residents.listResidents(), deps.residents.listDevices()]);
    // every device in one read, by resident (in id order, as devicesOf gives them)
    const byResident = new Map<string, typeof devices>();
    for (const d of devices) {
      const list = byResident.get(d.residentId);
      if (list) list.push(d);
      else byResident.set(d.residentId, [d]);
    }
    const items = residents.map((r) => ({
      id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, area: r.area ?? undefined,
      openAlerts: open.get(r.id) ?? 0,
      devices: (byResident.get(r.id) ?? []).map(deviceView),
    }));
    // residents with open alerts first: that is whom to look at now
    items.sort((a, b) => b.openAlerts - a.openAlerts || a.name.localeCompare(b.name));
    return { items };
  });

  app.get<{ Params: { id: string } }>('/api/residents/:id', {
    schema: { summary: 'One resident with contacts and devices (never secrets)', tags: ['residents'], security: bearer, params: residentParams, response: errors(400, 401, 404) },
  }, async (request, reply) => {
    const r = await deps.residents.getResident(request.params.id);
    if (!r) return reply.code(404).send({ error: `no resident ${request.params.id}`, code: 'resident_not_found' });
    const [open, contacts, devices] = await Promise.all([deps.openAlertCounts(), deps.residents.contactsOf(r.id), deps.residents.devicesOf(r.id)]);
    return {
      id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, rules: r.rules,
      visitCycleMs: r.visitCycleMs, area: r.area, birthday: r.birthday, source: r.source,
      openAlerts: open.get(r.id) ?? 0,
      contacts: contacts.map(contactView),
      devices: devices.map(deviceView),
    };
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; before?: string; type?: string } }>(
    '/api/residents/:id/timeline',
    {
      schema: {
        summary: 'The casefile timeline, newest first: device events, alerts, texts, acknowledgements, visits, problems',
        tags: ['residents'], security: bearer, params: residentParams, response: errors(400, 401, 404),
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: { type: 'string', maxLength: 64, description: 'ISO-8601 time or the nextBefore cursor of the previous page' },
            type: { type: 'string', pattern: '^[a-z_]+(,[a-z_]+)*$', maxLength: 200, description: 'comma-separated types, e.g. device_event,alert,visit,problem' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      if (!(await deps.residents.getResident(request.params.id))) return reply.code(404).send({ error: `no resident ${request.params.id}`, code: 'resident_not_found' });
      try {
        return await deps.timeline.page(request.params.id, {
          limit: request.query.limit, before: request.query.before, types: request.query.type?.split(','),
        });
      } catch (err) {
        if (err instanceof RangeError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    },
  );
}
