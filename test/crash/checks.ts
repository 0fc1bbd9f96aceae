// What SPEC promises survives any crash, checked on a recovered file and the demo platform's
// sink: shared by the single-process and the fleet crash tests.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Lifecycle } from '../../main/lifecycle/lifecycle';
import { DemoGateway } from '../../main/demo/gateway';
import { Sink, type SinkLine } from '../../main/demo/sink';

const TERMINAL = new Set(['delivered', 'failed_terminal', 'aborted']);
const isFinal = (kind: string | null): boolean => kind === null || kind === 'final';

export function countOpen(lc: Lifecycle): { turns: number; rows: number } {
  const turns = (
    lc.db
      .prepare(
        `SELECT count(*) AS n FROM message_turns WHERE status IN ('accepted','running','delivery_pending','failed_retryable')`,
      )
      .get() as { n: number }
  ).n;
  const rows = (
    lc.db.prepare(`SELECT count(*) AS n FROM message_outbox WHERE status IN ('queued','failed_retryable')`).get() as {
      n: number;
    }
  ).n;
  return { turns, rows };
}

/**
 * Recovers the file with the demo's handlers; `offset` moves the clock of `lc` (which must read
 * it) a minute per pass, so backoffs, leases and claims elapse.
 */
export async function recover(
  lc: Lifecycle,
  offset: { ms: number },
  seed: number,
  sinkFile: string,
): Promise<{ passes: number; report: Record<string, number> }> {
  const gateway = new DemoGateway(lc, { failureRate: 0, seed, sinkFile, latencyMs: 0 });
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
  while (passes < 100 && (countOpen(lc).turns > 0 || countOpen(lc).rows > 0)) {
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

/** Asserts the invariants and returns lines describing what was found. */
export function checkRecovered(lc: Lifecycle, sinkFile: string, options: CheckOptions = {}): string[] {
  assert.equal(lc.db.pragma('integrity_check', { simple: true }), 'ok');
  const turns = lc.db.prepare('SELECT id, status FROM message_turns').all() as { id: string; status: string }[];
  const rows = lc.db
    .prepare('SELECT id, turn_id AS turnId, dispatch_kind AS kind, status, idempotency_key AS key FROM message_outbox')
    .all() as { id: string; turnId: string | null; kind: string | null; status: string; key: string | null }[];
  const sink = Sink.read(sinkFile);
  const rawLines = fs
    .readFileSync(sinkFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '').length;
  assert.ok(turns.length > 0 && sink.length > 0, 'the children did real work');

  // The harness itself: every inbound message of every child became a turn of its own. The only
  // duplicates are those the demo injects (the same message accepted twice by the same process);
  // a duplicate recorded by another process is a fresh message dropped as a false duplicate.
  const dupes = lc.db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(d.actor_name <> c.actor_name), 0) AS foreign_ FROM message_history d
       JOIN message_history c ON c.subject_id = d.subject_id AND c.kind = 'turn' AND c.from_status IS NULL
       WHERE d.kind = 'turn' AND d.reason = 'duplicate inbound message ignored'`,
    )
    .get() as { n: number; foreign_: number };
  assert.equal(dupes.foreign_, 0, "inbound messages of one child were taken for duplicates of another child's");

  // 1. Every turn terminal, no outbox row pending.
  const open = turns.filter((x) => !TERMINAL.has(x.status));
  assert.deepEqual(open, [], `${open.length} turns still open after recovery`);
  const pending = rows.filter((r) => r.status === 'queued' || r.status === 'failed_retryable');
  assert.deepEqual(pending, [], `${pending.length} outbox rows still pending`);

  // 2. Nothing of an aborted turn was sent after the abort committed. Aborts happen only in the
  //    children (the demo aborts on inbound messages; recovery never does). A send is allowed
  //    once beginSend committed (`begunAt`, the core's clock inside that transaction); writes are
  //    serialized, so a send allowed after the abort has a later `begunAt` than the abort's `at`.
  const aborts = new Map<string, number>();
  for (const h of lc.db
    .prepare(
      `SELECT subject_id AS turnId, at, actor FROM message_history WHERE kind = 'turn' AND to_status = 'aborted'`,
    )
    .all() as { turnId: string; at: number; actor: string }[]) {
    assert.equal(h.actor, 'gateway', `turn ${h.turnId} was aborted by ${h.actor}, not a child`);
    aborts.set(h.turnId, h.at);
  }
  const abortedTurns = turns.filter((x) => x.status === 'aborted');
  assert.equal(aborts.size, abortedTurns.length, 'every aborted turn has its abort in the history');
  assert.ok(abortedTurns.length > 0, 'some turns were aborted');
  const linesByTurn = new Map<string, SinkLine[]>();
  for (const l of sink) {
    if (l.turnId === null) continue;
    linesByTurn.set(l.turnId, [...(linesByTurn.get(l.turnId) ?? []), l]);
  }
  let abortedWithLines = 0;
  let abortedWithFinalLines = 0;
  const lateSends: SinkLine[] = [];
  for (const [turnId, abortAt] of aborts) {
    const lines = linesByTurn.get(turnId) ?? [];
    if (lines.length > 0) abortedWithLines++;
    if (lines.some((l) => isFinal(l.kind))) abortedWithFinalLines++;
    lateSends.push(...lines.filter((l) => (l.begunAt ?? l.at) > abortAt));
  }
  assert.deepEqual(lateSends, [], 'sends of aborted turns were allowed after the abort');
  assert.ok(
    abortedWithLines > 0,
    'some aborted turns had sent something before their abort (the check is not vacuous)',
  );
  const cancelled = lc.db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(dispatch_kind IS NULL OR dispatch_kind = 'final'), 0) AS finals
       FROM message_outbox WHERE terminal_reason = 'turn_aborted'`,
    )
    .get() as { n: number; finals: number };
  assert.ok(cancelled.n > 0, 'some aborts cancelled queued sends');
  const inFlightAtAbort = (
    lc.db.prepare(`SELECT count(*) AS n FROM message_history WHERE reason LIKE 'sent after it was %'`).get() as {
      n: number;
    }
  ).n;

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
  const causes = options.killedOwners ? rowDuplicates(lc, sink, options.killedOwners) : undefined;

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
  const rowIds = new Set(rows.map((r) => r.id));
  assert.deepEqual(
    sink.filter((l) => !rowIds.has(l.rowId)),
    [],
    'sink lines whose outbox row is unknown',
  );

  const count = (s: string): number => turns.filter((x) => x.status === s).length;
  return [
    `turns ${turns.length}: delivered ${count('delivered')}, failed_terminal ${count('failed_terminal')}, aborted ${count('aborted')}`,
    `aborted turns with sink lines before their abort: ${abortedWithLines} (${abortedWithFinalLines} with a final); late sends: ${lateSends.length}; rows cancelled by aborts: ${cancelled.n} (${cancelled.finals} final); sends in flight at their abort (late ack refused): ${inFlightAtAbort}`,
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
function rowDuplicates(lc: Lifecycle, sink: SinkLine[], killed: ReadonlySet<string>): Record<string, number> {
  const byRow = new Map<string, SinkLine[]>();
  for (const l of sink) byRow.set(l.rowId, [...(byRow.get(l.rowId) ?? []), l]);
  const outcome = lc.db.prepare(
    `SELECT count(*) AS n FROM message_history WHERE kind = 'outbox' AND entity_id = ? AND actor_name = ? AND at >= ?
       AND from_status IS NOT NULL AND (to_status IS NOT from_status OR reason LIKE 'sent after it was %')`,
  );
  const causes = { diedBetweenSendAndAck: 0 };
  for (const [rowId, lines] of byRow) {
    for (const earlier of lines.slice(0, -1)) {
      assert.ok(earlier.by !== undefined, 'sink lines name their sender');
      assert.ok(
        killed.has(earlier.by) && (outcome.get(rowId, earlier.by, earlier.begunAt ?? 0) as { n: number }).n === 0,
        `row ${rowId} was sent again although ${earlier.by} ${killed.has(earlier.by) ? 'recorded its outcome' : 'was never killed'}`,
      );
      causes.diedBetweenSendAndAck++;
    }
  }
  return causes;
}
