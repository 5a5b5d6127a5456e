// People who sign in: POST /api/users (admin) -> 201, sign-in with username and password ->
// a session cookie (HttpOnly, SameSite=Strict) that works for /api/ like a token; changes need
// the session's CSRF token; sign-out and disabling end sessions and live streams; failed
// sign-ins are rate limited; acknowledgements, texts and the audit log name the display name.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startGateway, waitFor, sqlOf, ADMIN_TOKEN, CASEWORKER_TOKEN, type TestGateway } from '../helpers.ts';
import { openStream } from './sse.ts';

let gw: TestGateway;
let base: string;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual',
  });
  const text = await res.text();
  let json: any = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, body: json, headers: res.headers };
}

async function signIn(username: string, password: string) {
  const res = await http('POST', '/auth/login', { username, password });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  return { ...res, cookie, csrf: res.body?.csrf as string };
}

beforeAll(async () => {
  gw = await startGateway({ escalation: { smoke: [{ notify: ['neighbor'], after: '0s' }] } });
  base = `http://127.0.0.1:${gw.app.httpPort()}`;
});
afterAll(async () => { await gw?.stop(); });

describe('user accounts', () => {
  it('an admin adds a person who then signs in with a session cookie; a caseworker token may not add people', async () => {
    const denied = await http('POST', '/api/users', { username: 'x1', displayName: 'X', role: 'caseworker', password: 'long-enough-1' }, { authorization: `Bearer ${CASEWORKER_TOKEN}` });
    expect(denied.status).toBe(403);

    const created = await http('POST', '/api/users', { username: 'Li', displayName: '李社工', role: 'caseworker', password: '正确的马电池订书钉' }, admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'li', displayName: '李社工', role: 'caseworker', disabled: false });
    expect(JSON.stringify(created.body)).not.toContain('scrypt');
    const stored = (await sqlOf(gw.app).one<{ h: string }>('SELECT password_hash AS h FROM users WHERE username = ?', 'li'))!;
    expect(stored.h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored.h).not.toContain('正确');

    expect((await http('POST', '/api/users', { username: 'li', displayName: 'Another', role: 'admin', password: 'long-enough-1' }, admin)).status).toBe(409);
    const short = await http('POST', '/api/users', { username: 'wu', displayName: '吴', role: 'caseworker', password: 'short' }, admin);
    expect(short.status).toBe(400);
    expect(short.body.code).toBe('invalid_field');

    const wrong = await signIn('li', 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('bad_credentials');
    expect(wrong.cookie).toBe('');

    const ok = await signIn('LI', '正确的马电池订书钉');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ username: 'li', displayName: '李社工', role: 'caseworker', via: 'session' });
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^gw_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // the database holds a digest of the cookie, never the cookie
    const value = ok.cookie.split('=')[1];
    const rows = await sqlOf(gw.app).all<{ h: Uint8Array }>('SELECT token_hash AS h FROM sessions');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => Buffer.from(r.h).toString('hex').includes(Buffer.from(value).toString('hex')))).toBe(false);

    const me = await http('GET', '/api/me', undefined, { cookie: ok.cookie });
    expect(me.body).toMatchObject({ displayName: '李社工', role: 'caseworker', csrf: ok.csrf });
    expect((await http('GET', '/api/residents', undefined, { cookie: ok.cookie })).status).toBe(200);
    // a caseworker's session is no admin
    expect((await http('GET', '/api/users', undefined, { cookie: ok.cookie })).status).toBe(403);
  });

  it('needs the CSRF token for changes made with the cookie, and names the person in acknowledgements and texts', async () => {
    const { cookie, csrf } = await signIn('li', '正确的马电池订书钉');
    const smoke = await gw.connect('zhang-smoke', 'smoke-secret');
    await smoke.publishAsync('devices/zhang-smoke', JSON.stringify({ smoke: true }), { qos: 1 });
    await smoke.endAsync();
    // the PUBACK says the report is stored; the rules open the alert just after
    const alert = await waitFor(async () => (await gw.app.store.alerts.unresolved()).find((a) => a.kind === 'smoke'), 5000, 'the smoke alert');

    // a form on another site can send the cookie (were it not SameSite) but not the header
    const forged = await http('POST', `/api/alerts/${alert.id}/acknowledge`, {}, { cookie });
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('csrf');
    expect((await http('POST', `/api/alerts/${alert.id}/acknowledge`, {}, { cookie, 'x-csrf-token': 'x'.repeat(csrf.length) })).status).toBe(403);
    expect((await gw.app.store.alerts.get(alert.id))!.status).toBe('open');

    const acked = await http('POST', `/api/alerts/${alert.id}/acknowledge`, {}, { cookie, 'x-csrf-token': csrf });
    expect(acked.status).toBe(200);
    expect(acked.body.acknowledgedBy).toBe('李社工');
    // the neighbour who was texted hears who has it
    // queued just after the acknowledgement's commit
    const told = await waitFor(async () => {
      const rows = await sqlOf(gw.app).all<{ body: string }>('SELECT body FROM outbox WHERE alert_id = ? AND step < 0', alert.id);
      return rows.length ? rows : null;
    }, 5000, 'the follow-up text');
    expect(told.map((r) => r.body).join('\n')).toContain('李社工正在处理');
    const entry = (await gw.app.store.timeline.page('r-zhang', { limit: 20, types: ['acknowledgement'] })).items[0];
    expect(entry).toMatchObject({ by: '李社工', via: 'api' });
  });

  it('signing out ends the session and its live stream; disabling ends every session of the person at once', async () => {
    const a = await signIn('li', '正确的马电池订书钉');
    const b = await signIn('li', '正确的马电池订书钉');
    const stream = await openStream(`${base}/api/stream`, { cookie: a.cookie });
    await stream.next((e) => e.event === 'ready');
    const streamsBefore = gw.app.live.streams();

    expect((await http('POST', '/auth/logout', {}, { cookie: a.cookie, 'x-csrf-token': a.csrf })).status).toBe(204);
    expect((await http('GET', '/api/me', undefined, { cookie: a.cookie })).status).toBe(401);
    expect(gw.app.live.streams()).toBe(streamsBefore - 1);
    expect((await http('GET', '/api/me', undefined, { cookie: b.cookie })).status).toBe(200);

    const id = (await http('GET', '/api/users', undefined, admin)).body.items.find((u: any) => u.username === 'li').id;
    const streamB = await openStream(`${base}/api/stream`, { cookie: b.cookie });
    await streamB.next((e) => e.event === 'ready');
    const disabled = await http('PATCH', `/api/users/${id}`, { disabled: true }, admin);
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    expect((await http('GET', '/api/me', undefined, { cookie: b.cookie })).status).toBe(401);
    expect(gw.app.live.streams()).toBe(streamsBefore - 1);
    expect((await signIn('li', '正确的马电池订书钉')).status).toBe(401);

    expect((await http('PATCH', `/api/users/${id}`, { disabled: false }, admin)).status).toBe(200);
    expect((await signIn('li', '正确的马电池订书钉')).status).toBe(200);
    stream.close();
    streamB.close();

    const audit = (await http('GET', '/api/audit', undefined, admin)).body.items.filter((e: any) => e.target === 'user:li');
    expect(audit.map((e: any) => e.action)).toEqual(['user.update', 'user.update', 'user.create']);
    expect(audit[0].actor).toBe('ops-admin');
  });

  it('refuses a sign-in form posted from another site', async () => {
    const res = await http('POST', '/auth/login', { username: 'li', password: '正确的马电池订书钉' }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('limits wrong passwords per username, and a forged cookie is no credential', async () => {
    expect((await http('GET', '/api/me', undefined, { cookie: `gw_session=${'A'.repeat(43)}` })).status).toBe(401);
    let limited: Awaited<ReturnType<typeof signIn>> | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await signIn('li', `guess-${i}-wrong`);
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(401);
    }
    expect(limited?.body.code).toBe('rate_limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // even the right password waits now
    expect((await signIn('li', '正确的马电池订书钉')).status).toBe(429);
  }, 60_000);
});

describe('GET /auth/session', () => {
  it('answers who the cookie signs in, forgets a stale cookie, and counts guesses against the address', async () => {
    expect((await http('GET', '/auth/session')).body).toEqual({ signedIn: false });
    const other = await startGateway();
    try {
      const url = `http://127.0.0.1:${other.app.httpPort()}/auth/session`;
      let limited = 0;
      for (let i = 0; i < 25; i++) {
        const res = await fetch(url, { headers: { cookie: `gw_session=${String(i).padStart(43, 'x')}` } });
        if (i === 0) expect(res.headers.get('set-cookie')).toMatch(/^gw_session=; .*Max-Age=0/);
        if (res.status === 429) limited++;
        await res.body?.cancel();
      }
      expect(limited).toBeGreaterThan(0);
    } finally {
      await other.stop();
    }
  });
});
