// Photos of a visit or a problem, taken on the caseworker's phone: decoded, turned upright,
// sized down to at most 1600 px on the long side and re-encoded as JPEG (which also drops
// EXIF, so no GPS position or phone model is kept), then stored as a file beside the database
// (mode 0600 in a 0700 folder). The store keeps only the row; the bytes never reach a log.
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type SharpModule from 'sharp';
import type { PhotoRow, Store } from '../store/index.ts';
import { conflict, forbidden, invalid, notFound, tooLarge } from './errors.ts';

/** the largest upload taken, before it is sized down */
export const MAX_PHOTO_BYTES = 12 * 1024 * 1024;
/** more pixels than this is refused before decoding (a decompression bomb) */
export const MAX_INPUT_PIXELS = 50_000_000;
export const MAX_EDGE_PX = 1600;
export const MAX_PHOTOS_PER_ITEM = 12;
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'] as const;

const ID_RE = /^[a-f0-9]{32}$/;

// libvips is loaded with the first photo, not at start: a restart after a crash must be quick
let sharpModule: Promise<typeof SharpModule> | undefined;
const loadSharp = () => (sharpModule ??= import('sharp').then((m) => m.default));

export function photoView(p: PhotoRow) {
  return { ...p, createdAt: new Date(p.createdAt).toISOString(), url: `/api/photos/${p.id}` };
}

export function photoService(deps: { store: Store; dir: string; now(): number }) {
  const { store, dir } = deps;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = (id: string) => join(dir, `${id}.jpg`);

  // files whose row went (a resident, visit or problem deleted) go too; an upload waits for the
  // sweep, so a new photo's file is never taken for one whose row went
  const swept = (async () => {
    const known = new Set(await store.photos.ids());
    for (const name of readdirSync(dir)) {
      const id = name.replace(/\.jpg$/, '');
      if (name.endsWith('.jpg') && !known.has(id)) rmSync(join(dir, name), { force: true });
    }
  })().catch(() => undefined); // an unreadable store: files stay until the next start's sweep

  async function shrink(body: Buffer) {
    if (body.length > MAX_PHOTO_BYTES) throw tooLarge(`a photo may be at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB`, 'photo_too_large', { maxMb: MAX_PHOTO_BYTES / 1024 / 1024 });
    const sharp = await loadSharp();
    try {
      const { data, info } = await sharp(body, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
        .rotate()
        .resize({ width: MAX_EDGE_PX, height: MAX_EDGE_PX, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80, mozjpeg: true })
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    } catch (err) {
      // checked from the header, before a pixel is decoded
      if (/pixel limit/i.test((err as Error).message)) throw invalid(`the photo has more than ${MAX_INPUT_PIXELS / 1_000_000} megapixels`, 'photo_too_many_pixels', { max: MAX_INPUT_PIXELS / 1_000_000 });
      throw invalid('not a photo that can be read (JPEG, PNG, WebP or HEIC)', 'photo_unreadable');
    }
  }

  async function add(target: { residentId: string; visitId: number | null; problemId: string | null }, existing: number, body: Buffer, actor: string) {
    if (existing >= MAX_PHOTOS_PER_ITEM) throw conflict(`at most ${MAX_PHOTOS_PER_ITEM} photos each`, 'photo_limit', { max: MAX_PHOTOS_PER_ITEM });
    const { data, width, height } = await shrink(body);
    await swept;
    const id = randomBytes(16).toString('hex');
    writeFileSync(file(id), data, { mode: 0o600 });
    const now = deps.now();
    try {
      const row = await store.tx(async (tx) => {
        await tx.photos.insert({ id, ...target, width, height, bytes: data.length, createdAt: now, createdBy: actor });
        await tx.audit.add(now, actor, 'photo.add', id, { residentId: target.residentId, visitId: target.visitId, problemId: target.problemId });
        return (await tx.photos.get(id))!;
      });
      return photoView(row);
    } catch (err) {
      rmSync(file(id), { force: true });
      throw err;
    }
  }

  return {
    async addToVisit(visitId: number, body: Buffer, actor: string) {
      const v = await store.visits.getVisit(visitId);
      if (!v) throw notFound(`no visit ${visitId}`, 'visit_not_found', { id: visitId });
      return add({ residentId: v.residentId, visitId, problemId: null }, (await store.photos.ofVisit(visitId)).length, body, actor);
    },
    async addToProblem(problemId: string, body: Buffer, actor: string) {
      const p = await store.visits.getProblem(problemId);
      if (!p) throw notFound(`no problem ${problemId}`, 'problem_not_found', { id: problemId });
      return add({ residentId: p.residentId, visitId: null, problemId }, (await store.photos.ofProblem(problemId)).length, body, actor);
    },
    async ofVisit(visitId: number) {
      if (!(await store.visits.getVisit(visitId))) throw notFound(`no visit ${visitId}`, 'visit_not_found', { id: visitId });
      return (await store.photos.ofVisit(visitId)).map(photoView);
    },
    async ofProblem(problemId: string) {
      if (!(await store.visits.getProblem(problemId))) throw notFound(`no problem ${problemId}`, 'problem_not_found', { id: problemId });
      return (await store.photos.ofProblem(problemId)).map(photoView);
    },
    /** the JPEG bytes */
    async read(id: string): Promise<Buffer> {
      if (!ID_RE.test(id) || !(await store.photos.get(id))) throw notFound(`no photo ${id}`, 'photo_not_found');
      return readFileSync(file(id));
    },
    /** the uploader or an admin */
    async remove(id: string, caller: { name: string; role: string }): Promise<void> {
      const p = ID_RE.test(id) ? await store.photos.get(id) : undefined;
      if (!p) throw notFound(`no photo ${id}`, 'photo_not_found');
      if (caller.role !== 'admin' && caller.name !== p.createdBy) throw forbidden('only who took a photo, or an admin, may delete it', 'photo_not_yours', { by: p.createdBy });
      await store.tx(async (tx) => {
        await tx.photos.delete(id);
        await tx.audit.add(deps.now(), caller.name, 'photo.delete', id, { residentId: p.residentId });
      });
      rmSync(file(id), { force: true });
    },
  };
}
export type PhotoService = ReturnType<typeof photoService>;
