// Who may connect: a device with its id and secret, a bridge with its own username and
// password. Every comparison is constant-time on fixed-length digests, and an unknown id takes
// the same path as a known one (a digest compared against a digest), so neither the answer nor
// its timing tells which ids exist. Nothing here blocks the event loop: the only slow check,
// an older scrypt hash, runs on the thread pool, one at a time, and is replaced by a digest the
// first time its secret is proved.
import type { Principal } from '../devices/index.ts';
import { digest, sameDigest, storedDigest, isLegacyHash, verifySecretAsync, hashSecret } from '../store/index.ts';
import { randomBytes } from 'node:crypto';
import type { Authenticator } from './types.ts';

export interface AuthSources {
  bridges: Array<{ username: string; password: string; baseTopic: string }>;
  /**
   * What proves a device, in one look-up: the stored hash of a provisioned device (sha256$...,
   * or an older scrypt$...), which wins over the config; else a config secret's digest (kept in
   * memory only); undefined for an unknown id.
   */
  credential(deviceId: string): { stored: string } | { digest: Buffer } | undefined;
  /** store `next` in place of `previous` (an older hash whose secret was just proved) */
  upgradeHash?(deviceId: string, previous: string, next: string): void;
}

/** older hashes checked at once; more waiting than this are refused until the queue drains */
const LEGACY_CONCURRENCY = 1;
const LEGACY_QUEUE = 8;

export function createAuthenticator(sources: AuthSources): Authenticator {
  const bridges = new Map(sources.bridges.map((b) => [b.username, { digest: digest(b.password), baseTopic: b.baseTopic }]));
  // what an unknown id is compared against: the same work as a known one, and never a match
  const nobody = randomBytes(32);
  let running = 0;
  const waiting: Array<() => void> = [];

  async function legacy(deviceId: string, secret: string, stored: string): Promise<boolean> {
    if (running >= LEGACY_CONCURRENCY) {
      if (waiting.length >= LEGACY_QUEUE) return false;
      await new Promise<void>((r) => waiting.push(r));
    }
    running++;
    try {
      const ok = await verifySecretAsync(secret, stored);
      if (ok) sources.upgradeHash?.(deviceId, stored, hashSecret(secret));
      return ok;
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  return {
    async check(username: string, password: Buffer): Promise<Principal | undefined> {
      const secret = password.toString('utf8');
      const given = digest(secret);
      const bridge = bridges.get(username);
      if (bridge) return sameDigest(given, bridge.digest) ? { type: 'bridge', username, baseTopic: bridge.baseTopic } : undefined;
      const found = sources.credential(username);
      const stored = found && 'stored' in found ? found.stored : null;
      const expected = found && 'digest' in found ? found.digest : stored ? storedDigest(stored) : null;
      if (expected) return sameDigest(given, expected) ? { type: 'device', deviceId: username } : undefined;
      if (stored && isLegacyHash(stored)) return (await legacy(username, secret, stored)) ? { type: 'device', deviceId: username } : undefined;
      sameDigest(given, nobody);
      return undefined;
    },
  };
}
