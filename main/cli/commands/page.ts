import { PAGE_LIMIT } from '../../../shared/api';
import { intFlag, stringFlag, type FlagSpec, type ParsedArgs } from '../args';

// What the list commands share: the --limit bounds of every page, the --limit/--cursor flags
// and their help, and the line under a page.

export const LIMIT = { min: PAGE_LIMIT.min, max: PAGE_LIMIT.max };

export const PAGE_FLAGS = { limit: 'string', cursor: 'string' } as const satisfies FlagSpec;

export function pageHelp(defaultLimit: number): string[] {
  return [
    `--limit N      1 to 500 (default ${defaultLimit})`,
    '--cursor C     continue after the last page (printed at its end)',
  ];
}

/** --limit and --cursor as a page request; a missing --limit is left to the method's default. */
export function pageArgs(args: ParsedArgs, command: string): { limit: number | undefined; cursor: string | undefined } {
  return { limit: intFlag(args, 'limit', LIMIT, command), cursor: stringFlag(args, 'cursor') };
}

export function pageTrailer(shown: number, nextCursor: string | null): string {
  if (shown === 0) return '(none)';
  return nextCursor === null ? `${shown} shown` : `${shown} shown; more with --cursor ${nextCursor}`;
}
