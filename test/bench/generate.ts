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
// fractions of live, failed and stuck ones, and a direct send (no turn) now and then. Failures
// carry errors as platforms write them, ids and numbers varying, so that they form about 20
// error groups per channel; session keys, external ids and payloads hold what a ticket quotes. The rows come from benchData (seeded: the same
// rows for the same size and "now", whichever backend loads them). The SQLite file is loaded
// the way a bulk load goes fast (multi-row inserts in big transactions into bare tables, then
// the indexes built once, the counters filled by set-based SQL, the triggers put back) and
// cached in os.tmpdir() under a name holding schema version, generator version and size
// (generate-pg.ts loads the same rows into PostgreSQL).

/** Bump when the generated data changes, so cached files are regenerated. */
const GENERATOR_VERSION = 6;
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

/** Words of the payloads: what a search by "a word of the text" looks for. */
const TOPICS = [
  'deploy',
  'invoice',
  'calendar',
  'refund',
  'password',
  'shipment',
  'meeting',
  'translation',
  'weather',
  'subscription',
  'printer',
  'playlist',
] as const;
const ASKS = ['why did the', 'can you check the', 'please summarise the', 'what happened to my', 'remind me about the'];

/** A channel's sends failing, as platforms word it: the numbers vary, the signatures do not (20 per channel). */
const SEND_ERRORS: readonly ((
  n: () => number,
  chat: string,
) => [error: string, errorClass: 'retryable' | 'terminal'])[] = [
  (n) => [`503 Service Unavailable (request ${(n() % 90_000) + 10_000})`, 'retryable'],
  (n) => [`502 Bad Gateway: upstream ${(n() % 90) + 10} reset the connection`, 'retryable'],
  (n) => [
    `ETIMEDOUT: connect to 149.154.${n() % 256}.${n() % 256}:443 after ${(n() % 20_000) + 10_000} ms`,
    'retryable',
  ],
  (n) => [`socket hang up after ${(n() % 25_000) + 5_000} ms`, 'retryable'],
  (n) => [`429 Too Many Requests: retry after ${(n() % 60) + 1}`, 'retryable'],
  () => ['403 Forbidden: bot was blocked by the user', 'terminal'],
  (_n, chat) => [`400 Bad Request: chat not found (chat ${chat})`, 'terminal'],
  (n) => [`400 Bad Request: message is too long (${(n() % 6_000) + 4_097} characters)`, 'terminal'],
  (n) => [`413 Payload Too Large: attachment of ${(n() % 40_000_000) + 20_000_000} bytes`, 'terminal'],
  (n) => [`500 Internal Server Error (trace ${(n() % 900_000_000) + 100_000_000})`, 'retryable'],
  (n) => [`ECONNRESET: read ECONNRESET after ${(n() % 9_000) + 1_000} ms`, 'retryable'],
  (n) => [`ECONNREFUSED 10.0.${n() % 256}.${n() % 256}:8443`, 'retryable'],
  (n) => [`401 Unauthorized: token expired ${(n() % 59) + 1} minutes ago`, 'terminal'],
  (n) => [`400 Bad Request: can't parse entities: no end of the entity at byte offset ${n() % 4_000}`, 'terminal'],
  (n) => [`404 Not Found: message ${(n() % 900_000) + 100_000} to reply to not found`, 'terminal'],
  (n) => [`409 Conflict: terminated by other getUpdates request (${(n() % 900) + 100})`, 'retryable'],
  () => ['EAI_AGAIN: getaddrinfo EAI_AGAIN api.example.net', 'retryable'],
  (n) => [`rate limited: ${(n() % 900) + 100} requests in ${(n() % 50) + 10} s`, 'retryable'],
  (n) => [`503 upstream overloaded, ${(n() % 90) + 10} requests queued`, 'retryable'],
  (n) => [`TLS handshake timeout after ${(n() % 9_000) + 1_000} ms`, 'retryable'],
];

/** The agent failing a turn: the turn's own signatures. */
const AGENT_ERRORS: readonly ((n: () => number) => string)[] = [
  (n) => `agent run failed: upstream model provider returned 529 overloaded (request ${(n() % 900_000) + 100_000})`,
  (n) => `agent crashed: RangeError: Array buffer allocation failed (attachment ${n() % 40_000_000} bytes)`,
  (n) => `tool "web_search" timed out after ${(n() % 50_000) + 10_000} ms`,
  (n) => `context length exceeded: ${(n() % 100_000) + 128_001} tokens > 128000`,
  () => 'agent crashed: TypeError: Cannot read properties of undefined (reading "content")',
];

