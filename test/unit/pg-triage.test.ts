// Triage on PostgreSQL (issue 11): dead letters resent or replayed as new and linked both ways,
// bulk batches in one transaction, the reason on every action and the audit's filters and pages,
// dead counts, error groups by the stored signature (a gateway's plain SQL rows too), and the
// trigram search. On a real database of the test cluster; the behaviour tests shared with
// SQLite live in the core suite (eachBackend).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { LifecycleError, RecoveryWorker } from '../../main/lifecycle';
import { errorSignature } from '../../main/lifecycle/signature';
import type { LifecycleStore } from '../../main/store/contract';
import { hasTrigramSearch, PG_SCHEMA_VERSION } from '../../main/store/postgres/schema';
import type { PgStore } from '../../main/store/postgres/store';
import { replayKey, resendKey, type BulkJob } from '../../shared/triage';
import { openCase, unavailable, type Case } from '../helpers/backends';
import { replayPass } from '../helpers/replay-pass';
import { queuedRow, runningTurn } from '../helpers/store-rows';

const skip = unavailable('postgres');

function pgTest(name: string, fn: (c: Case) => Promise<void>): void {
  test(name, { skip }, async () => {
    const c = await openCase('postgres');
    try {
      await fn(c);
    } finally {
      await c.close();
    }
  });
}

async function refused(fn: () => Promise<unknown>, pattern: RegExp, code = 'invalid_state'): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof LifecycleError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

/** A final row of a running turn that failed for good, and the turn finalized by it (failed_terminal). */
async function deadRow(store: LifecycleStore, error = 'HTTP 403 bot was blocked by user 4711', session = 'sess') {
  const turnId = await runningTurn(store, session);
  const rowId = await queuedRow(store, turnId);
  assert.equal(await store.fail(rowId, { error, errorClass: 'terminal' }), 'failed_terminal');
  await store.finalize(turnId);
  return { turnId, rowId };
}

pgTest('schema v3: the new columns, the stored signature of a gateway’s plain rows, the trigram indexes', async (c) => {
  const { store, sql } = c;
  assert.equal(store.fileVersion, PG_SCHEMA_VERSION, "v3's parts stay in the current schema");
  assert.equal(await hasTrigramSearch((store as PgStore).pool), true);
  const errors = [
    'Timeout after 30000 ms on chat 123456',
    'User "alice" not found',
    '  HTTP 429: Too Many Requests, retry after 17s  ',
    'ÄRGER 12 Ö',
  ];
  for (const [i, error] of errors.entries()) {
    await sql(
      `INSERT INTO message_outbox (id, channel, target, payload, queued_at, status, next_attempt_at, last_error)
       VALUES (?, 'telegram', 't', '{}', 1, 'failed_retryable', 1, ?)`,
      [`gw-${i}`, error],
    );
  }
  const rows = await sql<{ id: string; s: string }>('SELECT id, error_signature AS s FROM message_outbox ORDER BY id');
  assert.deepEqual(
    rows.map((r) => r.s),
    errors.map((e) => errorSignature(e)),
  );
  // The same text whatever the digits: one group.
  assert.equal(rows[0]!.s, 'timeout after # ms on chat #');
  assert.equal(rows[1]!.s, 'user "…" not found');
  // A gateway's UPDATE recomputes it.
  await sql("UPDATE message_outbox SET last_error = 'Gone 7' WHERE id = 'gw-0'");
  assert.equal(
    (await sql<{ s: string }>("SELECT error_signature AS s FROM message_outbox WHERE id = 'gw-0'"))[0]!.s,
    'gone #',
  );
  const history = await sql<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'message_history' AND column_name IN ('action', 'note', 'job_id') ORDER BY 1",
  );
  assert.deepEqual(
    history.map((r) => r.column_name),
    ['action', 'job_id', 'note'],
  );
});

