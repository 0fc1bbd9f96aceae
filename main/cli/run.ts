import { once } from 'node:events';
import fs from 'node:fs';
import { LifecycleError, isBusyError } from '../lifecycle/errors';
import { Lifecycle } from '../lifecycle/lifecycle';
import type { LifecycleStore, StoreOptions } from '../store/contract';
import { displayLocation, isPostgresUrl } from '../store/location';
import { PgStore } from '../store/postgres/store';
import { SqliteStore } from '../store/sqlite/store';
import { parseArgs, stringFlag, type FlagSpec } from './args';
import type { Action, CommandContext, OpenOptions } from './command';
import { findCommand } from './commands';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { createOutput } from './output';
import { defaultDbPath, operatorName } from './paths';
import { commandUsage, usage } from './usage';

/** Flags every command accepts. */
const GLOBAL_FLAGS: FlagSpec = { db: 'string', json: 'boolean', help: 'boolean', 'read-only': 'boolean' };

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Where stdout goes, for backpressure on long output; without it `stdout` takes everything. */
  stdoutStream?: NodeJS.WritableStream;
}

const processIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdoutStream: process.stdout,
};

/** Runs one command line (without `node bin.js`); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  // Known before parsing, so even a usage error is reported in the format asked for.
  const json = argv.includes('--json');
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return reportError(err, json, io);
  }
}

/** The command is the first word that is neither a flag nor the value of --db. */
function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--db') {
      i++;
      continue;
    }
    if (!a.startsWith('-') || a === '-') return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: [...argv] };
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (name === undefined || name === 'help') {
    const args = parseArgs(rest, GLOBAL_FLAGS, name);
    if (name === undefined && !args.flags.has('help')) {
      if (args.flags.has('json')) throw new UsageError('no command given');
      io.stderr(`${usage()}\n`);
      return EXIT_USAGE;
    }
    const topic = args.positionals[0];
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]!}"`);
    if (topic === undefined) {
      io.stdout(`${usage()}\n`);
    } else {
      const command = findCommand(topic);
      if (!command) throw new UsageError(`unknown command "${topic}"`);
      io.stdout(`${commandUsage(command)}\n`);
    }
    return EXIT_OK;
  }

  const command = findCommand(name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const args = parseArgs(rest, { ...GLOBAL_FLAGS, ...command.flags }, command.name);
  if (args.flags.has('help')) {
    io.stdout(`${commandUsage(command)}\n`);
    return EXIT_OK;
  }
  const dbFlag = stringFlag(args, 'db');
  if (dbFlag !== undefined && dbFlag.trim() === '') throw new UsageError('--db must not be empty', command.name);
  const action = command.prepare(args);
  await execute(action, {
    dbPath: dbFlag ?? defaultDbPath(),
    json: args.flags.has('json'),
    readOnly: args.flags.has('read-only'),
    io,
  });
  return EXIT_OK;
}

async function execute(
  action: Action,
  options: { dbPath: string; json: boolean; readOnly: boolean; io: CliIo },
): Promise<void> {
  let store: Promise<LifecycleStore> | undefined;
  const storeOptions = (o: OpenOptions): StoreOptions => ({
    ...(o.config ? { config: o.config } : {}),
    ...(options.readOnly ? { readOnly: true } : {}),
  });
  const ctx: CommandContext = {
    dbPath: displayLocation(options.dbPath),
    target: options.dbPath,
    out: createOutput(options.json, options.io.stdout),
    async write(chunk) {
      const stream = options.io.stdoutStream;
      if (!stream) return options.io.stdout(chunk);
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    operator: operatorName(),
    open(openOptions: OpenOptions = {}) {
      if (store) return store;
      const target = openOptions.file ?? options.dbPath;
      if (isPostgresUrl(target)) {
        store = PgStore.open(target, storeOptions(openOptions));
      } else {
        checkDbFile(target, openOptions.create ?? false);
        store = Promise.resolve(new SqliteStore(Lifecycle.open(target, storeOptions(openOptions))));
      }
      return store;
    },
    openSqlite(what, openOptions = {}) {
      const target = openOptions.file ?? options.dbPath;
      if (isPostgresUrl(target)) {
        throw new CliError(
          'invalid_argument',
          `${what} works on a SQLite file only, not on ${displayLocation(target)}`,
        );
      }
      if (store) throw new Error('openSqlite after open'); // one database per command
      checkDbFile(target, openOptions.create ?? false);
      const opened = new SqliteStore(Lifecycle.open(target, storeOptions(openOptions)));
      store = Promise.resolve(opened);
      return opened.lc;
    },
  };
  try {
    await action(ctx);
  } finally {
    await (await store?.catch(() => undefined))?.close();
  }
}

function checkDbFile(file: string, create: boolean): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CliError('cannot_open', `cannot open ${file}: ${(err as Error).message}`);
    }
  }
  if (stat?.isDirectory()) throw new CliError('cannot_open', `${file} is a directory, not a database file`);
  if (!stat && !create) {
    throw new CliError(
      'not_found',
      `no database at ${file}; pass --db PATH or set LIFECYCLE_DESK_DB (demo and import-legacy create one)`,
    );
  }
}

function reportError(err: unknown, json: boolean, io: CliIo): number {
  let code: string;
  let message = err instanceof Error ? err.message : String(err);
  let exit = EXIT_FAILED;
  let hint: string | undefined;
  if (err instanceof UsageError) {
    code = 'usage';
    exit = EXIT_USAGE;
    hint = `run 'lifecycle-desk help${err.command ? ` ${err.command}` : ''}' for usage`;
  } else if (err instanceof LifecycleError || err instanceof CliError) {
    code = err.code;
  } else if (isBusyError(err)) {
    // busy_timeout already waited (SPEC: a write that still fails is surfaced, never swallowed).
    code = 'locked';
    message = `the database is locked by another process; nothing was changed (${message})`;
  } else {
    code = 'internal';
  }
  if (json) {
    io.stderr(`${JSON.stringify({ error: { code, message } })}\n`);
  } else {
    io.stderr(`error: ${message}\n${hint ? `${hint}\n` : ''}`);
    if (code === 'internal' && err instanceof Error && err.stack && process.env.LIFECYCLE_DESK_DEBUG) {
      io.stderr(`${err.stack}\n`);
    }
  }
  return exit;
}
