// The reader thread of ApiHost (main/api/reader.ts): on a SQLite file the read methods are
// answered on a connection of their own, so a read answers while a write holds the engine
// thread; a read sent after a write's answer sees it; liveness knows the engine's heartbeat as
// its own and hears of other writers; a reader that ends answers its calls in flight
// `unavailable` and hands reads back to the engine.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ApiHost } from '../../main/api/host';
import { Lifecycle } from '../../main/lifecycle';
import { ROUTE, fileWithTurn, tempDir } from '../helpers/temp-db';

/** Which of two promises settles first. */
async function first(a: Promise<unknown>, b: Promise<unknown>): Promise<'a' | 'b'> {
  return Promise.race([a.then(() => 'a' as const), b.then(() => 'b' as const)]);
}

/**
 * An operator abort sent while another connection holds the write lock: the engine thread waits
 * in busy_timeout inside it. Then a read. The lock is released once the read answered, or after
 * a while when it cannot (without a reader it waits behind the abort). Which answered first.
 */
async function readDuringBlockedWrite(readers: number | undefined): Promise<'read' | 'write'> {
  const { file } = fileWithTurn();
  const host = await ApiHost.start({
    dbPath: file,
    operator: 'desk:test',
    ...(readers === undefined ? {} : { readers }),
  });
  const holder = new Database(file);
  try {
    holder.exec('BEGIN IMMEDIATE');
    const write = host.call('abortSessions', { sessionKeys: ['s1'] });
    await sleep(50); // the abort reaches the engine and waits for the lock
    const read = host.call('listTurns', { status: ['running'] });
    const winner = await first(read, first(write, sleep(500)));
    holder.exec('COMMIT'); // the abort gets the lock now
    const [r, w] = await Promise.all([read, write]);
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(w.ok && w.value.done === 1, JSON.stringify(w));
    return winner === 'a' ? 'read' : 'write';
  } finally {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await host.close();
  }
}

test('a read answers while a write holds the engine thread (and waits behind it without the reader)', async () => {
  assert.equal(await readDuringBlockedWrite(undefined), 'read');
  // The same calls on one connection: the read queues behind the blocked write.
  assert.equal(await readDuringBlockedWrite(0), 'write');
});

test('a read sent after a write answered sees that write', async () => {
  const { file, turnId } = fileWithTurn();
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test' });
  try {
    const aborted = await host.call('abortSessions', { sessionKeys: ['s1'] });
    assert.ok(aborted.ok && aborted.value.done === 1);
    const detail = await host.call('getTurn', { id: turnId });
    assert.ok(detail.ok);
    assert.equal(detail.value.turn.status, 'aborted');
    const status = await host.call('getStatus', {});
    assert.ok(status.ok);
    assert.equal(status.value.turns.aborted, 1);
    const audit = await host.call('getAudit', {});
    assert.ok(audit.ok && audit.value.items.some((e) => e.by === 'desk:test'), JSON.stringify(audit));
  } finally {
    await host.close();
  }
});

test("liveness read on the reader knows the engine's own worker and hears of other writers", async () => {
  const { file } = fileWithTurn();
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', recover: true });
  try {
    let workers: { alive: boolean; self: boolean }[] = [];
    for (let i = 0; i < 100 && workers.length === 0; i++) {
      const l = await host.call('getLiveness', {});
      assert.ok(l.ok);
      workers = l.value.workers;
      if (workers.length === 0) await sleep(50);
    }
    assert.deepEqual(
      workers.map((w) => [w.alive, w.self]),
      [[true, true]],
    );
    // Another process's commit: the engine's watch sees it, the reader's liveness reports it.
    const other = Lifecycle.open(file);
    other.accept({ channel: 'telegram', sessionKey: 's2', payload: {}, route: ROUTE });
    other.close();
    let seen: number | null = null;
    for (let i = 0; i < 200 && seen === null; i++) {
      const l = await host.call('getLiveness', {});
      assert.ok(l.ok);
      seen = l.value.lastExternalWriteAt;
      if (seen === null) await sleep(50);
    }
    assert.notEqual(seen, null, 'lastExternalWriteAt reached the reader');
  } finally {
    await host.close();
  }
});

