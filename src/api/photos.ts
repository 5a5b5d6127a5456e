// Photos of a visit or a problem. The body of an upload is the image itself (Content-Type
// image/jpeg, image/png, image/webp or image/heic), at most 12 MB; what is kept is a sized-down
// JPEG without its EXIF. Caseworkers and admins may add and view; the uploader or an admin may
// delete. A photo is served only with a bearer token, so the page fetches it as a blob.
import type { FastifyInstance } from 'fastify';
import type { Casefile } from '../casefile/index.ts';
import { MAX_PHOTO_BYTES, PHOTO_TYPES } from '../casefile/photos.ts';
import { casefileErrors, errors, isoTime, nullable, bearer } from './schemas.ts';
import { personName } from './users.ts';

const photoSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, residentId: { type: 'string' }, visitId: nullable({ type: 'integer' }), problemId: nullable({ type: 'string' }),
    width: { type: 'integer' }, height: { type: 'integer' }, bytes: { type: 'integer' }, createdAt: isoTime, createdBy: { type: 'string' }, url: { type: 'string' },
  },
} as const;
const list = { 200: { type: 'object', properties: { items: { type: 'array', items: photoSchema } } } };
const visitParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const problemParams = { type: 'object', properties: { id: { type: 'string', pattern: '^WT\\d{7,}$', maxLength: 20 } }, required: ['id'] } as const;
const photoParams = { type: 'object', properties: { id: { type: 'string', pattern: '^[a-f0-9]{32}$' } }, required: ['id'] } as const;

export async function photoRoutes(app: FastifyInstance, casefile: Casefile): Promise<void> {
  casefileErrors(app);
  // this plugin's scope only: everywhere else an image body is still 415
  app.addContentTypeParser([...PHOTO_TYPES], { parseAs: 'buffer', bodyLimit: MAX_PHOTO_BYTES }, (_request, body, done) => done(null, body));
  const tags = ['photos'];
  const upload = { description: `the image as the request body (${PHOTO_TYPES.join(', ')}), at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB` };

  app.post<{ Params: { id: number }; Body: Buffer }>('/api/visits/:id/photos', {
    bodyLimit: MAX_PHOTO_BYTES,
    schema: { summary: 'Attach a photo to a visit', ...upload, tags, security: bearer, params: visitParams, response: { 201: photoSchema, ...errors(400, 401, 404, 409, 413, 415) } },
  }, async (request, reply) => reply.code(201).send(await casefile.photos.addToVisit(request.params.id, bodyOf(request.body), personName(request.caller))));

  app.post<{ Params: { id: string }; Body: Buffer }>('/api/problems/:id/photos', {
    bodyLimit: MAX_PHOTO_BYTES,
    schema: { summary: 'Attach a photo to a problem', ...upload, tags, security: bearer, params: problemParams, response: { 201: photoSchema, ...errors(400, 401, 404, 409, 413, 415) } },
  }, async (request, reply) => reply.code(201).send(await casefile.photos.addToProblem(request.params.id, bodyOf(request.body), personName(request.caller))));

  app.get<{ Params: { id: number } }>('/api/visits/:id/photos', {
    schema: { summary: "A visit's photos", tags, security: bearer, params: visitParams, response: { ...list, ...errors(400, 401, 404) } },
  }, async (request) => ({ items: await casefile.photos.ofVisit(request.params.id) }));

  app.get<{ Params: { id: string } }>('/api/problems/:id/photos', {
    schema: { summary: "A problem's photos", tags, security: bearer, params: problemParams, response: { ...list, ...errors(400, 401, 404) } },
  }, async (request) => ({ items: await casefile.photos.ofProblem(request.params.id) }));

  app.get<{ Params: { id: string } }>('/api/photos/:id', {
    schema: { summary: 'The photo (image/jpeg)', tags, security: bearer, params: photoParams, response: errors(400, 401, 404) },
  }, async (request, reply) => reply
    .headers({ 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff', 'content-disposition': 'inline' })
    .type('image/jpeg').send(await casefile.photos.read(request.params.id)));

  app.delete<{ Params: { id: string } }>('/api/photos/:id', {
    schema: { summary: 'Delete a photo (who took it, or an admin)', tags, security: bearer, params: photoParams, response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => { await casefile.photos.remove(request.params.id, { name: personName(request.caller), role: request.caller!.role }); return reply.code(204).send(); });
}

function bodyOf(body: unknown): Buffer {
  if (!Buffer.isBuffer(body)) throw Object.assign(new Error(`send the image itself with Content-Type ${PHOTO_TYPES.join(', ')}`), { statusCode: 415 });
  return body;
}
