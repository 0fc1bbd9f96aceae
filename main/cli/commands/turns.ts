import type { TurnListItem } from '../../../shared/views';
import { positionals } from '../args';
import { TURN_FILTER_FLAGS, TURN_FILTER_HELP, checkedArgs, turnFilterOf } from '../filters';
import type { Command } from '../command';
import { age, cell, table } from '../output';
import { PAGE_FLAGS, pageArgs, pageHelp, pageTrailer } from './page';
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
  usage:
    'turns [--status S[,S…]] [--session K] [--channel C] [--stuck] [--dead] [--search TEXT] [--since T] [--until T] [--signature S] [--limit N] [--cursor C]',
  details: [...TURN_FILTER_HELP, ...pageHelp(50)],
  flags: { ...TURN_FILTER_FLAGS, ...PAGE_FLAGS },
  prepare(args) {
    positionals(args, [], 'turns');
    const filter = checkedArgs(
      'listTurns',
      {
        ...turnFilterOf(args, 'turns'),
        ...pageArgs(args, 'turns'),
        order: 'asc' as const,
      },
      'turns',
    );
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
