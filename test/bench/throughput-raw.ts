import { newId } from '../../main/lifecycle/ids';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { MIGRATIONS } from '../../main/lifecycle/migrations';
import { V4_INDEXES } from '../../main/lifecycle/migrations/v4';
import { SEARCHED, V5_INDEXES } from '../../main/lifecycle/migrations/v5';
import { int } from './stats';
import { drive, inbound, reply, type ThroughputResult } from './throughput-shared';

// The floor: the same durable writes as the core's full turn, hand-written on plain
// better-sqlite3 (WAL + synchronous=NORMAL), no history, no read-before-write guards, no
// savepoints. Status changes keep their `WHERE status IN (…)` guard, which costs nothing.

/** Only the SPEC's tables and indexes: no triggers, no extra indexes, no extra columns. */
const BARE_SPEC_SCHEMA = `
  CREATE TABLE message_turns (
    id TEXT PRIMARY KEY, channel TEXT NOT NULL DEFAULT '', account_id TEXT NOT NULL DEFAULT '',
    external_id TEXT, dedupe_key TEXT, session_key TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}',
    route_channel TEXT NOT NULL DEFAULT '', route_to TEXT NOT NULL DEFAULT '', route_account_id TEXT,
    route_thread_id TEXT, route_reply_to_id TEXT, accepted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'accepted', attempt_count INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL, terminal_reason TEXT, completed_at INTEGER);
  CREATE UNIQUE INDEX ux_turns_dedupe ON message_turns(dedupe_key) WHERE dedupe_key IS NOT NULL;
  CREATE INDEX ix_turns_status_next ON message_turns(status, next_attempt_at, updated_at);
  CREATE INDEX ix_turns_session_status ON message_turns(session_key, status);
  CREATE TABLE message_outbox (
    id TEXT PRIMARY KEY, turn_id TEXT, channel TEXT NOT NULL, account_id TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '', dispatch_kind TEXT, payload TEXT NOT NULL, queued_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued', attempt_count INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL, last_attempt_at INTEGER, delivered_at INTEGER, completed_at INTEGER,
    last_error TEXT, error_class TEXT, terminal_reason TEXT, idempotency_key TEXT);
  CREATE UNIQUE INDEX ux_outbox_idempotency ON message_outbox(idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX ix_outbox_turn_status ON message_outbox(turn_id, status) WHERE turn_id IS NOT NULL;
  CREATE INDEX ix_outbox_status_next ON message_outbox(status, next_attempt_at, queued_at);
`;

const LEASE_MS = 5 * 60_000;
const OWNER = 'bench:raw';

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** The same batching as the core's group commit (window, max batch), minus per-caller savepoints. */
class RawGroup {
  commits = 0;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly tx: Database.Transaction<(batch: Pending[]) => unknown[]>;

