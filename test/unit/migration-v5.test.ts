// Migration 5 on a file written at version 4 with a gateway's plain SQL: nothing lost, the rows
// already there searchable and grouped, and afterwards every plain-SQL writer (INSERT, UPDATE,
// INSERT OR REPLACE with and without recursive_triggers, INSERT OR IGNORE, DELETE) keeps the
// search index exact: one entry per row, with its current text, none for a row that is gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Lifecycle, SCHEMA_VERSION } from '../../main/lifecycle';
import { errorSignature } from '../../main/lifecycle/signature';
import { SEARCHED } from '../../main/lifecycle/migrations/v5';
import { fileAtVersion } from '../helpers/versions';
import { SqliteStore } from '../../main/store/sqlite/store';

const turnIns = `INSERT INTO message_turns (id, channel, external_id, dedupe_key, session_key, payload, accepted_at,
  updated_at, next_attempt_at, status, terminal_reason) VALUES (?, 'telegram', ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const rowIns = `INSERT INTO message_outbox (id, turn_id, channel, target, payload, queued_at, next_attempt_at, status,
  last_error, idempotency_key) VALUES (?, ?, 'telegram', 'chat-9', ?, ?, ?, ?, ?, ?)`;

function fill(db: Database.Database): void {
  const t = db.prepare(turnIns);
  const r = db.prepare(rowIns);
  db.transaction(() => {
    for (let i = 0; i < 50; i++) {
      const failed = i % 5 === 0;
      t.run(
        `t${i}`,
        `9${i}`,
        `tg:bot:${i}:9${i}`,
        `telegram:chat-${i}:thread`,
        `{"text":"hello number ${i}"}`,
        i,
        i,
        i,
        failed ? 'failed_terminal' : 'delivered',
        failed ? `model "gpt" overloaded after ${i} s` : null,
      );
      r.run(
        `r${i}`,
        `t${i}`,
        `{"text":"reply ${i}"}`,
        i,
        i,
        failed ? 'failed_terminal' : 'delivered',
        failed ? `403 Forbidden: bot was blocked by user ${i}` : null,
        `t${i}:final`,
      );
    }
  })();
}

/**
 * Every row's search entries: the keys' one at its rowid, with its id, and an error entry
 * exactly for the rows that have an error; nothing else in either index.
 */
function assertIndexExact(db: Database.Database): void {
  for (const s of SEARCHED) {
    const rows = db.prepare(`SELECT rowid AS rid, id FROM ${s.table} ORDER BY rowid`).all();
    const entries = db.prepare(`SELECT rowid AS rid, fts_id AS id FROM ${s.fts} ORDER BY rowid`).all();
    assert.deepEqual(entries, rows, `${s.fts} holds one entry per row of ${s.table}`);
    const failed = db
      .prepare(`SELECT rowid AS rid, id FROM ${s.table} AS r WHERE ${s.error('r')} IS NOT NULL ORDER BY rowid`)
      .all();
    const errors = db.prepare(`SELECT rowid AS rid, fts_id AS id FROM ${s.ftsError} ORDER BY rowid`).all();
    assert.deepEqual(errors, failed, `${s.ftsError} holds one entry per row of ${s.table} with an error`);
  }
}

/** What a search finds: rows whose keys or payload match, or whose error does, each once. */
const search = (db: Database.Database, table: 'message_turns' | 'message_outbox', text: string): string[] =>
  (
    db
      .prepare(
        `SELECT t.id FROM ${table}_fts f JOIN ${table} t ON t.rowid = f.rowid AND t.id = f.fts_id
         WHERE ${table}_fts MATCH @q
         UNION SELECT t.id FROM ${table}_fts_error f JOIN ${table} t ON t.rowid = f.rowid AND t.id = f.fts_id
         WHERE ${table}_fts_error MATCH @q`,
      )
      .pluck()
      .all({ q: `"${text.replaceAll('"', '""')}"` }) as string[]
  ).sort();

function migratedAndBackfilled(file: string): void {
  const lc = Lifecycle.open(file);
  lc.backfillSearchNow();
  lc.close();
}

