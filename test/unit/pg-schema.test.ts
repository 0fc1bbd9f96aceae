// The PostgreSQL schema (main/store/postgres/schema.ts): versioned, migrated once under an
// advisory lock however many nodes start together, a newer schema or a foreign table refused
// with nothing changed, a gateway's own tables adopted with their rows, and every writer's
// changes counted and on the timeline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PG_SCHEMA_VERSION, migrate } from '../../main/store/postgres/schema';
import { PgStore } from '../../main/store/postgres/store';
import { pgCluster, pgUnavailable } from '../helpers/pg-cluster';

const skip = pgUnavailable() ?? false;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function tables(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (
      await c.query<{ t: string }>(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      )
    ).rows.map((r) => r.t),
  );
}

test('a new database is migrated once, however many nodes open it at the same moment', { skip }, async () => {
  const url = pgCluster().createDatabase('schema');
  const stores = await Promise.all(Array.from({ length: 6 }, (_, i) => PgStore.open(url, { owner: `node-${i}` })));
  try {
    for (const s of stores) assert.equal(s.fileVersion, PG_SCHEMA_VERSION);
    const version = await withClient(url, async (c) => (await c.query('SELECT version FROM lifecycle_schema')).rows);
    assert.deepEqual(version, [{ version: PG_SCHEMA_VERSION }]);
    assert.ok((await tables(url)).includes('message_history'));
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('a newer schema is refused and left as it was', { skip }, async () => {
  const url = pgCluster().createDatabase('schema');
  await (await PgStore.open(url)).close();
  await withClient(url, (c) => c.query('UPDATE lifecycle_schema SET version = $1', [PG_SCHEMA_VERSION + 1]));
  const before = await tables(url);
  await assert.rejects(PgStore.open(url), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'newer_schema');
    assert.match(err.message, /newer than this app's/);
    return true;
  });
  assert.deepEqual(await tables(url), before);
});

test('tables named like ours that are not ours are refused; nothing is created', { skip }, async () => {
  const url = pgCluster().createDatabase('schema');
  await withClient(url, (c) => c.query('CREATE TABLE message_turns (turn_key TEXT PRIMARY KEY, body TEXT)'));
  await assert.rejects(PgStore.open(url), { code: 'foreign_database' });
  assert.deepEqual(await tables(url), ['message_turns']);
});

test('a read-only open of a database without our schema is refused and creates nothing', { skip }, async () => {
  const url = pgCluster().createDatabase('schema');
  await assert.rejects(PgStore.open(url, { readOnly: true }), { code: 'read_only' });
  assert.deepEqual(await tables(url), []);
});

test('a gateway’s own tables are adopted: columns added, its rows kept and counted', { skip }, async () => {
  const url = pgCluster().createDatabase('schema');
  // What a gateway that predates us created: the SPEC's columns only, some rows.
  await withClient(url, async (c) => {
    await c.query(`CREATE TABLE message_turns (id TEXT PRIMARY KEY, channel TEXT NOT NULL DEFAULT '',
      session_key TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}', accepted_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL, status TEXT NOT NULL DEFAULT 'accepted', next_attempt_at BIGINT NOT NULL)`);
    await c.query(`CREATE TABLE message_outbox (id TEXT PRIMARY KEY, turn_id TEXT, channel TEXT NOT NULL,
      payload TEXT NOT NULL, queued_at BIGINT NOT NULL, status TEXT NOT NULL DEFAULT 'queued', next_attempt_at BIGINT NOT NULL)`);
    await c.query(`INSERT INTO message_turns (id, channel, session_key, accepted_at, updated_at, status, next_attempt_at)
      VALUES ('g1', 'telegram', 's1', 1, 1, 'delivered', 1), ('g2', 'telegram', 's2', 2, 2, 'running', 2)`);
    await c.query(`INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at)
      VALUES ('o1', 'g1', 'telegram', '{}', 1, 'delivered', 1)`);
  });
  const store = await PgStore.open(url);
  try {
    const counts = await store.status();
    assert.equal(counts.turns.delivered, 1);
    assert.equal(counts.turns.running, 1);
    assert.equal(counts.outbox.delivered, 1);
    assert.equal((await store.getTurn('g2'))?.status, 'running');
    assert.equal((await store.getTurn('g2'))?.attemptCount, 0);
    // The gateway keeps writing with the columns it knows; its change is counted and on the timeline.
    await withClient(url, (c) =>
      c.query("UPDATE message_turns SET status = 'delivered', updated_at = 3 WHERE id = 'g2'"),
    );
    assert.equal((await store.status()).turns.delivered, 2);
    const entries = await store.history('g2');
    assert.deepEqual(
      entries.map((e) => [e.fromStatus, e.toStatus, e.actor, e.by]),
      [['running', 'delivered', 'gateway', null]],
    );
  } finally {
    await store.close();
  }
});

test('a node that waited for another node’s migration does not run it again', { skip }, async () => {
  const url = pgCluster().createDatabase('schema');
  const a = new pg.Client({ connectionString: url });
  const b = new pg.Client({ connectionString: url });
  await a.connect();
  await b.connect();
  try {
    // B migrates inside a transaction that already holds the migration lock…
    await b.query('BEGIN');
    await b.query("SELECT pg_advisory_xact_lock(hashtext('lifecycle-desk:migrate'))");
    // …while A finds no schema yet and waits for that lock.
    const waiting = migrate(a as unknown as pg.PoolClient, 'a', false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await migrate(b as unknown as pg.PoolClient, 'b', false), PG_SCHEMA_VERSION); // commits B's transaction
    const triggers = async (): Promise<unknown[]> =>
      (await b.query("SELECT oid, tgname FROM pg_trigger WHERE tgname LIKE 'lc_%' ORDER BY tgname")).rows;
    const before = await triggers();
    assert.equal(await waiting, PG_SCHEMA_VERSION);
    // Had A run V1 again, its triggers would have been dropped and made anew (new oids), taking
    // exclusive locks on tables gateways were using.
    assert.deepEqual(await triggers(), before);
  } finally {
    await a.end();
    await b.end();
  }
});

test(
  'a version-2 database migrates to 3: its rows kept, their signatures computed, found by search and grouped',
  { skip },
  async () => {
    const url = pgCluster().createDatabase('schema');
    await (await PgStore.open(url)).close();
    // Back to version 2 (none of v3's columns or indexes), with a gateway's failed row in it.
    await withClient(url, async (c) => {
      await c.query('ALTER TABLE message_turns DROP COLUMN replay_of, DROP COLUMN error_signature');
      await c.query('ALTER TABLE message_outbox DROP COLUMN resend_of, DROP COLUMN error_signature');
      await c.query('ALTER TABLE message_history DROP COLUMN action, DROP COLUMN note, DROP COLUMN job_id');
      await c.query('DROP INDEX ix_turns_search, ix_outbox_search');
      await c.query('UPDATE lifecycle_schema SET version = 2');
      await c.query(
        `INSERT INTO message_outbox (id, channel, target, payload, queued_at, status, next_attempt_at, last_error, completed_at)
      VALUES ('gw-1', 'telegram', 'chat-9', '{"text":"parcel"}', $1, 'failed_terminal', $1, 'Timeout after 31 ms', $1)`,
        [Date.now()],
      );
    });
    const store = await PgStore.open(url);
    try {
      assert.equal(store.fileVersion, PG_SCHEMA_VERSION);
      assert.deepEqual(
        (await store.listOutbox({ search: 'parcel' })).items.map((r) => [r.id, r.resendOf]),
        [['gw-1', null]],
      );
      assert.deepEqual(
        (await store.errorGroups({})).map((g) => [g.signature, g.count]),
        [['timeout after # ms', 1]],
      );
      assert.equal((await store.status()).deadOutbox, 1);
    } finally {
      await store.close();
    }
  },
);
