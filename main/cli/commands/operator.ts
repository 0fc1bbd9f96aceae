import { booleanFlag, positionals, stringFlag, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { LifecycleError } from '../../lifecycle/errors';
import { CliError, UsageError } from '../errors';
import { cell, plural } from '../output';

// Operator actions: each one transaction in the core, refused there (LifecycleError
// invalid_state / not_found) when it makes no sense, and recorded as `cli:<user>` with the
// reason given (--reason), which the audit shows.

export const REASON_HELP = '--reason R     why (shown in the audit; at most 500 characters)';

/** The person's reason, checked as the API checks it. */
export function reasonFlag(args: ParsedArgs, command: string): string | undefined {
  const reason = stringFlag(args, 'reason')?.trim();
  if (reason !== undefined && reason.length > 500) {
    throw new UsageError('--reason must be at most 500 characters', command);
  }
  return reason ? reason : undefined;
}

export const abortCommand: Command = {
  name: 'abort',
  summary: "abort a session's open turns and cancel their pending sends",
  usage: 'abort --session K [--reason R]',
  details: [REASON_HELP],
  flags: { session: 'string', reason: 'string' },
  prepare(args) {
    positionals(args, [], 'abort');
    const session = stringFlag(args, 'session');
    if (session === undefined) throw new UsageError('abort needs --session K', 'abort');
    const reason = reasonFlag(args, 'abort');
    return async (ctx) => {
      const result = await (await ctx.open()).operatorAbort(session, ctx.operator, reason);
      ctx.out.emit(
        { action: 'abort', session, turns: result.turns, outbox: result.outbox, turnIds: result.turnIds },
        () =>
          `aborted ${plural(result.turns, 'turn')}, cancelled ${plural(result.outbox, 'send')} in session ${cell(session)}`,
      );
    };
  },
};

export const replayCommand: Command = {
  name: 'replay',
  summary: 're-arm an open turn so the recovery worker replays it now (--as-new: a new turn from one that ended)',
  usage: 'replay <turn-id> [--as-new] [--reason R]',
  details: [
    '--as-new       for a turn that failed for good or was aborted: a new turn with the same message,',
    '               linked to it (a repeat finds the first one and creates nothing)',
    REASON_HELP,
  ],
  flags: { 'as-new': 'boolean', reason: 'string' },
  prepare(args) {
    const [id] = positionals(args, ['turn-id'], 'replay');
    const reason = reasonFlag(args, 'replay');
    if (booleanFlag(args, 'as-new')) {
      return async (ctx) => {
        const { turn, created } = await (await ctx.open()).operatorReplayAsNew(id!, ctx.operator, reason);
        ctx.out.emit(
          { action: 'replay-as-new', turnId: id, created, turn },
          () =>
            `turn ${cell(id)}: ${created ? 'replayed as new turn' : 'already replayed as new turn'} ${cell(turn.id)} (${turn.status}); a recovery worker with a replay handler will run it`,
        );
      };
    }
    return async (ctx) => {
      const store = await ctx.open();
      const before = await store.getTurn(id!);
      await store.operatorReplay(id!, ctx.operator, reason);
      const turn = (await store.getTurn(id!))!;
      ctx.out.emit(
        { action: 'replay', turnId: id, from: before?.status ?? null, turn },
        () =>
          `turn ${cell(id)}: ${before?.status ?? '?'} → ${turn.status}, due now; a recovery worker with a replay handler will run it`,
      );
    };
  },
};

export const retryCommand: Command = {
  name: 'retry',
  summary: 'make a pending outbox row due now',
  usage: 'retry <outbox-id> [--reason R]',
  details: [REASON_HELP],
  flags: { reason: 'string' },
  prepare(args) {
    const [id] = positionals(args, ['outbox-id'], 'retry');
    const reason = reasonFlag(args, 'retry');
    return async (ctx) => {
      const store = await ctx.open();
      await store.operatorRetry(id!, ctx.operator, reason);
      const row = (await store.getRow(id!))!;
      ctx.out.emit(
        { action: 'retry', rowId: id, row },
        () => `outbox row ${cell(id)} (${row.status}) is due now; the recovery worker will send it on its next pass`,
      );
    };
  },
};

export const terminateCommand: Command = {
  name: 'terminate',
  summary: 'give up on a pending outbox row (operator_terminated)',
  usage: 'terminate <outbox-id> [--reason R]',
  details: [REASON_HELP],
  flags: { reason: 'string' },
  prepare(args) {
    const [id] = positionals(args, ['outbox-id'], 'terminate');
    const reason = reasonFlag(args, 'terminate');
    return async (ctx) => {
      const store = await ctx.open();
      const before = await store.getRow(id!);
      const turnBefore = before?.turnId ? await store.getTurn(before.turnId) : undefined;
      await store.operatorTerminate(id!, ctx.operator, reason);
      const row = (await store.getRow(id!))!;
      const turn = row.turnId ? ((await store.getTurn(row.turnId)) ?? null) : null;
      ctx.out.emit({ action: 'terminate', rowId: id, from: before?.status ?? null, row, turn }, () => {
        const lines = [`outbox row ${cell(id)}: ${before?.status ?? '?'} → ${row.status} (operator_terminated)`];
        if (turn && turnBefore && turn.status !== turnBefore.status) {
          lines.push(`turn ${cell(turn.id)}: ${turnBefore.status} → ${turn.status}`);
        }
        return lines.join('\n');
      });
    };
  },
};

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'delete terminal turns and done rows past the retention window now',
  usage: 'prune [--reason R]',
  details: [REASON_HELP],
  flags: { reason: 'string' },
  prepare(args) {
    positionals(args, [], 'prune');
    const reason = reasonFlag(args, 'prune');
    return async (ctx) => {
      const result = await (await ctx.open()).operatorPrune(ctx.operator, reason);
      ctx.out.emit(
        { action: 'prune', ...result },
        () =>
          `pruned ${plural(result.turns, 'turn')}, ${plural(result.outbox, 'outbox row')} and ${plural(result.history, 'history entry', 'history entries')}`,
      );
    };
  },
};

