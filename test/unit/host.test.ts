// ApiHost (main/api/host.ts): the API in a worker thread. Calls answer ApiResults, mutating
// calls push `changed`, a file that is not SQLite is refused with a clear error and left
// byte-identical, and close() stops the engine cleanly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { API_METHODS, METHOD_WRITES, type ApiEvent } from '../../shared/api';
import { ApiHost, ApiHostError } from '../../main/api/host';
import { METHOD_RUNS_ON, threadFor } from '../../main/api/routing';
import { Lifecycle } from '../../main/lifecycle';
import { fileWithTurn, sha256, tempDir } from '../helpers/temp-db';

function nextEvent(host: ApiHost, match: (e: ApiEvent) => boolean, timeoutMs = 5_000): Promise<ApiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no matching event in time'));
    }, timeoutMs);
    const off = host.onEvent((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

test('calls are answered by the engine with ApiResults', async () => {
  const { file, turnId } = fileWithTurn('agent crashed');
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', version: '1.2.3' });
  try {
    const info = await host.call('getInfo', {});
    assert.ok(info.ok);
    assert.equal(info.value.dbPath, path.resolve(file));
    assert.equal(info.value.operator, 'desk:test');
    assert.equal(info.value.version, '1.2.3');
    assert.equal(info.value.demo, false);
    assert.deepEqual(host.info, info.value);

    const turns = await host.call('listTurns', {});
    assert.ok(turns.ok);
    assert.deepEqual(
      turns.value.items.map((t) => t.id),
      [turnId],
    );

    const missing = await host.call('getTurn', { id: 'nope' });
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.error.code, 'not_found');

    // Arguments are validated in the engine, whatever the caller's types said.
    const bad = await host.callRaw('listTurns', { limit: 'all' });
    assert.equal(!bad.ok && bad.error.code, 'invalid_argument');
    const unknown = await host.callRaw('dropDatabase', {});
    assert.equal(!unknown.ok && unknown.error.code, 'unknown_method');
    const notData = await host.callRaw('getStatus', { fn: () => 1 });
    assert.equal(!notData.ok && notData.error.code, 'invalid_argument');

    // Many calls in flight at once each get their own answer.
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) => host.call('listTurns', { limit: (i % 5) + 1 })),
    );
    assert.ok(many.every((r) => r.ok));
  } finally {
    await host.close();
  }
});

test('counts arrive on start and a changed event follows a mutating call', async () => {
  const { file, turnId } = fileWithTurn('agent crashed');
  const host = await ApiHost.start({ dbPath: file, countsIntervalMs: 50 });
  try {
    const counts =
      host.lastCounts ??
      (await nextEvent(host, (e) => e.type === 'counts').then((e) => (e.type === 'counts' ? e.counts : undefined)));
    assert.equal(counts?.turns.failed_retryable, 1);

    const changed = nextEvent(host, (e) => e.type === 'changed');
    const before = Date.now();
    const result = await host.call('replayTurns', { ids: [turnId] });
    assert.ok(result.ok);
    assert.equal(result.value.done, 1);
    const event = await changed;
    assert.ok(event.type === 'changed' && event.at >= before);

    // Unsubscribing stops delivery: a second listener, subscribed after the first one left, gets
    // the `changed` that follows prune; by then that event was delivered, so the first listener
    // would have had it too.
    const seen: ApiEvent[] = [];
    const off = host.onEvent((e) => seen.push(e));
    off();
    const pruneStarted = Date.now();
    const pruned = nextEvent(host, (e) => e.type === 'changed' && e.at >= pruneStarted);
    assert.ok((await host.call('prune', {})).ok);
    await pruned;
    assert.deepEqual(seen, []);
  } finally {
    await host.close();
  }
});

test('a file that is not SQLite rejects start with a clear message and is left unchanged', async () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  fs.writeFileSync(file, 'these are my notes, not a database\n'.repeat(100));
  const before = sha256(file);
  await assert.rejects(ApiHost.start({ dbPath: file }), (err: unknown) => {
    assert.ok(err instanceof ApiHostError, String(err));
    assert.equal(err.code, 'not_sqlite');
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.message, /not an SQLite database/);
    return true;
  });
  assert.equal(sha256(file), before);
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)),
    ['message-lifecycle.db'],
    'no -wal/-shm or other file was created',
  );
});

