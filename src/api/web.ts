// The caseworkers' web page and the API docs page: plain files from web/ (and its folders,
// one module per screen), no build step, read once at start. Declared public, so nobody needs
// to be signed in to load the page itself; the page asks who is signed in and offers to sign in.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
// small libraries the page uses, served from their npm packages as /vendor/<name>
const VENDOR: Record<string, string> = { 'uplot.js': 'uplot/dist/uPlot.esm.js', 'uplot.css': 'uplot/dist/uPlot.min.css' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

// the page runs only its own files: a stored note cannot become a script
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // small files that change with each release: always revalidate
  'cache-control': 'no-cache',
};

export async function webRoutes(app: FastifyInstance, opts: { dir?: string } = {}): Promise<void> {
  const dir = opts.dir ?? WEB_DIR;
  const files = new Map<string, { body: Buffer; type: string }>();
  // web/ and one level of folders (screens/, strings/): names are the only paths served
  const read = (folder: string, prefix: string, depth: number) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        if (depth > 0 && /^[a-z0-9-]+$/.test(name)) read(path, `${prefix}${name}/`, depth - 1);
        continue;
      }
      const type = TYPES[extname(name)];
      if (type) files.set(`${prefix}${name}`, { body: readFileSync(path), type });
    }
  };
  read(dir, '', 1);
  const serve = (name: string) => async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const file = files.get(name)!;
    return reply.headers(SECURITY_HEADERS).type(file.type).send(file.body);
  };
  // the page and its files are open: it asks for credentials itself and sends them with each API call
  const open = { schema: { hide: true }, config: { public: true } };
  if (files.has('index.html')) app.get('/', open, serve('index.html'));
  if (files.has('docs.html')) app.get('/docs', open, serve('docs.html'));
  for (const name of files.keys()) {
    if (name.endsWith('.html')) continue;
    app.get(`/${name}`, open, serve(name));
  }
  const require = createRequire(import.meta.url);
  for (const [name, module] of Object.entries(VENDOR)) {
    const key = `vendor/${name}`;
    files.set(key, { body: readFileSync(require.resolve(module)), type: TYPES[extname(name)] });
    app.get(`/${key}`, open, serve(key));
  }
}
