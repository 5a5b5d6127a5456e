// A small Twilio-compatible HTTP server on loopback: it answers the Messages and Calls APIs the
// way api.twilio.com does (201 with a JSON resource, or Twilio's error JSON), lists the messages
// it accepted (GET Messages.json, filtered and paged like Twilio's), records every request, and
// can be told to fail: answer an error, drop the connection, hang until the client gives up, or
// accept a text and lose the answer. The real `twilio` package talks to it via twilio.apiBaseUrl.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RecordedRequest {
  at: number;
  /** performance.now() when the request line arrived: for latency measurements */
  hrAt: number;
  method: string;
  path: string;
  /** "Messages" | "Calls" | other */
  resource: string;
  accountSid: string | null;
  /** the Basic auth user and password the client sent */
  auth: { user: string; password: string } | null;
  form: Record<string, string>;
  /** the HTTP status answered */
  status: number;
  sid?: string;
}

export interface Failure {
  status: number;
  /** Twilio error code, e.g. 21211 */
  code?: number;
  message?: string;
  /** drop the connection instead of answering */
  reset?: boolean;
  /** never answer: the request hangs until the client times out and closes it */
  hang?: boolean;
  /**
   * the provider accepts the text (it reaches the phone and shows in the Messages list) and
   * the answer is lost: the failure above is what the client sees. POSTs only.
   */
  accepted?: boolean;
}

/** a text the server accepted, as its Messages list resource shows it */
interface StoredMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  createdAt: number;
  /** order of acceptance: ties in createdAt (same millisecond) keep it */
  seq: number;
}

