// Residents and their casefile timeline.
import type { FastifyInstance } from 'fastify';
import type { ResidentRepository, TimelineRepository, DeviceRow } from '../store/index.ts';

export interface ResidentRoutesDeps {
  residents: ResidentRepository;
  timeline: TimelineRepository;
  /** open alerts per resident, for the list's ordering */
  openAlertCounts(): Map<string, number>;
}

const residentParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 100 } },
  required: ['id'],
} as const;

function publicDevice(d: DeviceRow) {
  return {
    id: d.id, kind: d.kind, name: d.name ?? undefined, room: d.room ?? undefined, entrance: d.kind === 'door' ? d.entrance : undefined,
    zigbee2mqtt: d.zigbee2mqtt ?? undefined, rflink: d.rflink ?? undefined,
    availability: d.availability, lastSeen: d.lastSeen ? new Date(d.lastSeen).toISOString() : null, battery: d.battery,
  };
}

export async function residentRoutes(app: FastifyInstance, deps: ResidentRoutesDeps): Promise<void> {
  app.get('/api/residents', async () => {
    const open = deps.openAlertCounts();
    const items = deps.residents.listResidents().map((r) => ({
      id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, area: r.area ?? undefined,
      openAlerts: open.get(r.id) ?? 0,
      devices: deps.residents.devicesOf(r.id).map(publicDevice),
    }));
    // residents with open alerts first: that is whom to look at now
    items.sort((a, b) => b.openAlerts - a.openAlerts || a.name.localeCompare(b.name));
    return { items };
  });

  app.get<{ Params: { id: string } }>('/api/residents/:id', { schema: { params: residentParams } }, async (request, reply) => {
    const r = deps.residents.getResident(request.params.id);
    if (!r) return reply.code(404).send({ error: `no resident ${request.params.id}`, code: 'resident_not_found' });
    return {
      id: r.id, name: r.name, address: r.address, timezone: r.timezone, locale: r.locale, rules: r.rules,
      visitCycleMs: r.visitCycleMs, area: r.area, birthday: r.birthday, source: r.source,
      openAlerts: deps.openAlertCounts().get(r.id) ?? 0,
      contacts: deps.residents.contactsOf(r.id).map((c) => ({ id: c.id, name: c.name, phone: c.phone, role: c.role, onCall: c.onCall, locale: c.locale })),
      devices: deps.residents.devicesOf(r.id).map(publicDevice),
    };
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; before?: string; type?: string } }>(
    '/api/residents/:id/timeline',
    {
      schema: {
        params: residentParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: { type: 'string', maxLength: 64 },
            type: { type: 'string', pattern: '^[a-z_]+(,[a-z_]+)*$', maxLength: 200 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      if (!deps.residents.getResident(request.params.id)) return reply.code(404).send({ error: `no resident ${request.params.id}`, code: 'resident_not_found' });
      try {
        return deps.timeline.page(request.params.id, {
          limit: request.query.limit, before: request.query.before, types: request.query.type?.split(','),
        });
      } catch (err) {
        if (err instanceof RangeError) return reply.code(400).send({ error: err.message });
        throw err;
      }
    },
  );
}
