import { PAGE_LIMIT } from '../../../shared/api';

// What the list commands share: the --limit bounds of every page, and the line under a page.

export const LIMIT = { min: PAGE_LIMIT.min, max: PAGE_LIMIT.max };

export function pageTrailer(shown: number, nextCursor: string | null): string {
  if (shown === 0) return '(none)';
  return nextCursor === null ? `${shown} shown` : `${shown} shown; more with --cursor ${nextCursor}`;
}
