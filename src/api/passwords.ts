// Passwords of the people who sign in: scrypt (memory-hard: N = 2^15, r = 8 is 32 MiB a hash),
// run on libuv's thread pool so a sign-in never blocks the event loop that carries alarms, and
// at most two at a time so a flood of sign-ins costs at most 64 MiB and two threads. The
// parameters are stored with each hash, so they can be raised later without locking anyone out.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MAX_RUNNING = 2;
/** sign-ins waiting for a hash beyond this are refused (the caller answers 503) */
const MAX_WAITING = 32;

let running = 0;
const waiting: Array<() => void> = [];

export class HashQueueFull extends Error {}

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) {
    if (waiting.length >= MAX_WAITING) throw new HashQueueFull('too many sign-ins at once');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  return slot(() => new Promise((resolve, reject) => {
    // NFKC: the same password typed on a phone's full-width keyboard is the same password
    scrypt(password.normalize('NFKC'), salt, length, { ...params, maxmem: 128 * params.N * params.r * 2 }, (err, key) => (err ? reject(err) : resolve(key)));
  }));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT, KEY_LENGTH);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** a hash of nothing anyone knows: unknown usernames are checked against it, so timing tells nothing */
let decoy: Promise<string> | null = null;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const hash = stored ?? await (decoy ??= hashPassword(randomBytes(16).toString('hex')));
  const [scheme, n, r, p, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (![params.N, params.r, params.p].every((x) => Number.isInteger(x) && x > 0) || params.N > 2 ** 20) return false;
  const actual = await derive(password, Buffer.from(salt, 'base64'), params, expected.length);
  return timingSafeEqual(actual, expected) && stored !== null;
}