test('a missing engine rejects start instead of hanging', async () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  await assert.rejects(
    ApiHost.start({ dbPath: file, enginePath: path.join(tempDir(), 'missing-engine.js') }),
    ApiHostError,
  );
});

test('close() is clean: the database is closed, later calls answer unavailable, close is idempotent', async () => {
  const { file } = fileWithTurn('agent crashed');
  const host = await ApiHost.start({ dbPath: file });
  const inFlight = host.call('getStatus', {});
  await host.close();
  assert.ok((await inFlight).ok, 'a call sent before close() is still answered');
  assert.equal(host.available, false);
  const after = await host.call('getStatus', {});
  assert.equal(after.ok, false);
  assert.equal(!after.ok && after.error.code, 'unavailable');
  await host.close(); // idempotent
  // The engine closed its connection: the WAL was checkpointed and removed.
  assert.equal(fs.existsSync(`${file}-wal`), false);
  // The file opens again (nothing left locked or half-written).
  const lc = Lifecycle.open(file);
  lc.close();
});

test('the demo mode feeds the database and pushes changes', async () => {
  const file = path.join(tempDir(), 'demo', 'message-lifecycle.db');
  const host = await ApiHost.start({ dbPath: file, demo: true, demoFeedMs: 50, countsIntervalMs: 100 });
  try {
    assert.equal(host.info.demo, true);
    await nextEvent(host, (e) => e.type === 'counts' && Object.values(e.counts.turns).some((n) => n > 0));
    const turns = await host.call('listTurns', {});
    assert.ok(turns.ok && turns.value.items.length > 0);
  } finally {
    await host.close();
  }
});

test('the job methods run on the engine: job events arrive, and getBulkJobs lists the job with readers running', async () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const lc = Lifecycle.open(file);
  for (let i = 0; i < 250; i++) {
    const { row } = lc.enqueue({
      turnId: null,
      channel: 'telegram',
      target: `chat-${i}`,
      dispatchKind: null,
      payload: {},
    });
    lc.fail(row.id, { error: '429 Too Many Requests', errorClass: 'retryable' });
  }
  lc.close();
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', readers: 2 });
  try {
    const ended = nextEvent(host, (e) => e.type === 'job' && e.job.state !== 'running');
    const started = await host.call('startBulk', {
      list: 'outbox',
      action: 'retry',
      filter: { channel: 'telegram' },
      reason: 'rate limit over',
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    const end = await ended;
    assert.ok(end.type === 'job');
    assert.deepEqual([end.job.id, end.job.state, end.job.done, end.job.total], [started.value.id, 'done', 250, 250]);
    // Asked many times, so that a call routed to a reader thread would show (it has no jobs).
    for (let i = 0; i < 4; i++) {
      const jobs = await host.call('getBulkJobs', {});
      assert.ok(jobs.ok, jobs.ok ? '' : jobs.error.message);
      assert.deepEqual(
        jobs.value.map((j) => [j.id, j.state]),
        [[started.value.id, 'done']],
      );
    }
    const cancel = await host.call('cancelBulk', { id: started.value.id });
    assert.equal(!cancel.ok && cancel.error.code, 'invalid_state');
  } finally {
    await host.close();
  }
});

test('every method that writes, and every job method, runs on the engine', () => {
  for (const method of API_METHODS) {
    if (METHOD_WRITES[method] || ['startBulk', 'getBulkJobs', 'cancelBulk', 'getInfo'].includes(method)) {
      assert.equal(METHOD_RUNS_ON[method], 'engine', method);
    }
  }
  assert.equal(threadFor('nope'), 'engine');
  assert.equal(threadFor('__proto__'), 'engine');
  assert.equal(threadFor('listTurns'), 'reader');
});

test('a read-only file refuses a bulk job like any write', async () => {
  const { file } = fileWithTurn('agent crashed');
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', readOnly: true });
  try {
    const started = await host.call('startBulk', { list: 'turns', action: 'abort', filter: {} });
    assert.equal(!started.ok && started.error.code, 'read_only');
  } finally {
    await host.close();
  }
});
