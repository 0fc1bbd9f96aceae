// Where `--db` points: a file or a PostgreSQL URL, whose password never reaches a log, getInfo or the UI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayLocation, isPostgresUrl, redactUrl, shortName } from '../../main/store/location';

test('postgres:// and postgresql:// URLs are PostgreSQL; anything else is a file path', () => {
  for (const t of ['postgres://h/db', 'postgresql://u@h:5433/db', '  POSTGRES://h/db'])
    assert.equal(isPostgresUrl(t), true, t);
  for (const t of ['/tmp/postgres://x', 'message-lifecycle.db', 'C:\\data\\x.db', 'file:postgres.db', 'postgres.db'])
    assert.equal(isPostgresUrl(t), false, t);
});

test('the password is replaced in the user part and in a password parameter; paths stay as they are', () => {
  assert.equal(redactUrl('postgres://desk:s3cret@db:5432/lc'), 'postgres://desk:***@db:5432/lc');
  assert.equal(redactUrl('postgres://db/lc?user=desk&password=s3cret'), 'postgres://db/lc?user=desk&password=***');
  assert.equal(redactUrl('postgres://desk@db/lc'), 'postgres://desk@db/lc');
  // Not parseable by URL (a bare percent sign): the user:password@ part is still masked.
  assert.doesNotMatch(redactUrl('postgres://desk:p%zz@db/lc'), /p%zz/);
  assert.equal(displayLocation('/var/lib/gw/message-lifecycle.db'), '/var/lib/gw/message-lifecycle.db');
  assert.doesNotMatch(displayLocation('postgresql://a:b@h/d'), /:b@/);
});

test('a window title names the file, or the database and its host', () => {
  assert.equal(shortName('/var/lib/gw/message-lifecycle.db'), 'message-lifecycle.db');
  assert.equal(shortName('postgres://desk:***@db.internal:5432/lifecycle'), 'lifecycle on db.internal:5432');
  assert.equal(shortName('postgres://postgres@localhost:5/lc?host=%2Ftmp%2Fs'), 'lc on a local socket');
});
