// The caseworkers' web page and the API docs page: plain files from web/ (and its folders, one
// module per screen), no build step, served by @fastify/static. The files are listed once at
// start and each is a route of its own (no wildcard), so nothing else under web/ or outside it
// can be asked for. Open, so nobody needs to be signed in to load the page itself; the page
// asks who is signed in and offers to sign in. The security headers (a content policy under
// which the page runs only its own files) come from helmet, for every answer (api/index.ts).
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
// small libraries the page uses, served from their npm packages as /vendor/<name>
const VENDOR: Record<string, string> = { 'uplot.js': 'uplot/dist/uPlot.esm.js', 'uplot.css': 'uplot/dist/uPlot.min.css' };

/** what the page is made of; anything else in web/ is not served */
const SERVED = /^[a-z0-9-]+(\/[a-z0-9-]+)?\.(js|css|svg|json)$/;

export async function webRoutes(app: FastifyInstance, opts: { dir?: string } = {}): Promise<void> {
  app.auth.openScope(app);
  const root = opts.dir ?? WEB_DIR;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    // the two pages have their own paths (below); the files keep the names the page imports
    globIgnore: ['**/*.html', '**/.*', '*/*/*/**'],
    allowedPath: (path, from) => from !== root || SERVED.test(path.replace(/^\//, '')) || /^\/?(index|docs)\.html$/.test(path),
    index: false,
    dotfiles: 'ignore',
    // small files that change with each release: always revalidate (ETag, Last-Modified)
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', 'no-cache');
      if (path.endsWith('.js')) reply.header('content-type', 'text/javascript; charset=utf-8');
    },
  });
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  app.get('/docs', { schema: { hide: true } }, (_request, reply) => reply.sendFile('docs.html'));
  const require = createRequire(import.meta.url);
  for (const [name, module] of Object.entries(VENDOR)) {
    const file = require.resolve(module);
    app.get(`/vendor/${name}`, { schema: { hide: true } }, (_request, reply) => reply.sendFile(basename(file), dirname(file)));
  }
}
