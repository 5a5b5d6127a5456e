// Bearer-token auth for everything under /api/: tokens from the config, compared in constant time.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { digest, sameDigest } from '../store/index.ts';

export type Role = 'caseworker' | 'admin';
export interface Caller { name: string; role: Role }

declare module 'fastify' {
  interface FastifyRequest { caller?: Caller }
}

export function registerAuth(app: FastifyInstance, tokens: Array<{ name: string; role: Role; token: string }>): void {
  const known = tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) }));
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing bearer token' });
    const given = digest(match[1].trim());
    // compare against every token so the time taken does not tell which one nearly matched
    let found: Caller | undefined;
    for (const t of known) if (sameDigest(given, t.digest) && !found) found = { name: t.name, role: t.role };
    if (!found) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'invalid token' });
    request.caller = found;
  });
}

/** preHandler for routes only an admin may use */
export async function requireAdmin(request: FastifyRequest, reply: import('fastify').FastifyReply): Promise<void> {
  if (request.caller?.role !== 'admin') await reply.code(403).send({ error: 'admin role required' });
}
