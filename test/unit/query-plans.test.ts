// Every read of the worker and the dashboard must be an index range scan (SPEC, "message_outbox":
// "every worker and dashboard query must be an index range scan on a million rows"). We build a
// file with ~20k turns, ~60k rows and ~60k history entries, run every read path of the core
// (recovery candidates, list/detail/status/series queries, expiry, prune, abort, a worker pass)
// while recording each statement it prepares, then EXPLAIN QUERY PLAN each of them with the
// arguments it was really run with: no table of ours may be read by a full table SCAN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Database from 'better-sqlite3';
import { RecoveryWorker, type Lifecycle, type OutboxFilter, type TurnFilter } from '../../main/lifecycle';
import {
  decidedTurns,
  dueFinalRows,
  replayableTurns,
  strayNonFinalRows,
  supersededTurns,
} from '../../main/store/sqlite/candidates';
import { OUTBOX_STATUSES, TURN_STATUSES } from '../../shared/types';
import { liveness } from '../../main/lifecycle/liveness';
import { previewAbort } from '../../main/lifecycle/abort';
import { makeClock, openTemp } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

const TURNS = 20_000;
const ROWS_PER_TURN = 3;
const HOUR = 3_600_000;

function buildLargeFile(lc: Lifecycle, now: number): void {
  const turn = lc.db.prepare(
    `INSERT INTO message_turns (id, channel, account_id, dedupe_key, session_key, payload, route_channel, route_to,
       accepted_at, updated_at, status, attempt_count, next_attempt_at, terminal_reason, completed_at)
     VALUES (?, ?, 'bot', ?, ?, '{"text":"hi"}', ?, 'chat', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const row = lc.db.prepare(
    `INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, status, attempt_count,
       next_attempt_at, completed_at, last_error, idempotency_key)
     VALUES (?, ?, ?, 'chat', ?, '{"text":"a"}', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const hist = lc.db.prepare(
    `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
     VALUES (?, ?, ?, NULL, ?, ?, NULL, 'seed', ?)`,
  );
  const channels = ['telegram', 'discord', 'slack'];
  const kinds = ['tool', 'block', 'final', null];
  lc.db.transaction(() => {
    for (let i = 0; i < TURNS; i++) {
      const id = `turn-${i}`;
      const status = TURN_STATUSES[i % TURN_STATUSES.length]!;
      const terminal = status === 'delivered' || status === 'failed_terminal' || status === 'aborted';
      const at = now - (i % 72) * HOUR - i;
      const channel = channels[i % 3]!;
      turn.run(
        id,
        channel,
        `${channel}:bot:${i}`,
        `${channel}:session-${i % 2_000}`,
        channel,
        at,
        at + 1_000,
        status,
        i % 4,
        at + (i % 7) * 60_000,
        terminal ? 'seeded' : null,
        terminal ? at + 2_000 : null,
      );
      hist.run('turn', id, id, status, i % 50 === 0 ? 'operator' : 'gateway', at);
      for (let k = 0; k < ROWS_PER_TURN; k++) {
        const rid = `row-${i}-${k}`;
        const rstatus = OUTBOX_STATUSES[(i + k) % OUTBOX_STATUSES.length]!;
        const done = rstatus === 'delivered' || rstatus === 'failed_terminal' || rstatus === 'expired';
        row.run(
          rid,
          k === 2 && i % 10 === 0 ? null : id,
          channel,
          kinds[(i + k) % 4],
          at + k,
          rstatus,
          (i + k) % 5,
          at + k + ((i + k) % 9) * 60_000,
          done ? at + k + 500 : null,
          rstatus === 'failed_retryable' ? 'HTTP 502' : null,
          (i + k) % 3 === 0 ? `idem-${rid}` : null,
        );
        hist.run('outbox', rid, id, rstatus, 'worker', at + k);
      }
    }
  })();
}

interface Recorded {
  sql: string;
  args: unknown[];
  /** The core call that first ran it. */
  label: string;
}

let currentLabel = '';

/** Wraps the core's statement cache so every statement the core runs is recorded with its arguments. */
function recordStatements(lc: Lifecycle): Map<string, Recorded> {
  const seen = new Map<string, Recorded>();
  const original = lc.core.stmt.bind(lc.core);
  lc.core.stmt = (sql: string): Database.Statement => {
    const stmt = original(sql);
    return new Proxy(stmt, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => unknown;
        if (prop === 'all' || prop === 'get' || prop === 'run' || prop === 'iterate') {
          return (...args: unknown[]) => {
            if (!seen.has(sql)) seen.set(sql, { sql, args, label: currentLabel });
            return fn.apply(target, args);
          };
        }
        return fn.bind(target);
      },
    });
  };
  return seen;
}

/**
 * Plan lines that read one of our tables without an index. The worker's side (candidates, the
 * pass, expiry, prune, abort) must do better still: only SEARCHes, not even a walk of a whole index.
 */
function fullScans(db: Database.Database, r: Recorded): { plan: string[]; bad: string[] } {
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.args) as { detail: string }[]).map((p) => p.detail);
  const strict = WORKER_SIDE.has(r.label);
  const bad = plan.filter((line) => {
    const m = /^SCAN (\S+)/.exec(line);
    if (!m) return false;
    const what = m[1]!;
    if (what === 'CONSTANT' || what.startsWith('(') || what === 'json_each') return false;
    if (what === 'lifecycle_counts') return false; // at most one row per status: 12 rows
    return strict || !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(line);
  });
  return { plan, bad };
}

