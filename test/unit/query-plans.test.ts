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
import { FEW_ROWS } from '../../main/lifecycle/queries/page';
import { combinations } from '../helpers/combinations';

const TURNS = 20_000;
const ROWS_PER_TURN = 3;
const BIG_SESSION_TURNS = FEW_ROWS + 500;
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
    // A few busy sessions: a search for their prefix covers too many turns to sort and few
    // enough sessions to walk each (main/lifecycle/queries/page.ts, FEW_ROWS and FEW_KEYS).
    for (let i = 0; i < BIG_SESSION_TURNS; i++) {
      const at = now - (i % 48) * HOUR - i;
      turn.run(
        `big-${i}`,
        'slack',
        `big:${i}`,
        `big:session-${i % 10}`,
        'slack',
        at,
        at + 1,
        'delivered',
        0,
        at,
        'seeded',
        at + 2,
      );
    }
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

interface PlanLine {
  id: number;
  parent: number;
  detail: string;
}

const OUR_TABLE = /^(SCAN|SEARCH) (message_\w+|lifecycle_\w+|b)\b/;
/** A search by key: an id, a turn's rows, an idempotency key, rows by rowid, a session prefix the probe found narrow. */
const KEY_SEARCH =
  /USING INTEGER PRIMARY KEY \(rowid=\?\)|USING INDEX ix_(turns|outbox)_dead \(|\((id|turn_id|idempotency_key)=\?\)|\((turn_id)=\? AND|\(session_key>\? AND session_key<\?\)/;

/** The lines under `id` in the plan (its subqueries and their own), depth first. */
function below(plan: readonly PlanLine[], id: number): PlanLine[] {
  const out: PlanLine[] = [];
  for (const p of plan.filter((l) => l.parent === id)) out.push(p, ...below(plan, p.id));
  return out;
}

/**
 * What a list statement may not do. A page sorts (`USE TEMP B-TREE FOR ORDER BY`) only a
 * bounded set: at its top level, rows found by key (an id, a turn's rows, a narrow session
 * prefix) or by rowid from LIMITed branches, each branch an index walk in time order (it
 * never sorts itself, only ties on the time column: `… FOR LAST TERM/RIGHT PART OF ORDER BY`).
 * A level that does not sort walks an index in order and stops at the page's size.
 */
function listMisplans(plan: readonly PlanLine[], sql: string): string[] {
  const bad: string[] = [];
  const branches = (sql.match(/\) AS d JOIN /g) ?? []).length;
  const limited = (sql.match(/LIMIT @limit\)/g) ?? []).length;
  if (branches !== limited) bad.push(`${branches} branches but ${limited} LIMITed subqueries`);
  for (const sort of plan.filter((l) => l.detail === 'USE TEMP B-TREE FOR ORDER BY')) {
    if (sort.parent !== 0) {
      bad.push(`a branch sorts: ${sort.detail}`);
      continue;
    }
    for (const l of plan.filter((p) => p.parent === 0 || !plan.some((q) => q.id === p.parent))) {
      if (OUR_TABLE.test(l.detail) && !KEY_SEARCH.test(l.detail)) bad.push(`sorts what it reads: ${l.detail}`);
    }
    for (const sub of plan.filter((l) => /LIST SUBQUERY/.test(l.detail))) {
      const correlated = sub.detail.startsWith('CORRELATED');
      for (const l of below(plan, sub.id)) {
        if (!OUR_TABLE.test(l.detail)) continue;
        const inBranch =
          correlated ||
          below(plan, sub.id).some((c) => c.detail.startsWith('CORRELATED') && below(plan, c.id).includes(l));
        if (!inBranch && !KEY_SEARCH.test(l.detail)) bad.push(`sorts an unbounded subquery: ${l.detail}`);
      }
    }
  }
  return bad;
}

/** A search for so broad a session prefix that it only narrows a walk of the time index. */
const BROAD_SEARCH = 'slack:';

