// The `lifecycle-desk` command against real SQLite files in temp dirs: output formats, exit
// codes, filters, operator actions and their refusals, files the core refuses, recovery, legacy
// import and the demo. Most cases run in this process through runCli (what bin.js calls) with
// an io that captures what it writes; a real child process (the built dist/main/cli/bin.js)
// runs what only a process shows: the exit status, what reaches its stdout and stderr streams
// (one JSON document and nothing else with --json), the environment, another process's lock.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Lifecycle } from '../../main/lifecycle';
import { defaultDbPath, demoDbPath, sinkPath } from '../../main/cli/paths';
import { runCli } from '../../main/cli/run';
import { ROUTE, makeClock, openTemp, sha256, tempDir, type Clock } from '../helpers/temp-db';

const BIN = path.resolve(__dirname, '../../main/cli/bin.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command line in this process, as bin.js does, and captures what it writes. */
async function cli(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}

/** Runs with --json, expects success, and parses stdout as exactly one JSON document. */
async function cliJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  return parseJson<T>(await cli([...args, '--json']));
}

/** Runs with --json, expects a failure, and returns the JSON error from stderr. */
async function cliJsonError(args: readonly string[], exit = 1): Promise<{ code: string; message: string }> {
  return parseJsonError(await cli([...args, '--json']), exit);
}

function parseJson<T>(r: Run): T {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as T; // throws unless stdout is one JSON document
}

function parseJsonError(r: Run, exit: number): { code: string; message: string } {
  assert.equal(r.code, exit, `expected exit ${exit}, got ${r.code}: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '');
  return (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('LIFECYCLE_DESK_DB' in extra)) delete env.LIFECYCLE_DESK_DB;
  return env;
}

/** Runs the real command as a child process: its exit status and its two streams. */
function child(args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: childEnv(env), timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function childJson<T = Record<string, unknown>>(args: readonly string[], env: NodeJS.ProcessEnv = {}): T {
  return parseJson<T>(child([...args, '--json'], env));
}

function expectFailure(r: Run, exit: number, message: RegExp): void {
  assert.equal(r.code, exit, `expected exit ${exit}, got ${r.code}: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: /);
  assert.match(r.stderr, message);
}

/** Every row of the three lifecycle tables: "unchanged" means this is deep-equal before and after. */
function snapshot(file: string): unknown[] {
  const db = new Database(file);
  try {
    return ['message_turns', 'message_outbox', 'message_history'].map((t) =>
      db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all(),
    );
  } finally {
    db.close();
  }
}

function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file);
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function expectedOperator(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return `cli:${process.env.USER ?? 'unknown'}`;
  }
}

/**
 * A database written "by a gateway" on the real clock, a few seconds ago:
 *  t-1 (tg:chat-a)  delivery_pending, tool row r-1-tool and final row r-1-final queued, not live
 *  t-2 (dc:chat-b)  failed_retryable after one failed attempt, no rows (stuck, replayable)
 *  t-3 (dc:chat-c)  delivered through final row r-3
 *  t-4 (sl:chat-d)  delivery_pending, final row r-4 failed_retryable once (a stuck row)
 *  r-5              a direct send outside any turn, queued
 */
function seed(
  extra?: (lc: Lifecycle, clock: Clock) => void,
  start = Date.now() - 10_000,
): { file: string; dir: string } {
  const clock = makeClock(start);
  const { lc, file, dir } = openTemp({ clock });
  const send = (id: string, turnId: string | null, kind: 'tool' | 'final' | null, live = false) =>
    lc.enqueue({ id, turnId, channel: 'telegram', target: 'chat-1', dispatchKind: kind, payload: { text: id }, live });
  try {
    lc.accept({ id: 't-1', channel: 'telegram', sessionKey: 'tg:chat-a', payload: { text: 'one' }, route: ROUTE });
    lc.markRunning('t-1');
    send('r-1-tool', 't-1', 'tool');
    clock.advance(100);
    send('r-1-final', 't-1', 'final');
    clock.advance(100);
    lc.accept({ id: 't-2', channel: 'discord', sessionKey: 'dc:chat-b', payload: { text: 'two' }, route: ROUTE });
    lc.markRunning('t-2');
    lc.recordFailure('t-2', 'agent crashed');
    clock.advance(100);
    lc.accept({ id: 't-3', channel: 'discord', sessionKey: 'dc:chat-c', payload: { text: 'three' }, route: ROUTE });
    lc.markRunning('t-3');
    send('r-3', 't-3', 'final', true);
    lc.ack('r-3');
    lc.finalize('t-3');
    clock.advance(100);
    lc.accept({ id: 't-4', channel: 'slack', sessionKey: 'sl:chat-d', payload: { text: 'four' }, route: ROUTE });
    lc.markRunning('t-4');
    send('r-4', 't-4', 'final', true);
    lc.fail('r-4', { error: '502 Bad Gateway', errorClass: 'retryable' });
    clock.advance(100);
    send('r-5', null, null);
    extra?.(lc, clock);
  } finally {
    lc.close();
  }
  return { file, dir };
}

const ids = (page: { items: { id: string }[] }): string[] => page.items.map((i) => i.id);

test('help prints usage; no command or an unknown one is a usage error', async () => {
  for (const args of [['--help'], ['help'], ['-h']]) {
    const r = await cli(args);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: lifecycle-desk <command> \[--db PATH\] \[--json\]/);
    for (const c of [
      'status',
      'turns',
      'outbox',
      'show',
      'abort',
      'replay',
      'retry',
      'terminate',
      'prune',
      'recover',
    ]) {
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
    }
  }
  const turns = await cli(['help', 'turns']);
  assert.equal(turns.code, 0);
  assert.match(turns.stdout, /--status/);
  assert.equal((await cli(['turns', '--help'])).stdout, turns.stdout);

  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^usage: lifecycle-desk/);
  assert.equal((await cliJsonError([], 2)).code, 'usage');
  expectFailure(await cli(['frobnicate']), 2, /unknown command "frobnicate"/);
  expectFailure(await cli(['help', 'frobnicate']), 2, /unknown command "frobnicate"/);
});