test('v4 → v5: rows kept, columns added, existing rows searchable and grouped', () => {
  const file = fileAtVersion(4, fill);
  const before = new Database(file, { readonly: true });
  const turns = before.prepare('SELECT * FROM message_turns ORDER BY id').all();
  const rows = before.prepare('SELECT * FROM message_outbox ORDER BY id').all();
  const history = before.prepare('SELECT * FROM message_history ORDER BY id').all();
  before.close();

  const lc = Lifecycle.open(file);
  try {
    const db = lc.db;
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    // Nothing lost: the old columns hold the same values.
    const cols = (table: string): string =>
      (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[])
        .map((c) => c.name)
        .filter((n) => !['replay_of', 'resend_of', 'action', 'note', 'job_id'].includes(n))
        .join(', ');
    assert.deepEqual(db.prepare(`SELECT ${cols('message_turns')} FROM message_turns ORDER BY id`).all(), turns);
    assert.deepEqual(db.prepare(`SELECT ${cols('message_outbox')} FROM message_outbox ORDER BY id`).all(), rows);
    assert.deepEqual(db.prepare(`SELECT ${cols('message_history')} FROM message_history ORDER BY id`).all(), history);
    // The migration leaves the rows already there to the backfill: not yet found, and said so.
    assert.deepEqual(search(db, 'message_turns', '917'), []);
    assert.deepEqual(lc.searchIndexState(), { state: 'building', indexed: 0, total: 100 });
    assert.equal(lc.backfillSearchNow(), 100);
    assert.deepEqual(lc.searchIndexState(), { state: 'ready', indexed: 100, total: 100 });
    assertIndexExact(db);
    // By external id, by a middle part of the session key, by a word of the payload, by an error.
    assert.deepEqual(search(db, 'message_turns', '917'), ['t17']);
    assert.deepEqual(search(db, 'message_turns', 'chat-33:thr'), ['t33']);
    assert.deepEqual(search(db, 'message_turns', 'number 42'), ['t42']);
    assert.deepEqual(search(db, 'message_outbox', 'BLOCKED BY USER 45'), ['r45']);
    assert.deepEqual(search(db, 'message_outbox', 't3:final'), ['r3']);
    // The signature is the same text in SQL as in JavaScript.
    for (const r of db.prepare('SELECT last_error AS e, error_signature AS s FROM message_outbox').all() as {
      e: string | null;
      s: string | null;
    }[])
      assert.equal(r.s, errorSignature(r.e));
    const groups = db
      .prepare(
        `SELECT error_signature AS s, count(*) AS n FROM message_turns WHERE error_signature IS NOT NULL GROUP BY 1`,
      )
      .all();
    assert.deepEqual(groups, [{ s: 'model "…" overloaded after # s', n: 10 }]);
  } finally {
    lc.close();
  }
});

