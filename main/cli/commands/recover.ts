import { DemoGateway } from '../../demo/gateway';
import type { PassReport } from '../../recovery/passes';
import { RecoveryWorker } from '../../recovery/worker';
import { booleanFlag, intFlag, positionals, rateFlag, stringFlag } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { fields } from '../output';
import { demoDbPath, sinkPath } from '../paths';
import { displayLocation } from '../../store/location';

// One recovery pass. Continuous recovery belongs to the process that has the real delivery
// and replay handlers (the gateway, or the app's embedded demo), so this command runs once.

export const recoverCommand: Command = {
  name: 'recover',
  summary: 'run one recovery pass and print what it did',
  usage: 'recover --once [--demo] [--failure-rate P] [--max-turns-per-pass N]',
  details: [
    '--once                required: one pass (continuous recovery runs in the gateway or the app)',
    '--demo                deliver and replay with the demo gateway (sink: demo-sink.jsonl beside the database);',
    '                      without --db it works on the demo database (see demo), never the real one;',
    '                      without --demo no handlers run: only expiry, non-final terminalization, pruning, finalization',
    '--failure-rate P      with --demo: probability 0 to 1 that a demo send fails (default 0)',
    '--max-turns-per-pass  1 to 10000 (default from the core config, 20)',
  ],
  flags: { once: 'boolean', demo: 'boolean', 'failure-rate': 'string', 'max-turns-per-pass': 'string' },
  prepare(args) {
    positionals(args, [], 'recover');
    if (!booleanFlag(args, 'once')) {
      throw new UsageError('recover needs --once (continuous recovery runs in the gateway or the app)', 'recover');
    }
    const demo = booleanFlag(args, 'demo');
    const failureRate = rateFlag(args, 'failure-rate', 'recover');
    if (failureRate !== undefined && !demo) throw new UsageError('--failure-rate only applies with --demo', 'recover');
    // Demo handlers "deliver" into a file: never into a real database unless --db says so.
    const explicitDb = stringFlag(args, 'db');
    const maxTurnsPerPass = intFlag(args, 'max-turns-per-pass', { min: 1, max: 10_000 }, 'recover');
    return async (ctx) => {
      const file = demo ? (explicitDb ?? demoDbPath()) : ctx.dbPath;
      const sinkFile = demo ? sinkPath(file) : null;
      let handlers = {};
      const store = await ctx.open({ file });
      if (sinkFile !== null) {
        // A fresh seed per run: a fixed one would fail the same sends on every invocation.
        const gateway = new DemoGateway(store, { failureRate: failureRate ?? 0, seed: Date.now() >>> 0, sinkFile });
        handlers = { deliver: gateway.deliver, replay: gateway.replay };
      }
      const worker = new RecoveryWorker(store, { ...handlers, maxTurnsPerPass });
      let report: PassReport;
      try {
        report = await worker.runOnce();
      } finally {
        await worker.stop();
      }
      ctx.out.emit({ handlers: demo ? 'demo' : 'none', dbPath: displayLocation(file), sinkFile, report }, () =>
        renderReport(report, sinkFile),
      );
    };
  },
};

function renderReport(r: PassReport, sinkFile: string | null): string {
  return [
    sinkFile === null
      ? 'recovery pass without handlers (no delivery, no replay)'
      : `recovery pass with the demo gateway (sink ${sinkFile})`,
    fields([
      ['rows delivered', String(r.rowsDelivered)],
      ['rows failed', String(r.rowsFailed)],
      ['rows with invalid payload', String(r.rowsInvalid)],
      ['non-final rows terminalized', String(r.nonFinalPruned)],
      ['turns finalized', String(r.turnsFinalized)],
      ['turns superseded', String(r.turnsSuperseded)],
      ['turns unroutable', String(r.turnsUnroutable)],
      ['turns replayed', String(r.turnsReplayed)],
      ['turns failed', String(r.turnsFailed)],
      ['rows expired', String(r.expiry.expiredRows)],
      ['rows given a last chance', String(r.expiry.lastChanceRows)],
      ['stale turns', String(r.expiry.staleTurns)],
      ['pruned', `${r.pruned.turns} turns, ${r.pruned.outbox} rows, ${r.pruned.history} history entries`],
    ]),
  ].join('\n');
}
