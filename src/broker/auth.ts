// Who may connect: a device with its id and secret, a bridge with its own username and
// password. Every comparison is constant-time on fixed-length digests.
import type { Principal } from '../devices/index.ts';
import { digest, sameDigest, verifySecret } from '../store/index.ts';
import type { Authenticator } from './types.ts';

export interface AuthSources {
  bridges: Array<{ username: string; password: string; baseTopic: string }>;
  /** config devices: the secret's digest, kept in memory only */
  configSecret(deviceId: string): Buffer | undefined;
  /** provisioned devices: the stored scrypt hash */
  storedHash(deviceId: string): string | null | undefined;
}

export function createAuthenticator(sources: AuthSources): Authenticator & { forget(deviceId: string): void } {
  const bridges = new Map(sources.bridges.map((b) => [b.username, { digest: digest(b.password), baseTopic: b.baseTopic }]));
  // scrypt costs ~40 ms; a device that reconnects is checked against the digest it proved last time
  const verified = new Map<string, Buffer>();

  return {
    check(username: string, password: Buffer): Principal | undefined {
      const given = digest(password.toString('utf8'));
      const bridge = bridges.get(username);
      if (bridge) return sameDigest(given, bridge.digest) ? { type: 'bridge', username, baseTopic: bridge.baseTopic } : undefined;
      const fromConfig = sources.configSecret(username);
      if (fromConfig) return sameDigest(given, fromConfig) ? { type: 'device', deviceId: username } : undefined;
      const cached = verified.get(username);
      if (cached) return sameDigest(given, cached) ? { type: 'device', deviceId: username } : undefined;
      const hash = sources.storedHash(username);
      if (!hash) return undefined;
      if (!verifySecret(password.toString('utf8'), hash)) return undefined;
      verified.set(username, given);
      return { type: 'device', deviceId: username };
    },
    /** a device's secret changed or it was removed */
    forget(deviceId: string): void { verified.delete(deviceId); },
  };
}