export const resendCommand: Command = {
  name: 'resend',
  summary: 'send a row that failed for good or expired again, as a new row linked to it',
  usage: 'resend <outbox-id>… [--reason R]',
  details: [
    'each id gets a new row with the same payload and destination; a repeat finds that row and',
    'creates nothing; refused for a row that is not failed for good or expired, or whose turn was aborted',
    REASON_HELP,
  ],
  flags: { reason: 'string' },
  prepare(args) {
    if (args.positionals.length === 0) throw new UsageError('missing <outbox-id>', 'resend');
    if (args.positionals.length > 500) throw new UsageError('at most 500 ids at once (use bulk resend)', 'resend');
    if (args.positionals.some((id) => id.trim() === ''))
      throw new UsageError('<outbox-id> must not be empty', 'resend');
    const ids = [...new Set(args.positionals)];
    const reason = reasonFlag(args, 'resend');
    return async (ctx) => {
      const store = await ctx.open();
      if (store.readOnly)
        throw new LifecycleError('read_only', 'the database is open read-only: a resend would change it');
      const outcomes: { id: string; ok: boolean; created?: string; new?: boolean; error?: string; code?: string }[] =
        [];
      for (const id of ids) {
        try {
          const { row, created } = await store.operatorResend(id, ctx.operator, reason);
          outcomes.push({ id, ok: true, created: row.id, new: created });
        } catch (err) {
          if (!(err instanceof LifecycleError)) throw err;
          outcomes.push({ id, ok: false, error: err.message, code: err.code });
        }
      }
      const done = outcomes.filter((o) => o.ok).length;
      const refused = outcomes.length - done;
      ctx.out.emit({ action: 'resend', done, refused, outcomes }, () =>
        outcomes
          .map((o) =>
            o.ok
              ? `outbox row ${cell(o.id)}: ${o.new ? 'resent as' : 'already resent as'} ${cell(o.created)}; the recovery worker will send it on its next pass`
              : `outbox row ${cell(o.id)}: refused: ${cell(o.error)}`,
          )
          .join('\n'),
      );
      // Exit 1 when something was refused: the result above says which.
      if (refused > 0) {
        throw new CliError(
          outcomes.find((o) => !o.ok)!.code ?? 'invalid_state',
          `${plural(refused, 'row')} of ${ids.length} refused`,
        );
      }
    };
  },
};
