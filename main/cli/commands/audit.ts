import { intFlag, positionals } from '../args';
import type { Command } from '../command';
import { cell, isoTime, table } from '../output';

// `audit`: operator actions, newest first.

export const auditCommand: Command = {
  name: 'audit',
  summary: 'operator actions (who did what, when), newest first',
  usage: 'audit [--limit N]',
  details: ['--limit  1 to 1000 (default 100)'],
  flags: { limit: 'string' },
  prepare(args) {
    positionals(args, [], 'audit');
    const limit = intFlag(args, 'limit', { min: 1, max: 1000 }, 'audit');
    return async (ctx) => {
      const entries = (await (await ctx.open()).auditTrail({ limit })).items;
      ctx.out.emit({ items: entries }, () =>
        entries.length === 0
          ? '(no operator actions recorded)'
          : table(
              ['TIME', 'BY', 'SUBJECT', 'FROM → TO', 'REASON'],
              entries.map((h) => [
                isoTime(h.at),
                cell(h.by),
                h.kind === 'action' ? '-' : `${h.kind} ${cell(h.entityId)}`,
                h.fromStatus === null && h.toStatus === null ? '-' : `${h.fromStatus ?? '∅'} → ${h.toStatus ?? '∅'}`,
                cell(h.reason),
              ]),
            ),
      );
    };
  },
};
