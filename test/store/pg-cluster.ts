// A throwaway PostgreSQL cluster for tests and benchmarks: Debian's server binaries, a data
// directory and a unix socket directory in a temp folder, a free TCP port on 127.0.0.1, trust
// authentication. Run as the `postgres` user when we are root (the server refuses root).
// Stopped and removed by stop(); nothing is left behind on the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface Cluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export const INSTALL_HINT = 'PostgreSQL is required for the store tests: apt-get install postgresql';

/** the newest installed server's bin directory (PG_BINDIR overrides) */
export function serverBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error(INSTALL_HINT);
  return join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startCluster(options: { fsync?: boolean } = {}): Promise<Cluster> {
  const bin = serverBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'gateway-pg-'));
  const data = join(dir, 'data');
  // as root the server runs as postgres, which must own the folder it writes to
  let run = (cmd: string, args: string[]) => execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    run = (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe', cwd: dir });
  }
  try {
    run('initdb', ['-D', data, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  const fsync = options.fsync ?? true;
  let port = 0;
  let lastError = '';
  // the port is free when probed and may be taken before the server binds it: try a few
  for (let attempt = 0; attempt < 4; attempt++) {
    port = await freePort();
    const opts = [
      `-p ${port}`, `-k ${dir}`, `-c listen_addresses=127.0.0.1`, `-c max_connections=200`,
      `-c fsync=${fsync ? 'on' : 'off'}`, `-c synchronous_commit=${fsync ? 'on' : 'off'}`,
    ].join(' ');
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      lastError = '';
      break;
    } catch (err) {
      lastError = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : String(err);
    }
  }
  if (lastError) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${lastError}`);
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // immediate: a test cluster keeps nothing worth a clean shutdown checkpoint
      const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
      if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore', cwd: dir });
      else spawnSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For benchmarks: a cluster with fsync on (a commit costs what it costs on a real server's disk)
 * and `newDatabase()`, an empty database of it for each store or gateway a run opens.
 */
export async function startBenchCluster(): Promise<{ newDatabase(): Promise<string>; stop(): Promise<void> }> {
  const cluster = await startCluster({ fsync: true });
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  let made = 0;
  return {
    async newDatabase() {
      const name = `bench_${++made}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(cluster.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      await admin.end();
      await cluster.stop();
    },
  };
}
