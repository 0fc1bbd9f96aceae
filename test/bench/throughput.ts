import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../main/store/sqlite/store';
import { coreThroughput } from './throughput-core';
import { plainjobThroughput } from './throughput-plainjob';
import { RAW_SCHEMAS, rawThroughput, type RawSchema } from './throughput-raw';
import { runRounds, type Contender, type ThroughputResult } from './throughput-shared';
import { storeThroughput } from './throughput-store';
import { envInt, heading, int, ratio, table } from './stats';

// Issue 10's "core at the floor": the core's full turn against the hand-written raw-SQL floor on
// the same schema and against plainjob, with the targets printed beside the figures;
// then what each schema element costs the raw floor (turns/s and CPU per turn without it).
//   node dist/test/bench/throughput.js   (BENCH_THROUGHPUT_TURNS, BENCH_CONCURRENCY, BENCH_ROUNDS)

const SCHEMA_LABEL: Record<RawSchema, string> = {
  same: 'same schema (every index; count/minute, timeline, search and channel-stats triggers; v6)',
  'v3-triggers': "same, with version 3's triggers (before v4 merged them)",
  'no-v4-indexes': "minus v4's six indexes (the lists' ordered walks, status()'s stuck counts)",
  'no-v5-search': "minus v5's search index (the FTS5 trigram tables' triggers)",
  'no-extra-indexes': 'minus the indexes beyond the SPEC',
  'no-count-triggers': 'minus the count/minute triggers',
  'no-history-trigger': 'minus the history trigger',
  bare: 'bare SPEC schema (no triggers, no extra indexes or columns)',
};

const cpuPerTurn = (r: ThroughputResult): number => (r.cpuMs * 1000) / r.turns;

/** The core's full turn with group commit, directly and through the store contract (SqliteStore). */
export function coreContenders(turns: number, concurrency: number, warmup: number): Contender[] {
  return [
    (d) => coreThroughput(d, { turns, concurrency, warmup, grouped: true }),
    (d) =>
      storeThroughput(async () => SqliteStore.open(path.join(d, 'store-sqlite.db')), {
        label: `core via the store contract (SqliteStore, ${concurrency} in flight)`,
        turns,
        concurrency,
        warmup,
      }),
  ];
}

/** The throughput targets for the core, and the cost of each schema element on the raw floor. */
export async function throughputSection(
  turns = envInt('BENCH_THROUGHPUT_TURNS', 20_000),
  concurrency = envInt('BENCH_CONCURRENCY', 64),
  rounds = envInt('BENCH_ROUNDS', 2),
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-throughput-'));
  const warmup = Math.min(2_000, Math.ceil(turns / 10));
  heading(`core at the floor: full turn, ${int(turns)} turns, ${concurrency} in flight`);
  console.log('accept → markRunning → enqueue final → beginSend → ack → finalize, each step awaited, group commit;');
  console.log(`WAL + synchronous=NORMAL, fresh files under ${dir}, ${int(warmup)} warm-up turns first;`);
  console.log(`${rounds} rounds, contenders alternating, best round reported (CPU = user+sys of this process,`);
  console.log(
    `the lowest round's; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the start: the cores are shared).`,
  );
  const contenders: Contender[] = [
    ...coreContenders(turns, concurrency, warmup),
    (d) => plainjobThroughput(d, { jobs: turns, warmup }),
    ...RAW_SCHEMAS.map(
      (schema): Contender =>
        (d) =>
          rawThroughput(d, { turns, concurrency, warmup, mode: 'grouped', schema }),
    ),
  ];
  const all = await runRounds(dir, contenders, rounds);
  const best = all.map((rs) => rs.reduce((a, b) => (b.perSec > a.perSec ? b : a)));
  // CPU per turn: each contender's lowest over the rounds, the one least inflated by other load.
  const cpuOf = (r: ThroughputResult): number => Math.min(...all[best.indexOf(r)]!.map(cpuPerTurn));
  const [core, viaStore, plain] = best as [ThroughputResult, ThroughputResult, ThroughputResult];
  const raws = best.slice(3);
  const floor = raws[0]!;
  console.log();
  console.log(
    table(
      ['', 'turns/s', 'rounds', 'wall µs/turn', 'CPU µs/turn', 'CPU rounds', 'commits', 'check', 'note'],
      [core, viaStore, plain, floor].map((r) => {
        const k = best.indexOf(r);
        return [
          r.label,
          int(r.perSec),
          all[k]!.map((x) => int(x.perSec)).join(' / '),
          ((r.ms * 1000) / r.turns).toFixed(0),
          cpuOf(r).toFixed(0),
          all[k]!.map((x) => cpuPerTurn(x).toFixed(0)).join(' / '),
          r.commits === undefined ? '-' : int(r.commits),
          r.check,
          r.note ?? '',
        ];
      }),
    ),
  );
  console.log();
  const atMost = (value: number, max: number): string => `${value <= max ? 'PASS' : 'MISS'} (target ≤ ${max}×)`;
  const atLeast = (value: number, min: number): string => `${value >= min ? 'PASS' : 'MISS'} (target ≥ ${min}×)`;
  const cpu = cpuOf(core) / cpuOf(floor);
  const wall = core.perSec / floor.perSec;
  const plainRatio = core.perSec / plain.perSec;
  console.log(
    table(
      ['target (issue 10)', 'measured', 'verdict'],
      [
        ['core CPU per turn / raw floor (same schema)', ratio(cpu), atMost(cpu, 1.4)],
        ['core turns/s / raw floor (same schema)', ratio(wall), atLeast(wall, 0.7)],
        ['core turns/s / plainjob jobs/s', ratio(plainRatio), atLeast(plainRatio, 1)],
        ['plainjob CPU per job / core CPU per turn', ratio(cpuOf(plain) / cpuOf(core)), 'for information'],
        ['core via the store contract / core', ratio(viaStore.perSec / core.perSec), 'for information'],
      ],
    ),
  );
  console.log();
  console.log('what each schema element costs the raw floor (grouped; same writes, one element taken away):');
  console.log(
    table(
      ['raw SQL schema', 'turns/s', 'rounds', 'CPU µs/turn', 'CPU rounds', 'CPU vs same schema', 'check'],
      raws.map((r, i) => [
        SCHEMA_LABEL[RAW_SCHEMAS[i]!],
        int(r.perSec),
        all[3 + i]!.map((x) => int(x.perSec)).join(' / '),
        cpuOf(r).toFixed(0),
        all[3 + i]!.map((x) => cpuPerTurn(x).toFixed(0)).join(' / '),
        ratio(cpuOf(r) / cpuOf(floor)),
        r.check,
      ]),
    ),
  );
}

if (require.main === module) {
  throughputSection().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
