import { DEMO_CONFIG } from '../../demo/gateway';
import { runDemo, type DemoSummary } from '../../demo/run';
import { OUTBOX_STATUSES, TURN_STATUSES } from '../../../shared/types';
import { intFlag, positionals, rateFlag, stringFlag } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { fields } from '../output';
import { demoDbPath, sinkPath } from '../paths';
import { createProgress } from '../progress';
import { displayLocation } from '../../store/location';

const DEFAULTS = { turns: 200, failureRate: 0, seed: 1, abortRate: 0.02, duplicateRate: 0.02, concurrency: 4 };

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run simulated chat traffic through the real core and recovery worker',
  usage: 'demo [--turns N] [--failure-rate P] [--seed S] [--abort-rate P] [--duplicate-rate P] [--concurrency N]',
  details: [
    `--turns N           inbound messages, 1 to 100000 (default ${DEFAULTS.turns})`,
    `--failure-rate P    probability 0 to 1 that a send or the agent fails (default ${DEFAULTS.failureRate})`,
    `--seed S            integer seed; with failure rate 0 the counts are the same on every run (default ${DEFAULTS.seed})`,
    `--abort-rate P      probability that a message aborts its session (default ${DEFAULTS.abortRate})`,
    `--duplicate-rate P  probability that the platform delivers a message twice (default ${DEFAULTS.duplicateRate})`,
    `--concurrency N     messages processed at once, 1 to 64 (default ${DEFAULTS.concurrency})`,
    'Without --db the demo uses demo/message-lifecycle.db in your data directory, never the real database.',
    'Sends land in demo-sink.jsonl beside the database.',
  ],
  flags: {
    turns: 'string',
    'failure-rate': 'string',
    seed: 'string',
    'abort-rate': 'string',
    'duplicate-rate': 'string',
    concurrency: 'string',
  },
  prepare(args) {
    positionals(args, [], 'demo');
    const explicitDb = stringFlag(args, 'db');
    const rawSeed = stringFlag(args, 'seed');
    if (rawSeed !== undefined && !/^\d{1,10}$/.test(rawSeed)) {
      throw new UsageError(`--seed must be a non-negative integer, not "${rawSeed}"`, 'demo');
    }
    const options = {
      turns: intFlag(args, 'turns', { min: 1, max: 100_000 }, 'demo') ?? DEFAULTS.turns,
      failureRate: rateFlag(args, 'failure-rate', 'demo') ?? DEFAULTS.failureRate,
      seed: rawSeed === undefined ? DEFAULTS.seed : Number(rawSeed),
      abortRate: rateFlag(args, 'abort-rate', 'demo') ?? DEFAULTS.abortRate,
      duplicateRate: rateFlag(args, 'duplicate-rate', 'demo') ?? DEFAULTS.duplicateRate,
      concurrency: intFlag(args, 'concurrency', { min: 1, max: 64 }, 'demo') ?? DEFAULTS.concurrency,
    };
    return async (ctx) => {
      const file = explicitDb ?? demoDbPath();
      const store = await ctx.open({ file, create: true, config: DEMO_CONFIG });
      const sinkFile = sinkPath(file);
      const progress = createProgress('demo');
      let summary: DemoSummary;
      try {
        summary = await runDemo(store, {
          ...options,
          sinkFile,
          onProgress: (done, total) => progress.update(done, total),
        });
      } finally {
        progress.finish();
      }
      ctx.out.emit({ options, dbPath: displayLocation(file), ...summary }, () =>
        render(summary, displayLocation(file)),
      );
    };
  },
};

function render(s: DemoSummary, file: string): string {
  const nonZero = (counts: Record<string, number>, statuses: readonly string[]): string =>
    statuses
      .filter((st) => (counts[st] ?? 0) > 0)
      .map((st) => `${st} ${counts[st]}`)
      .join(', ') || 'none';
  return [
    `demo: ${s.turns} inbound messages${s.open > 0 ? `, ${s.open} turns still open (the recovery worker will finish them)` : ''}`,
    fields([
      ['turns in db', nonZero(s.status.turns, TURN_STATUSES)],
      ['outbox in db', nonZero(s.status.outbox, OUTBOX_STATUSES)],
      ['stuck', `${s.status.stuckTurns} turns, ${s.status.stuckOutbox} rows`],
      ['database', file],
      ['sink', s.sinkFile],
    ]),
  ].join('\n');
}
