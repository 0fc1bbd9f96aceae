import { intFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { AUDIT_FILTER_FLAGS, AUDIT_FILTER_HELP, auditFilterOf, checkedArgs } from '../filters';
import { cell, isoTime, table } from '../output';
import { LIMIT, PAGE_FLAGS, pageHelp, pageTrailer } from './page';

// `audit`: operator actions, newest first (a bulk job is one entry), filtered, by page.

export const auditCommand: Command = {
  name: 'audit',
  summary: 'operator actions (who did what, when, why), newest first',
  usage: 'audit [--by NAME] [--action A] [--since T] [--until T] [--limit N] [--cursor C]',
  details: [...AUDIT_FILTER_HELP, ...pageHelp(100)],
  flags: { ...AUDIT_FILTER_FLAGS, ...PAGE_FLAGS },
  prepare(args) {
    positionals(args, [], 'audit');
    const filter = checkedArgs(
      'getAudit',
      {
        ...auditFilterOf(args, 'audit'),
        limit: intFlag(args, 'limit', LIMIT, 'audit') ?? 100,
        cursor: stringFlag(args, 'cursor'),
      },
      'audit',
    );
    return async (ctx) => {
      const page = await (await ctx.open()).auditTrail(filter);
      const entries = page.items;
      ctx.out.emit(page, () =>
        entries.length === 0
          ? '(no operator actions recorded)'
          : [
              table(
                ['TIME', 'BY', 'ACTION', 'SUBJECT', 'FROM → TO', 'REASON', 'NOTE'],
                entries.map((h) => [
                  isoTime(h.at),
                  cell(h.by),
                  cell(h.action),
                  h.kind === 'action' ? '-' : `${h.kind} ${cell(h.entityId)}`,
                  h.fromStatus === null && h.toStatus === null ? '-' : `${h.fromStatus ?? '∅'} → ${h.toStatus ?? '∅'}`,
                  cell(h.reason),
                  cell(h.note),
                ]),
              ),
              pageTrailer(entries.length, page.nextCursor),
            ].join('\n'),
      );
    };
  },
};
