// The format device secrets were stored in before: scrypt (N=16384, r=8, p=1), as
// `scrypt$N$salt$hash` in base64. Kept here, outside src/, so a test can plant an old hash.
import { randomBytes, scryptSync } from 'node:crypto';

export function hashSecretScrypt(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$${salt.toString('base64')}$${hash.toString('base64')}`;
}
