// The read side (CLI, API, dashboard): status counts kept by triggers, list filters and cursor
// paging, turn detail with why a turn is stuck, audit trail and time series. The cases run on
// both backends (helpers/backends.ts), except INSERT OR REPLACE, which only SQLite has.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { LifecycleError, type OutboxFilter, type TurnFilter } from '../../main/lifecycle';
import { isRowStuck, isTurnStuck } from '../../shared/stuck';
import { eachBackend, type Case } from '../helpers/backends';
import { ROUTE, openTemp } from '../helpers/temp-db';

const MIN = 60_000;

async function groupCounts(c: Case, table: string): Promise<Record<string, number>> {
  const rows = await c.sql<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function assertCountsMatch(c: Case): Promise<void> {
  const s = await c.store.status();
  const turns = await groupCounts(c, 'message_turns');
  const rows = await groupCounts(c, 'message_outbox');
  for (const [status, n] of Object.entries(s.turns)) assert.equal(n, turns[status] ?? 0, `turns.${status}`);
  for (const [status, n] of Object.entries(s.outbox)) assert.equal(n, rows[status] ?? 0, `outbox.${status}`);
}

eachBackend(
  'status() counts equal SELECT count(*) GROUP BY status after API calls and gateway-style raw SQL',
  async (c) => {
    const { store, clock, sql } = c;
    // Through the API.
    for (let i = 0; i < 6; i++) {
      const t = (await store.accept({ channel: 'telegram', sessionKey: `s${i % 2}`, payload: {}, route: ROUTE })).turn
        .id;
      if (i > 0) await store.markRunning(t);
      if (i > 1) await store.enqueue({ turnId: t, channel: 'telegram', dispatchKind: 'final', payload: {} });
      if (i === 3) await store.recordFailure(t, 'x');
    }
    await store.abortSession('s1');
    await assertCountsMatch(c);

    // A gateway writing the tables directly, naming only the SPEC's columns.
    const now = clock.t;
    for (let i = 0; i < 20; i++) {
      await sql(
        `INSERT INTO message_turns (id, channel, session_key, route_channel, route_to, accepted_at, updated_at, status, next_attempt_at)
         VALUES (?, 'discord', 'gw', 'discord', 'c', ?, ?, ?, ?)`,
        [`gw-${i}`, now, now, i % 3 === 0 ? 'running' : 'accepted', now],
      );
    }
    await sql(
      `INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES ('gw-default', ?, ?, ?)`,
      [now, now, now],
    );
    await sql(`UPDATE message_turns SET status = 'delivered', completed_at = ? WHERE id IN ('gw-0', 'gw-1', 'gw-2')`, [
      now,
    ]);
    await sql(
      `UPDATE message_turns SET status = 'failed_retryable', attempt_count = 1 WHERE session_key = 'gw' AND status = 'accepted'`,
    );
    await sql(`UPDATE message_turns SET updated_at = updated_at + 1 WHERE session_key = 'gw'`); // no status change
    await sql(`DELETE FROM message_turns WHERE id IN ('gw-3', 'gw-4')`);
    await sql(
      `INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES ('gw-5', 1, 1, 1, 'aborted')
       ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
    );
    for (let i = 0; i < 12; i++) {
      await sql(
        `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at) VALUES (?, ?, 'discord', '{}', ?, ?, ?)`,
        [`gwo-${i}`, `gw-${i}`, now, ['queued', 'delivered', 'failed_retryable'][i % 3], now],
      );
    }
    await sql(`UPDATE message_outbox SET status = 'expired' WHERE id LIKE 'gwo-%' AND status = 'queued'`);
    await sql(`DELETE FROM message_outbox WHERE id = 'gwo-1'`);
    await assertCountsMatch(c);

    // And both again through the API on the gateway's rows.
    await store.abortSession('gw');
    await assertCountsMatch(c);
  },
);

// SQLite only: INSERT OR REPLACE (which deletes the replaced row without delete triggers) is
// SQLite syntax; PostgreSQL's upsert (ON CONFLICT … DO UPDATE) is covered by the case above.
test('status() counts survive a gateway INSERT OR REPLACE of an existing row', () => {
  const { lc, file } = openTemp();
  const gw = new Database(file);
  gw.pragma('busy_timeout = 5000');
  try {
    gw.prepare(`INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES ('a', 1, 1, 1)`).run();
    gw.prepare(
      `INSERT OR REPLACE INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES ('a', 1, 1, 1, 'running')`,
    ).run();
    const s = lc.status();
    for (const [table, key] of [
      ['message_turns', 'turns'],
      ['message_outbox', 'outbox'],
    ] as const) {
      const rows = lc.db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as {
        status: string;
        n: number;
      }[];
      const actual = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      for (const [status, n] of Object.entries(s[key])) assert.equal(n, actual[status] ?? 0, `${key}.${status}`);
    }
  } finally {
    gw.close();
    lc.close();
  }
});

eachBackend(
  'stuck counts and reasons follow the shared definition of stuck',
  async ({ store, clock }) => {
    const accept = async (sessionKey: string): Promise<string> =>
      (await store.accept({ channel: 'telegram', sessionKey, payload: {}, route: ROUTE })).turn.id;
    const failedOnce = await accept('a');
    await store.markRunning(failedOnce);
    await store.recordFailure(failedOnce, 'model overloaded');
    const blocked = await accept('b');
    await store.markRunning(blocked);
    const row = (await store.enqueue({ turnId: blocked, channel: 'telegram', dispatchKind: 'final', payload: {} })).row
      .id;
    await store.fail(row, { error: 'HTTP 502', errorClass: 'retryable' });
    await store.finalize(blocked);
    const fresh = await accept('c');
    clock.advance(MIN);
    const old = await accept('d');
    clock.advance(5 * MIN);

    const s = await store.status();
    const turns = (await store.listTurns({ limit: 500 })).items;
    const rows = (await store.listOutbox({ limit: 500 })).items;
    assert.equal(s.stuckTurns, turns.filter((t) => isTurnStuck(t, clock.t, store.stuck)).length);
    assert.equal(s.stuckOutbox, rows.filter((r) => isRowStuck(r, clock.t, store.stuck)).length);
    assert.equal(s.at, clock.t);

    const byId = new Map(turns.map((t) => [t.id, t]));
    assert.match(byId.get(failedOnce)!.stuckReason ?? '', /failed once, last error model overloaded/);
    assert.equal(byId.get(blocked)!.blockingRowId, row);
    assert.match(
      byId.get(blocked)!.stuckReason ?? '',
      new RegExp(`final reply failed once, last error HTTP 502.*\\(row ${row}\\)`),
    );
    assert.ok(byId.get(fresh)!.stuckReason !== null, 'accepted 6 minutes ago and never progressed');
    assert.equal(byId.get(old)!.stuckReason, null, 'younger than the threshold');
    assert.deepEqual(
      (await store.listTurns({ stuck: true })).items.map((t) => t.id).sort(),
      [failedOnce, blocked, fresh].sort(),
    );
    assert.deepEqual(
      (await store.listOutbox({ stuck: true })).items.map((r) => r.id),
      [row],
    );
    assert.match(rows.find((r) => r.id === row)!.stuckReason ?? '', /final reply failed once/);
  },
  { config: { liveLeaseMs: MIN } },
);

async function pageAll<T extends { id: string }>(
  fetch: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch(cursor);
    out.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === null) return out;
  }
  throw new Error('paging did not end');
}

eachBackend(
  'listTurns: filters and cursor paging (ties on accepted_at included) return every turn exactly once',
  async ({ store, clock }) => {
    const made: { id: string; acceptedAt: number; session: string; channel: string }[] = [];
    for (let i = 0; i < 23; i++) {
      if (i % 4 === 0) clock.advance(1_000); // groups of turns accepted in the same millisecond
      const channel = i % 2 ? 'slack' : 'telegram';
      const session = `${channel}:room-${i % 3}`;
      const t = (
        await store.accept({
          id: `t-${String(22 - i).padStart(2, '0')}`,
          channel,
          sessionKey: session,
          payload: {},
          route: ROUTE,
        })
      ).turn;
      made.push({ id: t.id, acceptedAt: t.acceptedAt, session, channel });
      if (i % 5 === 0) {
        await store.markRunning(t.id);
        await store.recordFailure(t.id, 'x');
      }
    }
    const asc = [...made].sort((a, b) => a.acceptedAt - b.acceptedAt || (a.id < b.id ? -1 : 1)).map((t) => t.id);
    for (const limit of [1, 5, 23, 50]) {
      const f = (order: 'asc' | 'desc') => (cursor: string | null) => store.listTurns({ order, limit, cursor });
      assert.deepEqual(
        (await pageAll(f('asc'))).map((t) => t.id),
        asc,
        `asc, limit ${limit}`,
      );
      assert.deepEqual(
        (await pageAll(f('desc'))).map((t) => t.id),
        [...asc].reverse(),
        `desc, limit ${limit}`,
      );
    }
    const first = await store.listTurns({ limit: 23 });
    assert.equal(first.nextCursor, null, 'no cursor when everything fit');

    const check = async (filter: TurnFilter, want: (t: (typeof made)[number]) => boolean): Promise<void> => {
      const got = (await pageAll((cursor) => store.listTurns({ ...filter, limit: 4, cursor }))).map((t) => t.id);
      const expected = asc.filter((id) => want(made.find((m) => m.id === id)!));
      // A full-text search pages in its index's order (on SQLite, the order rows were written), not by time.
      const fullText = (filter.search?.length ?? 0) >= 3;
      assert.deepEqual(
        fullText ? [...got].sort() : got,
        fullText ? [...expected].sort() : expected,
        JSON.stringify(filter),
      );
    };
    const retrying = new Set(made.filter((_, i) => i % 5 === 0).map((m) => m.id));
    await check({ status: ['failed_retryable'] }, (t) => retrying.has(t.id));
    await check({ status: ['accepted', 'failed_retryable'] }, () => true);
    await check({ sessionKey: 'slack:room-1' }, (t) => t.session === 'slack:room-1');
    await check({ channel: 'slack' }, (t) => t.channel === 'slack');
    await check({ channel: 'slack', status: ['failed_retryable'] }, (t) => t.channel === 'slack' && retrying.has(t.id));
    await check({ search: 't-07' }, (t) => t.id === 't-07');
    await check({ search: 'telegram:' }, (t) => t.session.startsWith('telegram:'));
    await check({ search: 'telegram:room-2' }, (t) => t.session === 'telegram:room-2');
    await check({ search: 'nothing-like-this' }, () => false);

    assert.equal((await store.listTurns({ limit: 10_000 })).items.length, 23, 'limit is clamped, not an error');
    await assert.rejects(
      async () => store.listTurns({ cursor: 'garbage' }),
      (err: unknown) => err instanceof LifecycleError && err.code === 'invalid_argument',
    );
  },
);

eachBackend('listOutbox: filters and cursor paging', async ({ store, clock }) => {
  const t1 = (await store.accept({ channel: 'telegram', sessionKey: 'a', payload: {}, route: ROUTE })).turn.id;
  const t2 = (await store.accept({ channel: 'telegram', sessionKey: 'b', payload: {}, route: ROUTE })).turn.id;
  const made: {
    id: string;
    turnId: string | null;
    kind: string | null;
    channel: string;
    status: string;
    idem: string | null;
  }[] = [];
  const kinds = ['tool', 'block', 'final', null] as const;
  for (let i = 0; i < 17; i++) {
    if (i % 3 === 0) clock.advance(10);
    const turnId = i % 4 === 3 ? null : i % 2 ? t1 : t2;
    const kind = kinds[i % 4]!;
    const channel = i % 2 ? 'telegram' : 'slack';
    const idem = i % 6 === 0 ? `idem-${i}` : null;
    const id = (
      await store.enqueue({
        id: `r-${String(16 - i).padStart(2, '0')}`,
        turnId,
        channel,
        dispatchKind: kind,
        payload: { i },
        idempotencyKey: idem,
      })
    ).row.id;
    let status = 'queued';
    if (i % 5 === 1) {
      await store.ack(id);
      status = 'delivered';
    } else if (i % 5 === 2) {
      await store.fail(id, { error: 'e', errorClass: 'retryable' });
      status = 'failed_retryable';
    }
    made.push({ id, turnId, kind, channel, status, idem });
  }
  const asc = (await pageAll((cursor) => store.listOutbox({ limit: 3, cursor }))).map((r) => r.id);
  assert.equal(new Set(asc).size, 17);
  assert.deepEqual(
    (await pageAll((cursor) => store.listOutbox({ limit: 4, order: 'desc', cursor }))).map((r) => r.id),
    [...asc].reverse(),
  );
  const check = async (filter: OutboxFilter, want: (r: (typeof made)[number]) => boolean): Promise<void> => {
    const got = (await pageAll((cursor) => store.listOutbox({ ...filter, limit: 2, cursor }))).map((r) => r.id);
    const expected = asc.filter((id) => want(made.find((m) => m.id === id)!));
    const fullText = (filter.search?.length ?? 0) >= 3;
    assert.deepEqual(
      fullText ? [...got].sort() : got,
      fullText ? [...expected].sort() : expected,
      JSON.stringify(filter),
    );
  };
  await check({ status: ['delivered'] }, (r) => r.status === 'delivered');
  await check({ status: ['queued', 'failed_retryable'] }, (r) => r.status !== 'delivered');
  await check({ turnId: t1 }, (r) => r.turnId === t1);
  await check({ kind: 'tool' }, (r) => r.kind === 'tool');
  await check({ kind: 'final' }, (r) => r.kind === 'final');
  await check({ kind: 'direct' }, (r) => r.kind === null);
  await check({ channel: 'slack' }, (r) => r.channel === 'slack');
  await check(
    { channel: 'slack', kind: 'block', status: ['queued'] },
    (r) => r.channel === 'slack' && r.kind === 'block' && r.status === 'queued',
  );
  await check({ search: 'r-05' }, (r) => r.id === 'r-05');
  await check({ search: t2 }, (r) => r.turnId === t2);
  await check({ search: 'idem-6' }, (r) => r.idem === 'idem-6');
});

eachBackend('turnDetail shows the turn, its rows and its history; unknown ids are not_found', async ({ store }) => {
  const t = (await store.accept({ channel: 'telegram', sessionKey: 's', payload: { text: 'q' }, route: ROUTE })).turn
    .id;
  await store.markRunning(t);
  // Same queued_at: the rows are ordered by id.
  const tool = (
    await store.enqueue({ id: 'row-1-tool', turnId: t, channel: 'telegram', dispatchKind: 'tool', payload: {} })
  ).row.id;
  const final = (
    await store.enqueue({ id: 'row-2-final', turnId: t, channel: 'telegram', dispatchKind: 'final', payload: {} })
  ).row.id;
  await store.ack(tool);
  await store.ack(final);
  await store.finalize(t);
  const d = await store.turnDetail(t);
  assert.equal(d.turn.id, t);
  assert.equal(d.turn.status, 'delivered');
  assert.equal(d.stuckReason, null);
  assert.deepEqual(
    d.outbox.map((r) => r.id),
    [tool, final],
  );
  assert.deepEqual(
    d.history.filter((h) => h.kind === 'turn').map((h) => h.toStatus),
    ['accepted', 'running', 'delivery_pending', 'delivered'],
  );
  assert.equal(d.history.filter((h) => h.kind === 'outbox').length, 4);
  await assert.rejects(
    async () => store.turnDetail('missing'),
    (err: unknown) => err instanceof LifecycleError && err.code === 'not_found',
  );
});

eachBackend('auditTrail lists operator actions newest first, and only those', async ({ store, clock }) => {
  for (const s of ['a', 'b', 'c']) {
    await store.accept({ channel: 'telegram', sessionKey: s, payload: {}, route: ROUTE });
    clock.advance(1_000);
    await store.operatorAbort(s, `cli:${s}`);
  }
  await store.abortSession('none'); // not an operator action
  const audit = (await store.auditTrail()).items;
  assert.deepEqual(
    audit.map((e) => e.by),
    ['cli:c', 'cli:b', 'cli:a'],
  );
  assert.ok(audit.every((e) => e.actor === 'operator'));
  assert.deepEqual(
    (await store.auditTrail({ limit: 2 })).items.map((e) => e.by),
    ['cli:c', 'cli:b'],
  );
});

eachBackend(
  'series() sums what entered each status per bucket and rebuilds the open-turn curve',
  async ({ store, clock }) => {
    const t0 = clock.t; // minute-aligned
    const accept = async (sessionKey: string): Promise<string> =>
      (await store.accept({ channel: 'telegram', sessionKey, payload: {}, route: ROUTE })).turn.id;
    await accept('before'); // before the window
    clock.t = t0 + 1 * MIN + 5_000;
    const early = [await accept('e0'), await accept('e1'), await accept('e2')];
    clock.t = t0 + 7 * MIN;
    await accept('l0');
    await accept('l1');
    const row = (await store.enqueue({ channel: 'telegram', payload: {}, live: false })).row.id;
    clock.t = t0 + 12 * MIN;
    for (const id of early) await store.markRunning(id);
    await store.finalize(early[0]!, { noReply: 'x' });
    await store.ack(row);
    clock.t = t0 + 20 * MIN + 30_000;

    const points = await store.series(20 * MIN, 4); // buckets of 5 min: [1,6) [6,11) [11,16) [16,21) minutes
    assert.deepEqual(
      points.map((p) => p.t),
      [1, 6, 11, 16].map((m) => t0 + m * MIN),
    );
    assert.deepEqual(
      points.map((p) => p.turnsEntered.accepted),
      [3, 2, 0, 0],
    );
    assert.deepEqual(
      points.map((p) => p.turnsEntered.running),
      [0, 0, 3, 0],
    );
    assert.deepEqual(
      points.map((p) => p.turnsEntered.delivered),
      [0, 0, 1, 0],
    );
    // Open at the end of each bucket, counting the turn accepted before the window (still open).
    assert.deepEqual(
      points.map((p) => p.turnsOpen.accepted),
      [4, 6, 3, 3],
    );
    assert.deepEqual(
      points.map((p) => p.turnsOpen.running),
      [0, 0, 2, 2],
    );
    assert.deepEqual(
      points.map((p) => p.outboxEntered.queued),
      [0, 1, 0, 0],
    );
    assert.deepEqual(
      points.map((p) => p.outboxEntered.delivered),
      [0, 0, 1, 0],
    );
    // The last bucket's open turns are today's counts.
    const s = await store.status();
    assert.equal(points.at(-1)!.turnsOpen.accepted, s.turns.accepted);
    assert.equal(points.at(-1)!.turnsOpen.running, s.turns.running);
  },
);