  constructor(
    db: Database.Database,
    private readonly windowMs = 0,
    private readonly maxBatch = 512,
  ) {
    this.tx = db.transaction((batch: Pending[]) => batch.map((p) => p.fn()));
  }

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else
        this.timer ??=
          this.windowMs > 0 ? setTimeout(() => this.flush(), this.windowMs) : setImmediate(() => this.flush());
    });
  }

  flush(): void {
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let values: unknown[];
    try {
      values = this.tx.immediate(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    this.commits++;
    batch.forEach((p, i) => p.resolve(values[i]));
  }
}

export type RawMode = 'grouped' | 'per-step';

/**
 * The file the raw writes go to: `same` is the core's own schema (Lifecycle.open), each `no-…`
 * that schema with one element taken away, `bare` only the SPEC's tables and indexes.
 */
export const RAW_SCHEMAS = [
  'same',
  'v3-triggers',
  'no-v4-indexes',
  'no-v5-search',
  'no-extra-indexes',
  'no-count-triggers',
  'no-history-trigger',
  'bare',
] as const;
export type RawSchema = (typeof RAW_SCHEMAS)[number];

/** Our indexes beyond the SPEC's (migrations/v1.ts), each serving a read of the worker or dashboard. */
const EXTRA_INDEXES = [
  'ix_turns_status_accepted',
  'ix_turns_accepted',
  'ix_turns_completed',
  'ix_outbox_status_queued',
  'ix_outbox_kind_status',
  'ix_outbox_queued',
  'ix_outbox_completed',
  'ix_history_subject',
  'ix_history_operator',
  ...Object.keys(V4_INDEXES),
  ...Object.keys(V5_INDEXES),
];

/** v5's full-text search: its triggers keep the FTS5 tables on every insert and change of a searched column. */
const SEARCH_TRIGGERS = SEARCHED.flatMap((x) => ['insert', 'update', 'delete'].map((op) => `lc_${x.kind}_fts_${op}`));

const SQL_NOW = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

/** The timeline entry the history triggers write (migrations/v3.ts), for the variants that keep it. */
function historyInsert(kind: string, subject: string, from: string): string {
  return `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
    VALUES ('${kind}', NEW.id, ${subject}, ${from}, NEW.status, 'gateway', NULL, NULL, ${SQL_NOW});`;
}

/** Drops the count/minute and timeline triggers of inserts and status changes (of any version). */
function dropWriteTriggers(db: Database.Database): void {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('message_turns', 'message_outbox')
       AND name NOT LIKE '%delete' AND name NOT LIKE '%\\_fts\\_%' ESCAPE '\\'`,
    )
    .pluck()
    .all() as string[];
  for (const name of names) db.exec(`DROP TRIGGER ${name}`);
}

const TURN_MINUTE = 'NEW.updated_at / 60000';
const ROW_MINUTE = 'coalesce(NEW.completed_at, NEW.last_attempt_at, NEW.queued_at) / 60000';

/** Version 4's counts and minutes of a status change (migrations/v4-writes.ts), without the timeline. */
function countsOnStatus(kind: string, minutes: string): string {
  return `INSERT INTO lifecycle_counts VALUES ('${kind}', OLD.status, -1), ('${kind}', NEW.status, 1)
      ON CONFLICT (entity, status) DO UPDATE SET n = n + excluded.n;
    INSERT INTO lifecycle_minutes (entity, minute, status, entered, exited) VALUES ${minutes}
      ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered, exited = exited + excluded.exited;`;
}

function countsOnInsert(kind: string, minute: string): string {
  return `INSERT INTO lifecycle_counts VALUES ('${kind}', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
    INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('${kind}', ${minute}, NEW.status, 1)
      ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;`;
}

/** Takes one element away from the core's schema (see RAW_SCHEMAS). */
function strip(db: Database.Database, schema: RawSchema): void {
  if (schema === 'no-extra-indexes') {
    for (const ix of EXTRA_INDEXES) db.exec(`DROP INDEX ${ix}`);
  } else if (schema === 'no-v4-indexes') {
    for (const ix of Object.keys(V4_INDEXES)) db.exec(`DROP INDEX ${ix}`);
  } else if (schema === 'no-v5-search') {
    for (const t of SEARCH_TRIGGERS) db.exec(`DROP TRIGGER ${t}`);
  } else if (schema === 'no-count-triggers') {
    // Inserts and status changes keep their timeline entry; counts, minutes and REPLACE bookkeeping go.
    dropWriteTriggers(db);
    db.exec(`
      DROP TRIGGER lc_turn_delete; DROP TRIGGER lc_outbox_delete;
      CREATE TRIGGER lc_turn_insert AFTER INSERT ON message_turns BEGIN
        ${historyInsert('turn', 'NEW.id', 'NULL')}
      END;
      CREATE TRIGGER lc_outbox_insert AFTER INSERT ON message_outbox BEGIN
        ${historyInsert('outbox', 'coalesce(NEW.turn_id, NEW.id)', 'NULL')}
      END;
      CREATE TRIGGER lc_turn_status AFTER UPDATE OF status ON message_turns WHEN OLD.status IS NOT NEW.status BEGIN
        ${historyInsert('turn', 'NEW.id', 'OLD.status')}
      END;
      CREATE TRIGGER lc_outbox_status AFTER UPDATE OF status ON message_outbox WHEN OLD.status IS NOT NEW.status BEGIN
        ${historyInsert('outbox', 'coalesce(NEW.turn_id, NEW.id)', 'OLD.status')}
      END;`);
  } else if (schema === 'no-history-trigger') {
    // Inserts and status changes keep their counts and minutes; no timeline entry, no REPLACE bookkeeping.
    dropWriteTriggers(db);
    db.exec(`
      CREATE TRIGGER lc_turn_insert AFTER INSERT ON message_turns BEGIN
        ${countsOnInsert('turn', 'NEW.accepted_at / 60000')}
      END;
      CREATE TRIGGER lc_outbox_insert AFTER INSERT ON message_outbox BEGIN
        ${countsOnInsert('outbox', ROW_MINUTE)}
      END;
      CREATE TRIGGER lc_turn_status AFTER UPDATE OF status ON message_turns WHEN OLD.status IS NOT NEW.status BEGIN
        ${countsOnStatus('turn', `('turn', ${TURN_MINUTE}, OLD.status, 0, 1), ('turn', ${TURN_MINUTE}, NEW.status, 1, 0)`)}
      END;
      CREATE TRIGGER lc_outbox_status AFTER UPDATE OF status ON message_outbox WHEN OLD.status IS NOT NEW.status BEGIN
        ${countsOnStatus('outbox', `('outbox', ${ROW_MINUTE}, NEW.status, 1, 0)`)}
      END;`);
  }
}

/** A new file as version `v` of the schema left it (migrations 1..v only), with v4's indexes if asked. */
function fileAtVersion(file: string, v: number, v4Indexes = false): void {
  const db = new Database(file);
  db.transaction(() => {
    for (const migrate of MIGRATIONS.slice(0, v)) migrate(db);
    if (v4Indexes) for (const [name, on] of Object.entries(V4_INDEXES)) db.exec(`CREATE INDEX ${name} ON ${on}`);
    db.pragma(`user_version = ${v}`);
  })();
  db.close();
}

export async function rawThroughput(
  dir: string,
  opts: { turns: number; concurrency: number; warmup: number; mode: RawMode; schema: RawSchema },
): Promise<ThroughputResult> {
  const file = path.join(dir, `raw-${opts.schema}-${opts.mode}.db`);
  // v3-triggers: the file as version 3 made it plus version 4's indexes: v4's triggers alone differ.
  if (opts.schema === 'v3-triggers') fileAtVersion(file, 3, true);
  else if (opts.schema !== 'bare') Lifecycle.open(file).close();
  const db = new Database(file, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (opts.schema === 'bare') db.exec(BARE_SPEC_SCHEMA);
  else strip(db, opts.schema);
  const claims = opts.schema !== 'bare';
  const claim = (set: boolean): string =>
    claims ? (set ? ', claim_owner = ?, claim_expires_at = ?' : ', claim_owner = NULL, claim_expires_at = NULL') : '';
  const claimArgs = (now: number): unknown[] => (claims ? [OWNER, now + LEASE_MS] : []);
  const PENDING = "('queued','failed_retryable')";

  const insertTurn = db.prepare(
    `INSERT INTO message_turns (id, channel, account_id, external_id, dedupe_key, session_key, payload,
       route_channel, route_to, route_account_id, route_thread_id, route_reply_to_id,
       accepted_at, updated_at, status, attempt_count, next_attempt_at${claims ? ', claim_owner, claim_expires_at' : ''})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, 'accepted', 0, ?${claims ? ', ?, ?' : ''})`,
  );
  const toRunning = db.prepare(
    `UPDATE message_turns SET status = 'running', updated_at = ?${claim(true)}
     WHERE id = ? AND status IN ('accepted','failed_retryable')`,
  );
  const insertRow = db.prepare(
    `INSERT INTO message_outbox (id, turn_id, channel, account_id, target, dispatch_kind, payload, queued_at,
       status, attempt_count, next_attempt_at, idempotency_key${claims ? ', claim_owner, claim_expires_at' : ''})
     VALUES (?, ?, ?, ?, ?, 'final', ?, ?, 'queued', 0, ?, NULL${claims ? ', ?, ?' : ''})`,
  );
  const toPending = db.prepare(
    `UPDATE message_turns SET status = 'delivery_pending', updated_at = ?
     WHERE id = ? AND status IN ('accepted','running','failed_retryable')`,
  );
  const beginSend = db.prepare(
    `UPDATE message_outbox SET last_attempt_at = ?${claim(true)} WHERE id = ? AND status IN ${PENDING}`,
  );
  const ack = db.prepare(
    `UPDATE message_outbox SET status = 'delivered', completed_at = ?${claim(false)},
       attempt_count = attempt_count + 1, delivered_at = ?, last_attempt_at = COALESCE(last_attempt_at, ?)
     WHERE id = ? AND status IN ${PENDING}`,
  );
  const toDelivered = db.prepare(
    `UPDATE message_turns SET status = 'delivered', updated_at = ?, completed_at = ?, terminal_reason = NULL${claim(false)}
     WHERE id = ? AND status IN ('accepted','running','delivery_pending','failed_retryable')`,
  );

  const group = new RawGroup(db);
  const single = db.transaction((fn: () => unknown) => fn());
  let singleCommits = 0;
  const step =
    opts.mode === 'grouped'
      ? <T>(fn: () => T): Promise<T> => group.run(fn)
      : <T>(fn: () => T): Promise<T> => {
          const v = single.immediate(fn) as T;
          singleCommits++;
          return Promise.resolve(v);
        };

  const turn = (run: string) => async (i: number) => {
    const input = inbound(run, i);
    const turnId = newId(Date.now());
    await step(() => {
      const now = Date.now();
      insertTurn.run(
        turnId,
        input.channel,
        input.accountId,
        input.externalId,
        input.dedupeKey,
        input.sessionKey,
        JSON.stringify(input.payload),
        input.route.channel,
        input.route.to,
        input.route.accountId,
        now,
        now,
        now,
        ...claimArgs(now),
      );
    });
    await step(() => {
      const now = Date.now();
      toRunning.run(now, ...claimArgs(now), turnId);
    });
    const rowId = newId(Date.now());
    await step(() => {
      const now = Date.now();
      insertRow.run(
        rowId,
        turnId,
        input.route.channel,
        input.route.accountId,
        input.route.to,
        JSON.stringify(reply(i)),
        now,
        now,
        ...claimArgs(now),
      );
      toPending.run(now, turnId);
    });
    await step(() => {
      const now = Date.now();
      beginSend.run(now, ...claimArgs(now), rowId);
    });
    await step(() => {
      const now = Date.now();
      ack.run(now, now, now, rowId);
    });
    await step(() => {
      const now = Date.now();
      toDelivered.run(now, now, turnId);
    });
  };

  await drive(opts.warmup, opts.concurrency, turn('warmup'));
  const commitsBefore = group.commits + singleCommits;
  const { ms, cpuMs } = await drive(opts.turns, opts.concurrency, turn('run'));
  const commits = group.commits + singleCommits - commitsBefore;
  const delivered = (
    db.prepare("SELECT count(*) AS n FROM message_turns WHERE status = 'delivered'").get() as { n: number }
  ).n;
  db.close();
  const where =
    opts.schema === 'same' ? 'same schema' : opts.schema === 'bare' ? 'bare SPEC schema' : `schema ${opts.schema}`;
  return {
    label:
      opts.mode === 'grouped'
        ? `raw SQL, ${where}, grouped (${opts.concurrency} in flight)`
        : `raw SQL, ${where}, one transaction per step`,
    turns: opts.turns,
    ms,
    cpuMs,
    perSec: (opts.turns / ms) * 1000,
    commits,
    check: `${int(delivered - opts.warmup)} delivered`,
  };
}
