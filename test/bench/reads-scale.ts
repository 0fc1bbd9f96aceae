import { SqliteStore } from '../../main/store/sqlite/store';
import { ensureReadDb } from './generate';
import { indexCostTable, indexCosts } from './index-cost';
import { readLatencies, readTable, TARGET_MS, type ReadReport } from './reads';
import { heading, int, type MeasureOptions } from './stats';

// The reads at scale (issue 10): the generated 10M-turn / 30M-row file (BENCH_TURNS scales it),
// every call of the dashboard with its filters and their combinations timed beside its target,
// then what the indexes those filters need cost a writer.
//
//   node dist/test/bench/reads-scale.js        BENCH_TURNS (default 10,000,000)
//   BENCH_INDEX_COST_TURNS (default 20,000)    turns inserted per index-cost run

export const SCALE_TURNS = 10_000_000;
const READS: MeasureOptions = { runs: 100, warmup: 5, budgetMs: 3_000, minRuns: 10 };

export interface ScaleReads {
  generatedAt: number;
  report: ReadReport;
}

export async function readsScaleSection(
  turns = SCALE_TURNS,
  options: { indexCostTurns?: number; reads?: MeasureOptions } = {},
): Promise<ScaleReads> {
  heading(`reads at scale: ${int(turns)} turns / ${int(turns * 3)} outbox rows`);
  const data = ensureReadDb(turns, (line) => console.log(line));
  console.log(
    `${data.file}: ${(data.bytes / 2 ** 30).toFixed(2)} GiB, ` +
      (data.generationMs === null
        ? 'cached from an earlier run'
        : `generated in ${(data.generationMs / 1000).toFixed(1)} s (target: a few minutes)`),
  );
  // The clock fixed at the data's "now", so a cached file looks as fresh as it did then.
  const store = SqliteStore.open(data.file, { now: () => data.generatedAt });
  let report: ReadReport;
  try {
    report = await readLatencies(store, options.reads ?? READS);
  } finally {
    await store.close();
  }
  console.log(
    `${int(report.activeTurns)} non-terminal turns, ${int(report.stuckTurns)} stuck turns, ${int(report.stuckOutbox)} stuck rows. ` +
      `Targets: status < ${TARGET_MS.status} ms, any page of any list < ${TARGET_MS.list} ms, series < ${TARGET_MS.series} ms (p99).`,
  );
  console.log(`p50/p99/max of up to ${(options.reads ?? READS).runs} runs each, through SqliteStore, one at a time:`);
  console.log();
  console.log(readTable(report.results));
  const missed = report.results.filter((r) => r.targetMs !== null && r.latency.p99 >= r.targetMs);
  console.log(
    missed.length === 0
      ? `\nevery figure with a target under it (${report.results.filter((r) => r.targetMs !== null).length}).`
      : `\n${missed.length} over target: ${missed.map((r) => r.label).join('; ')}`,
  );

  const costTurns = options.indexCostTurns ?? 20_000;
  console.log(
    `\nWhat v4's indexes cost a writer: ${int(costTurns)} turns (+3 rows each) inserted into a copy of the 100,000-turn file, ` +
      `prepared single-row inserts, ${64} turns per commit, WAL + synchronous=NORMAL (variants in turn, best of 3):`,
  );
  console.log();
  console.log(indexCostTable(indexCosts(costTurns, 100_000, 3, (line) => console.log(line))));
  return { generatedAt: data.generatedAt, report };
}

const envInt = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};

if (require.main === module && process.env.NODE_TEST_CONTEXT === undefined) {
  readsScaleSection(envInt('BENCH_TURNS', SCALE_TURNS), {
    indexCostTurns: envInt('BENCH_INDEX_COST_TURNS', 20_000),
  }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
