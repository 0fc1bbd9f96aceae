// Legacy file queue import (SPEC, "Outbox"): one JSON file per pending delivery, imported once
// and idempotently; a file is moved aside only after its row committed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RecoveryWorker } from '../../main/lifecycle';
import { makeClock, openTemp, tempDir } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

function queueDir(entries: Record<string, unknown>): string {
  const dir = tempDir('legacy-queue-');
  for (const [name, body] of Object.entries(entries)) {
    fs.writeFileSync(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  }
  return dir;
}

const ENTRIES = {
  'a1.json': {
    id: 'legacy-1',
    channel: 'telegram',
    to: 'chat-1',
    accountId: 'bot',
    payloads: [{ text: 'one' }],
    enqueuedAt: 1_000,
  },
  'a2.json': {
    channel: 'discord',
    target: 'chan-2',
    payload: { text: 'two' },
    enqueuedAt: 2_000,
    retryCount: 2,
    lastError: 'HTTP 502',
    dispatchKind: 'final',
    idempotencyKey: 'idem-2',
  },
  'a3.json': { channel: 'slack', to: 'C3', payload: { text: 'three' }, enqueuedAt: 3_000, dispatchKind: 'weird' },
  'broken.json': '{"channel": "telegram", ',
  'nochannel.json': { to: 'x', payload: {} },
  'notes.txt': 'not a queue file',
};

test('imports each legacy file as an outbox row with its fields, and moves the files aside', () => {
  const { lc } = openTemp();
  try {
    const dir = queueDir(ENTRIES);
    const progress: { done: number; total: number }[] = [];
    const result = lc.importLegacy(dir, (p) => progress.push(p));
    assert.equal(result.imported, 3);
    assert.equal(result.alreadyPresent, 0);
    assert.deepEqual(result.failed.map((f) => f.file).sort(), ['broken.json', 'nochannel.json']);
    assert.equal(result.movedTo, path.join(dir, 'imported'));
    assert.deepEqual(progress.at(-1), { done: 5, total: 5 });

    const one = lc.getRow('legacy-1')!;
    assert.deepEqual(
      {
        channel: one.channel,
        target: one.target,
        accountId: one.accountId,
        status: one.status,
        queuedAt: one.queuedAt,
      },
      { channel: 'telegram', target: 'chat-1', accountId: 'bot', status: 'queued', queuedAt: 1_000 },
    );
    assert.deepEqual(JSON.parse(one.payload), [{ text: 'one' }]);
    assert.equal(one.dispatchKind, null, 'a direct send');
    const two = lc.getRow('a2')!; // no id: the file name
    assert.equal(two.status, 'failed_retryable');
    assert.equal(two.attemptCount, 2);
    assert.equal(two.lastError, 'HTTP 502');
    assert.equal(two.dispatchKind, 'final');
    assert.equal(two.idempotencyKey, 'idem-2');
    assert.equal(lc.getRow('a3')?.dispatchKind, null, 'an unknown kind is a direct send');
    assert.ok(lc.history('legacy-1').some((h) => /imported from legacy queue file a1\.json/.test(h.reason ?? '')));

    // Imported files moved; failed ones (and non-queue files) left where they were.
    assert.deepEqual(fs.readdirSync(path.join(dir, 'imported')).sort(), ['a1.json', 'a2.json', 'a3.json']);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['broken.json', 'imported', 'nochannel.json', 'notes.txt']);
  } finally {
    lc.close();
  }
});

test('the import is idempotent: a re-run adds nothing, and files left behind by a crash after the commit are not duplicated', () => {
  const { lc } = openTemp();
  try {
    const dir = queueDir(ENTRIES);
    lc.importLegacy(dir);
    const countRows = (): number =>
      (lc.db.prepare('SELECT count(*) AS n FROM message_outbox').get() as { n: number }).n;
    assert.equal(countRows(), 3);
    const again = lc.importLegacy(dir);
    assert.equal(again.imported, 0);
    assert.equal(countRows(), 3);
    // A crash after the rows committed but before the files moved: the files are still in the queue.
    for (const name of ['a1.json', 'a2.json']) fs.copyFileSync(path.join(dir, 'imported', name), path.join(dir, name));
    const resumed = lc.importLegacy(dir);
    assert.equal(resumed.imported, 0);
    assert.equal(resumed.alreadyPresent, 2);
    assert.equal(countRows(), 3);
    assert.ok(!fs.existsSync(path.join(dir, 'a1.json')), 'the re-run finishes the move');
    assert.equal(lc.status().outbox.queued + lc.status().outbox.failed_retryable, 3);
  } finally {
    lc.close();
  }
});

test('imported rows are delivered by the recovery worker', async () => {
  // The files' enqueuedAt (1 s, 3 s after the epoch) are minutes before this process started.
  const { lc } = openTemp({ clock: makeClock(10 * 60_000) });
  try {
    lc.importLegacy(queueDir({ 'a1.json': ENTRIES['a1.json'], 'a3.json': ENTRIES['a3.json'] }));
    const sent: string[] = [];
    const worker = new RecoveryWorker(new SqliteStore(lc), {
      deliver: async (row) => {
        sent.push(row.id);
      },
    });
    await worker.runOnce();
    await worker.stop();
    assert.deepEqual(sent.sort(), ['a3', 'legacy-1']);
    assert.equal(lc.getRow('legacy-1')?.status, 'delivered');
  } finally {
    lc.close();
  }
});
