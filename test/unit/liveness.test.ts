// Is anyone recovering this file? Workers record heartbeats in the file; the liveness banner
// shows when none is alive (and what the writes let us infer), and goes when one runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ApiHost } from '../../main/api/host';
import { Lifecycle, RecoveryWorker } from '../../main/lifecycle';
import { liveness } from '../../main/lifecycle/liveness';
import { checkIntegrity } from '../../main/lifecycle/integrity';
import { ROUTE, delay, openPeer, openTemp, sha256, tempDir } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

test('the banner shows while no worker runs, goes while one does, and comes back when it stops', async () => {
  const temp = openTemp({ owner: 'desk' });
  const gateway = openPeer(temp, { owner: 'gw-1' });
  try {
    const { lc, clock } = temp;
    const none = liveness(lc.core);
    assert.deepEqual(none.workers, []);
    assert.match(
      none.banner ?? '',
      /^No recovery worker has recorded a heartbeat in this database: replays and retries you request will wait until the gateway runs its own recovery worker\.$/,
    );
    assert.equal(none.inferred, null, 'nothing was written: nothing to infer');

    gateway.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE });
    clock.advance(20_000);
    assert.match(
      liveness(lc.core).inferred ?? '',
      /^No heartbeat of a gateway's worker, but the file was written 20 s ago \(its newest timeline entry\): a gateway is running/,
    );
    assert.match(
      liveness(lc.core, clock.t - 3_000).inferred ?? '',
      /written 3 s ago \(another process committed to it\)/,
    );

    const worker = new RecoveryWorker(new SqliteStore(gateway), {
      tickMs: 5_000,
      deliver: async () => undefined,
      replay: async () => undefined,
    });
    const firstPass = once(worker, 'pass'); // emitted after the pass recorded its heartbeat
    worker.start();
    await firstPass;
    const running = liveness(lc.core);
    assert.equal(running.banner, null);
    assert.equal(running.workers.length, 1);
    const beat = running.workers[0]!;
    assert.deepEqual(
      [beat.owner, beat.alive, beat.self, beat.pid, beat.canDeliver, beat.canReplay],
      ['gw-1', true, false, process.pid, true, true],
    );
    assert.equal(running.nextPassAt, clock.t + 5_000);

    clock.advance(10 * 60_000); // its passes stopped coming (a hung or killed process)
    assert.match(liveness(lc.core).banner ?? '', /^No recovery worker has run on this database for 10 min:/);
    clock.advance(-10 * 60_000);
    await worker.stop();
    const stopped = liveness(lc.core);
    assert.equal(stopped.workers[0]!.alive, false);
    assert.notEqual(stopped.workers[0]!.stoppedAt, null);
    assert.match(stopped.banner ?? '', /^No recovery worker has run on this database for 0 s:/);
  } finally {
    gateway.close();
    temp.lc.close();
  }
});

test('the liveness of a worker in another process, seen through the API', async () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  Lifecycle.open(file).close();
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test' });
  const script = `const { Lifecycle, RecoveryWorker } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'main', 'lifecycle'))});
    const lc = Lifecycle.open(${JSON.stringify(file)}, { owner: 'gateway-worker' });
    const w = new RecoveryWorker(new SqliteStore(lc), { tickMs: 200, deliver: async () => {} }); w.start(); w.once('pass', () => console.log('passed'));
    process.on('SIGTERM', () => w.stop().then(() => { lc.close(); process.exit(0); }));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const before = await host.call('getLiveness', {});
    assert.ok(before.ok && before.value.banner !== null);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const during = await host.call('getLiveness', {});
    assert.ok(during.ok);
    assert.equal(during.value.banner, null);
    assert.deepEqual(
      during.value.workers.map((w) => [w.owner, w.alive, w.self]),
      [['gateway-worker', true, false]],
    );
    const note = await host.call('retryRows', { ids: ['nope'] });
    assert.ok(note.ok);
    assert.equal((await host.call('getLiveness', {})).ok, true);
    const retry = await host.call('replayTurns', { ids: ['nope'] });
    assert.ok(retry.ok && retry.value.done === 0 && retry.value.note === undefined, 'no note when nothing was done');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const after = await host.call('getLiveness', {});
  await host.close();
  assert.ok(after.ok);
  assert.notEqual(after.value.banner, null, 'the banner is back once the worker stopped');
});

/** A file with enough rows to span many pages, then garbage written over pages in its middle. */
function damagedFile(): { file: string; bytes: string } {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const lc = Lifecycle.open(file);
  lc.db.transaction(() => {
    for (let i = 0; i < 3_000; i++)
      lc.accept({ channel: 'telegram', sessionKey: `s${i}`, payload: { text: 'x'.repeat(200) }, route: ROUTE });
  })();
  lc.db.pragma('wal_checkpoint(TRUNCATE)');
  lc.db.pragma('journal_mode = DELETE');
  lc.close();
  const fd = fs.openSync(file, 'r+');
  const size = fs.fstatSync(fd).size;
  fs.writeSync(fd, Buffer.alloc(3 * 4096, 0xa5), 0, 3 * 4096, Math.floor(size / 2 / 4096) * 4096);
  fs.closeSync(fd);
  return { file, bytes: sha256(file) };
}

test('damage past the header is found by the integrity check, by the engine and by lifecycle-desk check', async () => {
  const { file, bytes } = damagedFile();
  const states: string[] = [];
  const result = checkIntegrity(file, (s) => states.push(`${s.checked}/${s.total}`));
  assert.equal(result.state, 'damaged', JSON.stringify(result));
  assert.ok(result.message && result.message.length > 0);
  assert.ok(states.length >= 3, 'progress table by table');

  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', readOnly: true });
  try {
    for (let i = 0; i < 100 && host.info.integrity.state === 'checking'; i++) await delay(50);
    assert.equal(host.info.integrity.state, 'damaged', 'the engine shows the damage (its banner)');
    const info = await host.call('getInfo', {});
    assert.ok(info.ok && info.value.integrity.state === 'damaged');
  } finally {
    await host.close();
  }

  const bin = path.join(__dirname, '..', '..', 'main', 'cli', 'bin.js');
  const check = spawn(process.execPath, [bin, 'check', '--db', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  check.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await new Promise<number | null>((r) => check.on('exit', (c) => r(c)));
  assert.equal(code, 1);
  assert.match(err, /corrupt|damaged|malformed|Tree|page/i);
  assert.equal(sha256(file), bytes, 'check changes nothing');
});

test('lifecycle-desk check on a healthy file: ok, counts match, exit 0; skewed counts: exit 1', async () => {
  const { lc, file } = openTemp();
  lc.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE });
  lc.close();
  const bin = path.join(__dirname, '..', '..', 'main', 'cli', 'bin.js');
  const run = async (): Promise<{ code: number | null; out: string; err: string }> => {
    const p = spawn(process.execPath, [bin, 'check', '--db', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    return { code, out, err };
  };
  const ok = await run();
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /: ok \(\d+ tables checked; counts match the rows\)/);
  const db = new Database(file);
  db.prepare("UPDATE lifecycle_counts SET n = n + 5 WHERE entity = 'turn' AND status = 'accepted'").run();
  db.close();
  const skewed = await run();
  assert.equal(skewed.code, 1);
  assert.match(skewed.err, /turn accepted: kept 6, actual 1/);
});
