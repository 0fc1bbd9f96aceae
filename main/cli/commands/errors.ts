import { enumFlag, intFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { durationFlag } from '../duration';
import { checkedArgs } from '../filters';
import { age, cell, table } from '../output';

// `errors`: failures grouped by normalized error, channel and kind (what `--signature` selects).

export const errorsCommand: Command = {
  name: 'errors',
  summary: 'failures grouped by error (ids and numbers stripped), channel and kind, biggest first',
  usage: 'errors [--since DURATION] [--channel C] [--subject turn|outbox] [--limit N]',
  details: [
    '--since D      the window: 30m, 24h (default), 7d …',
    '--channel C    only this channel',
    '--subject S    turn (turns whose processing failed) or outbox (sends that failed)',
    '--limit N      1 to 500 groups',
    'a group\'s members: turns/outbox --signature "<SIGNATURE>" (bulk takes the same filter)',
  ],
  flags: { since: 'string', channel: 'string', subject: 'string', limit: 'string' },
  prepare(args) {
    positionals(args, [], 'errors');
    const query = checkedArgs(
      'getErrorGroups',
      {
        sinceMs: durationFlag(stringFlag(args, 'since'), 'since', 'errors'),
        channel: stringFlag(args, 'channel'),
        subject: enumFlag(args, 'subject', ['turn', 'outbox'] as const, 'errors'),
        limit: intFlag(args, 'limit', { min: 1, max: 500 }, 'errors'),
      },
      'errors',
    );
    return async (ctx) => {
      const store = await ctx.open();
      const groups = await store.errorGroups(query);
      const now = await store.now();
      ctx.out.emit({ groups }, () =>
        groups.length === 0
          ? '(no failures in the window)'
          : table(
              ['COUNT', 'RETRYING', 'DEAD', 'SUBJECT', 'CHANNEL', 'KIND', 'LAST SEEN', 'SAMPLE', 'SIGNATURE'],
              groups.map((g) => [
                String(g.count),
                String(g.retrying),
                String(g.dead),
                g.subject,
                cell(g.channel),
                g.kind ?? '-',
                `${age(g.lastSeen, now)} ago`,
                cell(g.sampleId),
                cell(g.signature),
              ]),
            ),
      );
    };
  },
};