pgTest('resend: a new direct row linked both ways, a repeat creates nothing, the worker sends it once', async (c) => {
  const { store, clock } = c;
  const { turnId, rowId } = await deadRow(store);
  clock.advance(1_000);
  const first = await store.operatorResend(rowId, 'ui:alice', 'customer asked again');
  assert.equal(first.created, true);
  const copy = first.row;
  const original = (await store.getRow(rowId))!;
  assert.deepEqual(
    {
      turnId: copy.turnId,
      kind: copy.dispatchKind,
      status: copy.status,
      resendOf: copy.resendOf,
      key: copy.idempotencyKey,
      payload: copy.payload,
      target: copy.target,
    },
    {
      turnId: null,
      kind: null,
      status: 'queued',
      resendOf: rowId,
      key: resendKey(rowId),
      payload: original.payload,
      target: original.target,
    },
  );
  assert.equal(original.status, 'failed_terminal', 'a terminal row never changes');
  const again = await store.operatorResend(rowId, 'ui:alice');
  assert.deepEqual({ created: again.created, id: again.row.id }, { created: false, id: copy.id });
  assert.equal((await store.listOutbox({ search: resendKey(rowId) })).items.length, 1);

  const detail = await store.turnDetail(turnId);
  assert.deepEqual(
    detail.outbox.map((r) => r.id),
    [rowId, copy.id],
  );
  const resentAs = detail.history.find((e) => e.entityId === rowId && e.reason === `resent as ${copy.id}`);
  const resendOf = detail.history.find((e) => e.entityId === copy.id && e.reason === `resend of ${rowId}`);
  assert.ok(resentAs && resendOf, JSON.stringify(detail.history));
  for (const e of [resentAs, resendOf]) {
    assert.deepEqual(
      { actor: e.actor, by: e.by, action: e.action, note: e.note, jobId: e.jobId },
      { actor: 'operator', by: 'ui:alice', action: 'resend', note: 'customer asked again', jobId: null },
    );
  }

  const sent: string[] = [];
  const worker = new RecoveryWorker(store, {
    deliver: async (r) => {
      sent.push(r.id);
    },
  });
  await worker.runOnce();
  await worker.runOnce();
  await worker.stop();
  assert.deepEqual(sent, [copy.id]);
  assert.equal((await store.getRow(copy.id))?.status, 'delivered');
  assert.equal((await store.getTurn(turnId))?.status, 'failed_terminal', 'the resend never re-decides the turn');
});

pgTest('resend is refused for a pending row and for a row of an aborted turn', async (c) => {
  const { store } = c;
  const t = await runningTurn(store, 'S');
  const pending = await queuedRow(store, t);
  await refused(
    () => store.operatorResend(pending, 'ui:alice'),
    /waiting to be sent: only a send that failed for good/,
  );
  await store.operatorAbort('S', 'ui:alice');
  await refused(() => store.operatorResend(pending, 'ui:alice'), /aborted/);
  await refused(() => store.operatorResend('nope', 'ui:alice'), /no outbox row/, 'not_found');
  assert.equal((await store.listOutbox({})).items.length, 1);
});

pgTest('replay as new: a new accepted turn linked both ways, a repeat finds it, the worker replays it', async (c) => {
  const { store, clock } = c;
  const { turnId } = await deadRow(store);
  const open = await runningTurn(store, 'other');
  await refused(() => store.operatorReplayAsNew(open, 'ui:bob'), /being answered: only a turn that failed for good/);
  clock.advance(500);
  const { turn, created } = await store.operatorReplayAsNew(turnId, 'ui:bob', 'after the outage');
  assert.equal(created, true);
  const original = (await store.getTurn(turnId))!;
  assert.deepEqual(
    {
      status: turn.status,
      replayOf: turn.replayOf,
      dedupe: turn.dedupeKey,
      session: turn.sessionKey,
      payload: turn.payload,
      due: turn.nextAttemptAt,
      lapsed: turn.claimExpiresAt,
    },
    {
      status: 'accepted',
      replayOf: turnId,
      dedupe: replayKey(turnId),
      session: original.sessionKey,
      payload: original.payload,
      due: clock.t,
      lapsed: clock.t,
    },
  );
  assert.equal((await store.operatorReplayAsNew(turnId, 'ui:bob')).turn.id, turn.id);
  assert.equal((await store.operatorReplayAsNew(turnId, 'ui:bob')).created, false);
  assert.deepEqual((await store.turnDetail(turnId)).replayedAs, [turn.id]);
  assert.ok(
    (await store.history(turnId)).some(
      (e) => e.reason === `replayed as new turn ${turn.id}` && e.note === 'after the outage',
    ),
  );
  assert.ok(
    (await store.history(turn.id)).some((e) => e.reason === `replay of turn ${turnId}` && e.action === 'replay-as-new'),
  );

  assert.deepEqual(await replayPass(store), [turn.id]);
  assert.equal((await store.getTurn(turn.id))?.status, 'delivered');
});

