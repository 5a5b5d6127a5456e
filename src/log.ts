// One root pino logger; modules take children. Secrets and personal data are redacted by path.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'headers.authorization',
  '*.password', '*.secret', '*.token', '*.authToken', '*.phone', '*.to', '*.from', '*.body', '*.notes',
  'password', 'secret', 'token', 'authToken', 'phone',
];

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'gateway' },
  };
  return opts.destination ? pino(options, opts.destination as never) : pino(options);
}

export type { Logger };
