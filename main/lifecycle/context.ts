import type Database from 'better-sqlite3';
import type { LifecycleConfig } from './config';
import type { Writer } from './write';

/** What every core module works with: one connection, its statement cache, config and clock. */
export interface Core {
  readonly db: Database.Database;
  readonly config: LifecycleConfig;
  now(): number;
  /** This process's identity in claims and history ("host:pid:random"). */
  readonly owner: string;
  /** When this process opened the core; rows it queued since are live sends. */
  readonly startedAt: number;
  /** Turns this process is processing right now (the in-process registry of the SPEC). */
  readonly live: Set<string>;
  stmt(sql: string): Database.Statement;
  /** Runs `fn` as one write transaction holding the write lock from its start (see write.ts). */
  readonly write: Writer;
  /** Opened read-only: `write` refuses everything. */
  readonly readOnly: boolean;
}

export function createStatementCache(db: Database.Database): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
}

/** SQL list literal for a fixed set of status strings (constants only, never user input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(',');
}