pgTest(
  'a batch runs in one transaction: each id re-checked, refusals are outcomes, entries carry the job',
  async (c) => {
    const { store } = c;
    const t = await runningTurn(store, 'S');
    const a = await queuedRow(store, t, 'tool');
    const b = await queuedRow(store, t, 'tool');
    const done = await queuedRow(store, t, 'tool');
    await store.ack(done);
    const outcomes = await store.operatorBatch('terminate', [a, done, 'missing', b], 'ui:carol', 'spam', 'job-1');
    assert.deepEqual(
      outcomes.map((o) => [o.id, o.ok, o.code ?? null]),
      [
        [a, true, null],
        [done, false, 'invalid_state'],
        ['missing', false, 'not_found'],
        [b, true, null],
      ],
    );
    const entries = (await store.history(t)).filter((e) => e.jobId === 'job-1');
    assert.deepEqual(entries.map((e) => e.entityId).sort(), [a, b].sort());
    for (const e of entries) assert.deepEqual([e.action, e.note, e.by], ['terminate', 'spam', 'ui:carol']);

    const dead = await deadRow(store, 'boom', 'T');
    const resent = await store.operatorBatch('resend', [dead.rowId, dead.rowId], 'ui:carol', undefined, 'job-2');
    // An id given twice: the second finds what the first created.
    assert.deepEqual(
      resent.map((o) => o.ok),
      [true, true],
    );
    assert.ok(resent[0]!.created && resent[0]!.created === resent[1]!.created);
    const aborted = await store.operatorBatch('abort', ['S', 'T'], 'ui:carol', undefined, 'job-3');
    assert.deepEqual(
      aborted.map((o) => o.ok),
      [true, false],
    );

    const job: BulkJob = {
      id: 'job-1',
      action: 'terminate',
      list: 'outbox',
      filter: { channel: 'telegram' },
      filterText: 'channel telegram',
      reason: 'spam',
      by: 'ui:carol',
      total: 3,
      done: 2,
      refused: 1,
      refusals: [],
      state: 'done',
      startedAt: c.clock.t,
      finishedAt: c.clock.t,
      error: null,
    };
    await store.recordBulkJob(job);
    const audit = (await store.auditTrail({ action: 'bulk' })).items;
    assert.equal(audit.length, 1);
    assert.deepEqual(
      {
        kind: audit[0]!.kind,
        reason: audit[0]!.reason,
        note: audit[0]!.note,
        jobId: audit[0]!.jobId,
        entityId: audit[0]!.entityId,
      },
      {
        kind: 'action',
        reason: 'bulk terminate by filter (channel telegram): 2 done, 1 refused',
        note: 'spam',
        jobId: null,
        entityId: 'job-1',
      },
    );
    // The per-row entries of the jobs are not in the audit; the single actions and the summary are.
    const all = (await store.auditTrail({ limit: 500 })).items;
    assert.ok(
      all.every((e) => e.jobId === null || e.kind === 'action'),
      JSON.stringify(all),
    );
  },
);

pgTest('the audit: filters by who, action and time, newest first, by page', async (c) => {
  const { store, clock } = c;
  const rows: string[] = [];
  const t = await runningTurn(store);
  for (let i = 0; i < 5; i++) rows.push(await queuedRow(store, t, 'tool'));
  const start = clock.t;
  for (const [i, r] of rows.entries()) {
    clock.advance(10);
    await store.operatorRetry(r, i % 2 ? 'desk:alice' : 'cli:bob', `note ${i}`);
  }
  await store.operatorTerminate(rows[0]!, 'desk:alice');
  const alice = (await store.auditTrail({ by: 'ALICE' })).items;
  assert.ok(alice.length >= 3 && alice.every((e) => e.by === 'desk:alice'));
  const retries = (await store.auditTrail({ action: 'retry', since: start + 20, until: start + 50 })).items;
  assert.deepEqual(
    retries.map((e) => e.note),
    ['note 3', 'note 2', 'note 1'],
  );
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<LifecycleStore['auditTrail']>> = await store.auditTrail({
      action: 'retry',
      limit: 2,
      cursor,
    });
    seen.push(...page.items.map((e) => e.note ?? ''));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, ['note 4', 'note 3', 'note 2', 'note 1', 'note 0']);
  await refused(() => store.auditTrail({ cursor: 'x:y' }), /cursor/, 'invalid_argument');
});

