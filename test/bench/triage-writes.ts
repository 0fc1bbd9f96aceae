import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../main/lifecycle/migrations';
import { tempDir } from '../helpers/temp-db';
import { BENCH_OUTBOX_COLUMNS, BENCH_TURN_COLUMNS, benchData } from './generate';
import { int, table } from './stats';

// What migration v5 (error signature, triage indexes, the FTS5 trigram search index and its
// triggers) costs a raw writer: turns with their 3 rows inserted by plain SQL, one commit per 64
// turns, into a file at version 4 and one at version 5; then the same rows failed by UPDATE (the
// signature and the search index follow last_error). CPU µs per turn of this process: less
// disturbed than wall time by other processes. Run: node dist/test/bench/triage-writes.js [turns] [rounds]

const PER_COMMIT = 64;

function measure(version: number, turns: number): { insertUs: number; failUs: number; perSec: number } {
  const file = path.join(tempDir('lifecycle-v5-cost-'), 'cost.db');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => {
      for (let i = 0; i < version; i++) MIGRATIONS[i]!(db);
      db.pragma(`user_version = ${version}`);
    })();
    const insert = (t: string, cols: readonly string[]): Database.Statement =>
      db.prepare(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    const turn = insert('message_turns', BENCH_TURN_COLUMNS);
    const row = insert('message_outbox', BENCH_OUTBOX_COLUMNS);
    const data = [...benchData(turns, Date.UTC(2026, 0, 1))];
    const batch = db.transaction((part: typeof data) => {
      for (const t of part) {
        turn.run(t.turn);
        for (const r of t.rows) row.run(r);
      }
    });
    const t0 = performance.now();
    let cpu0 = process.cpuUsage();
    for (let i = 0; i < data.length; i += PER_COMMIT) batch(data.slice(i, i + PER_COMMIT));
    let cpu = process.cpuUsage(cpu0);
    const perSec = (turns / (performance.now() - t0)) * 1000;
    const insertUs = (cpu.user + cpu.system) / turns;
    const ids = db.prepare('SELECT id FROM message_outbox ORDER BY rowid LIMIT ?').pluck().all(turns) as string[];
    const fail = db.prepare(
      "UPDATE message_outbox SET status = 'failed_retryable', attempt_count = attempt_count + 1, last_error = ? WHERE id = ?",
    );
    const fails = db.transaction((part: string[]) => {
      for (const id of part) fail.run(`HTTP 502 from upstream 10.0.0.${id.length}: "${id}"`, id);
    });
    cpu0 = process.cpuUsage();
    for (let i = 0; i < ids.length; i += PER_COMMIT) fails(ids.slice(i, i + PER_COMMIT));
    cpu = process.cpuUsage(cpu0);
    return { insertUs, failUs: (cpu.user + cpu.system) / ids.length, perSec };
  } finally {
    db.close();
  }
}

function main(): void {
  const turns = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 3);
  const best = new Map<number, { insertUs: number; failUs: number; perSec: number }>();
  for (let r = 0; r < rounds; r++) {
    for (const v of [4, 5]) {
      const m = measure(v, turns);
      const b = best.get(v);
      best.set(
        v,
        b
          ? {
              insertUs: Math.min(b.insertUs, m.insertUs),
              failUs: Math.min(b.failUs, m.failUs),
              perSec: Math.max(b.perSec, m.perSec),
            }
          : m,
      );
    }
  }
  const v4 = best.get(4)!;
  console.log(`raw plain-SQL writes, ${int(turns)} turns × 3 rows, best of ${rounds}`);
  console.log(
    table(
      ['schema', 'insert turns/s', 'insert CPU µs/turn', 'fail UPDATE CPU µs/row'],
      [...best].map(([v, m]) => [
        `v${v}${v === 5 ? ` (×${(m.insertUs / v4.insertUs).toFixed(2)} insert, ×${(m.failUs / v4.failUs).toFixed(2)} fail)` : ''}`,
        int(m.perSec),
        m.insertUs.toFixed(0),
        m.failUs.toFixed(1),
      ]),
    ),
  );
}

main();
