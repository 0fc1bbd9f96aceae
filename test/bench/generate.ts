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
import { SPEC_OUTBOX_COLUMNS } from '../helpers/gateway-file';

// A large, realistic lifecycle database for the read benchmarks: N turns accepted over the
// last 48 hours, 3 outbox rows each (tool, block, final), mostly terminal, with small
// fractions of live, failed and stuck ones. The rows come from benchData (seeded: the same
// rows for the same size and "now", whichever backend loads them); the SQLite file is
// generated once in one big transaction and cached in os.tmpdir(), keyed by schema version,
// generator version and size (generate-pg.ts loads the same rows into PostgreSQL).

/** Bump when the generated data changes, so cached files are regenerated. */
const GENERATOR_VERSION = 2;
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

export function readDbFile(turns: number): string {
  const size = turns % 1_000_000 === 0 ? `${turns / 1_000_000}m` : turns % 1000 === 0 ? `${turns / 1000}k` : `${turns}`;
  return path.join(os.tmpdir(), `lifecycle-desk-bench-${size}.db`);
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

/** The columns of message_turns that benchData's turn values fill, in their order (the rest keep their defaults). */
export const BENCH_TURN_COLUMNS = [
  'id',
  'channel',
  'account_id',
  'external_id',
  'dedupe_key',
  'session_key',
  'payload',
  'route_channel',
  'route_to',
  'route_account_id',
  'route_reply_to_id',
  'accepted_at',
  'updated_at',
  'status',
  'attempt_count',
  'next_attempt_at',
  'terminal_reason',
  'completed_at',
  'claim_owner',
  'claim_expires_at',
] as const;

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
      `{"from":{"id":${session},"name":"User ${session}"},"chat":{"id":"${chat}","type":"private"},"text":"Message ${i}: could you look at the deploy logs and tell me why the job failed?","date":${Math.floor(acceptedAt / 1000)}}`,
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
        `{"text":"Reply ${i}.${k}: the job failed because the migration step timed out after 300 s; I re-ran it and it passed.","parseMode":"markdown"}`,
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

export function ensureReadDb(turns: number, log: (line: string) => void): ReadDb {
  const file = readDbFile(turns);
  const hit = cachedReadDb(file, turns);
  if (hit) return hit;
  removeDb(file);
  const tmp = `${file}.partial`;
  removeDb(tmp);
  log(`generating ${int(turns)} turns / ${int(turns * 3)} outbox rows into ${file} (cached for later runs)…`);
  const t0 = performance.now();
  Lifecycle.open(tmp).close(); // the real schema, through the real migrations

  const db = new Database(tmp);
  // Generation only: no journal, no syncs, a big cache. The file is renamed into place only
  // once complete, then switched back to WAL like any lifecycle file.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -1048576');
  db.pragma('temp_store = MEMORY');

  const insert = (table: string, columns: readonly string[]): Database.Statement =>
    db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  const insertTurn = insert('message_turns', BENCH_TURN_COLUMNS);
  const insertRow = insert('message_outbox', BENCH_OUTBOX_COLUMNS);
  const now = Date.now();
  let rows = 0;
  const generate = db.transaction(() => {
    let i = 0;
    for (const t of benchData(turns, now)) {
      insertTurn.run(t.turn);
      for (const r of t.rows) insertRow.run(r);
      rows += t.rows.length;
      i++;
      if (i % Math.max(1, Math.floor(turns / 4)) === 0 && i < turns) {
        log(`  … ${int(i)} turns (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    // The insert triggers counted each turn as entering its final status at accepted_at.
    // Rebuild the turns' per-minute counters the way migration v2 does for an adopted file.
    db.exec(`
      DELETE FROM lifecycle_minutes WHERE entity = 'turn';
      ${TURN_MINUTES_BACKFILL}
      CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    const meta = db.prepare('INSERT INTO bench_meta (key, value) VALUES (?, ?)');
    meta.run('generator', String(GENERATOR_VERSION));
    meta.run('turns', String(turns));
    meta.run('rows', String(rows));
    meta.run('generatedAt', String(now));
  });
  generate();
  // The planner's statistics the file gets at its first close anyway (Lifecycle's PRAGMA
  // optimize), so that a freshly generated file is timed like a cached one: without them, the
  // first run after generation times full scans.
  db.pragma('optimize = 0x10002');
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  db.close();
  fs.renameSync(tmp, file);
  const generationMs = performance.now() - t0;
  log(`  generated in ${(generationMs / 1000).toFixed(1)} s`);
  return { file, turns, rows, generatedAt: now, generationMs, bytes: fileBytes(file) };
}
