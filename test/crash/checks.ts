// What SPEC promises survives any crash, checked on recovered data (a SQLite file or a PostgreSQL
// database) and the demo platform's sink: shared by the single-process and the fleet crash tests.
// Everything goes through the async store contract plus raw SQL on the same data (`?`
// placeholders; see test/helpers/backends.ts), so both backends are checked by the same code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DemoGateway } from '../../main/demo/gateway';
import { Sink, type SinkLine } from '../../main/demo/sink';
import type { LifecycleStore } from '../../main/store/contract';
import pg from 'pg';
import { OUTBOX_STATUSES, TURN_STATUSES } from '../../shared/types';
import type { Sql } from '../helpers/backends';
import { pgCluster } from '../helpers/pg-cluster';

const TERMINAL = new Set(['delivered', 'failed_terminal', 'aborted']);
const isFinal = (kind: string | null): boolean => kind === null || kind === 'final';

/**
 * A new, empty PostgreSQL database for a crash test (the first child creates the schema). Its
 * sessions commit without waiting for the WAL flush (synchronous_commit = off): only clients are
 * killed here, never the server, so every commit a client saw stays visible to the others and
 * to recovery just the same, and each process does about twice the work per second.
 */
export async function crashDatabase(prefix: string): Promise<string> {
  const url = pgCluster().createDatabase(prefix);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$`,
    );
  } finally {
    await client.end();
  }
  return url;
}

/** The recovered data: the store the parent opened on it, and raw SQL on the same data. */
export interface Recovered {
  store: LifecycleStore;
  sql: Sql;
}

async function one<R>(sql: Sql, text: string, params: unknown[] = []): Promise<R> {
  const rows = await sql<R>(text, params);
  assert.equal(rows.length, 1, `one row expected from ${text}`);
  return rows[0]!;
}

export async function countOpen({ sql }: Recovered): Promise<{ turns: number; rows: number }> {
  const { n: turns } = await one<{ n: number }>(
    sql,
    `SELECT count(*) AS n FROM message_turns WHERE status IN ('accepted','running','delivery_pending','failed_retryable')`,
  );
  const { n: rows } = await one<{ n: number }>(
    sql,
    `SELECT count(*) AS n FROM message_outbox WHERE status IN ('queued','failed_retryable')`,
  );
  return { turns, rows };
}

/**
 * Recovers the data with the demo's handlers; `offset` moves the clock of `db.store` (which must
 * read it) a minute per pass, so backoffs, leases and claims elapse.
 */
export async function recover(
  db: Recovered,
  offset: { ms: number },
  seed: number,
  sinkFile: string,
): Promise<{ passes: number; report: Record<string, number> }> {
  const gateway = new DemoGateway(db.store, { failureRate: 0, seed, sinkFile, latencyMs: 0 });
  const worker = gateway.createWorker();
  const report = {
    rowsDelivered: 0,
    rowsFailed: 0,
    nonFinalPruned: 0,
    finalized: 0,
    superseded: 0,
    replayed: 0,
    failed: 0,
    errors: 0,
  };
  let passes = 0;
  for (;;) {
    const open = await countOpen(db);
    if (passes >= 100 || (open.turns === 0 && open.rows === 0)) break;
    offset.ms += 60_000;
    const r = await worker.runOnce();
    report.rowsDelivered += r.rowsDelivered;
    report.rowsFailed += r.rowsFailed;
    report.nonFinalPruned += r.nonFinalPruned;
    report.finalized += r.turnsFinalized;
    report.superseded += r.turnsSuperseded;
    report.replayed += r.turnsReplayed;
    report.failed += r.turnsFailed + r.turnsUnroutable + r.expiry.staleTurns;
    report.errors += r.errors;
    passes++;
  }
  await worker.stop();
  return { passes, report };
}

export interface CheckOptions {
  /**
   * Several processes sent (the fleet): a row may reach the sink twice only when its earlier
   * sender was SIGKILLed between the send and the commit of its ack. Owners of killed processes.
   */
  killedOwners?: ReadonlySet<string>;
}

interface RowFacts {
  id: string;
  turnId: string | null;
  kind: string | null;
  status: string;
  key: string | null;
  terminalReason: string | null;
  claimOwner: string | null;
}

/** The data is sound as stored: the file's own check (SQLite), the trigger-kept counters (both). */
async function checkIntegrity(db: Recovered): Promise<void> {
  if (db.store.backend === 'sqlite') {
    // SQLite only: PostgreSQL has no equivalent of the file check (its pages are the server's).
    const [r] = await db.sql<{ integrity_check: string }>('PRAGMA integrity_check');
    assert.equal(r?.integrity_check, 'ok');
  }
  // The counts the dashboard shows come from counters that triggers keep in every writer's
  // transaction; crashes and concurrent writers must leave them equal to the tables.
  const status = await db.store.status();
  const actual = async (table: string): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await db.sql<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`)).map(
        (r) => [r.status, Number(r.n)],
      ),
    );
  const turnsByStatus = await actual('message_turns');
  const rowsByStatus = await actual('message_outbox');
  for (const s of TURN_STATUSES) assert.equal(status.turns[s], turnsByStatus[s] ?? 0, `turn counter ${s}`);
  for (const s of OUTBOX_STATUSES) assert.equal(status.outbox[s], rowsByStatus[s] ?? 0, `outbox counter ${s}`);
}

