// Photos of a visit or a problem (sized down, EXIF dropped, files 0600 beside the database,
// bounded, authorised by role, never in the log) and the reports by area, over time and as CSV.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { startWorkspace, admin, caseworker, type Workspace } from './setup.ts';

const NOW = Date.parse('2026-03-31T12:00:00Z');
const residents = [
  { id: 'r-zhang', name: 'Zhang Xiuying', area: '幸福社区 3号楼' },
  { id: 'r-chen', name: 'Chen Guoqiang', area: '幸福社区 3号楼' },
  { id: 'r-wu', name: 'Wu Lan', area: '=HYPERLINK("http://evil")' },
  { id: 'r-zhao', name: 'Zhao Ming' },
];
let ws: Workspace;
let visitId: number;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4); head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}
/** a well-formed PNG header that claims width x height grey pixels, with a few bytes of data */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 0; // 8-bit greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}

async function upload(url: string, body: Buffer, type = 'image/jpeg', headers: Record<string, string> = caseworker) {
  const res = await ws.http.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload: body });
  return { status: res.statusCode, body: res.json() };
}

beforeAll(async () => {
  ws = await startWorkspace({ site: { timezone: 'Asia/Shanghai' }, residents }, NOW);
  const v = await ws.call('POST', '/api/residents/r-zhang/visits', {
    visitor: 'Li', at: '2026-03-02T10:00:00+08:00', purpose: 'routine', problems: [{ description: 'loose handrail', category: 'livelihood', urgency: 'normal' }],
  });
  visitId = v.body.id;
  await ws.call('POST', '/api/residents/r-chen/visits', { visitor: 'Li', at: '2026-03-03T10:00:00+08:00', purpose: 'routine' });
  await ws.call('POST', '/api/residents/r-chen/visits', { visitor: 'Li', at: '2026-03-10T10:00:00+08:00', purpose: 'routine', problems: [{ description: 'x', category: 'health', urgency: 'high' }] });
  await ws.call('POST', '/api/residents/r-wu/visits', { visitor: 'Li', at: '2026-03-20T10:00:00+08:00', purpose: 'routine' });
});
afterAll(async () => { await ws?.stop(); });

describe('photos', () => {
  it('takes a phone photo, sizes it down, drops its EXIF (GPS) and keeps it 0600 beside the database', async () => {
    // a 4000x3000 phone photo with a GPS position and the camera model in its EXIF
    const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 200, g: 120, b: 40 } } })
      .withExif({ IFD0: { Make: 'PhoneCo', Model: 'Secret 12' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '31/1 14/1 0/1' } })
      .jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const res = await upload(`/api/visits/${visitId}/photos`, photo);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ residentId: 'r-zhang', visitId, problemId: null, width: 1600, height: 1200, createdBy: 'li-caseworker', url: `/api/photos/${res.body.id}` });

    const got = await ws.http.inject({ method: 'GET', url: res.body.url, headers: caseworker });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/jpeg');
    expect(got.headers['cache-control']).toBe('private, no-store');
    const meta = await sharp(got.rawPayload).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1600, height: 1200 });
    expect(meta.exif).toBeUndefined();
    expect(got.rawPayload.includes(Buffer.from('Secret 12'))).toBe(false);
    expect(got.rawPayload.length).toBeLessThan(photo.length);

    const dir = join(ws.gw.dir, 'photos');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual([`${res.body.id}.jpg`]);
    expect(statSync(join(dir, `${res.body.id}.jpg`)).mode & 0o777).toBe(0o600);
    expect((await ws.call('GET', `/api/visits/${visitId}/photos`)).body.items.map((p: any) => p.id)).toEqual([res.body.id]);
    // the log has the photo id at most, never its bytes
    const log = ws.gw.logs.text();
    expect(log).not.toContain(photo.subarray(100, 140).toString('base64'));
    expect(log).not.toContain('Secret 12');
  });

  it('attaches a PNG to a problem; refuses what is not a photo, too big, or JSON; needs a token', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 4, background: '#336699' } }).png().toBuffer();
    const ok = await upload('/api/problems/WT2026001/photos', png, 'image/png');
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ problemId: 'WT2026001', width: 300, height: 200 });

    const garbage = await upload('/api/problems/WT2026001/photos', Buffer.from('GIF89a not really'), 'image/png');
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toMatch(/not a photo/);
    const huge = await upload('/api/problems/WT2026001/photos', Buffer.alloc(13 * 1024 * 1024), 'image/jpeg');
    expect(huge.status).toBe(413);
    const json = await ws.call('POST', '/api/problems/WT2026001/photos', { image: 'aGVsbG8=' });
    expect(json.status).toBe(415);
    const gif = await upload('/api/problems/WT2026001/photos', png, 'image/gif');
    expect(gif.status).toBe(415);
    // a decompression bomb: a tiny PNG that would decode to 400 megapixels
    const bomb = pngClaiming(20000, 20000);
    expect(bomb.length).toBeLessThan(1024);
    const refused = await upload('/api/problems/WT2026001/photos', bomb, 'image/png');
    expect(refused).toMatchObject({ status: 400, body: { error: 'the photo has more than 50 megapixels' } });
    expect((await upload('/api/problems/WT2026001/photos', png, 'image/png', {})).status).toBe(401);
    expect((await ws.http.inject({ method: 'GET', url: ok.body.url })).statusCode).toBe(401);
    expect((await upload('/api/problems/WT2099001/photos', png, 'image/png')).status).toBe(404);
    expect((await upload('/api/visits/99999/photos', png, 'image/png')).status).toBe(404);
    expect((await ws.call('GET', '/api/photos/../../gateway.db')).status).toBe(404);
    expect((await ws.call('GET', '/api/photos/0123')).status).toBe(400);
  });

  it('lets the uploader or an admin delete a photo, nobody else', async () => {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toBuffer();
    const byAdmin = await upload(`/api/visits/${visitId}/photos`, png, 'image/png', admin);
    const del = await ws.call('DELETE', `/api/photos/${byAdmin.body.id}`, undefined, caseworker);
    expect(del.status).toBe(403);
    expect((await ws.call('DELETE', `/api/photos/${byAdmin.body.id}`, undefined, admin)).status).toBe(204);
    expect((await ws.call('GET', `/api/photos/${byAdmin.body.id}`)).status).toBe(404);
    expect(readdirSync(join(ws.gw.dir, 'photos'))).not.toContain(`${byAdmin.body.id}.jpg`);
  });
});

