// Crash test: a child process runs the demo gateway under load on one database file and is
// SIGKILLed at random moments, many times over. Then this process recovers the file with the
// demo's handlers and checks what SPEC promises survives any crash:
//   1. every turn is terminal and no outbox row is left pending;
//   2. nothing of an aborted turn reached the sink after its abort committed;
//   3. duplicates in the sink are only those the idempotency key lets the platform drop;
//   4. nothing is marked delivered that never reached the sink.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { DEMO_CONFIG, DemoGateway } from '../../main/demo/gateway';
import { seededRandom } from '../../main/demo/random';
import { Sink, type SinkLine } from '../../main/demo/sink';

const CHILD = path.join(__dirname, 'child.js');
const ROUNDS = 20;
/** A run that lasts much longer than the longest kill delay, so mid-run kills land mid-run. */
const TURNS_PER_CHILD = 600;

interface Round {
  seed: number;
  mode: 'early' | 'mid';
  delayMs: number;
  /** The child reported turns flowing before it died. */
  wasRunning: boolean;
  /** It was killed by our SIGKILL rather than exiting on its own. */
  killed: boolean;
  code: number | null;
  stderr: string;
}

/**
 * Spawns the child and SIGKILLs it: 'early' rounds a random moment after spawn (often before or
 * while it opens the file), 'mid' rounds a random moment after it reported turns flowing.
 */
function runRound(
  dir: string,
  db: string,
  sink: string,
  seed: number,
  mode: Round['mode'],
  delayMs: number,
): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, db, sink, String(seed), String(TURNS_PER_CHILD)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const round: Round = { seed, mode, delayMs, wasRunning: false, killed: false, code: null, stderr: '' };
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    if (mode === 'early') timer = setTimeout(kill, delayMs);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!round.wasRunning && stdout.includes('running\n')) {
        round.wasRunning = true;
        if (mode === 'mid') timer = setTimeout(kill, delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      round.stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      round.code = code;
      round.killed = signal === 'SIGKILL';
      resolve(round);
    });
  });
}

const TERMINAL = new Set(['delivered', 'failed_terminal', 'aborted']);
const isFinal = (kind: string | null): boolean => kind === null || kind === 'final';