pgTest('dead counts and the dead filter: in the window, not chosen, not yet resent or replayed', async (c) => {
  const { store, clock } = c;
  const old = await deadRow(store, 'old failure', 'a');
  clock.advance(store.config.attentionWindowMs + 1);
  const fresh = await deadRow(store, 'fresh failure', 'b');
  const resentLater = await deadRow(store, 'resent failure', 'c');
  // A person's choice is not dead (a direct send, so no turn is finalized by it).
  await store.operatorTerminate(await queuedRow(store, null, null), 'ui:x');
  await store.operatorResend(resentLater.rowId, 'ui:x');
  await store.operatorReplayAsNew(resentLater.turnId, 'ui:x');

  const counts = await store.status();
  assert.equal(counts.deadOutbox, 1);
  assert.equal(counts.deadTurns, 1);
  assert.deepEqual(
    (await store.listOutbox({ dead: true })).items.map((r) => r.id),
    [fresh.rowId],
  );
  assert.deepEqual(
    (await store.listTurns({ dead: true })).items.map((r) => r.id),
    [fresh.turnId],
  );
  assert.equal(await store.countOutbox({ dead: true }), 1);
  assert.equal(await store.countTurns({ dead: true, status: ['failed_terminal', 'aborted'] }), 1);
  assert.ok(old.rowId);
});

pgTest(
  'error groups: by signature, channel and kind, over the window; the signature filter lists a group',
  async (c) => {
    const { store, clock, sql } = c;
    const rows: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await runningTurn(store, `s${i}`);
      const r = await queuedRow(store, t);
      await store.fail(r, { error: `Timeout after ${1000 + i} ms`, errorClass: 'retryable' });
      rows.push(r);
      clock.advance(10);
    }
    await store.fail(rows[2]!, { error: 'Timeout after 9 ms', errorClass: 'terminal' });
    // A gateway's own failed row, by plain SQL: grouped too.
    await sql(
      `INSERT INTO message_outbox (id, channel, target, payload, queued_at, status, next_attempt_at, last_error, completed_at)
     VALUES ('gw-1', 'telegram', 't', '{}', ?, 'failed_terminal', ?, 'Timeout after 77 ms', ?)`,
      [clock.t, clock.t, clock.t],
    );
    clock.advance(10);
    const other = await queuedRow(store, null, null);
    await store.fail(other, { error: 'HTTP 403 bot was blocked', errorClass: 'terminal' });
    const chosen = await runningTurn(store, 'x');
    await store.operatorTerminate(await queuedRow(store, chosen), 'ui:x'); // a person's choice: no group

    const groups = await store.errorGroups({ subject: 'outbox' });
    assert.deepEqual(
      groups.map((g) => [g.signature, g.kind, g.count, g.retrying, g.dead]),
      [
        ['timeout after # ms', 'final', 3, 2, 1],
        // Ties by count: the most recent first.
        ['http # bot was blocked', 'direct', 1, 0, 1],
        ['timeout after # ms', 'direct', 1, 0, 1],
      ],
    );
    const g = groups[0]!;
    assert.equal(g.sampleId, rows[2]);
    assert.equal(g.sampleError, 'Timeout after 9 ms');
    assert.ok(g.firstSeen <= g.lastSeen);
    const members = await store.listOutbox({ signature: g.signature, kind: 'final', limit: 500 });
    assert.deepEqual(members.items.map((r) => r.id).sort(), [...rows].sort());
    assert.equal(await store.countOutbox({ signature: g.signature }), 4);
    assert.equal(await store.countOutbox({ signature: g.signature, errorClass: 'retryable' }), 2);

    clock.advance(25 * 3_600_000);
    assert.deepEqual(await store.errorGroups({ subject: 'outbox' }), []);
    assert.equal((await store.errorGroups({ sinceMs: 26 * 3_600_000, channel: 'telegram' })).length >= 3, true);
    assert.deepEqual(await store.errorGroups({ sinceMs: 26 * 3_600_000, channel: 'discord' }), []);
  },
);

