// Opening the file (SPEC, "Storage"): WAL, synchronous=NORMAL, busy_timeout >= 5 s, never in
// memory; files that are not ours are refused with a clear error and left byte-identical.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Lifecycle, LifecycleError, SCHEMA_VERSION, type LifecycleErrorCode } from '../../main/lifecycle';
import { openTemp, sha256, tempDir } from '../helpers/temp-db';

function refused(file: string, code: LifecycleErrorCode): void {
  assert.throws(
    () => Lifecycle.open(file),
    (err: unknown) => {
      assert.ok(err instanceof LifecycleError, `expected a LifecycleError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.ok(err.message.includes(file), 'the message names the file');
      return true;
    },
  );
}

test('a new file is created with WAL, synchronous=NORMAL, busy_timeout >= 5 s and the current schema version', () => {
  const { lc, file } = openTemp();
  try {
    assert.ok(fs.existsSync(file));
    assert.equal(lc.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(lc.db.pragma('synchronous', { simple: true }), 1); // NORMAL
    assert.ok((lc.db.pragma('busy_timeout', { simple: true }) as number) >= 5000);
    assert.equal(lc.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(lc.db.memory, false);
  } finally {
    lc.close();
  }
  // Another connection sees the same file on disk, in WAL mode.
  const raw = new Database(file, { readonly: true });
  try {
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  } finally {
    raw.close();
  }
});

test('the parent directory is created when missing', () => {
  const file = path.join(tempDir(), 'state', 'nested', 'message-lifecycle.db');
  const lc = Lifecycle.open(file);
  lc.close();
  assert.ok(fs.statSync(file).size > 0);
});

test('an empty (0-byte) file is a new database', () => {
  const file = path.join(tempDir(), 'empty.db');
  fs.writeFileSync(file, '');
  const lc = Lifecycle.open(file);
  try {
    assert.equal(lc.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  } finally {
    lc.close();
  }
});

test('an in-memory database is refused: never an empty stand-in for the real file', () => {
  for (const file of [':memory:', '']) {
    assert.throws(
      () => Lifecycle.open(file),
      (err: unknown) => err instanceof LifecycleError && err.code === 'cannot_open',
    );
  }
});

test('busyTimeoutMs below 5000 is rejected before the file is touched', () => {
  const file = path.join(tempDir(), 'x.db');
  assert.throws(() => Lifecycle.open(file, { config: { busyTimeoutMs: 100 } }), RangeError);
  assert.equal(fs.existsSync(file), false, 'an invalid config must not create or migrate the file');
});

test('a file that is not SQLite is refused (not_sqlite) and left byte-identical', () => {
  const dir = tempDir();
  const text = path.join(dir, 'notes.db');
  fs.writeFileSync(text, 'this is a text file, not a database\n'.repeat(100));
  const short = path.join(dir, 'short.db');
  fs.writeFileSync(short, 'SQLite');
  for (const file of [text, short]) {
    const before = sha256(file);
    refused(file, 'not_sqlite');
    assert.equal(sha256(file), before);
    assert.equal(fs.existsSync(`${file}-wal`), false);
  }
});

test('a corrupt SQLite file (valid header, garbage after) is refused (corrupt) and left byte-identical', () => {
  const dir = tempDir();
  const garbage = path.join(dir, 'garbage.db');
  const bytes = Buffer.alloc(8192, 0x5a);
  Buffer.from('SQLite format 3\0', 'latin1').copy(bytes);
  fs.writeFileSync(garbage, bytes);

  // A real lifecycle database whose schema page was overwritten after the 100-byte header.
  const damaged = path.join(dir, 'damaged.db');
  Lifecycle.open(damaged).close();
  const buf = fs.readFileSync(damaged);
  for (let i = 100; i < buf.length; i++) buf[i] = (i * 31) & 0xff;
  fs.writeFileSync(damaged, buf);

  for (const file of [garbage, damaged]) {
    const before = sha256(file);
    refused(file, 'corrupt');
    assert.equal(sha256(file), before, `${path.basename(file)} changed`);
  }
});

test('a foreign SQLite database (other tables, not ours) is refused (foreign_database) and left byte-identical', () => {
  const file = path.join(tempDir(), 'foreign.db');
  const raw = new Database(file);
  raw.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada')");
  raw.close();
  const before = sha256(file);
  refused(file, 'foreign_database');
  assert.equal(sha256(file), before);
  const check = new Database(file, { readonly: true });
  try {
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    assert.deepEqual(
      tables.map((t) => t.name),
      ['customers'],
    );
    assert.equal(check.pragma('user_version', { simple: true }), 0);
  } finally {
    check.close();
  }
});

test('a file from a newer schema version is refused (newer_schema) and left byte-identical', () => {
  const file = path.join(tempDir(), 'newer.db');
  const { lc } = openTemp({ file });
  lc.accept({ channel: 'telegram', sessionKey: 's', payload: { text: 'hi' }, route: { channel: 'telegram', to: 'c' } });
  lc.close();
  const raw = new Database(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.pragma('journal_mode = DELETE'); // no -wal file, so the main file is the whole database
  raw.close();
  const before = sha256(file);
  refused(file, 'newer_schema');
  assert.equal(sha256(file), before);
  const check = new Database(file, { readonly: true });
  try {
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
    assert.equal(check.pragma('journal_mode', { simple: true }), 'delete');
  } finally {
    check.close();
  }
});

test('a file locked by another writer is refused with code locked after busy_timeout, and left byte-identical', () => {
  // A gateway file that needs adopting (so open must write) in rollback-journal mode, held by
  // another connection in an EXCLUSIVE transaction: even reading waits, then fails as 'locked'.
  const file = path.join(tempDir(), 'locked.db');
  const gateway = new Database(file);
  gateway.exec(`CREATE TABLE message_turns (id TEXT PRIMARY KEY, session_key TEXT NOT NULL DEFAULT '',
    accepted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'accepted',
    next_attempt_at INTEGER NOT NULL)`);
  gateway
    .prepare('INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES (?, 1, 1, 1)')
    .run('t1');
  const before = sha256(file);
  gateway.exec('BEGIN EXCLUSIVE');
  try {
    assert.throws(
      () => Lifecycle.open(file, { config: { busyTimeoutMs: 5000 } }),
      (err: unknown) => err instanceof LifecycleError && err.code === 'locked',
    );
  } finally {
    gateway.exec('ROLLBACK');
    gateway.close();
  }
  assert.equal(sha256(file), before);
  // Once the lock is gone the same file opens and is adopted.
  const lc = Lifecycle.open(file);
  try {
    assert.equal(lc.getTurn('t1')?.status, 'accepted');
  } finally {
    lc.close();
  }
});

test('a file another process holds exclusively for a moment opens once it lets go', async () => {
  // A gateway starting while another process holds the whole file (EXCLUSIVE locking mode, or
  // the last connection closing and removing the -wal file) waits like any busy write.
  const first = openTemp();
  first.lc.close();
  const { file } = first;
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))});
       const db = new D(${JSON.stringify(file)});
       db.pragma('locking_mode = EXCLUSIVE');
       db.exec('BEGIN EXCLUSIVE; COMMIT');
       process.stdout.write('held\\n');
       setTimeout(() => { db.close(); }, 600);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => holder.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('held') && resolve());
    holder.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
  });
  const direct = new Database(file, { timeout: 0 });
  assert.throws(() => direct.prepare('SELECT count(*) FROM message_turns').get(), /locked|busy/i, 'the lock is held');
  direct.close();
  const lc = Lifecycle.open(file);
  try {
    assert.equal(lc.db.pragma('journal_mode', { simple: true }), 'wal');
  } finally {
    lc.close();
  }
  assert.equal(await exited, 0);
});