const PATH_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/;
/** Twilio's default and largest page sizes for list resources */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export class FakeTwilio {
  readonly requests: RecordedRequest[] = [];
  private server: Server | null = null;
  private planned: Failure[] = [];
  private outage: Failure | null = null;
  private byRecipient = new Map<string, Failure>();
  private waiters: Array<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = [];
  private stored: StoredMessage[] = [];
  url = '';

  /** The gateway config blocks that send texts and calls through this server with the real twilio package. */
  gatewayConfig(account: { accountSid: string; authToken: string; from?: string }): Record<string, unknown> {
    return { sms: { provider: 'twilio' }, twilio: { from: '+15005550006', ...account, apiBaseUrl: this.url } };
  }

  /** the accepted texts, in order (also those whose answer was lost: they reached the phone) */
  get messages(): RecordedRequest[] { return this.requests.filter((r) => r.resource === 'Messages' && r.method === 'POST' && r.sid !== undefined); }
  get calls(): RecordedRequest[] { return this.requests.filter((r) => r.resource === 'Calls' && r.method === 'POST' && r.sid !== undefined); }
  /** GET requests to the Messages list (reconciliation look-ups) */
  get listRequests(): RecordedRequest[] { return this.requests.filter((r) => r.resource === 'Messages' && r.method === 'GET'); }
  /** accepted texts to one number */
  to(phone: string): RecordedRequest[] { return this.messages.filter((m) => m.form.To === phone); }

  /** the next n requests fail like this */
  failNext(n: number, failure: Failure): void { for (let i = 0; i < n; i++) this.planned.push(failure); }
  /** every request fails like this until setOutage(null) */
  setOutage(failure: Failure | null): void { this.outage = failure; }
  /** every request to this number fails like this (e.g. { status: 400, code: 21211 }) */
  failFor(phone: string, failure: Failure): void { this.byRecipient.set(phone, failure); }

  private gates = new Map<string, Promise<void>>();
  /** requests to this number wait (in flight) until the returned function is called */
  hold(phone: string): () => void {
    let release!: () => void;
    this.gates.set(phone, new Promise<void>((r) => { release = r; }));
    return () => { this.gates.delete(phone); release(); };
  }

  /** resolves with the first accepted text to `phone` from now on (for the latency bench) */
  nextMessageTo(phone: string, timeoutMs = 5000): Promise<RecordedRequest> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no text to ${phone} reached the fake Twilio server within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match: (r: RecordedRequest) => r.resource === 'Messages' && r.form.To === phone,
        resolve: (r: RecordedRequest) => { clearTimeout(timer); resolve(r); },
      };
      this.waiters.push(waiter);
    });
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hrAt = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const [path, search = ''] = (req.url ?? '').split('?');
    const match = PATH_RE.exec(path);
    const header = req.headers.authorization ?? '';
    const basic = /^Basic (.+)$/.exec(header);
    const [user, password] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
    const record: RecordedRequest = {
      at: Date.now(), hrAt, method: req.method ?? '', path, resource: match?.[2] ?? 'other', accountSid: match?.[1] ?? null,
      auth: basic ? { user, password } : null, form, status: 0,
    };
    this.requests.push(record);

    const answer = (status: number, body: unknown) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      if (status === 201) {
        const waiter = this.waiters.find((w) => w.match(record));
        if (waiter) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(record);
        }
      }
    };
    const listing = req.method === 'GET' && match?.[2] === 'Messages';
    if (!match || (req.method !== 'POST' && !listing)) return answer(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (!basic || user !== match[1]) return answer(401, { code: 20003, message: 'Authenticate', status: 401 });

    const gate = listing ? undefined : this.gates.get(form.To ?? '');
    if (gate) await gate;
    const failure = this.planned.shift() ?? this.outage ?? (listing ? undefined : this.byRecipient.get(form.To ?? ''));
    const resource = match[2];
    // accepted, answer lost: the text exists before the client hears anything
    const created = !listing && (!failure || failure.accepted) ? this.create(resource, match[1], form, record) : null;
    if (failure?.hang) {
      record.status = -2;
      return;
    }
    if (failure?.reset) {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (failure) {
      return answer(failure.status, {
        code: failure.code ?? failure.status * 100 + 0, message: failure.message ?? 'failure requested by the test',
        more_info: `https://www.twilio.com/docs/errors/${failure.code ?? ''}`, status: failure.status,
      });
    }
    if (listing) return answer(200, this.page(match[1], new URLSearchParams(search)));
    return answer(201, created);
  }

  private seq = 0;

  /** stores an accepted text or call and returns its JSON resource as Twilio's create answers it */
  private create(resource: string, accountSid: string, form: Record<string, string>, record: RecordedRequest): Record<string, unknown> {
    const sid = (resource === 'Messages' ? 'SM' : 'CA') + randomBytes(16).toString('hex');
    record.sid = sid;
    const createdAt = Date.now();
    if (resource === 'Messages') {
      this.stored.push({
        sid, accountSid, to: form.To, from: form.From, body: form.Body, createdAt, seq: this.seq++,
      });
      return { ...messageResource(this.stored[this.stored.length - 1]), status: 'queued', date_sent: null };
    }
    const now = new Date(createdAt).toUTCString();
    return {
      sid, account_sid: accountSid, to: form.To, from: form.From, date_created: now, date_updated: now,
      uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`, api_version: '2010-04-01',
      status: 'queued', direction: 'outbound-api', parent_call_sid: null, phone_number_sid: null,
      start_time: null, end_time: null, duration: null, price: null, answered_by: null, caller_name: null,
    };
  }

  /**
   * One page of GET Messages.json, as Twilio's list resource answers it: newest first,
   * filtered by To, From and DateSent (`DateSent>` is Twilio's "on or after", `DateSent<`
   * "on or before", a bare date one UTC day), `PageSize` (default 50), `Page` and `PageToken`,
   * with `next_page_uri` for the next page while there is one.
   */
  private page(accountSid: string, q: URLSearchParams): Record<string, unknown> {
    const base = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(q.get('PageSize')) || DEFAULT_PAGE_SIZE));
    const pageNo = Math.max(0, Number(q.get('Page')) || 0);
    const after = q.get('DateSent>');
    const before = q.get('DateSent<');
    const on = q.get('DateSent');
    const matching = this.stored
      .filter((m) => m.accountSid === accountSid)
      .filter((m) => !q.has('To') || m.to === q.get('To'))
      .filter((m) => !q.has('From') || m.from === q.get('From'))
      .filter((m) => after === null || m.createdAt >= dateBound(after, 'start'))
      .filter((m) => before === null || m.createdAt <= dateBound(before, 'end'))
      .filter((m) => on === null || (m.createdAt >= dateBound(on, 'start') && m.createdAt <= dateBound(on, 'end')))
      .sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
    const slice = matching.slice(pageNo * size, (pageNo + 1) * size);
    const filters = new URLSearchParams([...q].filter(([k]) => !['Page', 'PageSize', 'PageToken'].includes(k)));
    const uriOf = (n: number, token?: string) => {
      const p = new URLSearchParams(filters);
      p.set('PageSize', String(size));
      p.set('Page', String(n));
      if (token) p.set('PageToken', token);
      return `${base}?${p.toString()}`;
    };
    const more = (pageNo + 1) * size < matching.length;
    return {
      messages: slice.map(messageResource),
      end: pageNo * size + Math.max(0, slice.length - 1),
      first_page_uri: uriOf(0),
      next_page_uri: more ? uriOf(pageNo + 1, `PA${slice[slice.length - 1].sid}`) : null,
      page: pageNo,
      page_size: size,
      previous_page_uri: pageNo > 0 ? uriOf(pageNo - 1, `PB${slice[0]?.sid ?? ''}`) : null,
      start: pageNo * size,
      uri: uriOf(pageNo, q.get('PageToken') ?? undefined),
    };
  }
}

/** a stored text as Twilio's Message resource shows it once it has left (status sent) */
function messageResource(m: StoredMessage): Record<string, unknown> {
  const created = new Date(m.createdAt).toUTCString();
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    sid: m.sid, account_sid: m.accountSid, to: m.to, from: m.from, body: m.body, status: 'sent', direction: 'outbound-api',
    date_created: created, date_updated: created, date_sent: created, uri, api_version: '2010-04-01',
    num_segments: '1', num_media: '0', price: null, price_unit: 'USD', error_code: null, error_message: null,
    messaging_service_sid: null, subresource_uris: { media: `${uri.replace('.json', '')}/Media.json` },
  };
}

/** a DateSent filter value (YYYY-MM-DD, or an ISO date-time as twilio-node sends) as epoch ms */
function dateBound(value: string, edge: 'start' | 'end'): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = Date.parse(`${value}T00:00:00Z`);
    return edge === 'start' ? day : day + 86_400_000 - 1;
  }
  const t = Date.parse(value);
  // twilio-node sends whole seconds: "on or before" includes the rest of that second
  return edge === 'end' ? t + 999 : t;
}
