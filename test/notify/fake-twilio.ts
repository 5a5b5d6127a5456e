// A small Twilio-compatible HTTP server on loopback: it answers the Messages and Calls APIs the
// way api.twilio.com does (201 with a JSON resource, or Twilio's error JSON), records every
// request, and can be told to fail. The real `twilio` package talks to it via twilio.apiBaseUrl.
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
}

const PATH_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/;

export class FakeTwilio {
  readonly requests: RecordedRequest[] = [];
  private server: Server | null = null;
  private planned: Failure[] = [];
  private outage: Failure | null = null;
  private byRecipient = new Map<string, Failure>();
  private waiters: Array<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = [];
  url = '';

  /** the accepted texts, in order */
  get messages(): RecordedRequest[] { return this.requests.filter((r) => r.resource === 'Messages' && r.status === 201); }
  get calls(): RecordedRequest[] { return this.requests.filter((r) => r.resource === 'Calls' && r.status === 201); }
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
    const path = (req.url ?? '').split('?')[0];
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
    if (req.method !== 'POST' || !match) return answer(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (!basic || user !== match[1]) return answer(401, { code: 20003, message: 'Authenticate', status: 401 });

    const gate = this.gates.get(form.To ?? '');
    if (gate) await gate;
    const failure = this.planned.shift() ?? this.outage ?? this.byRecipient.get(form.To ?? '');
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
    const resource = match[2];
    const sid = (resource === 'Messages' ? 'SM' : 'CA') + randomBytes(16).toString('hex');
    record.sid = sid;
    const now = new Date().toUTCString();
    const common = {
      sid, account_sid: match[1], to: form.To, from: form.From, date_created: now, date_updated: now,
      uri: `/2010-04-01/Accounts/${match[1]}/${resource}/${sid}.json`, api_version: '2010-04-01',
    };
    if (resource === 'Messages') {
      return answer(201, {
        ...common, body: form.Body, status: 'queued', direction: 'outbound-api', num_segments: '1', num_media: '0',
        price: null, price_unit: 'USD', error_code: null, error_message: null, messaging_service_sid: null, date_sent: null,
        subresource_uris: { media: `${common.uri.replace('.json', '')}/Media.json` },
      });
    }
    return answer(201, {
      ...common, status: 'queued', direction: 'outbound-api', parent_call_sid: null, phone_number_sid: null,
      start_time: null, end_time: null, duration: null, price: null, answered_by: null, caller_name: null,
    });
  }
}
