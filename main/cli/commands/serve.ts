import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiHostError } from '../../api/host';
import { startBrowserMode } from '../../http';
import { booleanFlag, intFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { CliError, UsageError } from '../errors';
import { DB_FILE_NAME, defaultDbPath } from '../paths';
import { isPostgresUrl } from '../../store/location';
import { DEFAULT_DEMO_SEED, DEMO_SEED_ENV } from '../../demo/scenario';

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

export const TOKEN_ENV = 'LIFECYCLE_DESK_TOKEN';

/**
 * A program driving the server (a script, the e2e tests) may choose the Bearer secret it will
 * send: through the environment, never argv (which any local user can list) nor stdout.
 */
function bearerFromEnv(): string | undefined {
  const token = process.env[TOKEN_ENV];
  delete process.env[TOKEN_ENV];
  if (token === undefined || token === '') return undefined;
  if (!/^[A-Za-z0-9_-]{32,200}$/.test(token)) {
    throw new UsageError(`${TOKEN_ENV} must be 32 to 200 characters of A-Z, a-z, 0-9, _ and -`, 'serve');
  }
  return token;
}

/** Each line on stdin prints a fresh link (stdout stays one line per link); returns a stop. */
function printLinksOnEnter(newLink: () => string, json: boolean): () => void {
  const stdin = process.stdin;
  let buffered = '';
  const onData = (chunk: string): void => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      buffered = buffered.slice(nl + 1);
      const url = newLink();
      process.stdout.write(json ? `${JSON.stringify({ url })}\n` : `Lifecycle Desk at ${url}\n`);
    }
  };
  stdin.setEncoding('utf8');
  stdin.on('data', onData);
  // A closed stdin (a service, `< /dev/null`) just means no new links.
  stdin.on('error', () => undefined);
  return () => {
    stdin.off('data', onData);
    stdin.pause();
    stdin.unref?.();
  };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'open the dashboard in a browser: a local server on 127.0.0.1, signed in by a one-time link',
  usage: 'serve [--port N] [--demo [--seed N] | --recover | --read-only]',
  details: [
    '--port N     port on 127.0.0.1, 0 to 65535 (default 0: any free port)',
    '--demo       feed simulated chat traffic; without --db the demo database is',
    '             demo/message-lifecycle.db in your data directory, never the real one.',
    '             It plays an incident to triage: a new (or long idle) file gets its last two',
    '             hours (an outage, dead letters, a poison turn, a looping session), then it',
    '             runs live: Discord down 4 minutes of every 10, rate limits, blocked users.',
    `--seed N     with --demo: the incident's seed, a non-negative integer (default ${DEFAULT_DEMO_SEED});`,
    '             the same seed plays the same messages, failures and timings from the start',
    'Without --demo the file is opened to observe: nothing is written except the actions',
    'you confirm in the dashboard.',
    "--recover    also run the recovery worker here. Warning: without the gateway's handlers",
    '             it cannot send or replay; it expires overdue rows, terminalizes pending',
    '             tool/block sends, fails turns past their attempts or age, and prunes old',
    '             ones, in a file another process owns. Use it only when no gateway runs one.',
    '--read-only  open the file so that nothing can be written at all (actions disabled)',
    'Prints one line, "Lifecycle Desk at http://127.0.0.1:PORT/#code=CODE": open it in a browser.',
    'The code works once, within 60 s: the page trades it for a session cookie, so further tabs',
    'of that browser need no link. Press Enter (a line on stdin) for a new link: one more',
    '"Lifecycle Desk at …" line on stdout (with --json, one {"url": …} line).',
    'The role (observer, recovering, read-only, demo) and why are printed on stderr.',
    'Anyone who opens an unused link can act as you. Ctrl-C stops the server.',
    `Programs: set ${TOKEN_ENV} (32+ characters of A-Za-z0-9_-) and send "Authorization: Bearer" with it.`,
  ],
  flags: { port: 'string', demo: 'boolean', seed: 'string', recover: 'boolean', 'read-only': 'boolean' },
  prepare(args) {
    positionals(args, [], 'serve');
    const port = intFlag(args, 'port', { min: 0, max: 65_535 }, 'serve') ?? 0;
    const demo = booleanFlag(args, 'demo');
    const recover = booleanFlag(args, 'recover');
    const readOnly = booleanFlag(args, 'read-only');
    if ([demo, recover, readOnly].filter(Boolean).length > 1) {
      throw new UsageError('--demo, --recover and --read-only exclude each other', 'serve');
    }
    const seed = stringFlag(args, 'seed');
    if (seed !== undefined && !demo) throw new UsageError('--seed only applies with --demo', 'serve');
    if (seed !== undefined && !/^\d{1,10}$/.test(seed)) {
      throw new UsageError(`--seed must be a non-negative integer, not "${seed}"`, 'serve');
    }
    const explicitDb = stringFlag(args, 'db');
    return async (ctx) => {
      // The API's thread reads it (embedded.ts): the engine's data carries no demo options.
      if (demo) process.env[DEMO_SEED_ENV] = seed ?? String(DEFAULT_DEMO_SEED);
      const dbPath = demo && explicitDb === undefined ? demoDbPath() : ctx.dbPath;
      const target = demo && explicitDb === undefined ? dbPath : ctx.target;
      // The engine would create a missing file: only the demo may start from an empty database.
      if (!demo && !isPostgresUrl(target) && !fs.existsSync(dbPath)) {
        throw new CliError(
          'not_found',
          `no database at ${dbPath}; pass --db PATH, set LIFECYCLE_DESK_DB, or use --demo`,
        );
      }
      const token = bearerFromEnv();
      let mode;
      try {
        mode = await startBrowserMode({
          ...(token === undefined ? {} : { token }),
          dbPath: target,
          demo,
          recover,
          readOnly,
          port,
          operator: ctx.operator.replace(/^cli:/, 'web:'),
        });
      } catch (err) {
        if (err instanceof ApiHostError) throw new CliError(err.code, err.message);
        throw new CliError('cannot_listen', (err as Error).message);
      }
      const stopped = untilSignal();
      const info = mode.host.info;
      ctx.out.emit(
        {
          url: mode.url,
          port: mode.server.port,
          dbPath,
          demo,
          ...(demo ? { seed: Number(process.env[DEMO_SEED_ENV]) } : {}),
          role: info.role,
          roleReason: info.roleReason,
        },
        () => `Lifecycle Desk at ${mode.url}`,
      );
      // stdout stays the one URL line scripts read; the role goes beside it for the person.
      if (!ctx.out.json) process.stderr.write(`Role: ${info.role} (${info.roleReason})\n`);
      if (!ctx.out.json && demo) {
        process.stderr.write(`Demo incident seed ${process.env[DEMO_SEED_ENV]} (--seed N plays another)\n`);
      }
      const stopLinks = printLinksOnEnter(() => mode.newLink(), ctx.out.json);
      await stopped;
      stopLinks();
      await mode.close();
    };
  },
};
