import fs from 'node:fs';
import { seededRandom } from '../../main/demo/random';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { SCHEMA_VERSION } from '../../main/lifecycle/migrations';
import { TURN_MINUTES_BACKFILL } from '../../main/lifecycle/migrations/v2';
import { int } from './stats';
import { SPEC_OUTBOX_COLUMNS, SPEC_TURN_COLUMNS } from '../helpers/gateway-file';

// A large, realistic lifecycle database for the read benchmarks: N turns accepted over the
// last 48 hours, 3 outbox rows each (tool, block, final), mostly terminal, with small
// fractions of live, failed and stuck ones. The rows come from benchData (seeded: the same
// rows for the same size and "now", whichever backend loads them). The SQLite file is loaded
// the way a bulk load goes fast (multi-row inserts in big transactions into bare tables, then
// the indexes built once, the counters filled by set-based SQL, the triggers put back) and
// cached in os.tmpdir() under a name holding schema version, generator version and size
// (generate-pg.ts loads the same rows into PostgreSQL).

/** Bump when the generated data changes, so cached files are regenerated. */
const GENERATOR_VERSION = 4;
const HOUR = 3_600_000;
const SPAN = 48 * HOUR;
const SESSIONS = 5_000;
const CHANNELS = ['telegram', 'discord', 'slack', 'whatsapp'] as const;

export interface ReadDb {
  file: string;
  turns: number;
  rows: number;
  /** The "now" the data was generated for; the read benchmark runs its clock from there. */
  generatedAt: number;
  /** Milliseconds spent generating, or null when the cached file was used. */
  generationMs: number | null;
  bytes: number;
}

const FILE_PREFIX = 'lifecycle-desk-bench-s';

export function readDbFile(turns: number): string {
  const size = turns % 1_000_000 === 0 ? `${turns / 1_000_000}m` : turns % 1000 === 0 ? `${turns / 1000}k` : `${turns}`;
  return path.join(os.tmpdir(), `${FILE_PREFIX}${SCHEMA_VERSION}-g${GENERATOR_VERSION}-${size}.db`);
}

/** This generator's files of the same size from other schema or generator versions (never other names). */
function staleFiles(file: string): string[] {
  const size = path.basename(file).replace(/^.*-/, '');
  return fs
    .readdirSync(path.dirname(file))
    .filter((f) => f.startsWith(FILE_PREFIX) && /^lifecycle-desk-bench-s\d+-g\d+-/.test(f))
    .filter((f) => f.replace(/(-wal|-shm|\.partial.*)$/, '').endsWith(`-${size}`))
    .map((f) => path.join(path.dirname(file), f))
    .filter((f) => !f.startsWith(file));
}

