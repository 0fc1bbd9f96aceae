import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PgStore } from '../../main/store/postgres/store';
import { pgCluster } from '../helpers/pg-cluster';
import { explainStatement, statementRecorder } from './explain-pg';
import { cachedReadDb, readDbFile } from './generate';
import { loadPgReadDb } from './generate-pg';
import { pgBench } from './pg-server';
import { overTarget, readLatencies, readTable, type ReadReport, type ReadResult } from './reads';
import { heading, int, type MeasureOptions } from './stats';

// The read benchmark on PostgreSQL: the SQLite section's rows (generate.ts) loaded into a fresh
// database of the throwaway cluster (generate-pg.ts), the same calls (reads.ts) timed through
// PgStore, beside the SQLite figures of the same run, with the plans of those over target.

export interface SqliteReads {
  generatedAt: number;
  report: ReadReport;
}

export async function readsPg(turns: number, options: MeasureOptions, sqlite?: SqliteReads): Promise<void> {
  heading(`read latency on PostgreSQL: ${int(turns)} turns / ${int(turns * 3)} outbox rows`);
  const probe = await pgBench();
  if (!probe.ok) {
    console.log(`skipped: ${probe.reason}`);
    return;
  }
  console.log(`${probe.settings}.`);
  // The SQLite file's "now" when there is one, so both hold the very same rows (ids and times).
  const now = sqlite?.generatedAt ?? cachedReadDb(readDbFile(turns), turns)?.generatedAt ?? Date.now();
  const url = pgCluster().createDatabase('bench_reads');
  try {
    console.log(`loading ${int(turns)} turns / ${int(turns * 3)} outbox rows into a fresh database (not kept)…`);
    const data = await loadPgReadDb(url, turns, now, (line) => console.log(line));
    console.log(
      `${int(data.turns)} turns, ${int(data.rows)} outbox rows, ${int(data.history)} timeline entries, ` +
        `${(data.bytes / 2 ** 20).toFixed(0)} MiB: generated in ${(data.generationMs / 1000).toFixed(1)} s (${data.phases}).`,
    );
    const store = await PgStore.open(url, { now: () => data.generatedAt });
    const record = statementRecorder(store.pool);
    const slow: { result: ReadResult; lines: string[] }[] = [];
    let report: ReadReport;
    const t0 = performance.now();
    try {
      report = await readLatencies(store, options, async (result, call) => {
        if (!overTarget(result)) return;
        // Its statements, recorded on one more call, each explained as the store runs it.
        const lines: string[] = [];
        for (const s of await record(call.run)) lines.push(...(await explainStatement(url, s)));
        slow.push({ result, lines });
      });
    } finally {
      await store.close();
    }
    console.log(
      `clock fixed at the data's "now"; ${int(report.activeTurns)} non-terminal turns, ${int(report.stuckTurns)} stuck turns, ` +
        `${int(report.stuckOutbox)} stuck rows; timed in ${((performance.now() - t0) / 1000).toFixed(1)} s.`,
    );
    console.log(
      `p50/p99/max of up to ${options.runs} runs after ${options.warmup} warm-up runs each, one at a time, through PgStore ` +
        `(pool of 10); PASS when the p99 is under the target${sqlite ? '; SQLite: the section above' : ''}:`,
    );
    console.log();
    console.log(readTable(report.results, sqlite ? { name: 'SQLite', results: sqlite.report.results } : undefined));
    if (slow.length > 0) {
      console.log();
      console.log('over target (or over 20 ms without one), EXPLAIN (ANALYZE, BUFFERS off) of each statement sent:');
      for (const { result, lines } of slow) {
        console.log(`- ${result.label}:`);
        for (const line of lines) console.log(`    ${line}`);
      }
    }
  } finally {
    await dropDatabase(url);
  }
}

/** Drops the database (a server given by LIFECYCLE_PG_URL keeps it otherwise; the throwaway cluster goes anyway). */
async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: pgCluster().url('postgres') });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
  } catch {
    // left for the cluster's removal
  } finally {
    await client.end().catch(() => undefined);
  }
}
