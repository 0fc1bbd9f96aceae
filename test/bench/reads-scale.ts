import { performance } from 'node:perf_hooks';
import type { OutboxFilter, TurnFilter } from '../../main/lifecycle';
import type { LifecycleStore } from '../../main/store/contract';
import { SqliteStore } from '../../main/store/sqlite/store';
import { ensureReadDb } from './generate';
import { indexCostTable, indexCosts } from './index-cost';
import { readLatencies, readTable, TARGET_MS, type ReadReport } from './reads';
import { envInt, heading, int, ms, table, type MeasureOptions } from './stats';
import { combinations } from '../helpers/combinations';

// The reads at scale (issue 10): the generated 10M-turn / 30M-row file (BENCH_TURNS scales it),
// every call of the dashboard with its filters and their combinations timed beside its target,
// then what the indexes those filters need cost a writer.
//
//   node dist/test/bench/reads-scale.js        BENCH_TURNS (default 10,000,000)
//   BENCH_INDEX_COST_TURNS (default 20,000)    turns inserted per index-cost run

export const SCALE_TURNS = 10_000_000;
const READS: MeasureOptions = { runs: 100, warmup: 5, budgetMs: 3_000, minRuns: 10 };

interface Sweep {
  label: string;
  worst: number;
  median: number;
}

/**
 * Every combination of each view's filters (as the plans test builds them), first page and the
 * next, both orders, each the best of 3 calls: the slowest of them against the list target.
 */
async function sweep(store: LifecycleStore): Promise<{ calls: number; slowest: Sweep[] }> {
  const newest = await store.listTurns({ order: 'desc', limit: 100 });
  const t = newest.items.find((x) => x.status === 'delivered') ?? newest.items[0]!;
  const rows = (await store.turnDetail(t.id)).outbox;
  const turnFilters = combinations<TurnFilter>({
    status: [undefined, ['failed_terminal'], ['delivered', 'aborted', 'running']],
    sessionKey: [undefined, t.sessionKey],
    channel: [undefined, t.channel],
    stuck: [undefined, true],
    search: [undefined, t.id, t.sessionKey.slice(0, -1), 'agent:'],
    order: ['asc', 'desc'],
    cursor: [undefined],
    limit: [undefined],
  });
  const outboxFilters = combinations<OutboxFilter>({
    status: [undefined, ['failed_retryable'], ['delivered', 'expired', 'queued']],
    turnId: [undefined, t.id],
    kind: [undefined, 'final', 'direct'],
    channel: [undefined, t.channel],
    stuck: [undefined, true],
    search: [undefined, rows[0]?.id ?? t.id],
    order: ['asc', 'desc'],
    cursor: [undefined],
    limit: [undefined],
  });
  const timed = async (label: string, call: (cursor: string | null) => Promise<{ nextCursor: string | null }>) => {
    const times: number[] = [];
    let next: string | null = null;
    for (const page of [0, 1]) {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await call(page === 0 ? null : next);
        times.push(performance.now() - t0);
        if (page === 0) next = r.nextCursor;
      }
      if (!next) break;
    }
    const best = (xs: number[]): number => Math.min(...xs);
    return {
      label,
      worst: Math.max(best(times.slice(0, 3)), times.length > 3 ? best(times.slice(3)) : 0),
      median: best(times),
    };
  };
  const out: Sweep[] = [];
  for (const f of turnFilters)
    out.push(await timed(`listTurns(${JSON.stringify(f)})`, (cursor) => store.listTurns({ ...f, limit: 100, cursor })));
  for (const f of outboxFilters)
    out.push(
      await timed(`listOutbox(${JSON.stringify(f)})`, (cursor) => store.listOutbox({ ...f, limit: 100, cursor })),
    );
  out.sort((a, b) => b.worst - a.worst);
  return { calls: out.length, slowest: out.slice(0, 8) };
}

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
  let swept: Awaited<ReturnType<typeof sweep>>;
  try {
    report = await readLatencies(store, options.reads ?? READS);
    swept = await sweep(store);
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

  console.log(
    `\nEvery filter combination of the two views (${swept.calls}: statuses none/one/several × each field × search kinds × ` +
      `both orders), page 1 and page 2, best of 3 calls each; the slowest, against < ${TARGET_MS.list} ms:`,
  );
  console.log();
  console.log(
    table(
      ['call', 'slower page', ''],
      swept.slowest.map((r) => [r.label, ms(r.worst), r.worst < TARGET_MS.list ? 'PASS' : 'MISS']),
    ),
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

if (require.main === module && process.env.NODE_TEST_CONTEXT === undefined) {
  readsScaleSection(envInt('BENCH_TURNS', SCALE_TURNS), {
    indexCostTurns: envInt('BENCH_INDEX_COST_TURNS', 20_000),
  }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