function removeDb(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

function fileBytes(file: string): number {
  return [file, `${file}-wal`].reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}

/** The cached file if it matches (schema, generator, size), else null. */
export function cachedReadDb(file: string, turns: number): ReadDb | null {
  if (!fs.existsSync(file)) return null;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      if (db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) return null;
      const meta = Object.fromEntries(
        (db.prepare('SELECT key, value FROM bench_meta').all() as { key: string; value: string }[]).map((r) => [
          r.key,
          r.value,
        ]),
      );
      if (Number(meta.generator) !== GENERATOR_VERSION || Number(meta.turns) !== turns) return null;
      return {
        file,
        turns,
        rows: Number(meta.rows),
        generatedAt: Number(meta.generatedAt),
        generationMs: null,
        bytes: fileBytes(file),
      };
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

/** A time-ordered, UUIDv7-shaped id: what a gateway using v7 ids would write. */
function uuid7(ts: number, seq: number): string {
  const h = ts.toString(16).padStart(12, '0');
  const s = seq.toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${s.slice(0, 3)}-8${s.slice(3, 6)}-${s.slice(6)}${h.slice(6, 12)}`;
}

/**
 * The columns of message_turns that benchData's turn values fill, in their order: the SPEC's
 * (no thread ids: the rest keep their defaults) and the claim.
 */
export const BENCH_TURN_COLUMNS: readonly string[] = [
  ...SPEC_TURN_COLUMNS.filter((c) => c !== 'route_thread_id'),
  'claim_owner',
  'claim_expires_at',
];

/** Likewise for message_outbox. */
export const BENCH_OUTBOX_COLUMNS: readonly string[] = [...SPEC_OUTBOX_COLUMNS, 'claim_owner', 'claim_expires_at'];

/** One generated turn: its values and its outbox rows' (in BENCH_*_COLUMNS order). */
export interface BenchTurn {
  turn: unknown[];
  rows: unknown[][];
}

/** The read benchmark's data: `turns` turns (3 outbox rows each) as they stand at `now`, always the same for the same arguments. */
export function* benchData(turns: number, now: number): Generator<BenchTurn> {
  const rnd = seededRandom(0x1f2e3d4c); // seeded, so every generated file holds the same data
  const start = now - SPAN;
  const LIVE_OWNER = 'gateway-1:4242:a1b2c3';
  const DEAD_OWNER = 'gateway-1:3131:0f0e0d';

  type RowStatus = 'queued' | 'failed_retryable' | 'delivered' | 'failed_terminal' | 'expired';
  interface RowSpec {
    kind: 'tool' | 'block' | 'final';
    status: RowStatus;
    attempts?: number;
    error?: string | null;
    reason?: string | null;
    at?: number; // when it was done / last attempted
  }

  for (let i = 0; i < turns; i++) {
    const acceptedAt = start + Math.floor(((i + rnd()) * SPAN) / turns);
    const age = now - acceptedAt;
    const duration = 2_000 + Math.floor(rnd() * 28_000);
    const session = Math.floor(rnd() * SESSIONS);
    const channel = CHANNELS[session % CHANNELS.length]!;
    const chat = `chat${session}`;
    const id = uuid7(acceptedAt, i * 4);
    const r = rnd();

    let status: string;
    let attempts = 0;
    let updatedAt = acceptedAt + duration;
    let nextAttemptAt = acceptedAt;
    let terminalReason: string | null = null;
    let completedAt: number | null = null;
    let claimOwner: string | null = null;
    let claimExpiresAt: number | null = null;
    let outbox: RowSpec[];

    if (age < duration + 5_000) {
      // In flight right now, held by the live gateway: not stuck.
      claimOwner = LIVE_OWNER;
      claimExpiresAt = now + 5 * 60_000;
      if (r < 0.15) {
        status = 'accepted';
        updatedAt = acceptedAt;
        outbox = [
          { kind: 'tool', status: 'queued' },
          { kind: 'block', status: 'queued' },
          { kind: 'block', status: 'queued' },
        ];
      } else if (r < 0.6) {
        status = 'running';
        updatedAt = Math.min(now, acceptedAt + 200);
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'queued' },
        ];
      } else {
        status = 'delivery_pending';
        updatedAt = Math.min(now, acceptedAt + duration - 300);
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          { kind: 'final', status: 'queued' },
        ];
      }
    } else if (age < 24 * HOUR && r < 0.0035) {
      // Stuck: the cases the dashboard exists for.
      if (r < 0.0015) {
        status = 'failed_retryable';
        attempts = 1 + Math.floor(rnd() * 2);
        nextAttemptAt = updatedAt + 15_000;
        terminalReason = 'agent run failed: upstream model provider returned 529 overloaded';
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          { kind: 'block', status: 'failed_terminal', reason: 'non_final_pruned' },
        ];
      } else if (r < 0.0025) {
        status = 'running';
        updatedAt = acceptedAt + 500;
        claimOwner = DEAD_OWNER;
        claimExpiresAt = updatedAt + 5 * 60_000;
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          { kind: 'block', status: 'queued' },
        ];
      } else {
        status = 'delivery_pending';
        const a = 1 + Math.floor(rnd() * 4);
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          { kind: 'final', status: 'failed_retryable', attempts: a, error: '429 Too Many Requests: retry after 30' },
        ];
      }
    } else {
      const t = rnd();
      completedAt = updatedAt;
      if (t < 0.008) {
        status = 'failed_terminal';
        const expired = rnd() < 0.3;
        terminalReason = expired
          ? 'final reply failed: expired'
          : 'final reply failed: 403 Forbidden: bot was blocked by the user';
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          expired
            ? { kind: 'final', status: 'expired', attempts: 2, error: 'ETIMEDOUT', reason: 'expired' }
            : {
                kind: 'final',
                status: 'failed_terminal',
                attempts: 1,
                error: '403 Forbidden: bot was blocked by the user',
                reason: '403 Forbidden: bot was blocked by the user',
              },
        ];
      } else if (t < 0.011) {
        status = 'aborted';
        terminalReason = 'session aborted';
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'failed_terminal', reason: 'turn_aborted' },
          { kind: 'final', status: 'failed_terminal', reason: 'turn_aborted' },
        ];
      } else {
        status = 'delivered';
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          { kind: 'final', status: 'delivered' },
        ];
      }
    }

    const turn: unknown[] = [
      id,
      channel,
      'bot1',
      `${100_000_000 + i}`,
      `${channel}:bot1:${chat}:${100_000_000 + i}`,
      `agent:main:${channel}:${chat}`,
      `{"chat":"${chat}","text":"Message ${i}: why did the deploy fail?"}`,
      channel,
      chat,
      'bot1',
      i % 3 === 0 ? `${100_000_000 + i}` : null,
      acceptedAt,
      updatedAt,
      status,
      attempts,
      nextAttemptAt,
      terminalReason,
      completedAt,
      claimOwner,
      claimExpiresAt,
    ];

    const offsets = [0.3, 0.6, 1];
    const rows = outbox.map((o, k) => {
      const queuedAt = Math.min(now, acceptedAt + Math.floor(duration * offsets[k]!) - (k === 2 ? 300 : 0));
      const a = o.attempts ?? (o.status === 'delivered' ? 1 : 0);
      const lastAttemptAt = a > 0 || o.status === 'delivered' ? Math.min(now, queuedAt + 50 + a * 20_000) : null;
      const done = o.status === 'delivered' || o.status === 'failed_terminal' || o.status === 'expired';
      const doneAt = done ? Math.min(now, (lastAttemptAt ?? queuedAt) + 70) : null;
      const live = o.status === 'queued' && claimOwner === LIVE_OWNER;
      return [
        uuid7(queuedAt, i * 4 + k + 1),
        id,
        channel,
        'bot1',
        chat,
        o.kind,
        `{"text":"Reply ${i}.${k}: re-ran it, it passed."}`,
        queuedAt,
        o.status,
        a,
        o.status === 'failed_retryable'
          ? lastAttemptAt! + [5_000, 25_000, 120_000, 600_000][Math.min(a, 4) - 1]!
          : queuedAt,
        lastAttemptAt,
        o.status === 'delivered' ? doneAt : null,
        doneAt,
        o.error ?? null,
        o.error ? (o.status === 'failed_retryable' || o.status === 'expired' ? 'retryable' : 'permanent') : null,
        o.reason ?? null,
        o.kind === 'final' ? `${id}:final` : null,
        live ? LIVE_OWNER : null,
        live ? now + 5 * 60_000 : null,
      ];
    });
    yield { turn, rows };
  }
}

/** Turns per multi-row insert (their rows go in threes): under SQLite's 32,766 bound parameters. */
const BATCH = 250;
/** Turns per transaction of the load. */
const TX_TURNS = 100_000;

/** The outbox rows' per-minute counters, as migration v2 fills them for an adopted file. */
const OUTBOX_MINUTES_BACKFILL = `
  INSERT INTO lifecycle_minutes (entity, minute, status, entered)
    SELECT 'outbox', coalesce(completed_at, last_attempt_at, queued_at) / 60000, status, count(*)
    FROM message_outbox WHERE true GROUP BY 2, 3
    ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered;`;

/**
 * The timeline entries a gateway's inserts leave (one per turn and row, as the insert triggers
 * write them), for the turns someone opens: the unfinished and failed ones and the last hour's.
 * Every turn's would double the file for no read it times.
 */
function historySql(now: number): string {
  const wanted = `status <> 'delivered' OR accepted_at > ${now - HOUR}`;
  return `
    INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
      SELECT 'turn', id, id, NULL, status, 'gateway', terminal_reason, NULL, updated_at FROM message_turns WHERE ${wanted};
    INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
      SELECT 'outbox', o.id, o.turn_id, NULL, o.status, 'gateway', o.terminal_reason, NULL, coalesce(o.completed_at, o.queued_at)
      FROM message_turns t JOIN message_outbox o ON o.turn_id = t.id WHERE ${wanted.replace(/\b(status|accepted_at)\b/g, 't.$1')};`;
}

export function ensureReadDb(turns: number, log: (line: string) => void): ReadDb {
  const file = readDbFile(turns);
  const hit = cachedReadDb(file, turns);
  if (hit) return hit;
  for (const f of staleFiles(file)) fs.rmSync(f, { force: true });
  removeDb(file);
  const tmp = `${file}.partial`;
  removeDb(tmp);
  log(`generating ${int(turns)} turns / ${int(turns * 3)} outbox rows into ${file} (cached for later runs)…`);
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
  Lifecycle.open(tmp).close(); // the real schema, through the real migrations

  const db = new Database(tmp);
  // Generation only: no journal, no syncs, a big cache. The file is renamed into place only
  // once complete, then switched back to WAL like any lifecycle file.
  // better-sqlite3 opens connections in defensive mode, which refuses journal_mode=OFF
  // (silently: the file would stay in WAL and every page be written twice).
  db.unsafeMode(true);
  if (db.pragma('journal_mode = OFF', { simple: true }) !== 'off') throw new Error(`${tmp}: journal_mode=OFF refused`);
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -1048576');
  db.pragma('threads = 2');

  // Bare tables for the load: the indexes and triggers are put back, as they were, after it.
  const schema = db
    .prepare(
      `SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL
         AND tbl_name IN ('message_turns', 'message_outbox', 'message_history') ORDER BY type, name`,
    )
    .all() as { type: string; name: string; sql: string }[];
  for (const o of schema) db.exec(`DROP ${o.type.toUpperCase()} ${o.name}`);

  const insert = (table: string, columns: readonly string[], n: number): Database.Statement => {
    const row = `(${columns.map(() => '?').join(', ')})`;
    return db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(n).fill(row).join(', ')}`);
  };
  const batch = {
    turns: insert('message_turns', BENCH_TURN_COLUMNS, BATCH),
    rows: new Map<number, Database.Statement>(),
  };
  const rowsOf = (n: number): Database.Statement => {
    let stmt = batch.rows.get(n);
    if (!stmt) batch.rows.set(n, (stmt = insert('message_outbox', BENCH_OUTBOX_COLUMNS, n)));
    return stmt;
  };
  const now = Date.now();
  let rows = 0;
  let turnValues: unknown[] = [];
  let rowValues: unknown[] = [];
  let inBatch = 0;
  let inRows = 0;
  const flush = (): void => {
    if (inBatch === BATCH) batch.turns.run(turnValues);
    else if (inBatch > 0) insert('message_turns', BENCH_TURN_COLUMNS, inBatch).run(turnValues);
    if (inRows > 0) rowsOf(inRows).run(rowValues);
    turnValues = [];
    rowValues = [];
    inBatch = 0;
    inRows = 0;
  };
  db.exec('BEGIN');
  let i = 0;
  for (const t of benchData(turns, now)) {
    turnValues.push(...t.turn);
    for (const r of t.rows) rowValues.push(...r);
    inBatch++;
    inRows += t.rows.length;
    rows += t.rows.length;
    if (inBatch === BATCH) flush();
    if (++i % TX_TURNS === 0) {
      flush();
      db.exec('COMMIT; BEGIN');
      if (i % (TX_TURNS * 10) === 0 && i < turns) log(`  … ${int(i)} turns (${elapsed()})`);
    }
  }
  flush();
  db.exec('COMMIT');
  log(`  loaded in ${elapsed()}; building indexes, counters, timeline…`);
  db.transaction(() => {
    for (const o of schema.filter((x) => x.type === 'index')) db.exec(o.sql);
    db.exec(historySql(now)); // after the indexes: it finds each turn's rows by turn_id
    // The counters the triggers would have kept: by status, and per minute (as migration v2
    // fills them for an adopted file: turns 'accepted' at accepted_at, then their move).
    db.exec(`
      DELETE FROM lifecycle_counts;
      DELETE FROM lifecycle_minutes;
      INSERT INTO lifecycle_counts (entity, status, n) SELECT 'turn', status, count(*) FROM message_turns GROUP BY status;
      INSERT INTO lifecycle_counts (entity, status, n) SELECT 'outbox', status, count(*) FROM message_outbox GROUP BY status;
      ${TURN_MINUTES_BACKFILL}
      ${OUTBOX_MINUTES_BACKFILL}
    `);
    for (const o of schema.filter((x) => x.type === 'trigger')) db.exec(o.sql);
    db.exec('CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const meta = db.prepare('INSERT INTO bench_meta (key, value) VALUES (?, ?)');
    meta.run('generator', String(GENERATOR_VERSION));
    meta.run('turns', String(turns));
    meta.run('rows', String(rows));
    meta.run('generatedAt', String(now));
  })();
  // The planner's statistics the file gets at its first close anyway (Lifecycle's PRAGMA
  // optimize), so that a freshly generated file is timed like a cached one: without them, the
  // first run after generation times full scans. Sampled, as PRAGMA optimize samples them.
  db.pragma('analysis_limit = 1000');
  db.pragma('optimize = 0x10002');
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  db.unsafeMode(false);
  db.close();
  fs.renameSync(tmp, file);
  const generationMs = performance.now() - t0;
  log(`  generated in ${(generationMs / 1000).toFixed(1)} s, ${(fileBytes(file) / 2 ** 30).toFixed(2)} GiB`);
  return { file, turns, rows, generatedAt: now, generationMs, bytes: fileBytes(file) };
}
