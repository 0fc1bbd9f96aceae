// The triage reads (issue 11): full-text search (any part of a key, a word of a payload or an
// error, rows any writer wrote), its paging; the time, error-class, dead and signature filters;
// exact counts; dead counts and why a dead item needs attention; error groups; the audit's
// filters and pages. Every case runs on both backends.
import assert from 'node:assert/strict';
import type { LifecycleStore } from '../../main/store/contract';
import { errorSignature } from '../../main/lifecycle/signature';
import type { OutboxFilter, TurnFilter } from '../../shared/views';
import { eachBackend, type Sql } from '../helpers/backends';
import { queuedRow } from '../helpers/store-rows';
import { ROUTE } from '../helpers/temp-db';

async function allTurns(store: LifecycleStore, f: TurnFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listTurns({ ...f, limit: 2, cursor });
    ids.push(...page.items.map((t) => t.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function allRows(store: LifecycleStore, f: OutboxFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listOutbox({ ...f, limit: 2, cursor });
    ids.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function accept(
  store: LifecycleStore,
  n: number,
  text: string,
  session = `telegram:chat-${n}:topic-${n}`,
): Promise<string> {
  const { turn } = await store.accept({
    channel: 'telegram',
    sessionKey: session,
    externalId: `90${n}1`,
    dedupeKey: `tg:bot:${n}:msg`,
    payload: { text },
    route: ROUTE,
  });
  return turn.id;
}

/** A row failed `attempts` times with `error` (retryable), or for good when `dead`. */
async function failedRow(
  store: LifecycleStore,
  turnId: string | null,
  error: string,
  dead = false,
  channel = 'telegram',
): Promise<string> {
  const { row } = await store.enqueue({
    turnId,
    channel,
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { text: 'reply' },
    live: true,
  });
  await store.fail(row.id, { error, errorClass: dead ? 'terminal' : 'retryable' });
  return row.id;
}

eachBackend(
  'search finds a turn by external id, a middle part of its session key, a word of its text',
  async ({ store, sql, clock }) => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await accept(store, i, i === 3 ? 'my order never arrived' : `hello ${i}`));
      clock.advance(10);
    }
    assert.deepEqual(await allTurns(store, { search: '90' + '21' }), [ids[2]]);
    assert.deepEqual(await allTurns(store, { search: 'chat-4:top' }), [ids[4]]);
    assert.deepEqual(await allTurns(store, { search: 'ORDER never' }), [ids[3]]);
    assert.deepEqual(await allTurns(store, { search: 'tg:bot:1:' }), [ids[1]]);
    // Newest first, each match once across pages, whatever the page size; other filters narrow.
    assert.deepEqual(await allTurns(store, { search: 'telegram:chat', order: 'desc' }), [...ids].reverse());
    assert.deepEqual(await allTurns(store, { search: 'telegram:chat', order: 'asc' }), ids);
    assert.deepEqual(await allTurns(store, { search: 'telegram:chat', status: ['running'] }), []);
    assert.equal(await store.countTurns({ search: 'telegram:chat' }), 5);
    // A gateway's row written in plain SQL is found, and its error too.
    await sql(
      `INSERT INTO message_turns (id, channel, session_key, payload, accepted_at, updated_at, next_attempt_at, status, terminal_reason)
     VALUES ('gw-1', 'slack', 'slack:T1:C99', '{"text":"plain"}', ?, ?, ?, 'failed_retryable', 'upstream timed out')`,
      [clock.t, clock.t, clock.t],
    );
    assert.deepEqual(await allTurns(store, { search: 'timed out' }), ['gw-1']);
    await sql("DELETE FROM message_turns WHERE id = 'gw-1'");
    assert.deepEqual(await allTurns(store, { search: 'timed out' }), []);
    // Shorter than 3 characters: the key prefix search as before.
    assert.deepEqual((await allTurns(store, { search: 'te' })).sort(), [...ids].sort());
  },
);

eachBackend('outbox search by idempotency key and error; errorClass, since/until filters', async ({ store, clock }) => {
  const t = await accept(store, 1, 'q');
  const a = await failedRow(store, t, '429 Too Many Requests: retry after 30');
  clock.advance(1_000);
  const b = await failedRow(store, t, '403 Forbidden: bot was blocked by the user', true);
  clock.advance(1_000);
  const { row: c } = await store.enqueue({
    turnId: t,
    channel: 'telegram',
    dispatchKind: 'tool',
    payload: {},
    idempotencyKey: 'idem-xyz-42',
  });
  assert.deepEqual(await allRows(store, { search: 'xyz-4' }), [c.id]);
  assert.deepEqual(await allRows(store, { search: 'blocked by' }), [b]);
  assert.deepEqual(await allRows(store, { errorClass: 'terminal' }), [b]);
  assert.deepEqual(await allRows(store, { errorClass: 'retryable' }), [a]);
  const t0 = (await store.getRow(a))!.queuedAt;
  assert.deepEqual(await allRows(store, { since: t0 + 1 }), [b, c.id]);
  assert.deepEqual(await allRows(store, { since: t0, until: t0 + 1_500 }), [a, b]);
  assert.deepEqual(await allRows(store, { until: t0 + 1, order: 'desc' }), [a]);
  assert.equal(await store.countOutbox({ since: t0 + 1 }), 2);
  assert.equal(await store.countOutbox({ status: ['failed_retryable', 'failed_terminal'] }), 2);
  assert.equal(await store.countOutbox({ turnId: t, kind: 'tool' }), 1);
});

eachBackend(
  'dead work: in the window, not by choice, not yet resent; counts, filter and why',
  async ({ store, clock }) => {
    const old = await failedRow(store, null, 'HTTP 500', true);
    clock.advance(25 * 3_600_000);
    const t = await accept(store, 2, 'q');
    const dead = await failedRow(store, t, 'HTTP 500', true);
    const resent = await failedRow(store, t, 'HTTP 502', true);
    const chosen = await queuedRow(store, t, 'tool');
    await store.operatorTerminate(chosen, 'ui:ann');
    await store.finalize(t, {});
    await store.operatorResend(resent, 'ui:ann');
    assert.equal((await store.getTurn(t))!.status, 'failed_terminal');
    const s = await store.status();
    assert.deepEqual([s.deadOutbox, s.deadTurns], [1, 1]);
    assert.deepEqual(await allRows(store, { dead: true }), [dead]);
    assert.deepEqual(await allTurns(store, { dead: true }), [t]);
    assert.equal(await store.countOutbox({ dead: true }), 1);
    const item = (await store.listOutbox({ dead: true })).items[0]!;
    assert.equal(item.stuckReason, 'Failed for good: HTTP 500 after 1 attempt');
    const oldItem = (await store.listOutbox({ search: old })).items[0];
    assert.equal(oldItem?.stuckReason ?? null, null, 'outside the window it no longer needs attention');
    await store.operatorReplayAsNew(t, 'ui:ann');
    assert.equal((await store.status()).deadTurns, 0, 'replayed as new: handled');
  },
);

eachBackend(
  'error groups: normalized error per channel and kind, counts, first/last seen, sample; signature filter lists them',
  async ({ store, sql, clock }) => {
    const t = await accept(store, 3, 'q');
    const first = clock.t;
    const members: string[] = [];
    for (let i = 0; i < 3; i++) {
      members.push(await failedRow(store, t, `HTTP 502 from upstream 10.0.0.${i}: "req-${i}"`, i === 2));
      clock.advance(1_000);
    }
    await failedRow(store, null, 'HTTP 502 from upstream 10.0.0.9: "x"', false, 'discord');
    const chosen = await queuedRow(store, t, 'tool');
    await store.operatorTerminate(chosen, 'ui:ann');
    // A gateway's failure in plain SQL is grouped too.
    await sql(
      `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, next_attempt_at, status, attempt_count, last_error, last_attempt_at)
     VALUES ('gw-row', NULL, 'telegram', '{}', ?, ?, 'failed_retryable', 1, 'HTTP 502 from upstream 10.1.1.1: "gw"', ?)`,
      [clock.t, clock.t, clock.t],
    );
    const groups = await store.errorGroups({ subject: 'outbox' });
    const sig = errorSignature('HTTP 502 from upstream 10.0.0.1: "req-1"')!;
    assert.equal(sig, 'http # from upstream #.#.#.#: "…"');
    const tg = groups.find((g) => g.channel === 'telegram' && g.kind === 'final');
    assert.deepEqual(
      tg && { signature: tg.signature, count: tg.count, retrying: tg.retrying, dead: tg.dead, firstSeen: tg.firstSeen },
      { signature: sig, count: 3, retrying: 2, dead: 1, firstSeen: first },
    );
    const direct = groups.find((g) => g.channel === 'telegram' && g.kind === 'direct');
    assert.deepEqual(direct && [direct.count, direct.sampleId, direct.sampleError], [
      1,
      'gw-row',
      'HTTP 502 from upstream 10.1.1.1: "gw"',
    ]);
    assert.ok(groups.some((g) => g.channel === 'discord' && g.count === 1));
    assert.ok(!groups.some((g) => g.signature === 'operator_terminated'), 'a person’s choice is not an error group');
    assert.equal(tg!.sampleId, members[2]);
    assert.ok(groups[0]!.count >= groups.at(-1)!.count, 'biggest first');
    assert.deepEqual(
      (await allRows(store, { signature: sig, channel: 'telegram', kind: 'final' })).sort(),
      [...members].sort(),
    );
    assert.equal(await store.countOutbox({ signature: sig }), 5);
    assert.deepEqual(
      (await store.errorGroups({ channel: 'discord' })).map((g) => g.count),
      [1],
    );
    clock.advance(2 * 3_600_000);
    assert.deepEqual(await store.errorGroups({ sinceMs: 3_600_000 }), [], 'outside the window');
    // Turns that failed are grouped by their reason.
    await store.recordFailure(t, 'agent crashed: code 137');
    const turnGroups = await store.errorGroups({ subject: 'turn' });
    assert.deepEqual(
      turnGroups.map((g) => [g.signature, g.count, g.kind]),
      [['agent crashed: code #', 1, null]],
    );
  },
);

async function auditRows(sql: Sql): Promise<number> {
  return (await sql("SELECT id FROM message_history WHERE actor = 'operator'")).length;
}

eachBackend(
  'audit: by who, action and time, in pages; a bulk job’s per-row entries left out',
  async ({ store, sql, clock }) => {
    const t = await accept(store, 4, 'q');
    const rows: string[] = [];
    for (let i = 0; i < 5; i++) rows.push(await queuedRow(store, t, 'tool'));
    const t0 = clock.t;
    for (let i = 0; i < 3; i++) {
      clock.advance(10);
      await store.operatorRetry(rows[i]!, i === 1 ? 'desk:Alice' : 'cli:bob', `n${i}`);
    }
    clock.advance(10);
    await store.operatorBatch('terminate', [rows[3]!, rows[4]!], 'desk:alice', 'bulk', 'job-9');
    assert.equal(await auditRows(sql), 5, 'three retries and the two rows of the batch');
    const all = (await store.auditTrail({})).items;
    assert.deepEqual(
      all.map((e) => e.note),
      ['n2', 'n1', 'n0'],
    );
    assert.deepEqual(
      (await store.auditTrail({ by: 'ALICE' })).items.map((e) => e.note),
      ['n1'],
    );
    assert.deepEqual(
      (await store.auditTrail({ action: 'retry', since: t0 + 15 })).items.map((e) => e.note),
      ['n2', 'n1'],
    );
    assert.deepEqual(
      (await store.auditTrail({ until: t0 + 15 })).items.map((e) => e.note),
      ['n0'],
    );
    const p1 = await store.auditTrail({ limit: 2 });
    assert.deepEqual(
      p1.items.map((e) => e.note),
      ['n2', 'n1'],
    );
    const p2 = await store.auditTrail({ limit: 2, cursor: p1.nextCursor });
    assert.deepEqual([p2.items.map((e) => e.note), p2.nextCursor], [['n0'], null]);
    assert.deepEqual((await store.auditTrail({ action: 'terminate' })).items, []);
  },
);