/**
 * A walk of the whole time index (no equality before the time column) only for a filter with
 * nothing that picks rows out: no status, stuck, session, channel, kind, turn or narrow search.
 * Else the walk would read every row of the file to find a rare status or channel.
 */
function timeWalks(plan: readonly PlanLine[], label: string): string[] {
  const f = JSON.parse(label.slice(label.indexOf('(') + 1, -1)) as TurnFilter & OutboxFilter;
  const picks =
    f.status ??
    f.stuck ??
    f.sessionKey ??
    f.channel ??
    f.kind ??
    f.turnId ??
    (f.search !== BROAD_SEARCH ? f.search : undefined);
  if (picks === undefined) return [];
  return plan
    .filter((l) => /^SCAN message_\w+ USING (COVERING )?INDEX|\((accepted_at|queued_at)[<>]\?\)/.test(l.detail))
    .map((l) => `walks the time index for a filter that picks rows: ${l.detail}`);
}

/**
 * Plan lines that read one of our tables without an index. The worker's side (candidates, the
 * pass, expiry, prune, abort) must do better still: only SEARCHes, not even a walk of a whole
 * index. The lists must also sort only bounded sets (listMisplans).
 */
function fullScans(db: Database.Database, r: Recorded): { plan: string[]; bad: string[] } {
  const lines = db.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.args) as PlanLine[];
  const plan = lines.map((p) => p.detail);
  const strict = WORKER_SIDE.has(r.label);
  const bad = plan.filter((line) => {
    const m = /^SCAN (\S+)/.exec(line);
    if (!m) return false;
    const what = m[1]!;
    if (what === 'CONSTANT' || what.startsWith('(') || what === 'json_each') return false;
    if (what === 'd' && / VIRTUAL TABLE /.test(line)) return false; // json_each: a branch per value
    if (what === 'lifecycle_counts') return false; // at most one row per status: 12 rows
    // The full-text index answering a MATCH (FTS5's own b-tree of trigrams), or a MATCH at one
    // rowid ("=": the error index's hit not already found in the keys' index).
    if (/^SCAN \S+ VIRTUAL TABLE INDEX \d+:=?M/.test(line)) return false;
    return strict || !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(line);
  });
  if (/^list(Turns|Outbox)/.test(r.label) && /^\s*SELECT/.test(r.sql)) {
    bad.push(...listMisplans(lines, r.sql));
    bad.push(...timeWalks(lines, r.label));
  }
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

/** A cursor in the middle of the data, as a later page sends. */
const LATER_PAGE = `${Date.UTC(2025, 0, 4) - 30 * HOUR}:turn-5000`;

/**
 * Every combination of the Turns view's filters (renderer/views/Turns.tsx, FilterBar: status
 * chips, stuck only, order, search, session, channel), with and without a cursor. Each filter
 * has the kinds of values that plan differently: one status or several; a search for a turn
 * id, a narrow prefix (few turns), a prefix of few busy sessions, a broad one.
 */
function turnFilters(): TurnFilter[] {
  return [
    ...combinations<TurnFilter>({
      status: [undefined, ['failed_retryable'], ['accepted', 'running', 'delivered']],
      sessionKey: [undefined, 'slack:session-5'],
      channel: [undefined, 'discord'],
      stuck: [undefined, true],
      search: [undefined, 'turn-77', 'slack:session-19', 'big:', BROAD_SEARCH, 'ta'],
      order: ['asc', 'desc'],
      cursor: [undefined, LATER_PAGE],
      limit: [undefined],
    }),
    // Issue 11's dimensions (dead work, an error group's members, a time range, a full-text search)
    // with the filters the views combine them with.
    ...combinations<TurnFilter>({
      status: [undefined, ['failed_terminal']],
      channel: [undefined, 'discord'],
      dead: [undefined, true],
      signature: [undefined, 'seeded'],
      since: [undefined, Date.UTC(2025, 0, 4) - 6 * HOUR],
      search: [undefined, 'session-19', 'hi"}'],
      order: ['asc', 'desc'],
    }),
    { until: Date.UTC(2025, 0, 4) - 2 * HOUR, cursor: LATER_PAGE, order: 'desc' },
    { since: Date.UTC(2025, 0, 4) - 6 * HOUR, until: Date.UTC(2025, 0, 4) - 2 * HOUR, status: ['failed_retryable'] },
    { search: 'session-19', cursor: LATER_PAGE, order: 'desc' },
  ];
}

