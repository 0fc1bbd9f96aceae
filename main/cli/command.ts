import type { LifecycleConfig } from '../lifecycle/config';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { LifecycleStore } from '../store/contract';
import type { FlagSpec, ParsedArgs } from './args';
import type { Output } from './output';

export interface OpenOptions {
  /** Create the file if it does not exist (default: a missing file is an error). */
  create?: boolean;
  config?: Partial<LifecycleConfig>;
  /** Another file than `dbPath` (e.g. the demo database). */
  file?: string;
}

/** What a command gets to run with, after its arguments were validated. */
export interface CommandContext {
  /** The database: a file or a postgres:// URL (--db, else $LIFECYCLE_DESK_DB, else the user's data directory). */
  readonly dbPath: string;
  /** The same with a URL's password: to pass on (e.g. to the server's engine), never to print. */
  readonly target: string;
  readonly out: Output;
  /**
   * Raw output on stdout for what is not one document (an export streamed to stdout): resolves
   * once the stream can take more, so a slow pipe paces the reads.
   */
  write(chunk: string): Promise<void>;
  /** `cli:<user>`, recorded with every operator action. */
  readonly operator: string;
  /**
   * Opens the database (once); the runner closes it when the command ends, also on failure.
   * Without `create`, a file that does not exist is an error rather than a new empty database:
   * looking at an empty stand-in for the real database is the worst outcome (SPEC, "Storage").
   */
  open(options?: OpenOptions): Promise<LifecycleStore>;
  /** The same for commands that work on a SQLite file only (import-legacy, demo, check): a URL is refused. */
  openSqlite(what: string, options?: OpenOptions): Lifecycle;
}

export type Action = (ctx: CommandContext) => void | Promise<void>;

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Synopsis after `lifecycle-desk `, e.g. `show <turn-id>`. */
  readonly usage: string;
  /** Further lines for `help <command>` (flags, notes). */
  readonly details?: readonly string[];
  /** Command-specific flags; --db, --json and --help are added by the runner. */
  readonly flags: FlagSpec;
  /**
   * Validates the arguments (throwing UsageError) and returns what to do. Must not touch the
   * database or the file system: the database is opened only after validation passed.
   */
  prepare(args: ParsedArgs): Action;
}
