// Provisioning: admins create and edit residents, contacts and devices. Values use the
// config file's shapes ("10m", "22:00-06:00", E.164 phones) and are checked by the same schema.
// Caseworkers get 403 here; every change is audit-logged (GET /api/audit).
import type { FastifyInstance } from 'fastify';
import { personName } from './users.ts';
import type { Casefile, ResidentFields, DevicePatch } from '../casefile/index.ts';
import type { Role } from './auth.ts';
import { casefileErrors, errors, isoTime, nullable, residentIdParams, bearer } from './schemas.ts';

const text = (max: number, min = 0) => ({ type: 'string', minLength: min, maxLength: max });
const durationText = { type: 'string', pattern: '^\\d+(ms|s|m|h|d)$', description: 'a duration like "30s", "10m", "12h", "7d"' } as const;

const contactBody = {
  type: 'object', additionalProperties: false,
  properties: {
    name: text(200, 1), phone: { type: 'string', description: 'E.164, e.g. +8613800000001' },
    role: { type: 'string', enum: ['neighbor', 'family', 'caseworker', 'resident'] },
    onCall: nullable({ type: 'string', description: 'HH:MM-HH:MM in the resident\'s time zone; absent or null: always' }),
    locale: nullable({ type: 'string', enum: ['en', 'zh-CN', null] }),
  },
} as const;

const residentFields = {
  name: text(200, 1), address: text(500), timezone: { type: 'string', description: 'IANA; default site.timezone' },
  locale: { type: 'string', enum: ['en', 'zh-CN'] },
  area: { ...nullable(text(100, 1)), description: 'community / building, for grouping, rounds and warnings' },
  birthday: { ...nullable({ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), description: 'YYYY-MM-DD' },
  visitCycle: { ...nullable(durationText), description: 'how often to visit, e.g. "7d"; null: the default 30 days' },
  rules: { type: 'object', description: "the resident's rules, exactly as under residents[].rules in the config" },
  contacts: { type: 'array', maxItems: 50, items: { ...contactBody, required: ['name', 'phone', 'role'] }, description: 'on PATCH: replaces the list' },
} as const;

const deviceFields = {
  kind: { type: 'string', enum: ['smoke', 'co', 'gas', 'water', 'button', 'door', 'motion', 'presence'] },
  name: { ...nullable(text(80, 1)), description: 'what people read, e.g. "大门"; default: the id' },
  room: nullable({ type: 'string', enum: ['bedroom', 'bathroom', 'kitchen', 'living', 'hall', 'entrance', 'other', null] }),
  entrance: { type: 'boolean', description: 'doors only; default true' },
  zigbee2mqtt: nullable({ type: 'string', minLength: 1 }), rflink: nullable({ type: 'string', minLength: 1 }),
  jsonl: nullable({ type: 'string', minLength: 1 }), supervision: nullable(durationText),
} as const;

const contactSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, residentId: { type: 'string' }, name: { type: 'string' }, phone: { type: 'string' }, role: { type: 'string' },
    onCall: nullable({ type: 'string' }), locale: nullable({ type: 'string' }),
  },
} as const;

const deviceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, residentId: { type: 'string' }, kind: { type: 'string' },
    name: nullable({ type: 'string' }), room: nullable({ type: 'string' }), entrance: { type: 'boolean' },
    zigbee2mqtt: nullable({ type: 'string' }), rflink: nullable({ type: 'string' }), jsonl: nullable({ type: 'string' }),
    supervisionMs: nullable({ type: 'integer' }), availability: { type: 'string' }, lastSeen: nullable(isoTime), battery: nullable({ type: 'integer' }),
    secret: { type: 'string', description: 'only in the answer that created or rotated it; stored as a hash, never shown again' },
  },
} as const;

const residentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, address: { type: 'string' }, timezone: { type: 'string' }, locale: { type: 'string' },
    visitCycleMs: nullable({ type: 'integer' }), area: nullable({ type: 'string' }), birthday: nullable({ type: 'string' }),
    rules: { type: 'object', additionalProperties: true },
    source: { type: 'string', enum: ['config', 'api'] },
    contacts: { type: 'array', items: contactSchema }, devices: { type: 'array', items: deviceSchema },
  },
} as const;

const idParams = (pattern: string) => ({ type: 'object', properties: { id: { type: 'string', pattern, maxLength: 100 } }, required: ['id'] });
const contactParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const deviceParams = idParams('^[a-z0-9-]+$');
// checked before the body is validated, so a caseworker learns only that this is not theirs
const admin = { config: { roles: ['admin'] as Role[] } };
const noContent = { 204: { type: 'null' } };