test('v5: every plain-SQL writer keeps the search index exact; a deleted or replaced row is never found', () => {
  const file = fileAtVersion(4, fill);
  migratedAndBackfilled(file);
  const db = new Database(file);
  try {
    const t = db.prepare(turnIns);
    t.run(
      'new-1',
      'ext-777',
      'tg:new:1',
      'telegram:zebra-session',
      '{"text":"kangaroo"}',
      100,
      100,
      100,
      'accepted',
      null,
    );
    assert.deepEqual(search(db, 'message_turns', 'zebra'), ['new-1']);
    // An update of a searched column re-indexes the row; of another column leaves it alone.
    db.prepare(
      "UPDATE message_turns SET status = 'failed_retryable', terminal_reason = 'wombat timeout' WHERE id = 'new-1'",
    ).run();
    db.prepare("UPDATE message_turns SET attempt_count = 2 WHERE id = 'new-1'").run();
    assert.deepEqual(search(db, 'message_turns', 'wombat'), ['new-1']);
    db.prepare("UPDATE message_outbox SET last_error = 'platypus 429' WHERE id = 'r1'").run();
    assert.deepEqual(search(db, 'message_outbox', 'platypus'), ['r1']);
    db.prepare("UPDATE message_outbox SET last_error = 'quokka 503' WHERE id = 'r1'").run();
    assert.deepEqual(search(db, 'message_outbox', 'platypus'), []);
    assert.deepEqual(search(db, 'message_outbox', 'quokka'), ['r1']);
    // REPLACE on the id, and on the dedupe key (another id): the replaced rows' entries go.
    db.prepare(
      `INSERT OR REPLACE INTO message_turns (id, session_key, payload, accepted_at, updated_at, next_attempt_at)
       VALUES ('new-1', 'telegram:yak', '{"text":"llama"}', 1, 1, 1)`,
    ).run();
    assert.deepEqual(search(db, 'message_turns', 'kangaroo'), []);
    assert.deepEqual(search(db, 'message_turns', 'wombat'), []);
    assert.deepEqual(search(db, 'message_turns', 'llama'), ['new-1']);
    db.prepare(
      `INSERT OR REPLACE INTO message_turns (id, dedupe_key, session_key, payload, accepted_at, updated_at, next_attempt_at)
       VALUES ('t7-again', 'tg:bot:7:97', 'telegram:ibex', '{}', 1, 1, 1)`,
    ).run();
    assert.deepEqual(search(db, 'message_turns', 'hello number 7"'), []);
    assert.deepEqual(search(db, 'message_turns', 'ibex'), ['t7-again']);
    // An ignored insert changes nothing.
    db.prepare(
      `INSERT OR IGNORE INTO message_turns (id, session_key, payload, accepted_at, updated_at, next_attempt_at)
       VALUES ('t8', 'telegram:ignored', '{}', 1, 1, 1)`,
    ).run();
    assert.deepEqual(search(db, 'message_turns', 'hello number 8"'), ['t8']);
    // With recursive_triggers the delete trigger sees the replaced row too: still exact.
    db.pragma('recursive_triggers = ON');
    db.prepare(
      `INSERT OR REPLACE INTO message_outbox (id, channel, payload, queued_at, next_attempt_at) VALUES ('r2', 'x', '{"text":"okapi"}', 1, 1)`,
    ).run();
    db.pragma('recursive_triggers = OFF');
    assert.deepEqual(search(db, 'message_outbox', 'reply 2"'), []);
    assert.deepEqual(search(db, 'message_outbox', 'okapi'), ['r2']);
    db.prepare("DELETE FROM message_turns WHERE id IN ('t9', 't10')").run();
    assert.deepEqual(search(db, 'message_turns', 'hello number 9"'), []);
    assertIndexExact(db);
    // A failure written by plain SQL is grouped at once (the signature is computed from the row).
    db.prepare(
      "UPDATE message_outbox SET status = 'failed_retryable', last_error = 'HTTP 502 from 10.0.0.7' WHERE id = 'r4'",
    ).run();
    assert.equal(
      db.prepare("SELECT error_signature FROM message_outbox WHERE id = 'r4'").pluck().get(),
      'http # from #.#.#.#',
    );
  } finally {
    db.close();
  }
});

test('a v4 file opened read-only (not migrated): the triage reads work through the shim, the file unchanged', () => {
  const file = fileAtVersion(4, fill);
  const lc = Lifecycle.open(file, { readOnly: true });
  try {
    assert.equal(lc.db.pragma('user_version', { simple: true }), 4);
    // No full-text index in the file: a search is the key search of version 4.
    assert.deepEqual(
      lc.listTurns({ search: 't17' }).items.map((t) => t.id),
      ['t17'],
    );
    assert.equal(lc.listTurns({ search: 't17' }).items[0]!.replayOf, null);
    const groups = lc.errorGroups({ subject: 'outbox', sinceMs: 90 * 86_400_000 });
    assert.equal(groups.length, 0, 'the bench rows are far older than any window');
    assert.equal(typeof lc.status().deadOutbox, 'number');
    assert.deepEqual(lc.auditTrail({}).items, []);
    assert.equal(lc.countOutbox({ signature: '# forbidden: bot was blocked by user #' }), 10);
  } finally {
    lc.close();
  }
});

test('v5: a failure re-indexes only the error: the keys and payload index is not written', () => {
  const file = fileAtVersion(4, fill);
  migratedAndBackfilled(file);
  const db = new Database(file);
  try {
    const blocks = (fts: string): unknown =>
      db.prepare(`SELECT count(*) AS n, sum(length(block)) AS bytes FROM ${fts}_data`).get();
    const before = { outbox: blocks('message_outbox_fts'), turns: blocks('message_turns_fts') };
    const errorsBefore = blocks('message_outbox_fts_error');
    db.prepare(
      "UPDATE message_outbox SET status = 'failed_retryable', attempt_count = 1, last_error = '502 from numbat gateway' WHERE id = 'r7'",
    ).run();
    db.prepare(
      "UPDATE message_turns SET status = 'failed_terminal', terminal_reason = 'echidna' WHERE id = 't7'",
    ).run();
    assert.deepEqual(blocks('message_outbox_fts'), before.outbox, 'the keys index of the outbox is unchanged');
    assert.deepEqual(blocks('message_turns_fts'), before.turns, 'the keys index of the turns is unchanged');
    assert.notDeepEqual(blocks('message_outbox_fts_error'), errorsBefore, 'the error index took the new error');
    assert.deepEqual(search(db, 'message_outbox', 'numbat'), ['r7']);
    assert.deepEqual(search(db, 'message_turns', 'echidna'), ['t7']);
    // An error cleared (a retry) leaves no entry: the row is found by its keys only.
    db.prepare("UPDATE message_outbox SET status = 'pending', last_error = NULL WHERE id = 'r7'").run();
    assert.deepEqual(search(db, 'message_outbox', 'numbat'), []);
    assert.deepEqual(search(db, 'message_outbox', 't7:final'), ['r7']);
    // A row that matches in both indexes is one result, and counted once.
    db.prepare(
      "UPDATE message_outbox SET status = 'failed_retryable', last_error = 'dup of t7:final' WHERE id = 'r7'",
    ).run();
    assertIndexExact(db);
  } finally {
    db.close();
  }
  const lc = Lifecycle.open(file);
  try {
    assert.deepEqual(
      lc.listOutbox({ search: 't7:final' }).items.map((r) => r.id),
      ['r7'],
    );
    assert.equal(lc.countOutbox({ search: 't7:final' }), 1);
    assert.deepEqual(
      lc.listOutbox({ search: 'numbat' }).items.map((r) => r.id),
      [],
    );
  } finally {
    lc.close();
  }
});

