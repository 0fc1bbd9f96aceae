import { positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { cell, plural } from '../output';

// Operator actions: each one transaction in the core, refused there (LifecycleError
// invalid_state / not_found) when it makes no sense, and recorded as `cli:<user>`.

export const abortCommand: Command = {
  name: 'abort',
  summary: "abort a session's open turns and cancel their pending sends",
  usage: 'abort --session K',
  flags: { session: 'string' },
  prepare(args) {
    positionals(args, [], 'abort');
    const session = stringFlag(args, 'session');
    if (session === undefined) throw new UsageError('abort needs --session K', 'abort');
    return async (ctx) => {
      const result = await (await ctx.open()).operatorAbort(session, ctx.operator);
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
  summary: 're-arm a turn so the recovery worker replays it now',
  usage: 'replay <turn-id>',
  flags: {},
  prepare(args) {
    const [id] = positionals(args, ['turn-id'], 'replay');
    return async (ctx) => {
      const store = await ctx.open();
      const before = await store.getTurn(id!);
      await store.operatorReplay(id!, ctx.operator);
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
  usage: 'retry <outbox-id>',
  flags: {},
  prepare(args) {
    const [id] = positionals(args, ['outbox-id'], 'retry');
    return async (ctx) => {
      const store = await ctx.open();
      await store.operatorRetry(id!, ctx.operator);
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
  usage: 'terminate <outbox-id>',
  flags: {},
  prepare(args) {
    const [id] = positionals(args, ['outbox-id'], 'terminate');
    return async (ctx) => {
      const store = await ctx.open();
      const before = await store.getRow(id!);
      const turnBefore = before?.turnId ? await store.getTurn(before.turnId) : undefined;
      await store.operatorTerminate(id!, ctx.operator);
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
  usage: 'prune',
  flags: {},
  prepare(args) {
    positionals(args, [], 'prune');
    return async (ctx) => {
      const result = await (await ctx.open()).operatorPrune(ctx.operator);
      ctx.out.emit(
        { action: 'prune', ...result },
        () =>
          `pruned ${plural(result.turns, 'turn')}, ${plural(result.outbox, 'outbox row')} and ${plural(result.history, 'history entry', 'history entries')}`,
      );
    };
  },
};