describe('reports by area, over time and as CSV', () => {
  it('narrows the report to one area', async () => {
    const all = await ws.call('GET', '/api/reports?from=2026-03-01&to=2026-03-31');
    expect(all.body).toMatchObject({ visits: 4, residentsVisited: 3, residents: 4, coverage: 75, problemsOpened: 2 });
    expect(all.body.area).toBeUndefined();
    const one = await ws.call('GET', '/api/reports?from=2026-03-01&to=2026-03-31&area=' + encodeURIComponent('幸福社区 3号楼'));
    expect(one.body).toMatchObject({ area: '幸福社区 3号楼', visits: 3, residentsVisited: 2, residents: 2, coverage: 100, problemsOpened: 2, problemsOverdue: 2 });
    const none = await ws.call('GET', '/api/reports?from=2026-03-01&to=2026-03-31&area=nowhere');
    expect(none.body).toMatchObject({ visits: 0, residents: 0, coverage: 0 });
  });

  it('gives the series per day (a month) or per week (a year), and per area', async () => {
    const month = await ws.call('GET', '/api/reports/series?from=2026-03-01&to=2026-03-31');
    expect(month.body.unit).toBe('day');
    expect(month.body.series).toHaveLength(31);
    expect(month.body.series.filter((d: any) => d.visits).map((d: any) => [d.start, d.visits])).toEqual([
      ['2026-03-02', 1], ['2026-03-03', 1], ['2026-03-10', 1], ['2026-03-20', 1],
    ]);
    expect(month.body.byArea).toEqual([
      { area: '=HYPERLINK("http://evil")', residents: 1, visits: 1, residentsVisited: 1, coverage: 100, problemsOpened: 0, problemsSolved: 0, problemsOverdue: 0, alerts: 0 },
      { area: '幸福社区 3号楼', residents: 2, visits: 3, residentsVisited: 2, coverage: 100, problemsOpened: 2, problemsSolved: 0, problemsOverdue: 2, alerts: 0 },
      { area: null, residents: 1, visits: 0, residentsVisited: 0, coverage: 0, problemsOpened: 0, problemsSolved: 0, problemsOverdue: 0, alerts: 0 },
    ]);
    const year = await ws.call('GET', '/api/reports/series?from=2025-04-01&to=2026-03-31');
    expect(year.body.unit).toBe('week');
    // weeks start on Monday: 2025-03-31 holds 1 April
    expect(year.body.series[0].start).toBe('2025-03-31');
    expect(year.body.series.reduce((n: number, w: any) => n + w.visits, 0)).toBe(4);
    expect((await ws.call('GET', '/api/reports/series?from=2026-03-31&to=2026-03-01')).status).toBe(400);
  });

  it('exports CSV that a spreadsheet opens without running a formula', async () => {
    const res = await ws.http.inject({ method: 'GET', url: '/api/reports/export.csv?from=2026-03-01&to=2026-03-31', headers: caseworker });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="report-2026-03-01-2026-03-31.csv"');
    const lines = res.body.replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines).toEqual([
      'area,residents,visits,residentsVisited,coverage,problemsOpened,problemsSolved,problemsOverdue,alerts',
      `"'=HYPERLINK(""http://evil"")",1,1,1,100,0,0,0,0`,
      '幸福社区 3号楼,2,3,2,100,2,0,2,0',
      ',1,0,0,0,0,0,0,0',
      'total,4,4,3,75,2,0,2,0',
    ]);
    const byDay = await ws.http.inject({ method: 'GET', url: '/api/reports/export.csv?from=2026-03-01&to=2026-03-03&by=day', headers: caseworker });
    expect(byDay.body.replace(/^\ufeff/, '').trim().split('\r\n')).toEqual([
      'day,visits,problemsOpened,problemsSolved,alerts', '2026-03-01,0,0,0,0', '2026-03-02,1,1,0,0', '2026-03-03,1,0,0,0',
    ]);
    expect((await ws.http.inject({ method: 'GET', url: '/api/reports/export.csv?from=2026-03-01&to=2026-03-31' })).statusCode).toBe(401);
  });
});