test('SIGKILL at random moments under load: recovery leaves every turn terminal, no send after abort, only droppable duplicates', async (t) => {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-crash-'));
  const opened: Lifecycle[] = [];
  t.after(() => {
    for (const l of opened) l.close();
    if (process.env.CRASH_KEEP) t.diagnostic(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });
  const db = path.join(dir, 'message-lifecycle.db');
  const sinkFile = path.join(dir, 'sink.jsonl');

  // --- crash rounds ---
  const baseSeed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(baseSeed);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // A quarter of the rounds die very early (before/while creating or opening the file, or in the
    // first turns), the first of all among them.
    const mode = i % 4 === 0 ? 'early' : 'mid';
    const delayMs = mode === 'early' ? Math.floor(random() * 250) : 20 + Math.floor(random() * 1_200);
    rounds.push(await runRound(dir, db, sinkFile, baseSeed + i * 7919, mode, delayMs));
  }
  const crashSecs = (Date.now() - started) / 1000;
  const kills = rounds.filter((r) => r.killed).length;
  const midRunKills = rounds.filter((r) => r.killed && r.wasRunning).length;
  t.diagnostic(
    `seed ${baseSeed} (CRASH_SEED=${baseSeed} replays the demo's choices, not the kill timing): ${ROUNDS} rounds, ` +
      `${kills} killed (${midRunKills} mid-run, ${kills - midRunKills} before turns flowed), ` +
      `${ROUNDS - kills} exited on their own; crash phase ${crashSecs.toFixed(1)} s`,
  );

  for (const r of rounds) {
    // A child that was not killed must have finished cleanly; one that was killed may have said anything.
    if (!r.killed) assert.equal(r.code, 0, `seed ${r.seed}: child exited with ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /recovery pass failed|crash child failed/, `seed ${r.seed}: ${r.stderr}`);
  }
  assert.ok(midRunKills >= ROUNDS / 2, `only ${midRunKills} of ${ROUNDS} rounds were killed mid-run`);

  // --- recovery, with a clock that jumps a minute per pass so backoffs, leases and claims elapse ---
  let offset = 0;
  const lc = Lifecycle.open(db, { config: DEMO_CONFIG, now: () => Date.now() + offset });
  opened.push(lc);
  const openAfterCrashes = countOpen(lc);
  assert.ok(openAfterCrashes.turns > 0, 'the crashes left open turns for recovery');
  const gateway = new DemoGateway(lc, { failureRate: 0, seed: baseSeed, sinkFile, latencyMs: 0 });
  const worker = gateway.createWorker();
  let passes = 0;
  const recovered = {
    rowsDelivered: 0,
    rowsFailed: 0,
    nonFinalPruned: 0,
    finalized: 0,
    superseded: 0,
    replayed: 0,
    failed: 0,
  };
  while (passes < 100 && (countOpen(lc).turns > 0 || countOpen(lc).rows > 0)) {
    offset += 60_000;
    const r = await worker.runOnce();
    recovered.rowsDelivered += r.rowsDelivered;
    recovered.rowsFailed += r.rowsFailed;
    recovered.nonFinalPruned += r.nonFinalPruned;
    recovered.finalized += r.turnsFinalized;
    recovered.superseded += r.turnsSuperseded;
    recovered.replayed += r.turnsReplayed;
    recovered.failed += r.turnsFailed + r.turnsUnroutable + r.expiry.staleTurns;
    passes++;
  }
  await worker.stop();

  const integrity = lc.db.pragma('integrity_check', { simple: true });
  assert.equal(integrity, 'ok');

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
  assert.deepEqual(open, [], `${open.length} turns still open after ${passes} recovery passes`);
  const pending = rows.filter((r) => r.status === 'queued' || r.status === 'failed_retryable');
  assert.deepEqual(pending, [], `${pending.length} outbox rows still pending`);

  // 2. Nothing of an aborted turn reached the sink after the abort committed. Aborts happen only
  //    in the children (the demo aborts on inbound messages; recovery never does), whose history
  //    clock is the real Date.now(), as is every sink line's `at`, so the two compare. The
  //    abort's `at` is read at the start of its transaction: a send after the commit is later.
  const aborts = new Map<string, number>();
  for (const h of lc.db
    .prepare(
      `SELECT subject_id AS turnId, at, actor FROM message_history
       WHERE kind = 'turn' AND to_status = 'aborted'`,
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
    const list = linesByTurn.get(l.turnId) ?? [];
    list.push(l);
    linesByTurn.set(l.turnId, list);
  }
  let abortedWithLines = 0;
  let abortedWithFinalLines = 0;
  const lateSends: SinkLine[] = [];
  for (const [turnId, abortAt] of aborts) {
    const lines = linesByTurn.get(turnId) ?? [];
    if (lines.length > 0) abortedWithLines++;
    if (lines.some((l) => isFinal(l.kind))) abortedWithFinalLines++;
    // SPEC: "Nothing of an aborted turn is ever sent after the abort commits" — any kind, finals included.
    lateSends.push(...lines.filter((l) => l.at > abortAt));
  }
  assert.deepEqual(lateSends, [], 'sends of aborted turns reached the sink after the abort');
  assert.ok(
    abortedWithLines > 0,
    'some aborted turns had sent something before their abort (the check is not vacuous)',
  );
  // …and some aborts cancelled sends in flight: the very rows the check is about.
  const cancelled = lc.db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(dispatch_kind IS NULL OR dispatch_kind = 'final'), 0) AS finals
       FROM message_outbox WHERE terminal_reason = 'turn_aborted'`,
    )
    .get() as { n: number; finals: number };
  assert.ok(cancelled.n > 0, 'some aborts cancelled queued sends');

  // 3. Duplicates: lines of one (turn, kind) must all carry one idempotency key the platform can drop on.
  const groups = new Map<string, SinkLine[]>();
  for (const l of sink) {
    const k = `${l.turnId}\u0000${l.kind}`;
    const list = groups.get(k) ?? [];
    list.push(l);
    groups.set(k, list);
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
  const deliveredTurns = turns.filter((x) => x.status === 'delivered');
  for (const turn of deliveredTurns) {
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
  for (const [turnId, finals] of finalRowsByTurn) {
    if (finals.some((r) => r.status === 'delivered')) {
      assert.ok(
        (linesByTurn.get(turnId) ?? []).some((l) => isFinal(l.kind)),
        `turn ${turnId} has a delivered final row but no final line in the sink`,
      );
    }
  }
  // Every sink line belongs to a row the database knows (nothing was sent from thin air, nothing pruned).
  const rowIds = new Set(rows.map((r) => r.id));
  assert.deepEqual(
    sink.filter((l) => !rowIds.has(l.rowId)),
    [],
    'sink lines whose outbox row is unknown',
  );

  const count = (s: string): number => turns.filter((x) => x.status === s).length;
  for (const line of [
    `after the crashes: ${openAfterCrashes.turns} open turns, ${openAfterCrashes.rows} pending rows; recovery took ${passes} passes: ${JSON.stringify(recovered)}`,
    `turns ${turns.length}: delivered ${count('delivered')}, failed_terminal ${count('failed_terminal')}, aborted ${count('aborted')}`,
    `aborted turns with sink lines before their abort: ${abortedWithLines} (${abortedWithFinalLines} with a final); late sends: ${lateSends.length}; rows cancelled by aborts: ${cancelled.n} (${cancelled.finals} final)`,
    `inbound duplicates injected and dropped: ${dupes.n}`,
    `sink: ${sink.length} lines (${rawLines} raw), ${duplicateLines} duplicate lines (${duplicateFinalLines} final), ${deliveredRows.length} delivered rows`,
    `total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ])
    t.diagnostic(line);
});

function countOpen(lc: Lifecycle): { turns: number; rows: number } {
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
