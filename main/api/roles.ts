import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DbRole } from '../../shared/api';
import { DEMO_CONFIG } from '../demo/gateway';
import { LifecycleError } from '../lifecycle/errors';
import { SCHEMA_VERSION } from '../lifecycle/migrations';
import type { LifecycleStore } from '../store/contract';
import { isPostgresUrl } from '../store/location';
import { PgStore } from '../store/postgres/store';
import { SqliteStore } from '../store/sqlite/store';
import type { EngineData } from './protocol';

// How the engine opens a file: the role the person asked for (SPEC "Who writes the file"),
// or read-only with the reason when the file cannot be written or migrated.

export interface Opened {
  store: LifecycleStore;
  role: DbRole;
  roleReason: string;
}

/** A PostgreSQL database is shared by many nodes: observed, recovered or read like a file, never a demo. */
async function openPostgres(data: EngineData): Promise<Opened> {
  if (data.demo) {
    throw new LifecycleError('invalid_argument', 'the demo runs on a SQLite file of its own, not on PostgreSQL');
  }
  if (data.readOnly) {
    return {
      store: await PgStore.open(data.dbPath, { readOnly: true }),
      role: 'read-only',
      roleReason: 'opened read-only as asked: nothing can be written',
    };
  }
  const store = await PgStore.open(data.dbPath, {});
  return data.recover
    ? {
        store,
        role: 'recovering',
        roleReason:
          'you asked this app to run the recovery worker: it expires, finalizes, terminalizes and prunes in this database, beside the gateway nodes',
      }
    : {
        store,
        role: 'observer',
        roleReason: 'gateway nodes own this database: nothing is written except the actions you confirm',
      };
}

/**
 * Opens the file in the role the person asked for. A file the core may not write (a read-only
 * file or folder) or cannot migrate is opened read-only instead, with the reason as the role's.
 */
export async function openInRole(data: EngineData): Promise<Opened> {
  if (isPostgresUrl(data.dbPath)) return openPostgres(data);
  return openSqlite(data);
}

function openSqlite(data: EngineData): Opened {
  if (data.demo) {
    return {
      store: SqliteStore.open(data.dbPath, { config: DEMO_CONFIG }),
      role: 'demo',
      roleReason: 'a demo database fed by the simulated gateway and recovered by this app',
    };
  }
  const readOnly = (reason: string): Opened => {
    try {
      return { store: SqliteStore.open(data.dbPath, { readOnly: true }), role: 'read-only', roleReason: reason };
    } catch (err) {
      if (!(err instanceof LifecycleError && err.code === 'wal_unreadable')) throw err;
      // Better a labelled copy of the real file than nothing: it does not follow later writes.
      const copy = snapshotCopy(data.dbPath);
      return {
        store: SqliteStore.open(copy, { readOnly: true }),
        role: 'read-only',
        roleReason: `${reason}; ${err.message}, so this is a copy made at ${new Date().toISOString()} (${copy}): it does not show later writes`,
      };
    }
  };
  if (data.readOnly) return readOnly('opened read-only as asked: nothing can be written');
  try {
    // Not even the planner's statistics: an observer writes nothing a person did not ask for.
    const store = SqliteStore.open(data.dbPath, { optimizeOnClose: data.recover === true });
    return data.recover
      ? {
          store,
          role: 'recovering',
          roleReason:
            'you asked this app to run the recovery worker: it expires, finalizes, terminalizes and prunes in this file',
        }
      : {
          store,
          role: 'observer',
          roleReason: 'another process owns this file: nothing is written except the actions you confirm',
        };
  } catch (err) {
    if (err instanceof LifecycleError && (err.code === 'read_only' || err.code === 'migration_failed')) {
      const shim = SCHEMA_VERSION;
      const opened = readOnly(`opened read-only because ${err.message}`);
      if (opened.store.fileVersion < shim) {
        opened.roleReason += `; the file has schema version ${opened.store.fileVersion}, so counts are computed on each read and the per-minute chart is empty`;
      }
      return opened;
    }
    throw err;
  }
}

/**
 * The reader thread's store: a read-only connection of its own to the file the engine opened,
 * with the engine's configuration and identity (so liveness tells the engine's heartbeat as
 * `self`). It writes nothing, not even the planner's statistics on close.
 */
export function openReader(file: string, demo: boolean, owner: string): SqliteStore {
  return SqliteStore.open(file, { readOnly: true, owner, ...(demo ? { config: DEMO_CONFIG } : {}) });
}

/** Copies the file and its WAL into a new temp folder, where SQLite may create the -shm file. */
function snapshotCopy(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-snapshot-'));
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
  return copy;
}
