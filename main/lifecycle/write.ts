import type Database from 'better-sqlite3';
import { LifecycleError, isBusyError, isReadOnlyError } from './errors';

/**
 * Runs `fn` as one write transaction that takes the write lock before its first read
 * (BEGIN IMMEDIATE), so `busy_timeout` applies: in WAL mode a deferred transaction that read
 * first cannot wait for the lock and fails at once with SQLITE_BUSY(_SNAPSHOT). Inside a caller's
 * own open transaction it is a savepoint of it. Inside another write of ours (a core function
 * calling another, or a group commit's batch) it runs as part of that write, without a savepoint
 * of its own: the enclosing write undoes all of it if anything throws, and a savepoint per nested
 * call costs a copy of every page it touches. A write that still cannot get the lock after the
 * timeout is reported as `locked`, never swallowed.
 */
export interface Writer {
  <T>(fn: () => T): T;
  /**
   * Runs `fn` as part of a transaction the caller opened and undoes whole if `fn` throws (group
   * commit's batch): the writes `fn` makes through this writer take no savepoint of their own.
   */
  within<T>(fn: () => T): T;
}

export function createWriter(db: Database.Database, describe: () => string, readOnly = false): Writer {
  if (readOnly) {
    const refuse = (): never => {
      throw new LifecycleError('read_only', `${describe()} is open read-only: nothing can be written`);
    };
    return Object.assign(refuse, { within: refuse }) as Writer;
  }
  // Made once: db.transaction() builds its wrappers per call, several µs each.
  const tx = db.transaction((fn: () => unknown) => fn());
  /** How many writes of ours are running now (nested calls, or a batch's `within`). */
  let depth = 0;
  const within = <T>(fn: () => T): T => {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  };
  const write = <T>(fn: () => T): T => {
    if (depth > 0) return fn();
    depth++;
    try {
      return tx.immediate(fn) as T;
    } catch (err) {
      throw asLocked(err, describe);
    } finally {
      depth--;
    }
  };
  return Object.assign(write, { within }) as Writer;
}

/** A busy/locked SQLite error as the core's `locked` error; anything else unchanged. */
export function asLocked(err: unknown, describe: () => string): unknown {
  if (isReadOnlyError(err)) {
    return new LifecycleError('read_only', `${describe()} cannot be written: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!isBusyError(err)) return err;
  return new LifecycleError(
    'locked',
    `${describe()} stayed locked by another writer past the busy timeout; nothing was written (${(err as Error).message})`,
    { cause: err },
  );
}
