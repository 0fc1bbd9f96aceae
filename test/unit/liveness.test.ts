// Is anyone recovering this data? Workers record heartbeats in it; the liveness banner shows
// when none is alive (and what the writes let us infer), and goes when one runs. These two cases
// run on both backends (helpers/backends.ts); the integrity checks below are SQLite-only.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ApiHost } from '../../main/api/host';
import { Lifecycle, RecoveryWorker } from '../../main/lifecycle';
import { checkIntegrity } from '../../main/lifecycle/integrity';
import { eachBackend } from '../helpers/backends';
import { ROUTE, openTemp, sha256, tempDir } from '../helpers/temp-db';

eachBackend(
  'the banner shows while no worker runs, goes while one does, and comes back when it stops',
  async (c) => {
    const { store, clock } = c;
    const gateway = await c.peer({ owner: 'gw-1' });
    const none = await store.liveness();
    assert.deepEqual(none.workers, []);
    assert.match(
      none.banner ?? '',
      /^No recovery worker has recorded a heartbeat in this database: replays and retries you request will wait until the gateway runs its own recovery worker\.$/,
    );
    assert.equal(none.inferred, null, 'nothing was written: nothing to infer');

    await gateway.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE });
    clock.advance(20_000);
    assert.match(
      (await store.liveness()).inferred ?? '',
      /^No heartbeat of a gateway's worker, but the database was written 20 s ago \(its newest timeline entry\): a gateway is running/,
    );
    assert.match(
      (await store.liveness(clock.t - 3_000)).inferred ?? '',
      /written 3 s ago \(another process committed to it\)/,
    );

    const worker = new RecoveryWorker(gateway, {
      tickMs: 5_000,
      deliver: async () => undefined,
      replay: async () => undefined,
    });
    try {
      const firstPass = once(worker, 'pass'); // emitted after the pass recorded its heartbeat
      worker.start();
      await firstPass;
      const running = await store.liveness();
      assert.equal(running.banner, null);
      assert.equal(running.workers.length, 1);
      const beat = running.workers[0]!;
      assert.deepEqual(
        [beat.owner, beat.alive, beat.self, beat.pid, beat.canDeliver, beat.canReplay],
        ['gw-1', true, false, process.pid, true, true],
      );
      assert.equal(running.nextPassAt, clock.t + 5_000);

      clock.advance(10 * 60_000); // its passes stopped coming (a hung or killed process)
      assert.match((await store.liveness()).banner ?? '', /^No recovery worker has run on this database for 10 min:/);
      clock.advance(-10 * 60_000);
    } finally {
      await worker.stop();
    }
    const stopped = await store.liveness();
    assert.equal(stopped.workers[0]!.alive, false);
    assert.notEqual(stopped.workers[0]!.stoppedAt, null);
    assert.match(stopped.banner ?? '', /^No recovery worker has run on this database for 0 s:/);
  },
  { owner: 'desk' },
);

eachBackend(
  'the liveness of a worker in another process, seen through the API',
  async (c) => {
    // The case only made the (empty) data; the API host and the worker process open it themselves,
    // with their real clocks.
    await c.store.close();
    const host = await ApiHost.start({ dbPath: c.target, operator: 'desk:test' });
    const main = path.join(__dirname, '..', '..', 'main');
    const script = `const { RecoveryWorker } = require(${JSON.stringify(path.join(main, 'lifecycle'))});
    const { openStore } = require(${JSON.stringify(path.join(main, 'store', 'open'))});
    openStore(${JSON.stringify(c.target)}, { owner: 'gateway-worker' }).then((store) => {
      const w = new RecoveryWorker(store, { tickMs: 200, deliver: async () => {} });
      let passed = false;
      w.once('pass', () => { passed = true; console.log('passed'); });
      // A worker that cannot pass at all ends this process, so the test fails instead of waiting.
      w.on('error', (err) => { console.error(err); if (!passed) process.exit(1); });
      w.start();
      process.on('SIGTERM', () => w.stop().then(() => store.close()).then(() => process.exit(0)));
    }, (err) => { console.error(err); process.exit(1); });`;
    let child: ChildProcess | undefined;
    const stopChild = async (): Promise<void> => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    };
    try {
      const before = await host.call('getLiveness', {});
      assert.ok(before.ok && before.value.banner !== null);
      const worker = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = worker;
      await new Promise<void>((resolve, reject) => {
        worker.stdout.once('data', () => resolve());
        worker.once('exit', (code) => reject(new Error(`the worker process exited (${code}) before its first pass`)));
      });
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

      await stopChild();
      const after = await host.call('getLiveness', {});
      assert.ok(after.ok);
      assert.notEqual(after.value.banner, null, 'the banner is back once the worker stopped');
    } finally {
      await stopChild();
      await host.close();
    }
  },
  { timeout: 120_000 },
);

// SQLite only from here: damage to the file's pages, the engine's integrity check and
// `lifecycle-desk check`, which works on SQLite files only.
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
    // Wait for the engine to say its check finished (a positive signal, not a sleep).
    if (host.info.integrity.state === 'checking') {
      await new Promise<void>((resolve) => {
        const off = host.onEvent((e) => {
          if (e.type === 'integrity' && e.integrity.state !== 'checking') {
            off();
            resolve();
          }
        });
      });
    }
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
