import { DEMO_CONFIG } from '../../demo/gateway';
import { runDemo, type DemoSummary } from '../../demo/run';
import { OUTBOX_STATUSES, TURN_STATUSES } from '../../../shared/types';
import { booleanFlag, intFlag, positionals, rateFlag, stringFlag } from '../args';
import type { Command, CommandContext } from '../command';
import { UsageError } from '../errors';
import { fields } from '../output';
import { demoDbPath, sinkPath } from '../paths';
import { createProgress } from '../progress';
import { displayLocation, isPostgresUrl } from '../../store/location';
import { seedPast } from '../../demo/past';
import { DEFAULT_DEMO_SEED } from '../../demo/scenario';

const DEFAULTS = { turns: 200, failureRate: 0, seed: 1, abortRate: 0.02, duplicateRate: 0.02, concurrency: 4 };

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run simulated chat traffic through the real core and recovery worker',
  usage:
    'demo [--turns N] [--failure-rate P] [--seed S] [--abort-rate P] [--duplicate-rate P] [--concurrency N] | demo --incident [--seed S]',
  details: [
    `--turns N           inbound messages, 1 to 100000 (default ${DEFAULTS.turns})`,
    `--failure-rate P    probability 0 to 1 that a send or the agent fails (default ${DEFAULTS.failureRate})`,
    `--seed S            integer seed; with failure rate 0 the counts are the same on every run (default ${DEFAULTS.seed})`,
    `--abort-rate P      probability that a message aborts its session (default ${DEFAULTS.abortRate})`,
    `--duplicate-rate P  probability that the platform delivers a message twice (default ${DEFAULTS.duplicateRate})`,
    `--concurrency N     messages processed at once, 1 to 64 (default ${DEFAULTS.concurrency})`,
    "--incident          instead: write the demo incident's last two hours (an outage, dead letters, a poison",
    '                    turn, a looping session) into the database and stop; `serve --demo` plays it live.',
    `                    Its seed is --seed (default ${DEFAULT_DEMO_SEED}); a file with turns of the last two hours is left as it is.`,
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
    incident: 'boolean',
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
    if (booleanFlag(args, 'incident')) {
      const others = ['turns', 'failure-rate', 'abort-rate', 'duplicate-rate', 'concurrency'].filter((f) =>
        args.flags.has(f),
      );
      if (others.length > 0) throw new UsageError(`--incident takes no --${others.join(', --')}`, 'demo');
      const seed = rawSeed === undefined ? DEFAULT_DEMO_SEED : Number(rawSeed);
      return async (ctx) => incident(ctx, explicitDb ?? demoDbPath(), seed);
    }
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

/** The incident's past, written on the sync core in one transaction (past.ts), then counted. */
async function incident(ctx: CommandContext, file: string, seed: number): Promise<void> {
  if (isPostgresUrl(file))
    throw new UsageError('--incident writes a SQLite demo file, not a PostgreSQL database', 'demo');
  const store = await ctx.open({ file, create: true, config: DEMO_CONFIG });
  const startAt = await store.now();
  const past = seedPast(store.location, { seed, startAt, owner: store.owner });
  const status = await store.status();
  const summary = { seed, dbPath: displayLocation(file), written: past !== null, turns: past?.turns ?? 0, status };
  ctx.out.emit(summary, () =>
    [
      past
        ? `demo incident (seed ${seed}): the last two hours written, ${past.turns} inbound messages`
        : 'demo incident: this file already has turns of the last two hours; nothing written',
      fields([
        ['stuck', `${status.stuckTurns} turns, ${status.stuckOutbox} rows`],
        [
          'failed for good',
          `${status.turns.failed_terminal} turns, ${status.outbox.failed_terminal + status.outbox.expired} rows`,
        ],
        ['database', summary.dbPath],
        ['next', 'serve --demo --db <this file> plays it live'],
      ]),
    ].join('\n'),
  );
}

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
