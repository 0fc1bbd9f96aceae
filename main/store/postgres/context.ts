import { createHash } from 'node:crypto';
import pg from 'pg';
import type { StuckThresholds } from '../../../shared/stuck';
import type { LifecycleConfig } from '../../lifecycle/config';
import { LifecycleError } from '../../lifecycle/errors';

// What every PostgreSQL module works with: the pool, config, identity, and the clock. Without an
// injected clock, "now" is the database server's (SQL_NOW), read once per transaction, so that
// nodes whose clocks differ agree on leases and due times.

/** The server's clock in ms since the epoch. */
export const SQL_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

export interface PgCore {
  readonly pool: pg.Pool;
  readonly config: LifecycleConfig;
  readonly stuck: StuckThresholds;
  /** This process's identity in claims and history. */
  readonly owner: string;
  /** When this process opened the store (by the store's clock); rows it queued since are live sends. */
  readonly startedAt: number;
  /** Turns this process is processing right now (the in-process registry of the SPEC). */
  readonly live: Set<string>;
  readonly readOnly: boolean;
  /** The URL without its password. */
  readonly location: string;
  /** The injected clock, if any (tests); else the server's clock is used. */
  readonly clock: (() => number) | undefined;
  /** The server's clock as seen from here, so that a plain read needs no round trip for it. */
  readonly serverClock: ServerClock;
}

/**
 * The server's clock minus ours, measured by every transaction's BEGIN (and by a read when the
 * last measure is old). Writes always use the server's own reading; a read's "now" only decides
 * what looks stuck, where an error of one round trip does not matter.
 */
export interface ServerClock {
  offsetMs: number;
  /** Our clock when offsetMs was measured; 0 = never. */
  measuredAt: number;
}

/** How long a measured offset serves plain reads before a read measures it again. */
const CLOCK_FRESH_MS = 60_000;

export function newServerClock(): ServerClock {
  return { offsetMs: 0, measuredAt: 0 };
}

/** Records the server's reading `serverNow`, taken between our clock's `before` and now. */
export function measured(clock: ServerClock, serverNow: number, before: number): number {
  const after = Date.now();
  clock.offsetMs = serverNow - (before + after) / 2;
  clock.measuredAt = after;
  return serverNow;
}

/** One connection inside one transaction (or a plain read), with the transaction's "now". */
export interface Tx {
  /** Now, by the store's clock, fixed for the whole transaction. */
  readonly now: number;
  all<R>(sql: string, params?: unknown[]): Promise<R[]>;
  one<R>(sql: string, params?: unknown[]): Promise<R | undefined>;
  /** Rows changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

/** BIGINT (int8) and COUNT results as JS numbers: every time and count fits in 2^53. */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

const names = new Map<string, string>();

/**
 * A named (prepared) statement: each connection plans it once instead of at every call, which
 * is most of the server's work for the core's CTEs. Our SQL texts are fixed (values are always
 * parameters), so the names are few.
 */
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `lc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return { name, text, values };
}

function wrap(client: pg.PoolClient, now: number): Tx {
  return {
    now,
    async all<R>(sql: string, params: unknown[] = []) {
      return (await client.query(prepared(sql, params))).rows as R[];
    },
    async one<R>(sql: string, params: unknown[] = []) {
      return (await client.query(prepared(sql, params))).rows[0] as R | undefined;
    },
    async run(sql: string, params: unknown[] = []) {
      return (await client.query(prepared(sql, params))).rowCount ?? 0;
    },
  };
}

/** SQLSTATEs after which the whole transaction is simply run again. */
const RETRY = new Set(['40001', '40P01']);
const MAX_RETRIES = 5;

/** The driver's or server's error as the core's error codes, where one applies. */
export function asLifecycleError(err: unknown, core: Pick<PgCore, 'location'>): unknown {
  if (err instanceof LifecycleError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err as Error)?.message ?? String(err);
  if (code === '25006')
    return new LifecycleError('read_only', `${core.location} cannot be written: ${message}`, { cause: err });
  if (code === '55P03' || code === '57014')
    return new LifecycleError(
      'locked',
      `${core.location} stayed locked past the lock timeout; nothing was written (${message})`,
      {
        cause: err,
      },
    );
  return err;
}

async function nowOf(core: PgCore, client: pg.PoolClient): Promise<number> {
  if (core.clock) return core.clock();
  const local = Date.now();
  const sc = core.serverClock;
  if (sc.measuredAt > 0 && local - sc.measuredAt < CLOCK_FRESH_MS) return Math.round(local + sc.offsetMs);
  const r = await client.query<{ now: number }>(`SELECT ${SQL_NOW} AS now`);
  return measured(sc, r.rows[0]!.now, local);
}

/**
 * Opens the transaction and reads its clock in one round trip (simple protocol, no parameters).
 * That the writes are our core's, and whose, is set once per connection (sessionOptions).
 */
async function begin(core: PgCore, client: pg.PoolClient): Promise<number> {
  if (core.clock) {
    await client.query('BEGIN');
    return core.clock();
  }
  const before = Date.now();
  const results = (await client.query(`BEGIN; SELECT ${SQL_NOW} AS now`)) as unknown as pg.QueryResult<{
    now: number;
  }>[];
  return measured(core.serverClock, results[1]!.rows[0]!.now, before);
}

/** A startup option value, with the backslash and space escaped as the server's parser wants. */
const optionValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');

/**
 * The settings of each of our pool's connections: `lifecycle.core` tells the history triggers
 * that our core records the entries of its writes itself (with who and why; every other
 * writer's they record), `lifecycle.owner` names this process in change notifications, so a
 * watcher can tell its own writes from others'. Set at connection start: no round trip per
 * transaction.
 */
export function sessionOptions(owner: string): string {
  return `-c lifecycle.core=on -c lifecycle.owner=${optionValue(owner)}`;
}

/**
 * Runs `fn` as one READ COMMITTED transaction on a pooled connection; every guarded UPDATE
 * re-checks its WHERE on the row's latest version, and rows read to decide are locked (FOR
 * UPDATE). Deadlocks and serialization failures run the whole transaction again.
 */
export async function tx<T>(core: PgCore, fn: (t: Tx) => Promise<T>): Promise<T> {
  if (core.readOnly) {
    throw new LifecycleError('read_only', `${core.location} is open read-only: nothing can be written`);
  }
  for (let attempt = 0; ; attempt++) {
    const client = await core.pool.connect();
    let release: Error | boolean = false;
    try {
      const t = wrap(client, await begin(core, client));
      const value = await fn(t);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        release = rollbackError as Error; // a broken connection is not returned to the pool
      }
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && RETRY.has(code) && attempt < MAX_RETRIES) continue;
      throw asLifecycleError(err, core);
    } finally {
      client.release(release);
    }
  }
}

/** A read on a pooled connection (no transaction: each statement sees the latest commits). */
export async function read<T>(core: PgCore, fn: (t: Tx) => Promise<T>): Promise<T> {
  const client = await core.pool.connect();
  try {
    return await fn(wrap(client, await nowOf(core, client)));
  } catch (err) {
    throw asLifecycleError(err, core);
  } finally {
    client.release();
  }
}

/** SQL list literal for a fixed set of status strings (constants only, never user input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(',');
}
