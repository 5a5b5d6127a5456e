// Alerts: the list caseworkers triage, and the two things a person does to one.
import type { FastifyInstance } from 'fastify';
import { personName } from './users.ts';
import type { AlertsPort, AlertRow } from '../store/index.ts';
import type { AlertService } from '../alerts/index.ts';
import { bearer, errors } from './schemas.ts';

export interface AlertRoutesDeps {
  alerts: Pick<AlertsPort, 'get' | 'list' | 'ofResident'>;
  service: AlertService;
  now(): number;
}

export function publicAlert(a: AlertRow) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: a.id, residentId: a.residentId, kind: a.kind, status: a.status, deviceId: a.deviceId,
    openedAt: iso(a.openedAt), acknowledgedAt: iso(a.acknowledgedAt), acknowledgedBy: a.acknowledgedBy,
    resolvedAt: iso(a.resolvedAt), resolvedBy: a.resolvedBy, unanswered: a.unanswered, detail: a.detail,
  };
}

const idParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const actionBody = {
  type: ['object', 'null'],
  properties: { note: { type: 'string', maxLength: 1000 } },
  additionalProperties: false,
} as const;

export async function alertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): Promise<void> {
  app.get<{ Querystring: { status?: 'open' | 'acknowledged' | 'resolved'; residentId?: string; limit: number } }>('/api/alerts', {
    schema: {
      summary: 'Alerts, newest first, by status or resident', tags: ['alerts'], security: bearer,
      querystring: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
          residentId: { type: 'string', pattern: '^[a-z0-9-]+$' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
        },
        additionalProperties: false,
      },
    },
  }, async (request) => {
    const { status, residentId, limit } = request.query;
    const rows = residentId
      ? (await deps.alerts.ofResident(residentId, limit)).filter((a) => !status || a.status === status)
      : await deps.alerts.list(status, limit);
    return { items: rows.map(publicAlert) };
  });

  app.get<{ Params: { id: number } }>('/api/alerts/:id', {
    schema: { summary: 'One alert', tags: ['alerts'], security: bearer, params: idParams, response: errors(400, 401, 404) },
  }, async (request, reply) => {
    const alert = await deps.alerts.get(request.params.id);
    if (!alert) return reply.code(404).send({ error: `no alert ${request.params.id}`, code: 'alert_not_found' });
    return publicAlert(alert);
  });

  for (const action of ['acknowledge', 'resolve'] as const) {
    app.post<{ Params: { id: number }; Body: { note?: string } | null }>(`/api/alerts/:id/${action}`, {
      schema: {
        summary: action === 'acknowledge'
          ? '"I\'m on it": stops the escalation, tells the others who has it (409 unless open)'
          : 'The condition is dealt with, with an optional note of what happened (409 if already resolved)',
        tags: ['alerts'], security: bearer, params: idParams, body: actionBody, response: errors(400, 401, 404, 409),
      },
    }, async (request, reply) => {
      const alert = await deps.alerts.get(request.params.id);
      if (!alert) return reply.code(404).send({ error: `no alert ${request.params.id}`, code: 'alert_not_found' });
      const by = personName(request.caller);
      const now = deps.now();
      if (action === 'acknowledge') {
        if (alert.status !== 'open') {
          return reply.code(409).send({ error: `alert is ${alert.status}, not open`, code: 'alert_not_open', params: { status: alert.status }, alert: publicAlert(alert) });
        }
        await deps.service.acknowledge(alert.id, by, now, 'api');
      } else {
        if (alert.status === 'resolved') return reply.code(409).send({ error: 'alert is already resolved', code: 'alert_resolved', alert: publicAlert(alert) });
        // the reason is a code; what the person wrote is their note, kept in their words
        await deps.service.resolve(alert.id, by, 'resolved_by_person', now, request.body?.note?.trim() || undefined);
      }
      return publicAlert((await deps.alerts.get(alert.id))!);
    });
  }
}
