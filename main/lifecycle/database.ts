import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LifecycleError, isBusyError } from './errors';
import { LIFECYCLE_TABLES, MIGRATIONS, SCHEMA_VERSION } from './migrations';
import { shimOlderSchema } from './read-only-shim';

const SQLITE_HEADER = 'SQLite format 3\0';

export interface OpenOptions {
  busyTimeoutMs: number;
  /**
   * Open so that nothing can be written at all (SQLite read-only and query_only); a file whose
   * schema is older than ours is read through TEMP views instead of being migrated.
   */
  readOnly?: boolean | undefined;
}

export interface OpenedDatabase {
  db: Database.Database;
  /** The file's own schema version (lower than ours when read-only over an older file). */
  fileVersion: number;
}

/**
 * Opens (or creates) a lifecycle database. Everything that could make us refuse the file
 * is checked with reads only, before the first write; migrations run before the switch to WAL
 * (which rewrites the header), so a refused file or a failed migration leaves it byte-identical.
 */
export function openDatabase(file: string, options: OpenOptions): OpenedDatabase {
  if (file === '' || file === ':memory:') {
    throw new LifecycleError('cannot_open', 'a lifecycle database must be a file on disk, not in memory');
  }
  refuseNonSqlite(file);
  if (options.readOnly) return openReadOnly(file, options);
  refuseUnwritable(file);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });

  return untilNotBusy(
    options.busyTimeoutMs,
    () => {
      let db: Database.Database;
      try {
        db = new Database(file, { timeout: options.busyTimeoutMs });
      } catch (err) {
        throw new LifecycleError('cannot_open', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
      }
      try {
        const version = inspect(db, file);
        if (version < SCHEMA_VERSION) migrate(db, file, version);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        return { db, fileVersion: SCHEMA_VERSION };
      } catch (err) {
        db.close();
        throw isBusyError(err) ? err : openError(err, file);
      }
    },
    file,
  );
}

/**
 * SQLite answers SQLITE_BUSY at once, without its busy handler, in a few moments of a WAL file's
 * life: while the last connection closing checkpoints and removes the -wal/-shm files, and while
 * a new one recovers them. Another process opening the file just then retries the whole open
 * (refusal checks and the migration are safe to repeat) until busy_timeout has passed.
 */
function untilNotBusy<T>(timeoutMs: number, open: () => T, file: string): T {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      return open();
    } catch (err) {
      if (!isBusyError(err)) throw err;
      if (Date.now() >= deadline) throw openError(err, file);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
    }
  }
}

function openReadOnly(file: string, options: OpenOptions): OpenedDatabase {
  if (!fs.existsSync(file))
    throw new LifecycleError('cannot_open', `${file} does not exist; a read-only open creates nothing`);
  return untilNotBusy(options.busyTimeoutMs, () => openReadOnlyOnce(file, options), file);
}

function openReadOnlyOnce(file: string, options: OpenOptions): OpenedDatabase {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs });
  } catch (err) {
    throw new LifecycleError('cannot_open', `cannot open ${file} read-only: ${(err as Error).message}`, { cause: err });
  }
  try {
    const version = inspect(db, file);
    if (version < SCHEMA_VERSION) shimOlderSchema(db);
    db.pragma('query_only = 1');
    return { db, fileVersion: version };
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN') {
      throw new LifecycleError(
        'wal_unreadable',
        `${file} is in WAL mode and its folder is not writable: SQLite cannot create the ${path.basename(file)}-shm file it needs to read it`,
        { cause: err },
      );
    }
    throw isBusyError(err) ? err : openError(err, file);
  }
}

function openError(err: unknown, file: string): unknown {
  if (err instanceof LifecycleError) return err;
  if (isBusyError(err)) {
    return new LifecycleError('locked', `${file} is locked by another process: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return new LifecycleError('cannot_open', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
}

/**
 * A healthy file we may not write (read-only file or folder) is reported as such, so the app
 * can offer a read-only open, instead of failing later as "cannot open" or "corrupt".
 */
function refuseUnwritable(file: string): void {
  const target = fs.existsSync(file) ? file : path.dirname(path.resolve(file));
  const dir = path.dirname(path.resolve(file));
  for (const p of new Set([target, dir])) {
    if (!fs.existsSync(p)) continue;
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch {
      throw new LifecycleError(
        'read_only',
        `${p === dir ? `the folder of ${file}` : file} is not writable; open it read-only to look at it`,
      );
    }
  }
}

function refuseNonSqlite(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new LifecycleError('cannot_open', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const header = Buffer.alloc(16);
    let read: number;
    try {
      read = fs.readSync(fd, header, 0, 16, 0);
    } catch (err) {
      throw new LifecycleError('cannot_open', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (read === 0) return; // an empty file is a new database
    if (read < 16 || header.toString('latin1') !== SQLITE_HEADER) {
      throw new LifecycleError('not_sqlite', `${file} is not an SQLite database; it was left untouched`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Returns the file's schema version, or throws if the file is not one we may touch. */
function inspect(db: Database.Database, file: string): number {
  let version: number;
  let tables: string[];
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").all() as { name: string }[]
    ).map((r) => r.name);
  } catch (err) {
    // Not damage: the file is locked, or SQLite may not create what it needs beside it.
    const code = (err as { code?: unknown }).code;
    if (isBusyError(err) || code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN') throw err;
    throw new LifecycleError(
      'corrupt',
      `${file} is damaged or not a database (${(err as Error).message}); it was left untouched`,
      {
        cause: err,
      },
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new LifecycleError(
      'newer_schema',
      `${file} has schema version ${version}, newer than this build understands (${SCHEMA_VERSION}); upgrade Lifecycle Desk. The file was left untouched`,
    );
  }
  const ours = LIFECYCLE_TABLES.filter((t) => tables.includes(t));
  if (ours.length === 0 && tables.length > 0) {
    throw new LifecycleError(
      'foreign_database',
      `${file} is an SQLite database without the lifecycle tables (it holds ${tables.slice(0, 5).join(', ')}); it was left untouched`,
    );
  }
  return version;
}

function migrate(db: Database.Database, file: string, from: number): void {
  const run = db.transaction(() => {
    // Read again under the write lock: another process may have migrated the file since we looked.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new LifecycleError(
        'newer_schema',
        `${file} was just upgraded to schema version ${current} by another process`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) MIGRATIONS[v]!(db);
    if (current < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  try {
    run.immediate();
  } catch (err) {
    if (isBusyError(err) || err instanceof LifecycleError) throw err;
    throw new LifecycleError(
      'migration_failed',
      `could not migrate ${file} from version ${from} to ${SCHEMA_VERSION}: ${(err as Error).message}; nothing was changed`,
      { cause: err },
    );
  }
}