test('usage errors exit 2 and never open (or create) the database', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'never.db');
  const cases: [string[], RegExp][] = [
    [['status', '--bogus'], /unknown option --bogus/],
    [['status', '-x'], /unknown option -x/],
    [['status', 'extra'], /unexpected argument "extra"/],
    [['status', '--json=yes'], /--json takes no value/],
    [['turns', '--status', 'nope'], /--status must be one of accepted, running/],
    [['turns', '--status', 'queued'], /not "queued"/],
    [['turns', '--limit', '0'], /--limit must be an integer from 1 to 500/],
    [['turns', '--limit', '501'], /--limit/],
    [['turns', '--limit', 'ten'], /--limit/],
    [['turns', '--limit', '2.5'], /--limit/],
    [['turns', '--session'], /--session needs a value/],
    [['turns', '--stuck', '--stuck'], /--stuck given more than once/],
    [['outbox', '--kind', 'image'], /--kind must be one of tool, block, final, direct/],
    [['outbox', '--status', 'running'], /--status must be one of queued/],
    [['outbox', '--limit', '-1'], /--limit/],
    [['show'], /missing <turn-id>/],
    [['show', 'a', 'b'], /unexpected argument "b"/],
    [['abort'], /abort needs --session/],
    [['abort', 'tg:chat-a'], /unexpected argument/],
    [['replay'], /missing <turn-id>/],
    [['retry'], /missing <outbox-id>/],
    [['terminate', ''], /must not be empty/],
    [['prune', 'now'], /unexpected argument/],
    [['recover'], /recover needs --once/],
    [['recover', '--demo'], /recover needs --once/],
    [['recover', '--once', '--failure-rate', '0.5'], /--failure-rate only applies with --demo/],
    [['recover', '--once', '--demo', '--failure-rate', '2'], /--failure-rate must be a number from 0 to 1/],
    [['recover', '--once', '--max-turns-per-pass', '0'], /--max-turns-per-pass/],
    [['import-legacy'], /missing <dir>/],
    [['demo', '--turns', '0'], /--turns/],
    [['demo', '--seed', 'abc'], /--seed must be a non-negative integer/],
    [['demo', '--abort-rate', '-0.1'], /--abort-rate/],
    [['demo', '--concurrency', '65'], /--concurrency/],
  ];
  for (const [args, message] of cases) {
    const r = await cli([...args, '--db', db]);
    expectFailure(r, 2, message);
    assert.match(r.stderr, /run 'lifecycle-desk help/);
    const err = await cliJsonError([...args, '--db', db], 2);
    assert.equal(err.code, 'usage');
    assert.match(err.message, message);
  }
  expectFailure(await cli(['status', '--db']), 2, /--db needs a value/);
  expectFailure(await cli(['status', '--db', '']), 2, /--db must not be empty/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing was created');
});

test('status --json equals the counts in the database; text mode shows the same', async () => {
  const { file } = seed();
  const status = await cliJson<{
    turns: Record<string, number>;
    outbox: Record<string, number>;
    stuckTurns: number;
    stuckOutbox: number;
  }>(['status', '--db', file]);
  const count = (table: string) =>
    Object.fromEntries(
      query<{ status: string; n: number }>(file, `SELECT status, count(*) AS n FROM ${table} GROUP BY status`).map(
        (r) => [r.status, r.n],
      ),
    );
  const nonZero = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, n]) => n > 0));
  assert.deepEqual(nonZero(status.turns), count('message_turns'));
  assert.deepEqual(nonZero(status.outbox), count('message_outbox'));
  assert.deepEqual(nonZero(status.turns), { delivery_pending: 2, failed_retryable: 1, delivered: 1 });
  assert.deepEqual(nonZero(status.outbox), { queued: 3, failed_retryable: 1, delivered: 1 });
  assert.equal(status.stuckTurns, 1); // t-2 failed once
  assert.equal(status.stuckOutbox, 1); // r-4 failed once

  const text = await cli(['status', '--db', file]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^TURNS +COUNT\n/);
  assert.match(text.stdout, /\nfailed_retryable +1\n/);
  assert.match(text.stdout, /\nOUTBOX +COUNT\n/);
  assert.match(text.stdout, /\nqueued +3\n/);
});

test('turns: oldest first, filtered by status, session and stuck, paged by --limit', async () => {
  const { file } = seed();
  assert.deepEqual(ids(await cliJson(['turns', '--db', file])), ['t-1', 't-2', 't-3', 't-4']);
  assert.deepEqual(ids(await cliJson(['turns', '--db', file, '--status', 'failed_retryable'])), ['t-2']);
  assert.deepEqual(ids(await cliJson(['turns', '--db', file, '--status', 'delivered,delivery_pending'])), [
    't-1',
    't-3',
    't-4',
  ]);
  assert.deepEqual(ids(await cliJson(['turns', '--db', file, '--session', 'dc:chat-b'])), ['t-2']);
  assert.deepEqual(ids(await cliJson(['turns', '--db', file, '--session', 'nobody'])), []);
  const stuck = await cliJson<{ items: { id: string; stuckReason: string | null }[] }>([
    'turns',
    '--db',
    file,
    '--stuck',
  ]);
  assert.deepEqual(ids(stuck), ['t-2']);
  assert.match(stuck.items[0]!.stuckReason!, /failed once, last error agent crashed/);

  const first = await cliJson<{ items: { id: string }[]; nextCursor: string | null }>([
    'turns',
    '--db',
    file,
    '--limit',
    '3',
  ]);
  assert.deepEqual(ids(first), ['t-1', 't-2', 't-3']);
  assert.ok(first.nextCursor);
  const rest = await cliJson<{ items: { id: string }[]; nextCursor: string | null }>([
    'turns',
    '--db',
    file,
    '--limit',
    '3',
    '--cursor',
    first.nextCursor,
  ]);
  assert.deepEqual(ids(rest), ['t-4']);
  assert.equal(rest.nextCursor, null);

  const text = await cli(['turns', '--db', file, '--stuck']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^ID +STATUS +SESSION +CHANNEL +ATTEMPTS +AGE +STUCK/);
  assert.match(text.stdout, /\nt-2 +failed_retryable +dc:chat-b +discord +1 +\d+ s +failed once/);
  assert.match(text.stdout, /\n1 shown\n$/);
});

test('outbox: oldest first, filtered by status, turn, kind and stuck', async () => {
  const { file } = seed();
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file])), ['r-1-tool', 'r-1-final', 'r-3', 'r-4', 'r-5']);
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file, '--turn', 't-1'])), ['r-1-tool', 'r-1-final']);
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file, '--kind', 'final'])), ['r-1-final', 'r-3', 'r-4']);
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file, '--kind', 'direct'])), ['r-5']);
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file, '--kind', 'tool', '--turn', 't-1'])), ['r-1-tool']);
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file, '--status', 'delivered'])), ['r-3']);
  assert.deepEqual(ids(await cliJson(['outbox', '--db', file, '--status', 'queued', '--limit', '2'])), [
    'r-1-tool',
    'r-1-final',
  ]);
  const stuck = await cliJson<{ items: { id: string; stuckReason: string | null }[] }>([
    'outbox',
    '--db',
    file,
    '--stuck',
  ]);
  assert.deepEqual(ids(stuck), ['r-4']);
  assert.match(stuck.items[0]!.stuckReason!, /final reply failed once, last error 502 Bad Gateway/);

  const text = await cli(['outbox', '--db', file, '--turn', 't-4']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /\nr-4 +t-4 +final +failed_retryable +telegram→chat-1 +1 /);
});

