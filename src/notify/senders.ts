// Ways a text or a call leaves the gateway: the real `twilio` package, or the log
// (`sms.provider: log`, the default when Twilio is not configured; CONTRACT.md "Running").
import twilio from 'twilio';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';

type RequestOptions<TData> = import('twilio/lib/base/RequestClient.js').RequestOptions<TData>;

/** Ids of what is being sent, for logs that must not carry phone numbers or bodies. */
export interface SendRef { outboxId: number; alertId: number | null; contactId: number | null }

export interface SmsSender {
  sendSms(to: string, body: string, statusCallback?: string, ref?: SendRef): Promise<{ id: string }>;
  /** a call that plays `twiml`; without it `via: call` steps are sent as texts */
  call?(to: string, twiml: string, statusCallback?: string, ref?: SendRef): Promise<{ id: string }>;
  /**
   * Asks the provider for a text it already accepted: one to `to` with this body, created at or
   * after `since` (epoch ms), whose id `taken` does not claim for another outbox row; the oldest
   * such, or null. Absent when the provider cannot be asked (the log: nothing to reconcile).
   */
  findSms?(query: SentQuery): Promise<{ id: string } | null>;
  /**
   * How long after a request starts the provider may still be acting on it. A request cut short
   * by a crash is looked up no sooner than this after it started.
   */
  readonly settleMs?: number;
}

export interface SentQuery {
  to: string;
  body: string;
  since: number;
  /** may ask the store (a port call): an id another outbox row already owns */
  taken(id: string): boolean | Promise<boolean>;
}

/**
 * twilio-node sends every request to https://<product>.twilio.com. Its documented extension
 * point is a custom `httpClient` (advanced-examples/custom-http-client.md); this one keeps
 * the package's own RequestClient (auth, form encoding, errors) and only moves the origin,
 * so `twilio.apiBaseUrl` takes every request: /2010-04-01/Accounts/{sid}/Messages.json etc.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL;
  constructor(apiBaseUrl: string, opts: ConstructorParameters<typeof twilio.RequestClient>[0] = {}) {
    super(opts);
    this.base = new URL(apiBaseUrl);
  }
  override request<TData>(opts: RequestOptions<TData>) {
    const original = new URL(opts.uri);
    const prefix = this.base.pathname.replace(/\/$/, '');
    const uri = new URL(prefix + original.pathname + original.search, this.base.origin).href;
    return super.request<TData>({ ...opts, uri });
  }
}

export interface TwilioSettings { accountSid: string; authToken: string; from: string; apiBaseUrl?: string }

/** A hung provider must not hold a send forever: it becomes a retry. */
export const REQUEST_TIMEOUT_MS = 15_000;
/**
 * How long a create request may still be running at Twilio when its client died: Twilio answers
 * one in well under a second. A restarted gateway looks such a request up no sooner than this
 * after it started (a restart takes about as long anyway). Longer would hold back the texts that
 * did not go out; shorter would risk a look-up before Twilio has the text.
 */
const SETTLE_MS = 5_000;
/** Twilio stamps messages with its own clock, to the second: allow for that and some skew */
const CLOCK_SLACK_MS = 60_000;
/** how many of a number's newest texts a look-up reads; they are the recent ones it needs */
const LOOKUP_LIMIT = 200;

