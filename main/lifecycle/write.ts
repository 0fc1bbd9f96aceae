import type Database from 'better-sqlite3';
import { LifecycleError, isBusyError, isReadOnlyError } from './errors';

/**
 * Runs `fn` as one write transaction that takes the write lock before its first read
 * (BEGIN IMMEDIATE), so `busy_timeout` applies: in WAL mode a deferred transaction that read
 * first cannot wait for the lock and fails at once with SQLITE_BUSY(_SNAPSHOT). Inside an open
 * transaction (group commit, or a caller's own) it is a savepoint of it. A write that still
 * cannot get the lock after the timeout is reported as `locked`, never swallowed.
 */
export type Writer = <T>(fn: () => T) => T;

export function createWriter(db: Database.Database, describe: () => string, readOnly = false): Writer {
  if (readOnly) {
    return () => {
      throw new LifecycleError('read_only', `${describe()} is open read-only: nothing can be written`);
    };
  }
  // Made once: db.transaction() builds its wrappers per call, several µs each.
  const tx = db.transaction((fn: () => unknown) => fn());
  return <T>(fn: () => T): T => {
    try {
      return tx.immediate(fn) as T;
    } catch (err) {
      throw asLocked(err, describe);
    }
  };
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