test('v5: the paced backfill indexes the newest rows first; a row written meanwhile is indexed once; read-only only reports', async () => {
  const file = fileAtVersion(4, fill);
  const store = SqliteStore.open(file);
  try {
    const db = store.lc.db;
    assert.deepEqual(store.searchIndexState(), { state: 'building', indexed: 0, total: 100 });
    // A gateway changes an old row and adds a new one before the walk reaches them.
    db.prepare("UPDATE message_outbox SET last_error = 'wallaby 500' WHERE id = 'r1'").run();
    db.prepare(turnIns).run('t-new', 'x', 'tg:new', 'telegram:quoll', '{}', 99, 99, 99, 'accepted', null);
    assert.deepEqual(search(db, 'message_turns', 'quoll'), ['t-new']);
    assert.deepEqual(search(db, 'message_outbox', 'wallaby'), ['r1']);
    // The walk goes down from the highest rowid at migration: recent turns first.
    assert.equal(await store.backfillSearch(10), 10);
    assert.deepEqual(search(db, 'message_turns', 'number 49'), ['t49']);
    assert.deepEqual(search(db, 'message_turns', 'number 40'), ['t40']);
    assert.deepEqual(search(db, 'message_turns', 'number 39'), []);
    assert.deepEqual(store.searchIndexState(), { state: 'building', indexed: 10, total: 100 });
    const ro = Lifecycle.open(file, { readOnly: true });
    try {
      assert.deepEqual(ro.searchIndexState(), { state: 'building', indexed: 10, total: 100 });
    } finally {
      ro.close();
    }
    assert.equal(await store.backfillSearch(1_000), 90);
    assert.deepEqual(store.searchIndexState(), { state: 'ready', indexed: 100, total: 100 });
    assert.equal(await store.backfillSearch(1_000), 0);
    assertIndexExact(db);
    assert.deepEqual(search(db, 'message_outbox', 'wallaby'), ['r1']);
  } finally {
    await store.close();
  }
});

test('v5 on a new file: the search index is ready at once', () => {
  const lc = Lifecycle.open(fileAtVersion(4, () => undefined));
  try {
    assert.deepEqual(lc.searchIndexState(), { state: 'ready', indexed: 0, total: 0 });
  } finally {
    lc.close();
  }
});

test('v5: a file loaded with the triggers dropped is indexed again from scratch after a restart', () => {
  const file = fileAtVersion(4, () => undefined);
  const lc = Lifecycle.open(file);
  try {
    const db = lc.db;
    const triggers = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'lc_%_fts_%'")
      .all() as { name: string; sql: string }[];
    for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
    fill(db);
    for (const t of triggers) db.exec(t.sql);
    assert.deepEqual(search(db, 'message_turns', 'number 42'), [], 'loaded without the triggers: not indexed');
    lc.restartSearchBackfill();
    assert.deepEqual(lc.searchIndexState(), { state: 'building', indexed: 0, total: 100 });
    assert.equal(lc.backfillSearchNow(), 100);
    assert.deepEqual(lc.searchIndexState(), { state: 'ready', indexed: 100, total: 100 });
    assert.deepEqual(search(db, 'message_turns', 'number 42'), ['t42']);
    assertIndexExact(db);
  } finally {
    lc.close();
  }
});
