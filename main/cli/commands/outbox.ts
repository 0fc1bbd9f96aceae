import type { OutboxListItem } from '../../../shared/views';
import { positionals } from '../args';
import { OUTBOX_FILTER_FLAGS, OUTBOX_FILTER_HELP, checkedArgs, outboxFilterOf } from '../filters';
import type { Command } from '../command';
import { age, cell, table } from '../output';
import { PAGE_FLAGS, pageArgs, pageHelp, pageTrailer } from './page';
// `outbox`: a page of outbox rows with why each is stuck.

function rowReason(r: OutboxListItem): string | null {
  if (r.status === 'delivered') return null;
  if (r.terminalReason)
    return `(${r.terminalReason === r.lastError ? r.terminalReason : [r.terminalReason, r.lastError].filter(Boolean).join(': ')})`;
  return r.lastError;
}

export function outboxRows(items: readonly OutboxListItem[], now: number, withTurn = true): string[][] {
  return items.map((r) => [
    cell(r.id),
    ...(withTurn ? [cell(r.turnId)] : []),
    r.dispatchKind ?? 'direct',
    r.status,
    `${cell(r.channel)}→${cell(r.target)}`,
    String(r.attemptCount),
    age(r.queuedAt, now),
    cell([r.resendOf ? `resend of ${r.resendOf}` : null, r.stuckReason ?? rowReason(r)].filter(Boolean).join('; ')),
  ]);
}

export const outboxCommand: Command = {
  name: 'outbox',
  summary: 'list outbox rows, oldest first',
  usage:
    'outbox [--status S[,S…]] [--turn ID] [--kind K] [--channel C] [--stuck] [--dead] [--search TEXT] [--since T] [--until T] [--error-class E] [--signature S] [--limit N] [--cursor C]',
  details: [...OUTBOX_FILTER_HELP, ...pageHelp(50)],
  flags: { ...OUTBOX_FILTER_FLAGS, ...PAGE_FLAGS },
  prepare(args) {
    positionals(args, [], 'outbox');
    const filter = checkedArgs(
      'listOutbox',
      {
        ...outboxFilterOf(args, 'outbox'),
        ...pageArgs(args, 'outbox'),
        order: 'asc' as const,
      },
      'outbox',
    );
    return async (ctx) => {
      const store = await ctx.open();
      const page = await store.listOutbox(filter);
      const now = await store.now();
      ctx.out.emit(page, () =>
        [
          table(
            ['ID', 'TURN', 'KIND', 'STATUS', 'CHANNEL→TARGET', 'ATTEMPTS', 'AGE', 'STUCK / REASON'],
            outboxRows(page.items, now),
          ),
          pageTrailer(page.items.length, page.nextCursor),
        ].join('\n'),
      );
    };
  },
};