const WORKER_SIDE = new Set([
  'dueFinalRows',
  'strayNonFinalRows',
  'decidedTurns',
  'supersededTurns',
  'replayableTurns',
  'expire',
  'prune',
  'abortSession',
  'worker pass',
]);

function step(label: string, fn: () => unknown): void {
  currentLabel = label;
  fn();
}

function exerciseReads(lc: Lifecycle): void {
  const { core } = lc;
  step('dueFinalRows', () => dueFinalRows(core, core.config.maxRowsPerPass));
  step('strayNonFinalRows', () => strayNonFinalRows(core, core.config.maintenanceBatch));
  step('decidedTurns', () => decidedTurns(core, core.config.maintenanceBatch));
  step('supersededTurns', () => supersededTurns(core, core.config.maintenanceBatch));
  step('replayableTurns', () => replayableTurns(core, core.config.maxTurnsPerPass));

  step('status()', () => lc.status());
  let page = { nextCursor: null as string | null };
  step('listTurns({"limit":20})', () => (page = lc.listTurns({ limit: 20 })));
  const turnFilters: TurnFilter[] = [
    { limit: 20, order: 'desc', cursor: page.nextCursor },
    { status: ['failed_retryable'] },
    { status: ['failed_retryable'], cursor: page.nextCursor },
    { status: ['accepted', 'running'], order: 'desc' },
    { sessionKey: 'slack:session-5' },
    { sessionKey: 'slack:session-5', status: ['delivered'] },
    { channel: 'discord' },
    { channel: 'discord', status: ['running'] },
    { stuck: true },
    { stuck: true, order: 'desc', cursor: page.nextCursor },
    { search: 'turn-77' },
    { search: 'slack:session-1' },
  ];
  for (const f of turnFilters) step(`listTurns(${JSON.stringify(f)})`, () => lc.listTurns(f));

  let rows = { nextCursor: null as string | null };
  step('listOutbox({"limit":20})', () => (rows = lc.listOutbox({ limit: 20 })));
  const rowFilters: OutboxFilter[] = [
    { limit: 20, order: 'desc', cursor: rows.nextCursor },
    { status: ['failed_retryable'] },
    { status: ['queued', 'failed_retryable'], cursor: rows.nextCursor },
    { turnId: 'turn-42' },
    { kind: 'final' },
    { kind: 'direct' },
    { kind: 'tool', status: ['queued'] },
    { channel: 'slack' },
    { stuck: true },
    { search: 'row-9-1' },
    { search: 'turn-9' },
    { search: 'idem-row-9-0' },
  ];
  for (const f of rowFilters) step(`listOutbox(${JSON.stringify(f)})`, () => lc.listOutbox(f));

  step('turnDetail', () => lc.turnDetail('turn-3'));
  step('liveness', () => liveness(lc.core, null));
  step('previewAbort', () => previewAbort(lc.core, ['slack:session-5', 'discord:session-2']));
  step('history', () => lc.history('turn-3'));
  step('auditTrail', () => lc.auditTrail(50));
  step('series', () => lc.series(24 * HOUR, 48));
}

async function exerciseWrites(lc: Lifecycle): Promise<void> {
  step('expire', () => lc.expire());
  step('prune', () => lc.prune());
  step('abortSession', () => lc.abortSession('telegram:session-3'));
  currentLabel = 'worker pass';
  const worker = new RecoveryWorker(new SqliteStore(lc), {
    deliver: async () => undefined,
    replay: async () => ({ finalSendsOutsideOutbox: 1 }),
  });
  const report = await worker.runOnce();
  await worker.stop();
  assert.ok(report.rowsDelivered + report.turnsReplayed + report.turnsFinalized > 0, 'the pass did real work');
}

/** The statement without its long column list, for messages. */
function where(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ');
  const from = flat.search(/ FROM message_| FROM lifecycle_/);
  return (from > 0 && /^SELECT/.test(flat) ? `SELECT …${flat.slice(from)}` : flat).slice(0, 400);
}

function check(lc: Lifecycle, seen: Map<string, Recorded>, label: string): void {
  const failures: string[] = [];
  let checked = 0;
  for (const r of seen.values()) {
    if (/^\s*INSERT\b/i.test(r.sql) && !/\bSELECT\b/i.test(r.sql)) continue;
    checked++;
    const { plan, bad } = fullScans(lc.db, r);
    if (process.env.SHOW_PLANS) console.log(`--- ${r.label}: ${where(r.sql)}\n    ${plan.join('\n    ')}`);
    if (bad.length) failures.push(`${r.label}: ${where(r.sql)}\n    plan: ${plan.join(' | ')}`);
  }
  assert.ok(checked > 40, `only ${checked} statements were recorded (${label})`);
  assert.deepEqual(failures, [], `full table scans (${label}):\n${failures.join('\n')}`);
}

test(
  'every statement of the worker, the read queries, expiry, prune and abort uses an index (no full table scan)',
  { timeout: 300_000 },
  async () => {
    const now = Date.UTC(2025, 0, 4);
    const temp = openTemp({ clock: makeClock(now) });
    const { lc } = temp;
    try {
      buildLargeFile(lc, now);
      assert.equal(lc.status().turns.accepted + lc.status().turns.delivered > 0, true);
      const seen = recordStatements(lc);
      exerciseReads(lc);
      await exerciseWrites(lc);
      check(lc, seen, 'no statistics');

      // The same statements once the file has statistics (PRAGMA optimize may run ANALYZE on close).
      lc.db.exec('ANALYZE');
      check(lc, seen, 'after ANALYZE');
    } finally {
      lc.close();
    }
  },
);