pgTest(
  'search: external id, any part of a session key, payload text, errors, keys; wildcards literal; paged',
  async (c) => {
    const { store, clock } = c;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { turn } = await store.accept({
        channel: 'telegram',
        sessionKey: `telegram:bot:chat-${4200 + i}:thread`,
        externalId: `msg-${9000 + i}`,
        dedupeKey: `dd-${i}`,
        payload: { text: i === 3 ? 'Where is my parcel 50%_off?' : 'hello there' },
        route: { channel: 'telegram', to: `chat-${i}` },
      });
      ids.push(turn.id);
      clock.advance(5);
    }
    const find = async (search: string): Promise<string[]> =>
      (await store.listTurns({ search, order: 'desc' })).items.map((t) => t.id);
    assert.deepEqual(await find('msg-9003'), [ids[3]]);
    assert.deepEqual(await find('chat-4203'), [ids[3]]);
    assert.deepEqual(await find('PARCEL'), [ids[3]]);
    assert.deepEqual(await find('50%_'), [ids[3]]);
    assert.deepEqual(await find('%_o'), [ids[3]]);
    assert.deepEqual(await find('he%lo'), [], 'wildcards are literal');
    assert.deepEqual(await find('bot:chat'), [...ids].reverse());
    assert.deepEqual(await find('te'), [...ids].reverse(), 'two characters: the session key prefix');
    await store.recordFailure(ids[5]!, 'LLM quota exceeded for org 7');
    assert.deepEqual(await find('quota exceeded'), [ids[5]]);
    assert.equal(await store.countTurns({ search: 'hello', status: ['accepted', 'failed_retryable'] }), 6);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<LifecycleStore['listTurns']>> = await store.listTurns({
        search: 'thread',
        limit: 3,
        cursor,
      });
      seen.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids);

    const r = await queuedRow(store, ids[0]!, 'final', false, { text: 'Your order #A-77 shipped' });
    await store.fail(r, { error: 'Bad Request: chat not found', errorClass: 'retryable' });
    const findRow = async (search: string): Promise<string[]> =>
      (await store.listOutbox({ search })).items.map((x) => x.id);
    assert.deepEqual(await findRow('A-77'), [r]);
    assert.deepEqual(await findRow('chat not found'), [r]);
    assert.deepEqual(await findRow(ids[0]!.slice(9, 20)), [r], 'a middle part of its turn id');
    assert.deepEqual(await findRow('chat-1'), [r], 'its target');
  },
);