test('show: the turn with its payload as text, its outbox rows and its history', async () => {
  const hostile = 'line one\n\u001b[31mred\u001b[0m <b>bold</b> {"not": json';
  const { file } = seed((lc) => {
    lc.accept({ id: 't-x', channel: 'telegram', sessionKey: 'tg:chat-x', payload: hostile, route: ROUTE });
  });
  const detail = await cliJson<{
    turn: { id: string; status: string; payload: string };
    stuckReason: string | null;
    outbox: { id: string }[];
    history: { actor: string; fromStatus: string | null; toStatus: string | null }[];
  }>(['show', 't-4', '--db', file]);
  assert.equal(detail.turn.id, 't-4');
  assert.equal(detail.turn.status, 'delivery_pending');
  assert.equal(detail.turn.payload, '{"text":"four"}');
  assert.deepEqual(ids({ items: detail.outbox }), ['r-4']);
  assert.deepEqual(
    detail.history.map((h) => `${h.fromStatus ?? ''}>${h.toStatus ?? ''}`),
    ['>accepted', 'accepted>running', '>queued', 'running>delivery_pending', 'queued>failed_retryable'],
  );

  const text = await cli(['show', 't-4', '--db', file]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^turn +t-4\nstatus +delivery_pending\n/);
  assert.match(text.stdout, /\npayload:\n {2}\{"text":"four"\}\n/);
  assert.match(text.stdout, /\noutbox \(1\):\nID +KIND +STATUS.*\nr-4 +final +failed_retryable /);
  assert.match(text.stdout, /\nhistory \(5\):\nTIME +ACTOR +BY +WHAT +FROM → TO +REASON +NOTE\n/);
  assert.match(text.stdout, /\n\S+Z +gateway +\S+ +row r-4 +queued → failed_retryable +502 Bad Gateway +-\n/);

  // A payload is shown as text, never interpreted: terminal escapes are escaped, markup is literal.
  assert.equal((await cliJson<{ turn: { payload: string } }>(['show', 't-x', '--db', file])).turn.payload, hostile);
  const x = await cli(['show', 't-x', '--db', file]);
  assert.equal(x.code, 0);
  assert.ok(!x.stdout.includes('\u001b'), 'no raw escape character reaches the terminal');
  assert.match(x.stdout, /\npayload:\n {2}line one\n {2}\\u001b\[31mred\\u001b\[0m <b>bold<\/b> \{"not": json\n/);

  const before = snapshot(file);
  expectFailure(await cli(['show', 'nope', '--db', file]), 1, /no turn with id nope/);
  assert.deepEqual(await cliJsonError(['show', 'nope', '--db', file]), {
    code: 'not_found',
    message: 'no turn with id nope',
  });
  assert.deepEqual(snapshot(file), before);
});

test('abort --session aborts its turns and cancels their sends; a second abort is refused and changes nothing', async () => {
  const { file } = seed();
  const r = await cli(['abort', '--session', 'tg:chat-a', '--db', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'aborted 1 turn, cancelled 2 sends in session tg:chat-a\n');
  assert.deepEqual(query(file, "SELECT status FROM message_turns WHERE id = 't-1'"), [{ status: 'aborted' }]);
  assert.deepEqual(
    query(file, "SELECT id, status, terminal_reason AS reason FROM message_outbox WHERE turn_id = 't-1' ORDER BY id"),
    [
      { id: 'r-1-final', status: 'failed_terminal', reason: 'turn_aborted' },
      { id: 'r-1-tool', status: 'failed_terminal', reason: 'turn_aborted' },
    ],
  );
  const by = query<{ by: string }>(
    file,
    "SELECT actor_name AS by FROM message_history WHERE actor = 'operator' AND subject_id = 't-1' AND to_status = 'aborted'",
  );
  assert.deepEqual(by, [{ by: expectedOperator() }]);

  const before = snapshot(file);
  expectFailure(
    await cli(['abort', '--session', 'tg:chat-a', '--db', file]),
    1,
    /session "tg:chat-a" has no open turns/,
  );
  assert.equal((await cliJsonError(['abort', '--session', 'tg:chat-a', '--db', file])).code, 'invalid_state');
  assert.deepEqual(snapshot(file), before);

  const json = await cliJson<{ action: string; turns: number; outbox: number; turnIds: string[] }>([
    'abort',
    '--session',
    'sl:chat-d',
    '--db',
    file,
  ]);
  assert.deepEqual(json, { action: 'abort', session: 'sl:chat-d', turns: 1, outbox: 1, turnIds: ['t-4'] });
});

test('replay re-arms a failed turn; replaying a terminal or unknown turn is refused and changes nothing', async () => {
  const { file } = seed();
  const started = Date.now();
  const r = await cli(['replay', 't-2', '--db', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^turn t-2: failed_retryable → failed_retryable, due now/);
  const [turn] = query<{ status: string; next: number }>(
    file,
    "SELECT status, next_attempt_at AS next FROM message_turns WHERE id = 't-2'",
  );
  assert.equal(turn!.status, 'failed_retryable');
  assert.ok(turn!.next >= started && turn!.next <= Date.now(), 'due now');
  assert.deepEqual(
    query(file, "SELECT reason, actor_name AS by FROM message_history WHERE subject_id = 't-2' AND actor = 'operator'"),
    [{ reason: 'replay requested by operator', by: expectedOperator() }],
  );

  const before = snapshot(file);
  expectFailure(
    await cli(['replay', 't-3', '--db', file]),
    1,
    /turn t-3 is delivered; a terminal turn never changes again/,
  );
  // t-4 is still held by the gateway that accepted it (its live lease has not run out).
  expectFailure(
    await cli(['replay', 't-4', '--db', file]),
    1,
    /turn t-4 is being processed by .*; try again after that/,
  );
  assert.deepEqual(await cliJsonError(['replay', 'nope', '--db', file]), {
    code: 'not_found',
    message: 'no turn with id nope',
  });
  assert.deepEqual(snapshot(file), before);
});

test('retry makes a pending row due now; terminate gives it up; both refuse done or unknown rows', async () => {
  const { file } = seed();
  const retried = await cliJson<{ action: string; row: { id: string; status: string; nextAttemptAt: number } }>([
    'retry',
    'r-4',
    '--db',
    file,
  ]);
  assert.equal(retried.action, 'retry');
  assert.equal(retried.row.status, 'failed_retryable');
  assert.ok(retried.row.nextAttemptAt <= Date.now());
  assert.match((await cli(['retry', 'r-5', '--db', file])).stdout, /^outbox row r-5 \(queued\) is due now/);

  let before = snapshot(file);
  expectFailure(
    await cli(['retry', 'r-3', '--db', file]),
    1,
    /outbox row r-3 is delivered; only queued or failed_retryable rows/,
  );
  assert.deepEqual(await cliJsonError(['retry', 'nope', '--db', file]), {
    code: 'not_found',
    message: 'no outbox row with id nope',
  });
  assert.deepEqual(snapshot(file), before);

  const t = await cli(['terminate', 'r-4', '--db', file]);
  assert.equal(t.code, 0, t.stderr);
  // r-4 was t-4's only final row: terminating it decides the turn.
  assert.equal(
    t.stdout,
    'outbox row r-4: failed_retryable → failed_terminal (operator_terminated)\nturn t-4: delivery_pending → failed_terminal\n',
  );
  assert.deepEqual(query(file, "SELECT status, terminal_reason AS reason FROM message_outbox WHERE id = 'r-4'"), [
    { status: 'failed_terminal', reason: 'operator_terminated' },
  ]);
  assert.deepEqual(query(file, "SELECT status FROM message_turns WHERE id = 't-4'"), [{ status: 'failed_terminal' }]);

  before = snapshot(file);
  expectFailure(
    await cli(['terminate', 'r-4', '--db', file]),
    1,
    /outbox row r-4 is failed_terminal; only queued or failed_retryable rows can be terminated/,
  );
  expectFailure(await cli(['terminate', 'r-3', '--db', file]), 1, /is delivered/);
  assert.equal((await cliJsonError(['terminate', 'nope', '--db', file])).code, 'not_found');
  assert.deepEqual(snapshot(file), before);

  const audit = await cliJson<{ items: { by: string; reason: string }[] }>(['audit', '--db', file]);
  assert.deepEqual(
    audit.items.map((i) => i.by),
    audit.items.map(() => expectedOperator()),
  );
  assert.ok(audit.items.some((i) => i.reason === 'operator_terminated'));
});

test('prune deletes terminal turns and done rows past retention and says how many', async () => {
  const threeDaysAgo = Date.now() - 3 * 24 * 3_600_000;
  const clock = makeClock(threeDaysAgo);
  const { lc, file } = openTemp({ clock });
  try {
    lc.accept({ id: 'old', channel: 'telegram', sessionKey: 's', payload: { text: 'hi' }, route: ROUTE });
    lc.markRunning('old');
    lc.enqueue({
      id: 'old-final',
      turnId: 'old',
      channel: 'telegram',
      target: 'x',
      dispatchKind: 'final',
      payload: {},
    });
    lc.ack('old-final');
    lc.finalize('old');
    clock.t = Date.now() - 1_000;
    lc.accept({ id: 'new', channel: 'telegram', sessionKey: 's', payload: { text: 'hi' }, route: ROUTE });
  } finally {
    lc.close();
  }
  const r = await cli(['prune', '--db', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^pruned 1 turn, 1 outbox row and \d+ history entries\n$/);
  assert.deepEqual(query(file, 'SELECT id FROM message_turns'), [{ id: 'new' }]);
  assert.deepEqual(query(file, 'SELECT id FROM message_outbox'), []);
  const again = await cliJson<{ action: string; turns: number; outbox: number }>(['prune', '--db', file]);
  assert.equal(again.turns, 0);
  assert.equal(again.outbox, 0);
  const audit = await cliJson<{ items: { reason: string; by: string }[] }>(['audit', '--db', file, '--limit', '1']);
  assert.equal(audit.items.length, 1);
  assert.equal(audit.items[0]!.by, expectedOperator());
  assert.match(audit.items[0]!.reason, /^pruned 0 turns and 0 outbox rows$/);
});

test('files the core refuses: exit 1 with its message, left byte-identical; a missing file is not created', async () => {
  const dir = tempDir();
  const text = path.join(dir, 'notes.db');
  fs.writeFileSync(text, 'these are my notes, not a database\n'.repeat(50));
  const hash = sha256(text);
  expectFailure(await cli(['status', '--db', text]), 1, /notes\.db is not an SQLite database; it was left untouched/);
  assert.equal((await cliJsonError(['turns', '--db', text])).code, 'not_sqlite');
  assert.equal((await cliJsonError(['abort', '--session', 's', '--db', text])).code, 'not_sqlite');
  assert.equal(sha256(text), hash);
  assert.deepEqual(fs.readdirSync(dir), ['notes.db']);

  const newer = path.join(dir, 'newer.db');
  const db = new Database(newer);
  db.exec('CREATE TABLE message_turns (id TEXT PRIMARY KEY); PRAGMA user_version = 999');
  db.close();
  const newerHash = sha256(newer);
  const err = await cliJsonError(['status', '--db', newer]);
  assert.equal(err.code, 'newer_schema');
  assert.match(err.message, /schema version 999, newer than this build understands/);
  assert.equal(sha256(newer), newerHash);

  const foreign = path.join(dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE recipes (name TEXT)');
  f.close();
  const foreignHash = sha256(foreign);
  expectFailure(await cli(['prune', '--db', foreign]), 1, /without the lifecycle tables \(it holds recipes\)/);
  assert.equal(sha256(foreign), foreignHash);

  const missing = path.join(dir, 'typo.db');
  expectFailure(await cli(['status', '--db', missing]), 1, /no database at .*typo\.db/);
  assert.equal((await cliJsonError(['turns', '--db', missing])).code, 'not_found');
  assert.equal(fs.existsSync(missing), false);
  expectFailure(await cli(['status', '--db', dir]), 1, /is a directory/);
});

// Waits out the core's busy timeout (5 s, the SPEC's minimum) once: it cannot be shorter.
test('a database locked by another process: exit 1 with the core’s message after the busy timeout', () => {
  const dir = tempDir();
  const file = path.join(dir, 'locked.db');
  const db = new Database(file); // rollback journal: an exclusive lock blocks readers too
  db.exec("CREATE TABLE message_turns (id TEXT PRIMARY KEY); INSERT INTO message_turns VALUES ('a')");
  db.exec('BEGIN EXCLUSIVE');
  let err: { code: string; message: string };
  try {
    err = parseJsonError(child(['status', '--db', file, '--json']), 1);
  } finally {
    db.exec('ROLLBACK');
    db.close();
  }
  assert.equal(err.code, 'locked');
  assert.match(err.message, /locked by another process/);
});

test('recover --once runs a pass without handlers; with --demo it delivers a due row', async () => {
  const { file, dir } = seed();
  const plain = await cliJson<{ handlers: string; sinkFile: string | null; report: Record<string, number> }>([
    'recover',
    '--once',
    '--db',
    file,
  ]);
  assert.equal(plain.handlers, 'none');
  assert.equal(plain.sinkFile, null);
  assert.equal(plain.report.rowsDelivered, 0);
  assert.equal(plain.report.turnsReplayed, 0);
  assert.equal(plain.report.nonFinalPruned, 1); // r-1-tool: non-final rows are never replayed
  assert.deepEqual(query(file, "SELECT status FROM message_outbox WHERE id = 'r-1-final'"), [{ status: 'queued' }]);
  assert.equal(fs.existsSync(path.join(dir, 'demo-sink.jsonl')), false);

  // t-2 failed a few seconds ago and is in its backoff: re-arm it so the pass replays it.
  assert.equal((await cli(['replay', 't-2', '--db', file])).code, 0);
  const demo = await cliJson<{ handlers: string; sinkFile: string; report: Record<string, number> }>([
    'recover',
    '--once',
    '--demo',
    '--db',
    file,
  ]);
  assert.equal(demo.handlers, 'demo');
  assert.equal(demo.sinkFile, path.join(dir, 'demo-sink.jsonl'));
  // Due: r-1-final and the direct send r-5 (never attempted), r-4 (its 5 s backoff ran out).
  assert.equal(demo.report.rowsDelivered, 3);
  assert.equal(demo.report.turnsReplayed, 1); // t-2
  assert.deepEqual(
    query(file, "SELECT id, status FROM message_outbox WHERE id IN ('r-1-final', 'r-4', 'r-5') ORDER BY id"),
    [
      { id: 'r-1-final', status: 'delivered' },
      { id: 'r-4', status: 'delivered' },
      { id: 'r-5', status: 'delivered' },
    ],
  );
  assert.deepEqual(query(file, "SELECT id, status FROM message_turns WHERE id IN ('t-1', 't-2', 't-4') ORDER BY id"), [
    { id: 't-1', status: 'delivered' },
    { id: 't-2', status: 'delivered' },
    { id: 't-4', status: 'delivered' },
  ]);
  const sink = fs
    .readFileSync(demo.sinkFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { rowId: string; turnId: string | null });
  assert.ok(sink.some((l) => l.rowId === 'r-1-final' && l.turnId === 't-1'));
  assert.ok(sink.some((l) => l.rowId === 'r-5'));
  assert.ok(
    sink.some((l) => l.turnId === 't-2'),
    'the replayed turn sent its reply',
  );

  const text = await cli(['recover', '--once', '--db', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^recovery pass without handlers/);
  assert.match(text.stdout, /\nrows delivered +0\n/);
});

test('import-legacy imports a directory of JSON files once, and says what failed', async () => {
  const dir = tempDir();
  const queue = path.join(dir, 'queue');
  fs.mkdirSync(queue);
  fs.writeFileSync(
    path.join(queue, 'a.json'),
    JSON.stringify({ channel: 'telegram', to: '42', payload: { text: 'hi' }, enqueuedAt: Date.now() - 1000 }),
  );
  fs.writeFileSync(
    path.join(queue, 'b.json'),
    JSON.stringify({
      id: 'legacy-b',
      channel: 'discord',
      target: 'x',
      payloads: [{ text: 'yo' }],
      retryCount: 2,
      lastError: 'boom',
    }),
  );
  fs.writeFileSync(path.join(queue, 'broken.json'), '{ not json');
  fs.writeFileSync(path.join(queue, 'nochannel.json'), JSON.stringify({ to: '1', payload: {} }));
  fs.writeFileSync(path.join(queue, 'readme.txt'), 'not part of the queue');
  const file = path.join(dir, 'data', 'message-lifecycle.db');

  const missing = await cliJsonError(['import-legacy', path.join(dir, 'nope'), '--db', file]);
  assert.match(missing.message, /nope is not a directory/);
  assert.equal(fs.existsSync(file), false, 'the database is not created for a missing directory');

  const first = await cliJson<{
    imported: number;
    alreadyPresent: number;
    failed: { file: string }[];
    movedTo: string;
  }>(['import-legacy', queue, '--db', file]);
  assert.equal(first.imported, 2);
  assert.equal(first.alreadyPresent, 0);
  assert.deepEqual(first.failed.map((f) => f.file).sort(), ['broken.json', 'nochannel.json']);
  assert.equal(first.movedTo, path.join(queue, 'imported'));
  assert.deepEqual(fs.readdirSync(first.movedTo).sort(), ['a.json', 'b.json']);
  assert.deepEqual(
    query(
      file,
      'SELECT id, channel, target, status, attempt_count AS attempts, last_error AS err FROM message_outbox ORDER BY id',
    ),
    [
      { id: 'a', channel: 'telegram', target: '42', status: 'queued', attempts: 0, err: null },
      { id: 'legacy-b', channel: 'discord', target: 'x', status: 'failed_retryable', attempts: 2, err: 'boom' },
    ],
  );

  const again = await cli(['import-legacy', queue, '--db', file]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^imported +0\nalready present +0\nfailed +2\n/);
  assert.match(again.stdout, /\nFILE +ERROR\nbroken\.json +.*\nnochannel\.json +no channel\n$/);
  assert.deepEqual(query(file, 'SELECT count(*) AS n FROM message_outbox'), [{ n: 2 }]);
});

test('demo --turns 30 --seed 3 gives the same counts on every run, and writes the sink beside the database', async () => {
  type Summary = {
    turns: number;
    open: number;
    status: { turns: Record<string, number>; outbox: Record<string, number> };
    sinkFile: string;
  };
  const run = async (): Promise<Summary> => {
    const file = path.join(tempDir(), 'demo', 'message-lifecycle.db');
    const summary = await cliJson<Summary>(['demo', '--turns', '30', '--seed', '3', '--db', file]);
    assert.equal(summary.sinkFile, sinkPath(file));
    assert.equal(summary.sinkFile, path.join(path.dirname(file), 'demo-sink.jsonl'));
    const lines = fs.readFileSync(summary.sinkFile, 'utf8').trim().split('\n');
    assert.equal(lines.length, summary.status.outbox.delivered, 'one sink line per delivered row');
    return summary;
  };
  const a = await run();
  const b = await run();
  assert.equal(a.turns, 30);
  assert.equal(a.open, 0);
  assert.deepEqual(b.status.turns, a.status.turns);
  assert.deepEqual(b.status.outbox, a.status.outbox);
  const total = Object.values(a.status.turns).reduce((x, y) => x + y, 0);
  assert.equal(total, 30);
  assert.ok(a.status.turns.delivered! > 20);

  const text = await cli(['demo', '--turns', '5', '--seed', '3', '--db', path.join(tempDir(), 'x.db')]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^demo: 5 inbound messages\n/);
  assert.match(text.stdout, /\nsink +\S+demo-sink\.jsonl\n$/);
});

test('the default database: --db, else $LIFECYCLE_DESK_DB, else the data directory of the platform', () => {
  const home = '/home/ada';
  assert.equal(
    defaultDbPath({ env: {}, platform: 'linux', home }),
    '/home/ada/.local/share/lifecycle-desk/message-lifecycle.db',
  );
  assert.equal(
    defaultDbPath({ env: { XDG_DATA_HOME: '/data' }, platform: 'linux', home }),
    '/data/lifecycle-desk/message-lifecycle.db',
  );
  assert.equal(
    defaultDbPath({ env: { XDG_DATA_HOME: 'relative' }, platform: 'freebsd', home }),
    '/home/ada/.local/share/lifecycle-desk/message-lifecycle.db',
  );
  assert.equal(
    defaultDbPath({ env: {}, platform: 'darwin', home: '/Users/ada' }),
    '/Users/ada/Library/Application Support/Lifecycle Desk/message-lifecycle.db',
  );
  assert.equal(
    defaultDbPath({ env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, platform: 'win32', home: 'C:\\Users\\ada' }),
    'C:\\Users\\ada\\AppData\\Roaming\\Lifecycle Desk\\message-lifecycle.db',
  );
  assert.equal(
    defaultDbPath({ env: { LIFECYCLE_DESK_DB: '/x/y.db', XDG_DATA_HOME: '/data' }, platform: 'linux', home }),
    '/x/y.db',
  );
});

// The environment of a real process decides the file; the XDG case only exists on Linux.
test('the real command finds its database from --db, then $LIFECYCLE_DESK_DB, then $XDG_DATA_HOME', (t) => {
  const { file } = seed();
  const viaEnv = childJson<{ turns: Record<string, number> }>(['status'], { LIFECYCLE_DESK_DB: file });
  assert.equal(viaEnv.turns.failed_retryable, 1);
  const other = path.join(tempDir(), 'other.db');
  const flagWins = child(['status', '--db', other], { LIFECYCLE_DESK_DB: file });
  expectFailure(flagWins, 1, /no database at .*other\.db/);

  if (process.platform !== 'linux') {
    t.skip('$XDG_DATA_HOME is only read on Linux');
    return;
  }
  const xdg = tempDir();
  const r = child(['status'], { XDG_DATA_HOME: xdg, HOME: tempDir() });
  expectFailure(r, 1, new RegExp(`no database at ${xdg}/lifecycle-desk/message-lifecycle\\.db`));
});

test('demo traffic never goes into the real database unless --db names it', (t) => {
  const home = '/home/ada';
  assert.equal(
    demoDbPath({ env: { LIFECYCLE_DESK_DB: '/real.db' }, platform: 'linux', home }),
    '/home/ada/.local/share/lifecycle-desk/demo/message-lifecycle.db',
  );
  assert.equal(
    demoDbPath({ env: {}, platform: 'win32', home: 'C:\\Users\\ada' }),
    'C:\\Users\\ada\\AppData\\Roaming\\Lifecycle Desk\\demo\\message-lifecycle.db',
  );
  if (process.platform !== 'linux') {
    t.skip('the rest needs $XDG_DATA_HOME, which is only read on Linux');
    return;
  }
  const { file: real } = seed();
  const before = snapshot(real);
  const xdg = tempDir();
  const env = { XDG_DATA_HOME: xdg, HOME: tempDir(), LIFECYCLE_DESK_DB: real };
  const demoDb = path.join(xdg, 'lifecycle-desk', 'demo', 'message-lifecycle.db');
  // recover --demo without --db works on the demo database, which does not exist yet.
  expectFailure(child(['recover', '--once', '--demo'], env), 1, new RegExp(`no database at ${demoDb}`));
  const summary = childJson<{ dbPath: string; sinkFile: string }>(['demo', '--turns', '3'], env);
  assert.equal(summary.dbPath, demoDb);
  assert.equal(summary.sinkFile, path.join(path.dirname(demoDb), 'demo-sink.jsonl'));
  assert.equal(childJson<{ dbPath: string }>(['recover', '--once', '--demo'], env).dbPath, demoDb);
  assert.deepEqual(snapshot(real), before, 'the real database was not touched');
  assert.equal(fs.existsSync(path.join(path.dirname(real), 'demo-sink.jsonl')), false);
});

// A real process: nothing but the command's one document may reach its stdout (no stray log line).
test('--json: stdout is exactly one JSON document for every command, and stderr is empty', () => {
  const { file } = seed();
  const queue = tempDir();
  const runs: string[][] = [
    ['status'],
    ['turns'],
    ['outbox', '--stuck'],
    ['show', 't-1'],
    ['audit'],
    ['abort', '--session', 'dc:chat-b'],
    ['retry', 'r-5'],
    ['terminate', 'r-5'],
    ['prune'],
    ['recover', '--once'],
    ['import-legacy', queue],
  ];
  for (const args of runs) {
    const r = child([...args, '--db', file, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', args.join(' '));
    assert.ok(r.stdout.endsWith('}\n'), args.join(' '));
    const doc: unknown = JSON.parse(r.stdout);
    assert.equal(typeof doc, 'object');
  }
  // Global flags may also come before the command.
  const before = child(['--json', '--db', file, 'status']);
  assert.equal(before.code, 0, before.stderr);
  assert.ok(JSON.parse(before.stdout));
});

test('the real command: exit 0, 1 and 2, and what goes to stdout and what to stderr', () => {
  const help = child(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: lifecycle-desk <command> \[--db PATH\] \[--json\]/);
  assert.equal(help.stderr, '');

  const none = child([]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^usage: lifecycle-desk/);

  const dir = tempDir();
  const usage = child(['turns', '--limit', '0', '--db', path.join(dir, 'never.db')]);
  expectFailure(usage, 2, /--limit must be an integer from 1 to 500/);
  assert.match(usage.stderr, /run 'lifecycle-desk help turns' for usage/);
  assert.deepEqual(parseJsonError(child(['frobnicate', '--json']), 2), {
    code: 'usage',
    message: 'unknown command "frobnicate"',
  });
  expectFailure(child(['status', '--db', path.join(dir, 'typo.db')]), 1, /no database at .*typo\.db/);
  assert.equal(parseJsonError(child(['status', '--db', path.join(dir, 'typo.db'), '--json']), 1).code, 'not_found');
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing was created');

  const { file } = seed();
  const status = child(['status', '--db', file]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^TURNS +COUNT\n/);
  assert.equal(status.stderr, '');
});

/** seed() plus t-5 (tg:user-9001-chat, external id 9001): its final row r-6 failed for good (403), so it did too. */
function seedTriage(): { file: string; dir: string } {
  return seed((lc) => {
    lc.accept({
      id: 't-5',
      channel: 'telegram',
      sessionKey: 'tg:user-9001-chat',
      externalId: '9001',
      payload: { text: 'where is my parcel' },
      route: ROUTE,
    });
    lc.markRunning('t-5');
    lc.enqueue({ id: 'r-6', turnId: 't-5', channel: 'telegram', target: 'chat-9', dispatchKind: 'final', payload: {} });
    lc.fail('r-6', { error: '403 Forbidden: bot was blocked by the user', errorClass: 'terminal' });
    lc.finalize('t-5');
  });
}

interface Outcomes {
  action: string;
  done: number;
  refused: number;
  outcomes: { id: string; ok: boolean; created?: string; new?: boolean; code?: string }[];
}

test('resend: a new row linked to the dead one, once; refusals exit 1 and say why; the reason is audited', async () => {
  const { file } = seedTriage();
  const first = await cliJson<Outcomes>(['resend', 'r-6', '--reason', 'user unblocked the bot', '--db', file]);
  assert.equal(first.done, 1);
  const created = first.outcomes[0]!.created!;
  assert.equal(first.outcomes[0]!.new, true);
  assert.deepEqual(query(file, 'SELECT status, resend_of, turn_id FROM message_outbox WHERE id = ?', created), [
    { status: 'queued', resend_of: 'r-6', turn_id: null },
  ]);
  const again = await cliJson<Outcomes>(['resend', 'r-6', '--db', file]);
  assert.deepEqual(again.outcomes, [{ id: 'r-6', ok: true, created, new: false }]);
  assert.match(
    (await cli(['resend', 'r-6', '--db', file])).stdout,
    new RegExp(`^outbox row r-6: already resent as ${created}`),
  );

  const before = snapshot(file);
  const refused = await cli(['resend', 'r-1-final', 'nope', '--db', file, '--json']);
  assert.equal(refused.code, 1);
  const doc = JSON.parse(refused.stdout) as Outcomes;
  assert.deepEqual(
    doc.outcomes.map((o) => [o.id, o.ok, o.code]),
    [
      ['r-1-final', false, 'invalid_state'],
      ['nope', false, 'not_found'],
    ],
  );
  assert.match(JSON.parse(refused.stderr).error.message, /2 rows of 2 refused/);
  assert.deepEqual(snapshot(file), before);
  expectFailure(await cli(['resend', '--db', file]), 2, /missing <outbox-id>/);
  expectFailure(await cli(['resend', 'r-6', '--reason', 'x'.repeat(501), '--db', file]), 2, /at most 500/);

  const audit = await cliJson<{ items: { action: string; note: string; by: string }[] }>([
    'audit',
    '--action',
    'resend',
    '--db',
    file,
  ]);
  assert.ok(audit.items.length >= 1);
  assert.ok(audit.items.every((e) => e.action === 'resend'));
  assert.ok(audit.items.some((e) => e.note === 'user unblocked the bot' && e.by === expectedOperator()));
});

test('replay --as-new: a new turn linked to the one that failed for good, once; a delivered turn is refused', async () => {
  const { file } = seedTriage();
  const first = await cliJson<{ created: boolean; turn: { id: string; replayOf: string; status: string } }>([
    'replay',
    't-5',
    '--as-new',
    '--reason',
    'ticket 42',
    '--db',
    file,
  ]);
  assert.equal(first.created, true);
  assert.equal(first.turn.replayOf, 't-5');
  assert.equal(first.turn.status, 'accepted');
  const again = await cliJson<{ created: boolean; turn: { id: string } }>(['replay', 't-5', '--as-new', '--db', file]);
  assert.deepEqual([again.created, again.turn.id], [false, first.turn.id]);
  assert.equal((await cliJsonError(['replay', 't-3', '--as-new', '--db', file])).code, 'invalid_state');
  // The link is shown both ways.
  assert.match(
    (await cli(['show', 't-5', '--db', file])).stdout,
    new RegExp(`\\nreplayed as +turn ${first.turn.id}\\n`),
  );
  assert.match((await cli(['show', first.turn.id, '--db', file])).stdout, /\nreplay of +turn t-5\n/);
  // Without --as-new, a turn that ended is refused as before.
  assert.equal((await cliJsonError(['replay', 't-5', '--db', file])).code, 'invalid_state');
});

test('errors: the groups, narrowed by channel and window; bad durations are usage errors', async () => {
  const { file } = seedTriage();
  const { groups } = await cliJson<{
    groups: { subject: string; channel: string; signature: string; count: number; sampleId: string }[];
  }>(['errors', '--db', file]);
  const of = (id: string) => groups.find((g) => g.sampleId === id);
  assert.equal(of('r-4')?.signature, '# bad gateway');
  assert.equal(of('r-6')?.signature, '# forbidden: bot was blocked by the user');
  assert.equal(of('t-2')?.subject, 'turn');
  const discord = await cliJson<{ groups: { channel: string }[] }>([
    'errors',
    '--channel',
    'discord',
    '--since',
    '1h',
    '--db',
    file,
  ]);
  assert.deepEqual(
    discord.groups.map((g) => g.channel),
    ['discord'],
  );
  const text = await cli(['errors', '--db', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^COUNT +RETRYING +DEAD +SUBJECT/);
  for (const bad of ['1x', '24', '-1h', 'h']) {
    expectFailure(
      await cli(['errors', '--since', bad, '--db', file]),
      2,
      /--since must be a duration like 30m, 24h or 7d/,
    );
  }
  expectFailure(await cli(['errors', '--since', '10s', '--db', file]), 2, /sinceMs/);
});

test('turns and outbox: search by external id, part of a session key, text; time, dead and error-class filters', async () => {
  const { file } = seedTriage();
  const turns = (...args: string[]) => cliJson<{ items: { id: string }[] }>(['turns', '--db', file, ...args]);
  const outbox = (...args: string[]) => cliJson<{ items: { id: string }[] }>(['outbox', '--db', file, ...args]);
  assert.deepEqual(ids(await turns('--search', '9001')), ['t-5']);
  assert.deepEqual(ids(await turns('--search', 'user-9001')), ['t-5']);
  assert.deepEqual(ids(await turns('--search', 'parcel')), ['t-5']);
  assert.deepEqual(ids(await turns('--dead')), ['t-5']);
  assert.deepEqual(ids(await turns('--since', '1h')), ['t-1', 't-2', 't-3', 't-4', 't-5']);
  assert.deepEqual(ids(await turns('--until', '1h')), []);
  assert.deepEqual(ids(await turns('--channel', 'discord')), ['t-2', 't-3']);
  assert.deepEqual(ids(await outbox('--error-class', 'retryable')), ['r-4']);
  assert.deepEqual(ids(await outbox('--dead')), ['r-6']);
  assert.deepEqual(ids(await outbox('--search', 'blocked')), ['r-6']);
  assert.deepEqual(ids(await outbox('--signature', '# bad gateway')), ['r-4']);
  expectFailure(await cli(['turns', '--since', 'yesterday', '--db', file]), 2, /--since must be a duration ago/);
  expectFailure(await cli(['outbox', '--error-class', 'fatal', '--db', file]), 2, /--error-class must be one of/);
  expectFailure(await cli(['turns', '--search', 'x'.repeat(501), '--db', file]), 2, /search/);
});

test('export: CSV to stdout, JSON parsable, --out writes the file whole; filters of another list are refused', async () => {
  const { file, dir } = seedTriage();
  const csv = await cli(['export', 'turns', '--channel', 'discord', '--db', file]);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.split('\r\n').filter(Boolean);
  assert.equal(lines[0]!.split(',')[0], 'id');
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(',')[0]),
    ['t-2', 't-3'],
  );
  const json = await cli(['export', 'outbox', '--format', 'json', '--order', 'desc', '--db', file, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { id: string; payload: string }[];
  assert.deepEqual(
    rows.map((r) => r.id),
    ['r-6', 'r-5', 'r-4', 'r-3', 'r-1-final', 'r-1-tool'],
  );
  assert.equal(JSON.parse(rows[1]!.payload).text, 'r-5');

  const out = path.join(dir, 'dead.csv');
  const written = await cliJson<{ rows: number; savedTo: string }>([
    'export',
    'outbox',
    '--dead',
    '--out',
    out,
    '--db',
    file,
  ]);
  assert.deepEqual([written.rows, written.savedTo], [1, out]);
  assert.match(fs.readFileSync(out, 'utf8'), /^id,turnId,.*\r\nr-6,t-5,/s);
  assert.ok(!fs.existsSync(`${out}.partial`));

  await cli(['terminate', 'r-4', '--reason', 'gave up', '--db', file]);
  const audit = await cli(['export', 'audit', '--format', 'json', '--action', 'terminate', '--db', file]);
  assert.equal(audit.code, 0, audit.stderr);
  const entries = JSON.parse(audit.stdout) as { action: string; note: string }[];
  assert.ok(entries.some((e) => e.action === 'terminate' && e.note === 'gave up'));

  expectFailure(
    await cli(['export', 'outbox', '--session', 'x', '--db', file]),
    2,
    /--session is not a filter of outbox/,
  );
  expectFailure(await cli(['export', 'sessions', '--db', file]), 2, /export turns, outbox or audit/);
  expectFailure(
    await cli(['export', 'turns', '--format', 'xlsx', '--db', file]),
    2,
    /--format must be one of csv, json/,
  );
  assert.match((await cliJsonError(['export', 'turns', '--db', file], 2)).message, /use --format json/);
  expectFailure(await cli(['export', 'audit', '--order', 'asc', '--db', file]), 2, /newest first/);
});

test('bulk: a dry run previews and changes nothing; a run retries exactly the matching rows and writes one audit entry', async () => {
  const { file } = seedTriage();
  const before = snapshot(file);
  const preview = await cliJson<{ count: number; matching: number; sample: { id: string }[]; filterText: string }>([
    'bulk',
    'retry',
    '--channel',
    'telegram',
    '--dry-run',
    '--db',
    file,
  ]);
  // Pending telegram rows: r-1-tool, r-1-final, r-4, r-5 (r-3 delivered, r-6 failed for good).
  assert.deepEqual([preview.count, preview.matching], [4, 6]);
  assert.deepEqual(ids({ items: preview.sample }).sort(), ['r-1-final', 'r-1-tool', 'r-4', 'r-5']);
  assert.equal(preview.filterText, 'channel telegram');
  assert.deepEqual(snapshot(file), before);
  const text = await cli(['bulk', 'retry', '--channel', 'telegram', '--dry-run', '--db', file]);
  assert.match(text.stdout, /^retry by filter \(channel telegram\): 4 of 6 matching can take it\n/);
  assert.match(text.stdout, /nothing was changed \(dry run\)\n$/);

  const { job } = await cliJson<{ job: { state: string; done: number; refused: number; total: number } }>([
    'bulk',
    'retry',
    '--channel',
    'telegram',
    '--reason',
    'outage over',
    '--db',
    file,
  ]);
  assert.deepEqual([job.state, job.done, job.refused, job.total], ['done', 4, 0, 4]);
  const audit = await cliJson<{ items: { action: string; note: string; reason: string }[] }>([
    'audit',
    '--action',
    'bulk',
    '--db',
    file,
  ]);
  assert.equal(audit.items.length, 1);
  assert.equal(audit.items[0]!.note, 'outage over');
  assert.match(audit.items[0]!.reason, /4 done, 0 refused/);
  // The job's per-row entries are not in the audit.
  const all = await cliJson<{ items: { action: string }[] }>(['audit', '--db', file]);
  assert.ok(!all.items.some((e) => e.action === 'retry'));

  const abort = await cliJson<{ count: number }>([
    'bulk',
    'abort',
    '--session',
    'tg:chat-a',
    '--dry-run',
    '--db',
    file,
  ]);
  assert.equal(abort.count, 1);
  expectFailure(
    await cli(['bulk', 'terminate', '--session', 'x', '--db', file]),
    2,
    /--session is not a filter of outbox/,
  );
  expectFailure(await cli(['bulk', 'explode', '--db', file]), 2, /the action must be one of retry, resend/);
  expectFailure(await cli(['bulk', '--db', file]), 2, /missing <action>/);
});

test('--read-only refuses resend and bulk, and the dry run still answers', async () => {
  const { file } = seedTriage();
  assert.equal((await cliJsonError(['resend', 'r-6', '--read-only', '--db', file])).code, 'read_only');
  const before = snapshot(file);
  assert.equal((await cliJsonError(['bulk', 'retry', '--read-only', '--db', file])).code, 'read_only');
  assert.deepEqual(snapshot(file), before);
  assert.equal(
    (await cliJson<{ count: number }>(['bulk', 'retry', '--dry-run', '--read-only', '--db', file])).count,
    4,
  );
});
