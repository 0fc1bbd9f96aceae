/** Exit codes of the CLI: 0 done, 1 the command failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The command line itself is wrong (unknown flag, missing value, bad value): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage to point at, if known. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A failure found by the CLI itself (not the core), e.g. a missing database file: exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
