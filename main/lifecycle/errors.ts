/** Every failure the core reports on purpose carries a stable code the API and CLI can show. */
export type LifecycleErrorCode =
  | 'not_sqlite'
  | 'corrupt'
  | 'foreign_database'
  | 'newer_schema'
  | 'locked'
  /** The file is open read-only, or cannot be written (read-only file or folder). */
  | 'read_only'
  /** A WAL file in a folder we cannot write: SQLite cannot create the -shm file it needs to read it. */
  | 'wal_unreadable'
  | 'cannot_open'
  | 'migration_failed'
  | 'not_found'
  | 'invalid_state'
  | 'turn_aborted'
  | 'invalid_argument'
  /** Not available on this backend or in this version. */
  | 'unavailable';

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // SQLITE_BUSY and its extended codes (_SNAPSHOT, _RECOVERY, _TIMEOUT).
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED');
}

export function isReadOnlyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_READONLY');
}
