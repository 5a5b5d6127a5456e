// The API description: @fastify/swagger builds the OpenAPI 3.1 document from the schemas the
// routes validate with (so the two cannot drift), served at /openapi.json; @fastify/swagger-ui
// at /docs/ui lets a developer try the routes. /docs is the gateway's own page (web/docs.html):
// the same document in Chinese or English.
//
// Register @fastify/swagger (openApiOptions) before any route: its onRoute hook sees only the
// routes declared after it.
import type { FastifyInstance } from 'fastify';
import swaggerUi from '@fastify/swagger-ui';
import type { SwaggerOptions, SwaggerTransformObject } from '@fastify/swagger';
import { routeContentPolicy } from './headers.ts';

export const OPENAPI_INFO = {
  title: 'Safe-home gateway API', version: '0.1.0',
  description: 'Everything under /api/ takes Authorization: Bearer <token> (api.tokens, for machine clients) or the page\'s session cookie '
    + '(POST /auth/login; changes then also need X-CSRF-Token). Roles: caseworker (read, record visits, act on alerts) and admin (also people and provisioning). '
    + 'Bad requests get 400 with the reason in {"error"} and a code the page translates in {"code", "params"}.',
};

type Responses = Record<string, { description?: string; content?: unknown }>;

/** answers say what they are ("ok", "error, with the reason", "no content"), not "Default Response" */
function describeResponses(document: { paths?: Record<string, Record<string, { responses?: Responses }>> }) {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const op of Object.values(operations)) {
      for (const [code, response] of Object.entries(op.responses ?? {})) {
        if (response.description !== 'Default Response') continue;
        response.description = !code.startsWith('2') ? 'error, with the reason' : code === '204' ? 'no content' : 'ok';
      }
    }
  }
  return document;
}

/** @fastify/swagger's options; register it on the root instance before any route */
export const openApiOptions = {
  openapi: {
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    components: { securitySchemes: { bearerAuth: { type: 'http' as const, scheme: 'bearer' } } },
  },
  transformObject: ((documents) => describeResponses(('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject) as never) as never) as SwaggerTransformObject,
} satisfies SwaggerOptions;

export async function openApiDocument(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}

/**
 * The one inline style Swagger UI draws: the <style> inside its logo's SVG
 * (".logo_small_svg__cls-2{fill:#fff}..." in swagger-ui-bundle.js). Allowed by its hash on the
 * UI's routes only, never 'unsafe-inline'; a Swagger UI whose logo changes fails the browser test,
 * which prints the new hash.
 */
const SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/**
 * Swagger UI under /docs/ui, open like the document it shows. Its routes come from the plugin,
 * so the scope opens them (app.auth.openScope) and gives them their content policy: the page's
 * own, with the logo's style.
 */
export async function docsUi(app: FastifyInstance): Promise<void> {
  app.auth.openScope(app);
  const helmet = routeContentPolicy([SWAGGER_LOGO_STYLE]);
  // the root's helmet reads a route's options from its config when a request comes
  app.addHook('onRoute', (route) => { route.config = { ...(route.config ?? {}), helmet } as never; });
  await app.register(swaggerUi, {
    routePrefix: '/docs/ui',
    uiConfig: { deepLinking: true },
    // no call to an outside validator from the page
    validatorUrl: false,
  });
}
