import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DbRole } from '../../shared/api';
import { DEMO_CONFIG } from '../demo/gateway';
import { LifecycleError } from '../lifecycle/errors';
import { Lifecycle } from '../lifecycle/lifecycle';
import { SCHEMA_VERSION } from '../lifecycle/migrations';
import type { EngineData } from './protocol';

// How the engine opens a file: the role the person asked for (SPEC "Who writes the file"),
// or read-only with the reason when the file cannot be written or migrated.

export interface Opened {
  lc: Lifecycle;
  role: DbRole;
  roleReason: string;
}

/**
 * Opens the file in the role the person asked for. A file the core may not write (a read-only
 * file or folder) or cannot migrate is opened read-only instead, with the reason as the role's.
 */
export function openInRole(data: EngineData): Opened {
  if (data.demo) {
    return {
      lc: Lifecycle.open(data.dbPath, { config: DEMO_CONFIG }),
      role: 'demo',
      roleReason: 'a demo database fed by the simulated gateway and recovered by this app',
    };
  }
  const readOnly = (reason: string): Opened => {
    try {
      return { lc: Lifecycle.open(data.dbPath, { readOnly: true }), role: 'read-only', roleReason: reason };
    } catch (err) {
      if (!(err instanceof LifecycleError && err.code === 'wal_unreadable')) throw err;
      // Better a labelled copy of the real file than nothing: it does not follow later writes.
      const copy = snapshotCopy(data.dbPath);
      return {
        lc: Lifecycle.open(copy, { readOnly: true }),
        role: 'read-only',
        roleReason: `${reason}; ${err.message}, so this is a copy made at ${new Date().toISOString()} (${copy}): it does not show later writes`,
      };
    }
  };
  if (data.readOnly) return readOnly('opened read-only as asked: nothing can be written');
  try {
    // Not even the planner's statistics: an observer writes nothing a person did not ask for.
    const lc = Lifecycle.open(data.dbPath, { optimizeOnClose: data.recover === true });
    return data.recover
      ? {
          lc,
          role: 'recovering',
          roleReason:
            'you asked this app to run the recovery worker: it expires, finalizes, terminalizes and prunes in this file',
        }
      : {
          lc,
          role: 'observer',
          roleReason: 'another process owns this file: nothing is written except the actions you confirm',
        };
  } catch (err) {
    if (err instanceof LifecycleError && (err.code === 'read_only' || err.code === 'migration_failed')) {
      const shim = SCHEMA_VERSION;
      const opened = readOnly(`opened read-only because ${err.message}`);
      if (opened.lc.fileVersion < shim) {
        opened.roleReason += `; the file has schema version ${opened.lc.fileVersion}, so counts are computed on each read and the per-minute chart is empty`;
      }
      return opened;
    }
    throw err;
  }
}

/** Copies the file and its WAL into a new temp folder, where SQLite may create the -shm file. */
function snapshotCopy(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-snapshot-'));
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
  return copy;
}