pgTest(
  'query plans on a few thousand rows (ANALYZE): search, groups, signature, dead and audit use their indexes',
  async (c) => {
    const { sql } = c;
    await sql(`INSERT INTO message_turns (id, channel, session_key, payload, accepted_at, updated_at, status, next_attempt_at, terminal_reason, completed_at)
    SELECT 't' || g, 'telegram', 'sess:' || (g % 500), '{"text":"hello ' || md5(g::text) || '"}', g, g,
      CASE WHEN g % 100 = 0 THEN 'failed_terminal' ELSE 'delivered' END, g,
      CASE WHEN g % 100 = 0 THEN 'boom ' || g END, g
    FROM generate_series(1, 20000) g`);
    await sql(`INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, status, next_attempt_at, last_error, completed_at, last_attempt_at)
    SELECT 'o' || g, 't' || g, 'telegram', 'chat', 'final', '{}', g,
      CASE WHEN g % 100 = 0 THEN 'failed_terminal' ELSE 'delivered' END, g,
      CASE WHEN g % 100 = 0 THEN 'Timeout ' || g END, g, g
    FROM generate_series(1, 20000) g`);
    await sql(`INSERT INTO message_history (kind, actor, actor_name, at, action)
    SELECT 'action', CASE WHEN g % 50 = 0 THEN 'operator' ELSE 'worker' END, 'x', g, 'retry' FROM generate_series(1, 20000) g`);
    // VACUUM moves the GIN indexes' pending entries (fastupdate) into the index proper, as autovacuum would.
    await sql('VACUUM ANALYZE');
    const plan = async (query: string): Promise<string> => {
      const text = (await sql<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`)).map((r) => r['QUERY PLAN']).join('\n');
      assert.doesNotMatch(text, /Seq Scan/, text);
      return text;
    };
    const { TURN_SEARCH_TEXT } = await import('../../main/store/postgres/search');
    const { OUTBOX_FAILED_AT, OUTBOX_FAILURE_SQL } = await import('../../main/lifecycle/triage-rules');
    const { DEAD_ROW_SQL } = await import('../../main/store/postgres/queries/triage-filters');
    const { AUDIT_ENTRY_SQL } = await import('../../main/store/postgres/schema');
    assert.match(
      await plan(`SELECT id FROM message_turns WHERE ${TURN_SEARCH_TEXT} ILIKE '%5d41402abc%'`),
      /ix_turns_search/,
    );
    assert.match(
      await plan(`SELECT count(*) FROM message_outbox WHERE ${OUTBOX_FAILURE_SQL} AND (${OUTBOX_FAILED_AT}) >= 19000`),
      /ix_outbox_failures/,
    );
    assert.match(
      await plan(
        `SELECT id FROM message_outbox WHERE error_signature = 'timeout #' AND ${OUTBOX_FAILURE_SQL} ORDER BY queued_at LIMIT 50`,
      ),
      /ix_outbox_(signature|failures)/,
    );
    assert.match(
      await plan(`SELECT count(*) FROM message_outbox WHERE ${DEAD_ROW_SQL.replace('@deadSince', '19000')}`),
      /ix_outbox_(dead|completed|failures)/,
    );
    assert.match(
      await plan(`SELECT id FROM message_history WHERE ${AUDIT_ENTRY_SQL} ORDER BY at DESC, id DESC LIMIT 50`),
      /ix_history_audit/,
    );
  },
);

test(
  'a read-only store over a database still at version 2 reads it all, through views of its own',
  { skip },
  async () => {
    const c = await openCase('postgres');
    try {
      const { sql } = c;
      const { rowId } = await deadRow(c.store, 'Timeout after 5 ms');
      // Back to what version 2 had: none of v3's columns.
      await sql('ALTER TABLE message_turns DROP COLUMN replay_of, DROP COLUMN error_signature');
      await sql('ALTER TABLE message_outbox DROP COLUMN resend_of, DROP COLUMN error_signature');
      await sql('ALTER TABLE message_history DROP COLUMN action, DROP COLUMN note, DROP COLUMN job_id');
      await sql('UPDATE lifecycle_schema SET version = 2');
      const ro = await c.reopen({ readOnly: true, poolSize: 2 });
      assert.equal(ro.fileVersion, 2);
      // Several connections of the pool at once: each has the views.
      const [outbox, turns, groups, audit, counts] = await Promise.all([
        ro.listOutbox({ search: 'Timeout' }),
        ro.listTurns({ dead: true }),
        ro.errorGroups({}),
        ro.auditTrail({}),
        ro.status(),
      ]);
      assert.deepEqual(
        outbox.items.map((r) => [r.id, r.resendOf]),
        [[rowId, null]],
      );
      assert.equal(turns.items.length, 1);
      assert.deepEqual(groups.map((g) => [g.subject, g.signature]).sort(), [
        ['outbox', 'timeout after # ms'],
        ['turn', 'final reply failed: timeout after # ms'],
      ]);
      assert.deepEqual(audit.items, []);
      assert.equal(counts.deadOutbox, 1);
      await refused(() => ro.operatorResend(rowId, 'ui:x'), /read-only/, 'read_only');
      const columns = await sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name IN ('replay_of', 'resend_of', 'job_id')",
      );
      assert.equal(columns[0]!.n, 0, 'nothing was added to the database');
    } finally {
      await c.close();
    }
  },
);

pgTest(
  'a batch: a row another writer keeps locked past the lock timeout is that id’s refusal, not the batch’s',
  async (c) => {
    const { store } = c;
    const t = await runningTurn(store);
    const held = await queuedRow(store, t, 'tool');
    const free = await queuedRow(store, t, 'tool');
    const other = new pg.Client({ connectionString: c.target });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM message_outbox WHERE id = $1 FOR UPDATE', [held]);
      const outcomes = await store.operatorBatch('retry', [held, free], 'ui:x', undefined, 'job-l');
      assert.deepEqual(
        outcomes.map((o) => [o.id, o.ok, o.code ?? null]),
        [
          [held, false, 'locked'],
          [free, true, null],
        ],
      );
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    const entries = (await store.history(t)).filter((e) => e.jobId === 'job-l');
    assert.deepEqual(
      entries.map((e) => e.entityId),
      [free],
    );
  },
);
