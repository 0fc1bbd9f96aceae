import type { OutboxListItem } from '../../../shared/views';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../../shared/types';
import { booleanFlag, intFlag, listFlag, positionals, stringFlag, enumFlag } from '../args';
import type { Command } from '../command';
import { age, cell, table } from '../output';
import { LIMIT, pageTrailer } from './page';
// `outbox`: a page of outbox rows with why each is stuck.

const OUTBOX_KINDS = ['tool', 'block', 'final', 'direct'] as const;

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
    cell(r.stuckReason ?? rowReason(r)),
  ]);
}

export const outboxCommand: Command = {
  name: 'outbox',
  summary: 'list outbox rows, oldest first',
  usage: 'outbox [--status S[,S…]] [--turn ID] [--kind K] [--stuck] [--limit N] [--cursor C]',
  details: [
    `--status  one or more of ${OUTBOX_STATUSES.join(', ')}`,
    '--turn    only rows of this turn',
    `--kind    one of ${OUTBOX_KINDS.join(', ')} (direct = a send outside a turn's tool/block/final)`,
    '--stuck   only stuck rows (pending and failed at least once or overdue)',
    '--limit   1 to 500 (default 50)',
    '--cursor  continue after the last page (printed at its end)',
  ],
  flags: { status: 'string', turn: 'string', kind: 'string', stuck: 'boolean', limit: 'string', cursor: 'string' },
  prepare(args) {
    positionals(args, [], 'outbox');
    const filter = {
      status: listFlag<OutboxStatus>(args, 'status', OUTBOX_STATUSES, 'outbox'),
      turnId: stringFlag(args, 'turn'),
      kind: enumFlag(args, 'kind', OUTBOX_KINDS, 'outbox'),
      stuck: booleanFlag(args, 'stuck'),
      limit: intFlag(args, 'limit', LIMIT, 'outbox'),
      cursor: stringFlag(args, 'cursor'),
      order: 'asc' as const,
    };
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