/** A skewed pick (a few big groups, a tail of small ones), as outages are. */
function skewed(rnd: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(n * rnd() ** 2.2));
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
    /** 'direct': a send of no turn (dispatch_kind NULL), e.g. a reminder. */
    kind: 'tool' | 'block' | 'final' | 'direct';
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
    const chat = String(10_000_000 + ((session * 7_919) % 89_999_999));
    const num = (): number => Math.floor(rnd() * 2 ** 31);
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
        terminalReason = AGENT_ERRORS[skewed(rnd, AGENT_ERRORS.length)]!(num);
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
        const retryable = SEND_ERRORS.filter((e) => e(() => 0, chat)[1] === 'retryable');
        const [error] = retryable[skewed(rnd, retryable.length)]!(num, chat);
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          { kind: 'final', status: 'failed_retryable', attempts: a, error },
        ];
      }
    } else {
      const t = rnd();
      completedAt = updatedAt;
      if (t < 0.012) {
        status = 'failed_terminal';
        const [error, errorClass] = SEND_ERRORS[skewed(rnd, SEND_ERRORS.length)]!(num, chat);
        const expired = errorClass === 'retryable' && rnd() < 0.4;
        terminalReason = `final reply failed: ${error}`;
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'delivered' },
          expired
            ? { kind: 'final', status: 'expired', attempts: 2, error, reason: 'expired' }
            : errorClass === 'retryable'
              ? { kind: 'final', status: 'failed_terminal', attempts: 5, error, reason: 'max_attempts' }
              : { kind: 'final', status: 'failed_terminal', attempts: 1, error, reason: error },
        ];
      } else if (t < 0.014) {
        status = 'failed_terminal';
        attempts = 3;
        terminalReason = `${AGENT_ERRORS[skewed(rnd, AGENT_ERRORS.length)]!(num)} (gave up after 3 attempts)`;
        outbox = [
          { kind: 'tool', status: 'delivered' },
          { kind: 'block', status: 'failed_terminal', reason: 'non_final_pruned' },
        ];
      } else if (t < 0.017) {
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

    // Now and then the gateway also sends a reminder of no turn, which fails like any send.
    if (rnd() < 0.01) {
      if (rnd() < 0.1 && completedAt !== null) {
        const [error] = SEND_ERRORS[skewed(rnd, SEND_ERRORS.length)]!(num, chat);
        outbox.push({ kind: 'direct', status: 'failed_terminal', attempts: 5, error, reason: 'max_attempts' });
      } else {
        outbox.push({ kind: 'direct', status: completedAt !== null ? 'delivered' : 'queued' });
      }
    }
    const topic = TOPICS[Math.floor(rnd() * TOPICS.length)]!;
    const ask = ASKS[Math.floor(rnd() * ASKS.length)]!;
    const turn: unknown[] = [
      id,
      channel,
      'bot1',
      `${100_000_000 + i}`,
      `${channel}:bot1:${chat}:${100_000_000 + i}`,
      `agent:main:${channel}:dm:${chat}`,
      `{"chat":"${chat}","text":"Message ${i}: ${ask} ${topic} ${TOPICS[(i * 7) % TOPICS.length]}?"}`,
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

    const offsets = [0.3, 0.6, 1, 1];
    const rows = outbox.map((o, k) => {
      const queuedAt = Math.min(now, acceptedAt + Math.floor(duration * offsets[k]!) - (k === 2 ? 300 : 0));
      const a = o.attempts ?? (o.status === 'delivered' ? 1 : 0);
      const lastAttemptAt = a > 0 || o.status === 'delivered' ? Math.min(now, queuedAt + 50 + a * 20_000) : null;
      const done = o.status === 'delivered' || o.status === 'failed_terminal' || o.status === 'expired';
      const doneAt = done ? Math.min(now, (lastAttemptAt ?? queuedAt) + 70) : null;
      const live = o.status === 'queued' && claimOwner === LIVE_OWNER;
      return [
        uuid7(queuedAt, i * 4 + k + 1),
        o.kind === 'direct' ? null : id,
        channel,
        'bot1',
        chat,
        o.kind === 'direct' ? null : o.kind,
        o.kind === 'direct'
          ? `{"text":"Reminder: your ${topic} is due today (${i})"}`
          : `{"text":"Reply ${i}.${k}: re-ran it, it passed."}`,
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
        o.kind === 'final' ? `${id}:final` : o.kind === 'direct' ? `reminder:${id}` : null,
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
      FROM message_turns t JOIN message_outbox o ON o.turn_id = t.id WHERE ${wanted.replace(/\b(status|accepted_at)\b/g, 't.$1')};
    INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at, action, note)
      SELECT 'outbox', id, coalesce(turn_id, id), status, status, 'operator', 'retried by an operator',
        CASE rowid % 3 WHEN 0 THEN 'web:alice' WHEN 1 THEN 'cli:bob' ELSE 'app:carol' END, coalesce(completed_at, queued_at),
        CASE rowid % 4 WHEN 0 THEN 'terminate' ELSE 'retry' END, CASE rowid % 2 WHEN 0 THEN 'ticket 4711: customer asked' END
      FROM message_outbox WHERE status <> 'delivered' AND rowid % 5 = 0;`;
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
  // The search index as v5's triggers would have filled it (the load ran without them): the
  // migration's backfill, run to its end at once instead of paced in the engine's background.
  const fts = performance.now();
  const lc = Lifecycle.open(tmp);
  lc.restartSearchBackfill();
  lc.backfillSearchNow();
  lc.close();
  log(`  search index (FTS5 trigram) filled in ${((performance.now() - fts) / 1000).toFixed(1)} s`);
  fs.renameSync(tmp, file);
  const generationMs = performance.now() - t0;
  log(`  generated in ${(generationMs / 1000).toFixed(1)} s, ${(fileBytes(file) / 2 ** 30).toFixed(2)} GiB`);
  return { file, turns, rows, generatedAt: now, generationMs, bytes: fileBytes(file) };
}
