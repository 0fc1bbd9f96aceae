// A throwaway PostgreSQL cluster for tests and benches: Debian's `postgresql` binaries, initdb
// in a temp dir as the non-root `postgres` user (PostgreSQL refuses to run as root), listening
// on a unix socket in that dir only, stopped and removed when the process exits. Each caller
// gets a database of its own in the one cluster of this process.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

export interface Cluster {
  /** The socket directory (the `host` of a URL). */
  socketDir: string;
  port: number;
  /** URL of a database in this cluster. */
  url(database: string): string;
  /** Creates a new empty database and returns its URL. */
  createDatabase(prefix?: string): string;
}

function binDir(): string | undefined {
  const fromEnv = process.env.LIFECYCLE_PG_BIN;
  if (fromEnv && fs.existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  return BIN_DIRS.find((d) => fs.existsSync(path.join(d, 'initdb')));
}

/** Why PostgreSQL tests cannot run here, or null when they can (a one-line reason for `skip`). */
export function pgUnavailable(): string | null {
  if (process.env.LIFECYCLE_PG_URL) return null;
  if (!binDir()) return 'no PostgreSQL binaries (apt-get install postgresql)';
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0)
    return 'running as root without a postgres user to run the cluster as';
  return null;
}

let cluster: Cluster | undefined;

const PREFIX = 'lifecycle-pg-';
/** The pid of the process that made a cluster: one whose maker died (killed, timed out) is an orphan. */
const CREATOR = 'creator.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops and removes the clusters of test processes that died without stopping theirs. */
function removeOrphans(bin: string): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    let creator: number;
    try {
      creator = Number(fs.readFileSync(path.join(dir, CREATOR), 'utf8'));
    } catch {
      continue; // still being made, or not one of ours
    }
    if (!Number.isSafeInteger(creator) || alive(creator)) continue;
    try {
      asUser(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
let seq = 0;

/** The user to run the server as: postgres when we are root (it refuses root), else ourselves. */
function asUser(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

function psql(socketDir: string, port: number, sql: string): void {
  const bin = binDir()!;
  asUser(path.join(bin, 'psql'), [
    '-h',
    socketDir,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '-qAtc',
    sql,
  ]);
}

/**
 * The cluster of this process (started on first use). With LIFECYCLE_PG_URL set, that server is
 * used instead (its role must be allowed to CREATE DATABASE).
 */
export function pgCluster(): Cluster {
  if (cluster) return cluster;
  const external = process.env.LIFECYCLE_PG_URL;
  if (external) {
    const base = new URL(external);
    const make = (database: string): string => {
      const u = new URL(base);
      u.pathname = `/${database}`;
      return u.toString();
    };
    cluster = {
      socketDir: base.hostname,
      port: Number(base.port || 5432),
      url: make,
      createDatabase(prefix = 'lc') {
        const name = `${prefix}_${process.pid}_${++seq}`;
        execFileSync('psql', [external, '-qAtc', `CREATE DATABASE ${name}`]);
        return make(name);
      },
    };
    return cluster;
  }
  const bin = binDir();
  if (!bin) throw new Error(pgUnavailable() ?? 'no PostgreSQL');
  removeOrphans(bin);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  fs.writeFileSync(path.join(dir, CREATOR), String(process.pid));
  fs.chmodSync(dir, 0o777);
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  asUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // A port of our own (derived from the pid, probed below); only the socket listens.
  let port = 20_000 + (process.pid % 20_000);
  const opts = (p: number): string =>
    `-c listen_addresses='' -c unix_socket_directories='${dir}' -p ${p} -c fsync=on -c synchronous_commit=on ` +
    `-c max_connections=200 -c shared_buffers=128MB`;
  for (let tries = 0; ; tries++) {
    try {
      asUser(path.join(bin, 'pg_ctl'), [
        '-D',
        data,
        '-l',
        path.join(dir, 'log'),
        '-w',
        '-t',
        '60',
        '-o',
        opts(port),
        'start',
      ]);
      break;
    } catch (err) {
      if (tries >= 5)
        throw new Error(`could not start PostgreSQL: ${String((err as { stderr?: string }).stderr ?? err)}`);
      port += 1;
    }
  }
  const stop = (): void => {
    try {
      asUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const url = (database: string): string =>
    `postgres://postgres@localhost:${port}/${database}?host=${encodeURIComponent(dir)}`;
  cluster = {
    socketDir: dir,
    port,
    url,
    createDatabase(prefix = 'lc') {
      const name = `${prefix}_${process.pid}_${++seq}`;
      psql(dir, port, `CREATE DATABASE ${name}`);
      return url(name);
    },
  };
  return cluster;
}
