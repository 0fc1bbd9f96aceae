import type { TurnListItem } from '../../../shared/views';
import { TURN_STATUSES, type TurnStatus } from '../../../shared/types';
import { booleanFlag, intFlag, listFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { age, cell, table } from '../output';
import { LIMIT, pageTrailer } from './page';
// `turns`: a page of turns with why each is stuck.

export function turnRows(items: readonly TurnListItem[], now: number): string[][] {
  return items.map((t) => [
    cell(t.id),
    t.status,
    cell(t.sessionKey),
    cell(t.channel),
    String(t.attemptCount),
    age(t.acceptedAt, now),
    cell(t.stuckReason ?? (t.terminalReason ? `(${t.terminalReason})` : null)),
  ]);
}

const TURN_HEADERS = ['ID', 'STATUS', 'SESSION', 'CHANNEL', 'ATTEMPTS', 'AGE', 'STUCK / REASON'];

export const turnsCommand: Command = {
  name: 'turns',
  summary: 'list turns, oldest first',
  usage: 'turns [--status S[,S…]] [--session K] [--stuck] [--limit N] [--cursor C]',
  details: [
    `--status   one or more of ${TURN_STATUSES.join(', ')}`,
    '--session  only turns of this session key',
    '--stuck    only stuck turns (non-terminal and failed at least once or idle too long)',
    '--limit    1 to 500 (default 50)',
    '--cursor   continue after the last page (printed at its end)',
  ],
  flags: { status: 'string', session: 'string', stuck: 'boolean', limit: 'string', cursor: 'string' },
  prepare(args) {
    positionals(args, [], 'turns');
    const filter = {
      status: listFlag<TurnStatus>(args, 'status', TURN_STATUSES, 'turns'),
      sessionKey: stringFlag(args, 'session'),
      stuck: booleanFlag(args, 'stuck'),
      limit: intFlag(args, 'limit', LIMIT, 'turns'),
      cursor: stringFlag(args, 'cursor'),
      order: 'asc' as const,
    };
    return async (ctx) => {
      const store = await ctx.open();
      const page = await store.listTurns(filter);
      const now = await store.now();
      ctx.out.emit(page, () =>
        [table(TURN_HEADERS, turnRows(page.items, now)), pageTrailer(page.items.length, page.nextCursor)].join('\n'),
      );
    };
  },
};

/** Why a row that is not stuck is where it is: its terminal reason, or the last error of a pending row. */