/** Asserts the invariants and returns lines describing what was found. */
export async function checkRecovered(db: Recovered, sinkFile: string, options: CheckOptions = {}): Promise<string[]> {
  const { sql } = db;
  const pg = db.store.backend === 'postgres';
  await checkIntegrity(db);
  const turns = await sql<{ id: string; status: string }>('SELECT id, status FROM message_turns');
  const rows = await sql<RowFacts>(
    `SELECT id, turn_id AS "turnId", dispatch_kind AS kind, status, idempotency_key AS key,
       terminal_reason AS "terminalReason", claim_owner AS "claimOwner" FROM message_outbox`,
  );
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const sink = Sink.read(sinkFile);
  const rawLines = fs
    .readFileSync(sinkFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '').length;
  assert.ok(turns.length > 0 && sink.length > 0, 'the children did real work');

  // The harness itself: every inbound message of every child became a turn of its own. The only
  // duplicates are those the demo injects (the same message accepted twice by the same process);
  // a duplicate recorded by another process is a fresh message dropped as a false duplicate.
  const dupes = await one<{ n: number; foreign_: number }>(
    sql,
    `SELECT count(*) AS n, coalesce(sum(CASE WHEN d.actor_name <> c.actor_name THEN 1 ELSE 0 END), 0) AS foreign_
     FROM message_history d
     JOIN message_history c ON c.subject_id = d.subject_id AND c.kind = 'turn' AND c.from_status IS NULL
     WHERE d.kind = 'turn' AND d.reason = 'duplicate inbound message ignored'`,
  );
  assert.equal(Number(dupes.foreign_), 0, "inbound messages of one child were taken for duplicates of another child's");

  // 1. Every turn terminal, no outbox row pending.
  const open = turns.filter((x) => !TERMINAL.has(x.status));
  assert.deepEqual(open, [], `${open.length} turns still open after recovery`);
  const pending = rows.filter((r) => r.status === 'queued' || r.status === 'failed_retryable');
  assert.deepEqual(pending, [], `${pending.length} outbox rows still pending`);

  // 2. Nothing of an aborted turn was sent after the abort committed. Aborts happen only in the
  //    children (the demo aborts on inbound messages; recovery never does). A send is allowed
  //    once beginSend committed (`begunAt`, the store's clock in that transaction).
  //    SQLite: writes are serialized and read the clock under the write lock, so a send allowed
  //    after the abort has a later `begunAt` than the abort's `at`, and the clocks decide.
  //    PostgreSQL: transactions overlap and each reads the clock when it starts, before it
  //    waits for row locks, so a beginSend racing the abort may read a later clock yet commit
  //    first. There the row itself says which committed first: the abort cancels only pending
  //    rows and releases their claim, every successful beginSend takes it, and nothing writes a
  //    cancelled row again; so a row the abort cancelled that still has no claim was begun only
  //    before the abort. Likewise a row delivered by an ack whose timeline entry was written
  //    before the abort's (the entries' ids follow the order of writing): its beginSend committed
  //    before that ack began, so before the abort did. Such sends are counted (`raced`), any
  //    other later one is a late send.
  const aborts = new Map<string, number>();
  const abortEntry = new Map<string, number>();
  for (const h of await sql<{ id: number; turnId: string; at: number; actor: string }>(
    // The move into aborted, not the notes recorded on the aborted turn since (a duplicate
    // inbound message, from aborted to aborted), which would date the abort later than it was.
    `SELECT id, subject_id AS "turnId", at, actor FROM message_history
     WHERE kind = 'turn' AND to_status = 'aborted' AND (from_status IS NULL OR from_status <> 'aborted')`,
  )) {
    assert.equal(h.actor, 'gateway', `turn ${h.turnId} was aborted by ${h.actor}, not a child`);
    assert.ok(!aborts.has(h.turnId), `turn ${h.turnId} was aborted twice`);
    aborts.set(h.turnId, Number(h.at));
    abortEntry.set(h.turnId, Number(h.id));
  }
  const deliveredEntry = new Map(
    (
      await sql<{ rowId: string; id: number }>(
        `SELECT entity_id AS "rowId", id FROM message_history WHERE kind = 'outbox' AND to_status = 'delivered'`,
      )
    ).map((r) => [r.rowId, Number(r.id)]),
  );
  const ackedBeforeAbort = (rowId: string, turnId: string): boolean =>
    rowById.get(rowId)?.status === 'delivered' && (deliveredEntry.get(rowId) ?? Infinity) < abortEntry.get(turnId)!;
  const abortedTurns = turns.filter((x) => x.status === 'aborted');
  assert.equal(aborts.size, abortedTurns.length, 'every aborted turn has its abort in the history');
  assert.ok(abortedTurns.length > 0, 'some turns were aborted');
  const linesByTurn = new Map<string, SinkLine[]>();
  for (const l of sink) {
    if (l.turnId === null) continue;
    linesByTurn.set(l.turnId, [...(linesByTurn.get(l.turnId) ?? []), l]);
  }
  const cancelledByAbort = new Set(
    (
      await sql<{ id: string }>(
        `SELECT DISTINCT entity_id AS id FROM message_history
         WHERE kind = 'outbox' AND to_status = 'failed_terminal' AND reason = 'turn_aborted' AND actor = 'gateway'`,
      )
    ).map((r) => r.id),
  );
  const beganBeforeAbortByRow = (rowId: string): boolean => {
    const row = rowById.get(rowId);
    return (
      row !== undefined &&
      cancelledByAbort.has(rowId) &&
      row.status === 'failed_terminal' &&
      row.terminalReason === 'turn_aborted' &&
      row.claimOwner === null
    );
  };
  let abortedWithLines = 0;
  let abortedWithFinalLines = 0;
  const lateSends: (SinkLine & { abortAt: number; row: RowFacts | undefined })[] = [];
  let raced = 0;
  let racedBy = 0;
  for (const [turnId, abortAt] of aborts) {
    const lines = linesByTurn.get(turnId) ?? [];
    if (lines.length > 0) abortedWithLines++;
    if (lines.some((l) => isFinal(l.kind))) abortedWithFinalLines++;
    for (const l of lines.filter((x) => (x.begunAt ?? x.at) > abortAt)) {
      if (pg && (beganBeforeAbortByRow(l.rowId) || ackedBeforeAbort(l.rowId, turnId))) {
        raced++;
        racedBy = Math.max(racedBy, (l.begunAt ?? l.at) - abortAt);
      } else lateSends.push({ ...l, abortAt, row: rowById.get(l.rowId) });
    }
  }
  for (const l of lateSends) {
    // The turn's whole timeline beside the failure: which writer did what, in which order.
    (l as { timeline?: unknown }).timeline = await sql(
      `SELECT id, kind, entity_id AS "entityId", from_status AS "from", to_status AS "to", actor, actor_name AS "by", reason, at
       FROM message_history WHERE subject_id = ? ORDER BY id`,
      [l.turnId],
    );
  }
  assert.deepEqual(lateSends, [], 'sends of aborted turns were allowed after the abort');
  assert.ok(
    abortedWithLines > 0,
    'some aborted turns had sent something before their abort (the check is not vacuous)',
  );
  const cancelled = await one<{ n: number; finals: number }>(
    sql,
    `SELECT count(*) AS n, coalesce(sum(CASE WHEN dispatch_kind IS NULL OR dispatch_kind = 'final' THEN 1 ELSE 0 END), 0) AS finals
     FROM message_outbox WHERE terminal_reason = 'turn_aborted'`,
  );
  assert.ok(Number(cancelled.n) > 0, 'some aborts cancelled queued sends');
  const { n: inFlightAtAbort } = await one<{ n: number }>(
    sql,
    `SELECT count(*) AS n FROM message_history WHERE reason LIKE 'sent after it was %'`,
  );

  // 3. Duplicates: lines of one (turn, kind) must all carry one idempotency key the platform can drop on.
  const groups = new Map<string, SinkLine[]>();
  for (const l of sink) {
    const k = `${l.turnId}\u0000${l.kind}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  let duplicateLines = 0;
  let duplicateFinalLines = 0;
  for (const [k, list] of groups) {
    if (list.length < 2) continue;
    duplicateLines += list.length - 1;
    if (isFinal(list[0]!.kind)) duplicateFinalLines += list.length - 1;
    const keys = new Set(list.map((l) => l.idempotencyKey));
    assert.equal(keys.size, 1, `sink lines of ${k} carry different idempotency keys: ${[...keys].join(', ')}`);
    assert.notEqual(list[0]!.idempotencyKey, null, `duplicate sink lines of ${k} have no idempotency key`);
  }
  for (const [turnId, lines] of linesByTurn) {
    const finalKeys = new Set(lines.filter((l) => isFinal(l.kind)).map((l) => l.idempotencyKey));
    assert.ok(finalKeys.size <= 1, `turn ${turnId} got final replies under ${finalKeys.size} idempotency keys`);
  }
  const causes = options.killedOwners ? await rowDuplicates(sql, sink, options.killedOwners) : undefined;

  // 4. Nothing delivered that never reached the sink.
  const sinkRowIds = new Set(sink.map((l) => l.rowId));
  const deliveredRows = rows.filter((r) => r.status === 'delivered');
  const unsent = deliveredRows.filter((r) => !sinkRowIds.has(r.id));
  assert.deepEqual(unsent, [], 'outbox rows marked delivered without a sink line');
  const finalRowsByTurn = new Map<string, typeof rows>();
  for (const r of rows) {
    if (r.turnId === null || !isFinal(r.kind)) continue;
    finalRowsByTurn.set(r.turnId, [...(finalRowsByTurn.get(r.turnId) ?? []), r]);
  }
  for (const turn of turns.filter((x) => x.status === 'delivered')) {
    // The demo sends every reply through the outbox, so a delivered turn has a delivered final row…
    const finals = finalRowsByTurn.get(turn.id) ?? [];
    assert.ok(
      finals.some((r) => r.status === 'delivered'),
      `turn ${turn.id} is delivered without a delivered final row`,
    );
    // …and the platform has its final reply.
    assert.ok(
      (linesByTurn.get(turn.id) ?? []).some((l) => isFinal(l.kind)),
      `turn ${turn.id} is delivered but no final reply reached the sink`,
    );
  }
  // Every sink line belongs to a row the database knows (nothing was sent from thin air, nothing pruned).
  assert.deepEqual(
    sink.filter((l) => !rowById.has(l.rowId)),
    [],
    'sink lines whose outbox row is unknown',
  );

  const count = (s: string): number => turns.filter((x) => x.status === s).length;
  return [
    `turns ${turns.length}: delivered ${count('delivered')}, failed_terminal ${count('failed_terminal')}, aborted ${count('aborted')}`,
    `aborted turns with sink lines before their abort: ${abortedWithLines} (${abortedWithFinalLines} with a final); late sends: ${lateSends.length}` +
      `${pg ? ` (sends that raced their abort, committed before it but clocked up to ${racedBy} ms later: ${raced})` : ''}; ` +
      `rows cancelled by aborts: ${cancelled.n} (${cancelled.finals} final); sends in flight at their abort (late ack refused): ${inFlightAtAbort}`,
    `inbound duplicates injected and dropped: ${dupes.n}`,
    `sink: ${sink.length} lines (${rawLines} raw), ${duplicateLines} duplicate lines (${duplicateFinalLines} final), ${deliveredRows.length} delivered rows`,
    ...(causes ? [`rows sent twice, by cause: ${JSON.stringify(causes)}`] : []),
  ];
}

/**
 * The same row in the sink more than once. Allowed only when each earlier sender was killed
 * before it recorded the outcome (between the send and the commit of its ack): then another
 * process rightly sent it again once the dead one's claim lapsed.
 */
async function rowDuplicates(sql: Sql, sink: SinkLine[], killed: ReadonlySet<string>): Promise<Record<string, number>> {
  const byRow = new Map<string, SinkLine[]>();
  for (const l of sink) byRow.set(l.rowId, [...(byRow.get(l.rowId) ?? []), l]);
  const causes = { diedBetweenSendAndAck: 0 };
  for (const [rowId, lines] of byRow) {
    for (const earlier of lines.slice(0, -1)) {
      assert.ok(earlier.by !== undefined, 'sink lines name their sender');
      // The sender's outcome for this row, recorded after its send was allowed (same process,
      // same clock, later transaction): a status change, or a late ack refused.
      const { n: outcomes } = await one<{ n: number }>(
        sql,
        `SELECT count(*) AS n FROM message_history WHERE kind = 'outbox' AND entity_id = ? AND actor_name = ? AND at >= ?
           AND from_status IS NOT NULL AND (to_status IS NULL OR to_status <> from_status OR reason LIKE 'sent after it was %')`,
        [rowId, earlier.by, earlier.begunAt ?? 0],
      );
      assert.ok(
        killed.has(earlier.by) && Number(outcomes) === 0,
        `row ${rowId} was sent again although ${earlier.by} ${killed.has(earlier.by) ? 'recorded its outcome' : 'was never killed'}`,
      );
      causes.diedBetweenSendAndAck++;
    }
  }
  return causes;
}