test('a reader that ends answers its calls in flight unavailable, and the engine answers reads after it', async () => {
  const { file } = fileWithTurn();
  const readerPath = path.join(tempDir(), 'dying-reader.js');
  fs.writeFileSync(
    readerPath,
    `const { parentPort } = require('node:worker_threads');
     parentPort.postMessage({ type: 'ready' });
     parentPort.on('message', (m) => { if ('id' in m) process.exit(3); });`,
  );
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', readerPath, readers: 1 });
  try {
    const inFlight = await host.call('getStatus', {});
    assert.equal(!inFlight.ok && inFlight.error.code, 'unavailable');
    const after = await host.call('listTurns', {});
    assert.ok(after.ok, JSON.stringify(after));
    assert.equal(after.value.items.length, 1);
    assert.equal(host.available, true);
  } finally {
    await host.close();
  }
  assert.equal(fs.existsSync(`${file}-wal`), false, 'closed cleanly');
});

test('a reader that cannot open the file leaves the reads to the engine', async () => {
  const { file } = fileWithTurn();
  const readerPath = path.join(tempDir(), 'failing-reader.js');
  fs.writeFileSync(
    readerPath,
    `const { parentPort } = require('node:worker_threads');
     parentPort.postMessage({ type: 'fatal', error: { code: 'cannot_open', message: 'no' } });`,
  );
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', readerPath });
  try {
    const turns = await host.call('listTurns', {});
    assert.ok(turns.ok && turns.value.items.length === 1);
  } finally {
    await host.close();
  }
});

/** A file with `n` turns of one session each, accepted a millisecond apart. */
function fileWithTurns(n: number): { file: string; ids: string[] } {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  let t = Date.now() - n - 1_000;
  const lc = Lifecycle.open(file, { now: () => t });
  const ids: string[] = [];
  try {
    lc.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        t++;
        ids.push(
          lc.accept({ channel: 'telegram', sessionKey: `s-${i}`, payload: { text: `m${i}` }, route: ROUTE }).turn.id,
        );
      }
    })();
  } finally {
    lc.close();
  }
  return { file, ids };
}

for (const readers of [2, 0]) {
  test(`an export through the host (${readers ? 'a reader thread' : 'the engine'}) streams every row page by page; stopping early frees it`, async () => {
    const { file, ids } = fileWithTurns(1_200);
    const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', readers });
    try {
      const opened = host.openExport({ list: 'turns', format: 'json', filter: {} });
      assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
      assert.match(opened.value.filename, /^lifecycle-turns-\d{4}-\d\d-\d\d\.json$/);
      assert.equal(opened.value.contentType, 'application/json; charset=utf-8');
      const chunks: string[] = [];
      for await (const chunk of opened.value.chunks) chunks.push(chunk);
      // The bracket, three pages of at most 500, the closing bracket.
      assert.equal(chunks.length, 5);
      assert.equal(opened.value.rows(), 1_200);
      assert.deepEqual(
        (JSON.parse(chunks.join('')) as { id: string }[]).map((t) => t.id),
        ids,
      );

      // A consumer that goes away after the first page (a closed download) ends the export there.
      const early = host.openExport({ list: 'turns', format: 'csv', filter: {} });
      assert.ok(early.ok);
      for await (const chunk of early.value.chunks) {
        assert.match(chunk, /^id,/);
        break;
      }
      assert.equal(early.value.rows(), 0, 'no page was read beyond what was taken');
      const status = await host.call('getStatus', {});
      assert.ok(status.ok);

      const bad = host.openExport({ list: 'turns', format: 'pdf', filter: {} });
      assert.equal(!bad.ok && bad.error.code, 'invalid_argument');
    } finally {
      await host.close();
    }
    const after = host.openExport({ list: 'turns', format: 'csv', filter: {} });
    assert.equal(!after.ok && after.error.code, 'unavailable');
  });
}
