import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';
import { PgStore } from '../../main/store/postgres/store';
import { pgCluster, pgUnavailable } from '../helpers/pg-cluster';
import { fullTurn } from './throughput-shared';

// PostgreSQL for the benchmarks: the helper's throwaway cluster (test/helpers/pg-cluster.ts),
// whether PgStore can run a full turn on it, its durability settings, and the server's CPU time.

export type PgBench = { ok: true; settings: string } | { ok: false; reason: string };

let probed: Promise<PgBench> | undefined;

/**
 * Whether PgStore can run here, probed once per process: not when there is no PostgreSQL, the
 * cluster does not start, or PgStore fails one full turn on a fresh database (a one-line reason).
 * When it can: the server's settings, as the store's own connections see them.
 */
export function pgBench(): Promise<PgBench> {
  probed ??= (async (): Promise<PgBench> => {
    const unavailable = pgUnavailable();
    if (unavailable) return { ok: false, reason: unavailable };
    let url: string;
    try {
      url = pgCluster().createDatabase('bench_probe');
    } catch (err) {
      return { ok: false, reason: `the PostgreSQL cluster did not start: ${firstLine(err)}` };
    }
    // The cluster is stopped on exit; Ctrl-C must be an exit too, not leave it running.
    process.once('SIGINT', () => process.exit(130));
    try {
      const store = await PgStore.open(url, { poolSize: 1 });
      try {
        await fullTurn(store, 'probe')(0);
        return { ok: true, settings: await pgSettings(store.pool) };
      } finally {
        await store.close();
      }
    } catch (err) {
      return { ok: false, reason: `PgStore failed a full turn: ${firstLine(err)}` };
    }
  })();
  return probed;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/** The settings that decide durability and commit cost, as the store's own connections see them. */
async function pgSettings(pool: pg.Pool): Promise<string> {
  const version = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const rows = (
    await pool.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'commit_delay',
                      'shared_buffers', 'max_connections')
       ORDER BY name`,
    )
  ).rows;
  const shown = rows.map((r) =>
    r.name === 'shared_buffers' && r.unit === '8kB'
      ? `${r.name}=${(Number(r.setting) * 8) / 1024}MB`
      : `${r.name}=${r.setting}${r.unit ?? ''}`,
  );
  return `PostgreSQL ${version}: ${shown.join(', ')}`;
}

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

interface ProcStat {
  ppid: number;
  /** user + system, this process. */
  own: number;
  /** user + system of its children that exited and were waited for. */
  reaped: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or not on this machine
  }
  // Fields after "(comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based.
  const f = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return { ppid: f[1]!, own: f[11]! + f[12]!, reaped: f[13]! + f[14]! };
}

/** The server's processes: the postmaster, and every process it started (backends, WAL writer…). */
export interface ServerCpu {
  /** CPU ms (user + system) the server has used so far, exited backends included. */
  cpuMs(): number;
  /** How many processes the postmaster runs now. */
  children(): number;
}

/**
 * Reads the server's CPU time from /proc, when the server runs on this machine (the helper's
 * cluster does); undefined when it cannot be seen (LIFECYCLE_PG_URL elsewhere).
 */
export async function serverCpu(url: string): Promise<ServerCpu | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let postmaster: number | undefined;
  try {
    // Read while connected: the backend exits with its connection.
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    postmaster = procStat(backend)?.ppid;
  } finally {
    await client.end();
  }
  if (postmaster === undefined || procStat(postmaster) === undefined) return undefined;
  const childStats = (): ProcStat[] =>
    fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map((name) => procStat(Number(name)))
      .filter((s): s is ProcStat => s !== undefined && s.ppid === postmaster);
  return {
    cpuMs() {
      const main = procStat(postmaster)!;
      const ticks = main.own + main.reaped + childStats().reduce((n, s) => n + s.own + s.reaped, 0);
      return ticks * TICK_MS;
    },
    children: () => childStats().length,
  };
}
