import os from 'node:os';
import path from 'node:path';

import { DB_FILE_NAME } from '../../shared/types';

export { DB_FILE_NAME };

export interface PathEnv {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v !== '' ? v : undefined);

const HERE: PathEnv = { env: process.env, platform: process.platform, home: os.homedir() };

function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** Lifecycle Desk's directory in the user's data directory (XDG, Application Support, %APPDATA%). */
export function dataDir({ env, platform, home }: PathEnv = HERE): string {
  if (platform === 'win32') {
    const appData = nonEmpty(env.APPDATA) ?? path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, 'Lifecycle Desk');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'Lifecycle Desk');
  // The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  const dataHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(dataHome, 'lifecycle-desk');
}

/** The default database: $LIFECYCLE_DESK_DB if set, else message-lifecycle.db in dataDir(). */
export function defaultDbPath(where: PathEnv = HERE): string {
  return nonEmpty(where.env.LIFECYCLE_DESK_DB) ?? pathFor(where.platform).join(dataDir(where), DB_FILE_NAME);
}

/**
 * Where demo traffic goes when no --db is given: `<data dir>/demo/message-lifecycle.db`, never
 * the real database (not even the one $LIFECYCLE_DESK_DB names).
 */
export function demoDbPath(where: PathEnv = HERE): string {
  return pathFor(where.platform).join(dataDir(where), 'demo', DB_FILE_NAME);
}

/** The demo's simulated platform: a JSON-lines file beside the database. */
export { sinkFileFor as sinkPath } from '../demo/sink';

/** Who operator actions are recorded as: `cli:<login name>`. */
export function operatorName(): string {
  let name: string | undefined;
  try {
    name = os.userInfo().username;
  } catch {
    // no passwd entry (some containers): fall back to the environment
  }
  return `cli:${nonEmpty(name) ?? nonEmpty(process.env.USER) ?? nonEmpty(process.env.USERNAME) ?? 'unknown'}`;
}
