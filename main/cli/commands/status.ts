import { OUTBOX_STATUSES, TURN_STATUSES } from '../../../shared/types';
import { positionals } from '../args';
import type { Command } from '../command';
import { table } from '../output';

// `status`: counts by status and stuck counts.

export const statusCommand: Command = {
  name: 'status',
  summary: 'counts by status for turns and outbox, and how many are stuck',
  usage: 'status',
  flags: {},
  prepare(args) {
    positionals(args, [], 'status');
    return async (ctx) => {
      const counts = await (await ctx.open()).status();
      ctx.out.emit(counts, () => {
        const turns = TURN_STATUSES.map((s) => [s, String(counts.turns[s])]);
        const outbox = OUTBOX_STATUSES.map((s) => [s, String(counts.outbox[s])]);
        return [
          table(['TURNS', 'COUNT'], [...turns, ['stuck', String(counts.stuckTurns)]]),
          '',
          table(['OUTBOX', 'COUNT'], [...outbox, ['stuck', String(counts.stuckOutbox)]]),
        ].join('\n');
      });
    };
  },
};