/** Likewise for the Outbox view (renderer/views/Outbox.tsx: search, turn, channel, kind incl. direct). */
function outboxFilters(): OutboxFilter[] {
  return [
    ...combinations<OutboxFilter>({
      status: [undefined, ['failed_retryable'], ['queued', 'failed_retryable', 'delivered']],
      turnId: [undefined, 'turn-42'],
      kind: [undefined, 'final', 'direct'],
      channel: [undefined, 'slack'],
      stuck: [undefined, true],
      search: [undefined, 'row-9-1'],
      order: ['asc', 'desc'],
      cursor: [undefined, LATER_PAGE],
      limit: [undefined],
    }),
    ...combinations<OutboxFilter>({
      status: [undefined, ['failed_retryable', 'failed_terminal']],
      kind: [undefined, 'final'],
      dead: [undefined, true],
      signature: [undefined, 'http #'],
      errorClass: [undefined, 'terminal'],
      search: [undefined, 'HTTP 50'],
      order: ['asc', 'desc'],
    }),
    { since: Date.UTC(2025, 0, 4) - 6 * HOUR, cursor: LATER_PAGE, order: 'desc' },
    { since: Date.UTC(2025, 0, 4) - 6 * HOUR, until: Date.UTC(2025, 0, 4) - 2 * HOUR, kind: 'final' },
    { dead: true, cursor: LATER_PAGE },
  ];
}

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
  for (const f of turnFilters()) step(`listTurns(${JSON.stringify(f)})`, () => lc.listTurns(f));
  for (const f of outboxFilters()) step(`listOutbox(${JSON.stringify(f)})`, () => lc.listOutbox(f));

  step('turnDetail', () => lc.turnDetail('turn-3'));
  step('liveness', () => liveness(lc.core, null));
  step('previewAbort', () => previewAbort(lc.core, ['slack:session-5', 'discord:session-2']));
  step('history', () => lc.history('turn-3'));
  step('auditTrail', () => lc.auditTrail({ limit: 50 }));
  for (const f of [{ action: 'retry' as const }, { by: 'seed', since: 1 }, { until: Date.now(), cursor: '1:5' }])
    step(`auditTrail(${JSON.stringify(f)})`, () => lc.auditTrail(f));
  for (const f of [
    {},
    { status: ['failed_retryable' as const] },
    { dead: true },
    { search: 'session-19' },
    { signature: 'seeded', channel: 'slack' },
  ])
    step(`countTurns(${JSON.stringify(f)})`, () => lc.countTurns(f));
  for (const f of [
    { kind: 'final' as const },
    { dead: true },
    { signature: 'http #', kind: 'final' as const },
    { search: 'HTTP 50' },
  ])
    step(`countOutbox(${JSON.stringify(f)})`, () => lc.countOutbox(f));
  for (const q of [{}, { channel: 'slack' }, { subject: 'turn' as const, sinceMs: 6 * HOUR }])
    step(`errorGroups(${JSON.stringify(q)})`, () => lc.errorGroups(q));
  step('turnDetail with resends', () => lc.turnDetail('turn-10'));
  step('series', () => lc.series(24 * HOUR, 48));
  // Issue 12's per-channel numbers: an hour within the data (minute buckets only), 24 h and 7 d across it.
  const end = Date.UTC(2025, 0, 4);
  for (const span of [HOUR, 24 * HOUR, 7 * 24 * HOUR])
    step(`channelStats(${span / HOUR} h)`, () => lc.channelStats(end - span - 1_234, end - 1_234));
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
