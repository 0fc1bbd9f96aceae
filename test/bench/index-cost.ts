import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { V4_INDEXES } from '../../main/lifecycle/migrations/v4';
import { tempDir } from '../helpers/temp-db';
import { BENCH_OUTBOX_COLUMNS, BENCH_TURN_COLUMNS, benchData, ensureReadDb } from './generate';
import { int, table } from './stats';

// What the indexes of migration v4 cost a writer: raw inserts of turns and their 3 rows (the
// schema's triggers included), one prepared statement per row and one commit per batch as the
// core's group commit does, into a copy of a generated file, with and without each of them.

export interface IndexCost {
  label: string;
  perSec: number;
  /** CPU time of this process per turn, µs: less disturbed than wall time by other processes' I/O. */
  cpuUs: number;
}

const DEDUPE = BENCH_TURN_COLUMNS.indexOf('dedupe_key');
/** Turns per commit: about what the group commit gathers at 64 in flight. */
const PER_COMMIT = 64;

function insertRate(file: string, drop: readonly string[], turns: number, from: number): Omit<IndexCost, 'label'> {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    for (const name of drop) db.exec(`DROP INDEX ${name}`);
    const insert = (t: string, cols: readonly string[]): Database.Statement =>
      db.prepare(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    const turn = insert('message_turns', BENCH_TURN_COLUMNS);
    const row = insert('message_outbox', BENCH_OUTBOX_COLUMNS);
    // Later than the file's rows; a dedupe key of its own (benchData's repeat for the same index).
    const data = [...benchData(turns, from)].map((t, i) => {
      t.turn[DEDUPE] = `${String(t.turn[DEDUPE])}:later-${i}`;
      return t;
    });
    const batch = db.transaction((part: typeof data) => {
      for (const t of part) {
        turn.run(t.turn);
        for (const r of t.rows) row.run(r);
      }
    });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < data.length; i += PER_COMMIT) batch(data.slice(i, i + PER_COMMIT));
    const cpu = process.cpuUsage(cpu0);
    return { perSec: (turns / (performance.now() - t0)) * 1000, cpuUs: (cpu.user + cpu.system) / turns };
  } finally {
    db.close();
  }
}

/**
 * Turns/s (each with its 3 rows) inserted into a copy of the `base`-turn file: with none of v4's
 * indexes (the schema before them), with each alone, and with all of them: the variants in
 * turn, `rounds` times over, the best of each (so a noisy moment spreads over all of them).
 */
export function indexCosts(turns: number, base: number, rounds: number, log: (l: string) => void): IndexCost[] {
  const data = ensureReadDb(base, log);
  const dir = tempDir('lifecycle-index-cost-');
  const names = Object.keys(V4_INDEXES);
  const variants: { label: string; drop: string[] }[] = [
    { label: 'without v4 indexes (schema v3)', drop: names },
    ...names.map((n) => ({ label: `+ ${n} only`, drop: names.filter((x) => x !== n) })),
    { label: 'with all v4 indexes', drop: [] },
  ];
  const best = variants.map((v) => ({ label: v.label, perSec: 0, cpuUs: Infinity }));
  for (let r = 0; r < rounds; r++) {
    variants.forEach((v, i) => {
      const file = path.join(dir, 'copy.db');
      fs.copyFileSync(data.file, file);
      const m = insertRate(file, v.drop, turns, data.generatedAt + 3 * 86_400_000);
      best[i]!.perSec = Math.max(best[i]!.perSec, m.perSec);
      best[i]!.cpuUs = Math.min(best[i]!.cpuUs, m.cpuUs);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return best;
}

export function indexCostTable(costs: readonly IndexCost[]): string {
  const base = costs[0]!;
  const pct = (a: number, b: number): string => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
  return table(
    ['schema', 'turns/s (+3 rows each)', 'vs without', 'CPU µs/turn', 'vs without'],
    costs.map((c) => [
      c.label,
      int(c.perSec),
      pct(c.perSec, base.perSec),
      c.cpuUs.toFixed(0),
      pct(c.cpuUs, base.cpuUs),
    ]),
  );
}
