import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../main/lifecycle/migrations';
import { SqliteStore } from '../../main/store/sqlite/store';
import { tempDir } from '../helpers/temp-db';
import { BENCH_OUTBOX_COLUMNS, BENCH_TURN_COLUMNS, benchData } from './generate';
import { int, table } from './stats';

// What migration v5 (error signature, triage indexes, the FTS5 trigram search index and its
// triggers) costs a raw writer: turns with their 3 rows inserted by plain SQL, one commit per 64
// turns, into a file at version 4 and one at version 5; then the same rows failed by UPDATE (the
// signature and the search index follow last_error). CPU µs per turn of this process: less
// disturbed than wall time by other processes. Then what migration 5 and the search index's
// backfill take on a file of that many turns. Run: node dist/test/bench/triage-writes.js [turns] [rounds]

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

/** How long the paced backfill runs in the figure of its rate. */
const PACED_MS = 5_000;

/**
 * Migration 5 of a file of `turns` turns written at version 4 (it no longer indexes the rows
 * already there: it holds the write lock only for its columns, indexes and triggers), then the
 * search index's backfill of those rows: paced (as the API engine runs it, a gateway getting
 * the lock between its transactions) for PACED_MS, then the rest unpaced (the generator's way).
 */
async function measureMigration(turns: number): Promise<string[][]> {
  const file = path.join(tempDir('lifecycle-v5-migration-'), 'migrate.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (let i = 0; i < 4; i++) MIGRATIONS[i]!(db);
    db.pragma('user_version = 4');
  })();
  const insert = (t: string, cols: readonly string[]): Database.Statement =>
    db.prepare(`INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  const turn = insert('message_turns', BENCH_TURN_COLUMNS);
  const row = insert('message_outbox', BENCH_OUTBOX_COLUMNS);
  const data = [...benchData(turns, Date.UTC(2026, 0, 1))];
  db.transaction(() => {
    for (const t of data) {
      turn.run(t.turn);
      for (const r of t.rows) row.run(r);
    }
  })();
  db.close();
  let t0 = performance.now();
  const store = SqliteStore.open(file);
  const migrateMs = performance.now() - t0;
  try {
    const total = store.searchIndexState()!.total;
    t0 = performance.now();
    let paced = 0;
    while (performance.now() - t0 < PACED_MS) {
      const n = await store.backfillSearch(1_000);
      if (n === 0) break;
      paced += n;
    }
    const pacedS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const rest = store.lc.backfillSearchNow();
    const restS = (performance.now() - t0) / 1000;
    return [
      ['v4 → v5 migration (open)', `${int(turns)} turns, ${int(total)} rows to index`, `${migrateMs.toFixed(0)} ms`],
      ['search backfill, paced', `${int(paced)} rows in ${pacedS.toFixed(1)} s`, `${int(paced / pacedS)} rows/s`],
      ['search backfill, unpaced', `${int(rest)} rows in ${restS.toFixed(1)} s`, `${int(rest / restS)} rows/s`],
    ];
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
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
  console.log(`\nthe rows already in a file: migration, then the search index's backfill`);
  console.log(table(['step', 'work', 'time / rate'], await measureMigration(turns)));
}

void main();
