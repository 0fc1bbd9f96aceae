import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiHostError } from '../../api/host';
import { startBrowserMode } from '../../http';
import { booleanFlag, intFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { DB_FILE_NAME, defaultDbPath } from '../paths';

/** `<user data dir>/demo/message-lifecycle.db`: the demo never writes into the real database. */
export function demoDbPath(): string {
  const { LIFECYCLE_DESK_DB: _ignored, ...env } = process.env;
  const dataDir = path.dirname(defaultDbPath({ env, platform: process.platform, home: os.homedir() }));
  return path.join(dataDir, 'demo', DB_FILE_NAME);
}

/** Resolves once SIGINT or SIGTERM arrived; a second signal during shutdown exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = (): void => process.exit(1);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'open the dashboard in a browser: a local server on 127.0.0.1 with a one-time token',
  usage: 'serve [--port N] [--demo]',
  details: [
    '--port N   port on 127.0.0.1, 0 to 65535 (default 0: any free port)',
    '--demo     feed simulated chat traffic; without --db the demo database is',
    '           demo/message-lifecycle.db in your data directory, never the real one',
    'Prints one line, "Lifecycle Desk at http://127.0.0.1:PORT/#token=TOKEN": open it in a browser.',
    'The token is new on every start; anyone who has it can act as you. Ctrl-C stops the server.',
  ],
  flags: { port: 'string', demo: 'boolean' },
  prepare(args) {
    positionals(args, [], 'serve');
    const port = intFlag(args, 'port', { min: 0, max: 65_535 }, 'serve') ?? 0;
    const demo = booleanFlag(args, 'demo');
    const explicitDb = stringFlag(args, 'db');
    return async (ctx) => {
      const dbPath = demo && explicitDb === undefined ? demoDbPath() : ctx.dbPath;
      // The engine would create a missing file: only the demo may start from an empty database.
      if (!demo && !fs.existsSync(dbPath)) {
        throw new CliError(
          'not_found',
          `no database at ${dbPath}; pass --db PATH, set LIFECYCLE_DESK_DB, or use --demo`,
        );
      }
      let mode;
      try {
        mode = await startBrowserMode({ dbPath, demo, port, operator: ctx.operator.replace(/^cli:/, 'web:') });
      } catch (err) {
        if (err instanceof ApiHostError) throw new CliError(err.code, err.message);
        throw new CliError('cannot_listen', (err as Error).message);
      }
      const stopped = untilSignal();
      ctx.out.emit({ url: mode.url, port: mode.server.port, dbPath, demo }, () => `Lifecycle Desk at ${mode.url}`);
      await stopped;
      await mode.close();
    };
  },
};
