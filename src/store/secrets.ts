// Device secrets are stored only as digests; comparisons are constant-time.
//
// A secret the gateway generates is 256 random bits, so a plain SHA-256 digest is as strong a
// store for it as a slow hash (nobody can search 2^256 candidates), and checking it takes a
// microsecond instead of the ~30 ms of scrypt that, run on every CONNECT, let a flood of wrong
// passwords stall the event loop. No key is mixed in: it would add a file that every machine of
// a site must share and back up, and protect nothing a 256-bit secret does not already.
//
// Hashes written before ("scrypt$N$salt$hash") are still accepted, checked off the event loop
// (verifySecretAsync), and stored again as digests once their secret has been proved.
import { randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto';

const DIGEST_PREFIX = 'sha256$';

/** A fixed-length digest so that two secrets of different lengths still compare in constant time. */
export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** what the store keeps for a secret */
export function hashSecret(secret: string): string {
  return DIGEST_PREFIX + digest(secret).toString('base64url');
}

/** the digest inside a stored hash, or null for an older (scrypt) hash or garbage */
export function storedDigest(stored: string): Buffer | null {
  if (!stored.startsWith(DIGEST_PREFIX)) return null;
  const d = Buffer.from(stored.slice(DIGEST_PREFIX.length), 'base64url');
  return d.length === 32 ? d : null;
}

/** an older hash that should be stored again as a digest once its secret is proved */
export function isLegacyHash(stored: string): boolean {
  return stored.startsWith('scrypt$');
}

/** for digests only (synchronous, microseconds); an older hash answers false here, see verifySecretAsync */
export function verifySecret(secret: string, stored: string): boolean {
  const d = storedDigest(stored);
  return d !== null && sameDigest(digest(secret), d);
}

/** any stored form; an older scrypt hash is computed on libuv's thread pool, never on the event loop */
export function verifySecretAsync(secret: string, stored: string): Promise<boolean> {
  if (!isLegacyHash(stored)) return Promise.resolve(verifySecret(secret, stored));
  const [, n, salt, hash] = stored.split('$');
  const N = Number(n);
  const expected = Buffer.from(hash ?? '', 'base64');
  // refuse silly cost parameters from a tampered row rather than spend the machine on them
  if (!salt || expected.length === 0 || !Number.isInteger(N) || N < 2 || N > 1 << 17) return Promise.resolve(false);
  return new Promise((resolve) => {
    scrypt(secret, Buffer.from(salt, 'base64'), expected.length, { N, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }, (err, actual) => {
      resolve(!err && timingSafeEqual(actual, expected));
    });
  });
}

/** 256 random bits, URL-safe (43 characters) */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