export class TwilioSender implements SmsSender {
  private readonly client: twilio.Twilio;
  readonly settleMs: number;
  /** `requestTimeoutMs`: for tests of hung providers; production keeps REQUEST_TIMEOUT_MS */
  constructor(private readonly settings: TwilioSettings & { requestTimeoutMs?: number }) {
    const { accountSid, authToken, apiBaseUrl } = settings;
    const timeout = settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.settleMs = Math.min(SETTLE_MS, timeout);
    this.client = twilio(accountSid, authToken, apiBaseUrl
      ? { httpClient: new BaseUrlRequestClient(apiBaseUrl, { timeout }) }
      : { timeout });
  }
  async sendSms(to: string, body: string, statusCallback?: string): Promise<{ id: string }> {
    const message = await this.client.messages.create({ to, from: this.settings.from, body, ...(statusCallback ? { statusCallback } : {}) });
    return { id: message.sid };
  }
  /**
   * Twilio's Messages list, filtered by To and From, newest first. Not by DateSent: a text still
   * queued at Twilio has no date_sent yet and would be missed, which is the one case that must
   * be found. Matched on the body (Twilio keeps it as sent; a trial account prefixes it, hence
   * endsWith) and on date_created; the Message resource does not carry the StatusCallback URL,
   * so the outbox id cannot be read back from it.
   */
  async findSms({ to, body, since, taken }: SentQuery): Promise<{ id: string } | null> {
    const messages = await this.client.messages.list({ to, from: this.settings.from, pageSize: 50, limit: LOOKUP_LIMIT });
    const candidates = messages
      .filter((m) => (m.direction ?? '').startsWith('outbound') && typeof m.body === 'string' && m.body.endsWith(body))
      .filter((m) => !m.dateCreated || m.dateCreated.getTime() >= since - CLOCK_SLACK_MS)
      .sort((a, b) => (a.dateCreated?.getTime() ?? 0) - (b.dateCreated?.getTime() ?? 0));
    for (const m of candidates) if (!(await taken(m.sid))) return { id: m.sid };
    return null;
  }
  async call(to: string, twiml: string, statusCallback?: string): Promise<{ id: string }> {
    const call = await this.client.calls.create({
      to, from: this.settings.from, twiml,
      ...(statusCallback ? { statusCallback, statusCallbackEvent: ['completed'] } : {}),
    });
    return { id: call.sid };
  }
}

/** Texts to the log, by id only: phone numbers and bodies are personal data (STYLE.md). */
export class LogSender implements SmsSender {
  constructor(private readonly log: Logger) {}
  async sendSms(_to: string, body: string, _cb?: string, ref?: SendRef): Promise<{ id: string }> {
    this.log.info({ ...ref, channel: 'sms', chars: body.length }, 'text written to the log (sms.provider: log)');
    return { id: `log-sms-${ref?.outboxId ?? Date.now()}` };
  }
  async call(_to: string, _twiml: string, _cb?: string, ref?: SendRef): Promise<{ id: string }> {
    this.log.info({ ...ref, channel: 'call' }, 'call written to the log (sms.provider: log)');
    return { id: `log-call-${ref?.outboxId ?? Date.now()}` };
  }
}

/** twilio when asked for or when it is configured; the log otherwise. */
export function createSender(config: Config, log: Logger): SmsSender {
  const t = config.twilio;
  const configured = Boolean(t?.accountSid && t.authToken && t.from);
  const provider = config.sms.provider ?? (configured ? 'twilio' : 'log');
  if (provider === 'log') return new LogSender(log);
  if (!configured) throw new Error('sms.provider is twilio but twilio.accountSid, twilio.authToken and twilio.from are not all set');
  return new TwilioSender({ accountSid: t!.accountSid!, authToken: t!.authToken!, from: t!.from!, apiBaseUrl: t!.apiBaseUrl });
}

// Twilio's errors about the recipient: retrying cannot help (invalid or unreachable number,
// landline, opted out, region not enabled).
const PERMANENT_CODES = new Set([21211, 21214, 21217, 21401, 21407, 21408, 21421, 21601, 21610, 21612, 21614]);

/**
 * permanent: a 400 (Twilio's status for a bad recipient such as 21211) or a known recipient
 * code. Everything else — 5xx, 429, timeouts, refused or reset connections, and 401/403/404,
 * which mean a wrong account setting that a fix and a restart should still deliver — retries.
 */
/**
 * Whether a failed request may still have been carried out: no HTTP answer at all (a timeout,
 * a dropped or refused connection, a process that died). An answer with an error status means
 * the provider did not create the message.
 */
export function outcomeUnknown(err: unknown): boolean {
  return typeof (err as { status?: unknown } | null)?.status !== 'number';
}

/** the provider answered that it has no such list (a Twilio-compatible endpoint without it) */
export function lookupUnsupported(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return status === 404 || status === 405 || status === 501;
}

export function classifySendError(err: unknown): { permanent: boolean; reason: string } {
  const e = (err ?? {}) as { status?: unknown; code?: unknown };
  const code = typeof e.code === 'number' ? e.code : Number.isInteger(Number(e.code)) ? Number(e.code) : undefined;
  if (typeof e.status === 'number') {
    const permanent = e.status === 400 || (code !== undefined && PERMANENT_CODES.has(code));
    return { permanent, reason: `http ${e.status}${e.code !== undefined ? ` code ${String(e.code)}` : ''}` };
  }
  if (typeof e.code === 'string') return { permanent: false, reason: e.code };
  return { permanent: false, reason: err instanceof Error ? err.name : 'unknown error' };
}
