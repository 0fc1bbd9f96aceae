// The core suite runs on both backends: each case opens a new, empty store on a real SQLite file
// in a temp dir or on a new database of the process's throwaway PostgreSQL cluster, with a clock
// the test moves. `sql` pokes at the data directly (as a gateway would), on either backend.
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Backend, LifecycleStore, StoreOptions } from '../../main/store/contract';
import { PgStore } from '../../main/store/postgres/store';
import { SqliteStore } from '../../main/store/sqlite/store';
import { pgCluster, pgUnavailable } from './pg-cluster';
import { makeClock, tempDir, type Clock } from './temp-db';

export type CaseOptions = Omit<StoreOptions, 'now'> & { clock?: Clock };

export interface Case {
  backend: Backend;
  store: LifecycleStore;
  clock: Clock;
  /** The file path or database URL. */
  target: string;
  /** Another store (another "process") on the same data and clock; closed with the case. */
  peer(options?: Omit<CaseOptions, 'clock'>): Promise<LifecycleStore>;
  /** Reopens the data as a new process would (the old store must be closed first, or is kept). */
  reopen(options?: Omit<CaseOptions, 'clock'>): Promise<LifecycleStore>;
  /** Raw SQL with `?` placeholders (rewritten to $1… on PostgreSQL); returns the rows. */
  sql: Sql;
  close(): Promise<void>;
}

/** Raw SQL with `?` placeholders (rewritten to $1… on PostgreSQL); returns the rows. */
export type Sql = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

/** Why a backend cannot run here (a one-line skip reason), or false. */
export function unavailable(backend: Backend): string | false {
  return backend === 'postgres' ? (pgUnavailable() ?? false) : false;
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Raw SQL on the data of `store` (its own connection on SQLite, its pool on PostgreSQL). */
export function storeSql(store: LifecycleStore): Sql {
  return async <R>(sql: string, params: unknown[] = []): Promise<R[]> => {
    if (store instanceof SqliteStore) {
      const stmt = store.lc.db.prepare(sql);
      return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as R[];
    }
    // As a gateway's own SQL: not marked as our core's writes (sessionOptions), so the triggers
    // record its timeline entries and its notifications name no writer.
    const client = await (store as PgStore).pool.connect();
    try {
      await client.query("SET lifecycle.core = ''; SET lifecycle.owner = ''");
      return (await client.query(numbered(sql), params)).rows as R[];
    } finally {
      await client.query('RESET lifecycle.core; RESET lifecycle.owner').catch(() => undefined);
      client.release();
    }
  };
}

async function openAt(backend: Backend, target: string, options: StoreOptions): Promise<LifecycleStore> {
  return backend === 'sqlite' ? SqliteStore.open(target, options) : PgStore.open(target, options);
}

/** Opens a new, empty store on `backend`. */
export async function openCase(backend: Backend, options: CaseOptions = {}): Promise<Case> {
  const { clock = makeClock(), ...rest } = options;
  const target =
    backend === 'sqlite' ? path.join(tempDir(), 'message-lifecycle.db') : pgCluster().createDatabase('core');
  const opened: LifecycleStore[] = [];
  const open = async (o: Omit<CaseOptions, 'clock'>): Promise<LifecycleStore> => {
    const s = await openAt(backend, target, { ...o, now: () => clock.t });
    opened.push(s);
    return s;
  };
  const store = await open(rest);
  return {
    backend,
    store,
    clock,
    target,
    peer: (o = {}) => open(o),
    reopen: (o = {}) => open({ ...rest, ...o }),
    sql: storeSql(store),
    async close() {
      for (const s of opened.reverse()) await s.close();
    },
  };
}

/**
 * Registers `name` once per backend ("sqlite: name", "postgres: name"); a backend that cannot
 * run here is skipped with its reason. The case is closed after the test, pass or fail.
 */
export function eachBackend(
  name: string,
  fn: (c: Case, t: TestContext) => Promise<void>,
  options: CaseOptions & { timeout?: number } = {},
): void {
  const { timeout, ...caseOptions } = options;
  for (const backend of BACKENDS) {
    const skip = unavailable(backend);
    test(`${backend}: ${name}`, { skip, ...(timeout ? { timeout } : {}) }, async (t) => {
      const c = await openCase(backend, caseOptions);
      try {
        await fn(c, t);
      } finally {
        await c.close();
      }
    });
  }
}
