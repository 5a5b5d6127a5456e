// Twilio's webhooks: POST /twilio/sms (replies), /twilio/status (delivery reports),
// /twilio/voice (a call's key press). Every one must carry a valid X-Twilio-Signature
// (HMAC-SHA1 with the auth token over `http.publicUrl` + path + the form fields; CONTRACT.md
// "HTTP"), else 403. These routes are declared public (no bearer token): the signature is the auth.
//
// Without an auth token (sms.provider: log and no twilio.authToken) nothing can be verified,
// so every inbound request is refused with 403: an unverifiable "1" must never acknowledge.
import twilio from 'twilio';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Inbound } from '../notify/inbound.ts';
import { emptyTwiml } from '../notify/twiml.ts';
import { publicBase } from '../notify/messages.ts';

export interface WebhookDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  inbound: Inbound;
  /** false before start() and after stop() */
  ready(): boolean;
}

type Form = Record<string, string | string[]>;

/** the first value of a field (Twilio sends each once; a repeated one is still signed as a list) */
function flat(form: Form): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(form)) out[k] = Array.isArray(v) ? (v[0] ?? '') : v;
  return out;
}

function parseForm(body: string): Form {
  const form: Form = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = form[k];
    form[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return form;
}

function numberParam(request: FastifyRequest, name: string): number | null {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  const n = Number(value);
  return typeof value === 'string' && Number.isInteger(n) && n > 0 ? n : null;
}

export function twilioWebhooks(deps: WebhookDeps) {
  const authToken = deps.config.twilio?.authToken || undefined;
  const publicUrl = publicBase(deps.config.http.publicUrl);
  deps.metrics.describe('gateway_twilio_webhook_rejected_total', 'Twilio webhook requests refused (bad or missing signature)');

  /** the URL Twilio signed: the configured public URL, else what this request says it was sent to */
  function signedUrl(request: FastifyRequest): string {
    const base = publicUrl ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`;
    return base + request.url;
  }

  async function verify(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // a forged signature is a failed sign-in: counted per address like a wrong token
    const wait = await request.server.auth?.blockedFor(request) ?? 0;
    if (wait > 0) {
      await reply.code(429).header('retry-after', String(wait)).type('text/plain').send('too many refused requests from this address');
      return;
    }
    const signature = request.headers['x-twilio-signature'];
    const form = (request.body ?? {}) as Form;
    const valid = Boolean(authToken) && typeof signature === 'string'
      && twilio.validateRequest(authToken!, signature, signedUrl(request), form);
    if (valid) return;
    deps.metrics.inc('gateway_twilio_webhook_rejected_total', { path: request.routeOptions.url ?? 'unknown' });
    await request.server.auth?.failed(request);
    deps.log.warn({ path: request.routeOptions.url, reason: authToken ? 'signature mismatch' : 'no twilio.authToken to verify with' },
      'twilio webhook refused');
    await reply.code(403).type('text/plain').send('invalid signature');
  }

  return async function twilioRoutes(app: FastifyInstance): Promise<void> {
    // Twilio posts application/x-www-form-urlencoded; fastify has no parser for it built in
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_request, body, done) => done(null, parseForm(body as string)));
    }
    const xml = (reply: FastifyReply, twiml: string) => reply.code(200).type('text/xml').send(twiml);
    const unavailable = (reply: FastifyReply) => reply.code(503).type('text/plain').send('notifier not running');

    app.post('/twilio/sms', { preHandler: verify, config: { public: true } }, async (request, reply) => {
      if (!deps.ready()) return unavailable(reply);
      const form = flat((request.body ?? {}) as Form);
      if (!form.From) return xml(reply, emptyTwiml());
      // Twilio names every message; without a name a reply could not be told from its replay
      const sid = form.MessageSid || form.SmsSid;
      if (!sid) return reply.code(400).type('text/plain').send('MessageSid missing');
      return xml(reply, await deps.inbound.sms(form.From, form.Body ?? '', sid));
    });

    app.post('/twilio/status', { preHandler: verify, config: { public: true } }, async (request, reply) => {
      if (!deps.ready()) return unavailable(reply);
      await deps.inbound.status(flat((request.body ?? {}) as Form), numberParam(request, 'o'));
      return reply.code(204).send();
    });

    app.post('/twilio/voice', { preHandler: verify, config: { public: true } }, async (request, reply) => {
      if (!deps.ready()) return unavailable(reply);
      return xml(reply, await deps.inbound.voice(flat((request.body ?? {}) as Form), numberParam(request, 'alert')));
    });
  };
}