export async function provisioningRoutes(app: FastifyInstance, casefile: Casefile): Promise<void> {
  casefileErrors(app);
  const p = casefile.provisioning;
  const tags = ['provisioning'];
  const security = bearer;

  app.post<{ Body: ResidentFields & { id: string; name: string } }>('/api/residents', {
    ...admin,
    schema: {
      summary: 'Create a resident (admin)', tags, security,
      body: { type: 'object', required: ['id', 'name'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 100 }, ...residentFields } },
      response: { 201: residentSchema, ...errors(400, 401, 403, 409) },
    },
  }, async (request, reply) => reply.code(201).send(await p.createResident(request.body, personName(request.caller))));

  app.patch<{ Params: { id: string }; Body: ResidentFields }>('/api/residents/:id', {
    ...admin,
    schema: {
      summary: 'Edit a resident (admin); the resident\'s source becomes api', tags, security, params: residentIdParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: residentFields },
      response: { 200: residentSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => p.updateResident(request.params.id, request.body, personName(request.caller)));

  app.delete<{ Params: { id: string } }>('/api/residents/:id', {
    ...admin,
    schema: {
      summary: 'Remove a resident with their contacts, devices and visits (admin); 409 while an alert is not resolved', tags, security,
      params: residentIdParams, response: { ...noContent, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => { await p.deleteResident(request.params.id, personName(request.caller)); return reply.code(204).send(); });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/api/residents/:id/contacts', {
    ...admin,
    schema: {
      summary: 'Add a contact (admin)', tags, security, params: residentIdParams,
      body: { ...contactBody, required: ['name', 'phone', 'role'] }, response: { 201: contactSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply.code(201).send(await p.addContact(request.params.id, request.body, personName(request.caller))));

  app.patch<{ Params: { id: number }; Body: Record<string, unknown> }>('/api/contacts/:id', {
    ...admin,
    schema: {
      summary: 'Edit a contact (admin)', tags, security, params: contactParams,
      body: { ...contactBody, minProperties: 1 }, response: { 200: contactSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => p.updateContact(request.params.id, request.body, personName(request.caller)));

  app.delete<{ Params: { id: number } }>('/api/contacts/:id', {
    ...admin,
    schema: { summary: 'Remove a contact (admin)', tags, security, params: contactParams, response: { ...noContent, ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => { await p.deleteContact(request.params.id, personName(request.caller)); return reply.code(204).send(); });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/api/residents/:id/devices', {
    ...admin,
    schema: {
      summary: 'Add a device (admin); the answer carries its generated MQTT secret, shown this once', tags, security, params: residentIdParams,
      body: { type: 'object', required: ['id', 'kind'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 100 }, ...deviceFields } },
      response: { 201: { ...deviceSchema, required: ['secret'] }, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => reply.code(201).send(await p.addDevice(request.params.id, request.body, personName(request.caller))));

  app.patch<{ Params: { id: string }; Body: DevicePatch }>('/api/devices/:id', {
    ...admin,
    schema: {
      summary: 'Edit a device (admin); rotateSecret: true answers with a new secret, the old one stops working', tags, security, params: deviceParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { ...deviceFields, rotateSecret: { type: 'boolean' } } },
      response: { 200: deviceSchema, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request) => p.updateDevice(request.params.id, request.body, personName(request.caller)));

  app.delete<{ Params: { id: string } }>('/api/devices/:id', {
    ...admin,
    schema: { summary: 'Remove a device (admin)', tags, security, params: deviceParams, response: { ...noContent, ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => { await p.deleteDevice(request.params.id, personName(request.caller)); return reply.code(204).send(); });

  app.get<{ Querystring: { limit: number; before?: number } }>('/api/audit', {
    ...admin,
    schema: {
      summary: 'The audit log, newest first (admin)', tags, security,
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, before: { type: 'integer', minimum: 1 } } },
      response: {
        200: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: { type: 'object', properties: { id: { type: 'integer' }, at: isoTime, actor: { type: 'string' }, action: { type: 'string' }, target: { type: 'string' }, detail: { type: 'object', additionalProperties: true } } },
            },
          },
        },
        ...errors(401, 403),
      },
    },
  }, async (request) => ({ items: await p.audit(request.query.limit, request.query.before) }));
}
