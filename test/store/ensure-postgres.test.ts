// npm test needs a PostgreSQL server for the store tests: scripts/ensure-postgres.sh finds it,
// installs it when it can (root, apt-get), and otherwise stops with one line saying how.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { INSTALL_HINT, serverBinDir } from './pg-cluster.ts';

const asRoot = process.getuid?.() === 0;

function ensure(env: Record<string, string>) {
  // as a user who cannot install (as root the script would run apt-get)
  const cmd = asRoot ? ['runuser', '-u', 'nobody', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', 'scripts/ensure-postgres.sh']
    : ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', 'scripts/ensure-postgres.sh'];
  return spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
}

describe('scripts/ensure-postgres.sh', () => {
  it('passes quietly when the server is installed', () => {
    const r = ensure({});
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(serverBinDir()).toMatch(/\/bin$/);
  });

  it('stops with a one-line instruction when it is missing and cannot be installed', () => {
    const r = ensure({ PG_ROOT: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${INSTALL_HINT}\n`);
  });
});
