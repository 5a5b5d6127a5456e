// The log-provider demo's stand-in for a neighbour's phone. With `sms.provider: log` no text
// leaves the machine and Twilio cannot call the signed /twilio/sms webhook, so a newcomer could
// never see a reply "1" close the loop. This admin-only route plays a text from a contact's
// number through the same inbound handling as a real reply. It exists only while texts go to the
// log: with a real provider the signed webhook is the only way a reply gets in.
import type { FastifyInstance } from 'fastify';
import type { Role } from './auth.ts';
import { bearer, errors } from './schemas.ts';

export interface DemoRoutesDeps {
  /** the notifier's inbound handling of a text; answers TwiML */
  replyAsText(from: string, text: string): Promise<string>;
}

export async function demoRoutes(app: FastifyInstance, deps: DemoRoutesDeps): Promise<void> {
  app.post<{ Body: { from: string; body: string } }>('/api/demo/sms-reply', {
    config: { roles: ['admin'] as Role[] },
    schema: {
      summary: 'Demo only (sms.provider: log): play a text from a contact\'s phone, e.g. the neighbour\'s "1" (admin)', tags: ['demo'], security: bearer,
      body: {
        type: 'object', required: ['from', 'body'], additionalProperties: false,
        properties: {
          from: { type: 'string', pattern: '^\\+[1-9]\\d{6,14}$', description: 'the contact\'s phone, E.164' },
          body: { type: 'string', minLength: 1, maxLength: 160, description: 'what they texted, e.g. 1' },
        },
      },
      response: { 200: { type: 'object', properties: { answer: { type: 'string', description: 'the text the contact gets back' } } }, ...errors(400, 401, 403) },
    },
  }, async (request) => {
    const twiml = await deps.replyAsText(request.body.from, request.body.body);
    // the TwiML's one <Message>, unescaped, is what the phone would show
    const m = /<Message>([\s\S]*?)<\/Message>/.exec(twiml);
    const answer = (m?.[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    return { answer };
  });
}
