// The read side (CLI, API, dashboard): status counts kept by triggers, list filters and cursor
// paging, turn detail with why a turn is stuck, audit trail and time series.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { LifecycleError, type Lifecycle, type OutboxFilter, type TurnFilter } from '../../main/lifecycle';
import { isRowStuck, isTurnStuck } from '../../shared/stuck';
import { ROUTE, openTemp } from '../helpers/temp-db';

const MIN = 60_000;

function groupCounts(db: Database.Database, table: string): Record<string, number> {
  return Object.fromEntries(
    (
      db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as { status: string; n: number }[]
    ).map((r) => [r.status, r.n]),
  );
}

function assertCountsMatch(lc: Lifecycle): void {
  const s = lc.status();
  const turns = groupCounts(lc.db, 'message_turns');
  const rows = groupCounts(lc.db, 'message_outbox');
  for (const [status, n] of Object.entries(s.turns)) assert.equal(n, turns[status] ?? 0, `turns.${status}`);
  for (const [status, n] of Object.entries(s.outbox)) assert.equal(n, rows[status] ?? 0, `outbox.${status}`);
}

function gatewaySql(file: string): Database.Database {
  const g = new Database(file);
  g.pragma('busy_timeout = 5000');
  return g;
}

test('status() counts equal SELECT count(*) GROUP BY status after API calls and gateway-style raw SQL', () => {
  const { lc, file, clock } = openTemp();
  const gw = gatewaySql(file);
  try {
    // Through the API.
    for (let i = 0; i < 6; i++) {
      const t = lc.accept({ channel: 'telegram', sessionKey: `s${i % 2}`, payload: {}, route: ROUTE }).turn.id;
      if (i > 0) lc.markRunning(t);
      if (i > 1) lc.enqueue({ turnId: t, channel: 'telegram', dispatchKind: 'final', payload: {} });
      if (i === 3) lc.recordFailure(t, 'x');
    }
    lc.abortSession('s1');
    assertCountsMatch(lc);

    // A gateway writing the file directly, naming only the SPEC's columns.
    const now = clock.t;
    const insTurn = gw.prepare(
      `INSERT INTO message_turns (id, channel, session_key, route_channel, route_to, accepted_at, updated_at, status, next_attempt_at)
       VALUES (?, 'discord', 'gw', 'discord', 'c', ?, ?, ?, ?)`,
    );
    gw.transaction(() => {
      for (let i = 0; i < 20; i++) insTurn.run(`gw-${i}`, now, now, i % 3 === 0 ? 'running' : 'accepted', now);
    })();
    gw.prepare(
      `INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES ('gw-default', ?, ?, ?)`,
    ).run(now, now, now);
    gw.prepare(
      `UPDATE message_turns SET status = 'delivered', completed_at = ? WHERE id IN ('gw-0', 'gw-1', 'gw-2')`,
    ).run(now);
    gw.prepare(
      `UPDATE message_turns SET status = 'failed_retryable', attempt_count = 1 WHERE session_key = 'gw' AND status = 'accepted'`,
    ).run();
    gw.prepare(`UPDATE message_turns SET updated_at = updated_at + 1 WHERE session_key = 'gw'`).run(); // no status change
    gw.prepare(`DELETE FROM message_turns WHERE id IN ('gw-3', 'gw-4')`).run();
    gw.prepare(
      `INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES ('gw-5', 1, 1, 1, 'aborted')
       ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
    ).run();
    const insRow = gw.prepare(
      `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at) VALUES (?, ?, 'discord', '{}', ?, ?, ?)`,
    );
    for (let i = 0; i < 12; i++)
      insRow.run(`gwo-${i}`, `gw-${i}`, now, ['queued', 'delivered', 'failed_retryable'][i % 3], now);
    gw.prepare(`UPDATE message_outbox SET status = 'expired' WHERE id LIKE 'gwo-%' AND status = 'queued'`).run();
    gw.prepare(`DELETE FROM message_outbox WHERE id = 'gwo-1'`).run();
    assertCountsMatch(lc);

    // And both again through the API on the gateway's rows.
    lc.abortSession('gw');
    assertCountsMatch(lc);
  } finally {
    gw.close();
    lc.close();
  }
});

test('status() counts survive a gateway INSERT OR REPLACE of an existing row', () => {
  const { lc, file } = openTemp();
  const gw = gatewaySql(file);
  try {
    gw.prepare(`INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES ('a', 1, 1, 1)`).run();
    gw.prepare(
      `INSERT OR REPLACE INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES ('a', 1, 1, 1, 'running')`,
    ).run();
    assertCountsMatch(lc);
  } finally {
    gw.close();
    lc.close();
  }
});

test('stuck counts and reasons follow the shared definition of stuck', () => {
  const { lc, clock } = openTemp({ config: { liveLeaseMs: MIN } });
  try {
    const failedOnce = lc.accept({ channel: 'telegram', sessionKey: 'a', payload: {}, route: ROUTE }).turn.id;
    lc.markRunning(failedOnce);
    lc.recordFailure(failedOnce, 'model overloaded');
    const blocked = lc.accept({ channel: 'telegram', sessionKey: 'b', payload: {}, route: ROUTE }).turn.id;
    lc.markRunning(blocked);
    const row = lc.enqueue({ turnId: blocked, channel: 'telegram', dispatchKind: 'final', payload: {} }).row.id;
    lc.fail(row, { error: 'HTTP 502', errorClass: 'retryable' });
    lc.finalize(blocked);
    const fresh = lc.accept({ channel: 'telegram', sessionKey: 'c', payload: {}, route: ROUTE }).turn.id;
    clock.advance(MIN);
    const old = lc.accept({ channel: 'telegram', sessionKey: 'd', payload: {}, route: ROUTE }).turn.id;
    clock.advance(5 * MIN);

    const s = lc.status();
    const turns = lc.listTurns({ limit: 500 }).items;
    const rows = lc.listOutbox({ limit: 500 }).items;
    assert.equal(s.stuckTurns, turns.filter((t) => isTurnStuck(t, clock.t, lc.stuck)).length);
    assert.equal(s.stuckOutbox, rows.filter((r) => isRowStuck(r, clock.t, lc.stuck)).length);
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
      lc
        .listTurns({ stuck: true })
        .items.map((t) => t.id)
        .sort(),
      [failedOnce, blocked, fresh].sort(),
    );
    assert.deepEqual(
      lc.listOutbox({ stuck: true }).items.map((r) => r.id),
      [row],
    );
    assert.match(rows.find((r) => r.id === row)!.stuckReason ?? '', /final reply failed once/);
  } finally {
    lc.close();
  }
});

function pageAll<T extends { id: string }>(
  fetch: (cursor: string | null) => { items: T[]; nextCursor: string | null },
): T[] {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page = fetch(cursor);
    out.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === null) return out;
  }
  throw new Error('paging did not end');
}

test('listTurns: filters and cursor paging (ties on accepted_at included) return every turn exactly once', () => {
  const { lc, clock } = openTemp();
  try {
    const made: { id: string; acceptedAt: number; session: string; channel: string }[] = [];
    for (let i = 0; i < 23; i++) {
      if (i % 4 === 0) clock.advance(1_000); // groups of turns accepted in the same millisecond
      const channel = i % 2 ? 'slack' : 'telegram';
      const session = `${channel}:room-${i % 3}`;
      const t = lc.accept({
        id: `t-${String(22 - i).padStart(2, '0')}`,
        channel,
        sessionKey: session,
        payload: {},
        route: ROUTE,
      }).turn;
      made.push({ id: t.id, acceptedAt: t.acceptedAt, session, channel });
      if (i % 5 === 0) {
        lc.markRunning(t.id);
        lc.recordFailure(t.id, 'x');
      }
    }
    const asc = [...made].sort((a, b) => a.acceptedAt - b.acceptedAt || (a.id < b.id ? -1 : 1)).map((t) => t.id);
    for (const limit of [1, 5, 23, 50]) {
      const f = (order: 'asc' | 'desc') => (cursor: string | null) => lc.listTurns({ order, limit, cursor });
      assert.deepEqual(
        pageAll(f('asc')).map((t) => t.id),
        asc,
        `asc, limit ${limit}`,
      );
      assert.deepEqual(
        pageAll(f('desc')).map((t) => t.id),
        [...asc].reverse(),
        `desc, limit ${limit}`,
      );
    }
    const first = lc.listTurns({ limit: 23 });
    assert.equal(first.nextCursor, null, 'no cursor when everything fit');

    const check = (filter: TurnFilter, want: (t: (typeof made)[number]) => boolean): void => {
      const got = pageAll((cursor) => lc.listTurns({ ...filter, limit: 4, cursor })).map((t) => t.id);
      assert.deepEqual(
        got,
        asc.filter((id) => want(made.find((m) => m.id === id)!)),
        JSON.stringify(filter),
      );
    };
    const retrying = new Set(made.filter((_, i) => i % 5 === 0).map((m) => m.id));
    check({ status: ['failed_retryable'] }, (t) => retrying.has(t.id));
    check({ status: ['accepted', 'failed_retryable'] }, () => true);
    check({ sessionKey: 'slack:room-1' }, (t) => t.session === 'slack:room-1');
    check({ channel: 'slack' }, (t) => t.channel === 'slack');
    check({ channel: 'slack', status: ['failed_retryable'] }, (t) => t.channel === 'slack' && retrying.has(t.id));
    check({ search: 't-07' }, (t) => t.id === 't-07');
    check({ search: 'telegram:' }, (t) => t.session.startsWith('telegram:'));
    check({ search: 'telegram:room-2' }, (t) => t.session === 'telegram:room-2');
    check({ search: 'nothing-like-this' }, () => false);

    assert.equal(lc.listTurns({ limit: 10_000 }).items.length, 23, 'limit is clamped, not an error');
    assert.throws(
      () => lc.listTurns({ cursor: 'garbage' }),
      (err: unknown) => err instanceof LifecycleError && err.code === 'invalid_argument',
    );
  } finally {
    lc.close();
  }
});

test('listOutbox: filters and cursor paging', () => {
  const { lc, clock } = openTemp();
  try {
    const t1 = lc.accept({ channel: 'telegram', sessionKey: 'a', payload: {}, route: ROUTE }).turn.id;
    const t2 = lc.accept({ channel: 'telegram', sessionKey: 'b', payload: {}, route: ROUTE }).turn.id;
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
      const id = lc.enqueue({
        id: `r-${String(16 - i).padStart(2, '0')}`,
        turnId,
        channel,
        dispatchKind: kind,
        payload: { i },
        idempotencyKey: idem,
      }).row.id;
      let status = 'queued';
      if (i % 5 === 1) {
        lc.ack(id);
        status = 'delivered';
      } else if (i % 5 === 2) {
        lc.fail(id, { error: 'e', errorClass: 'retryable' });
        status = 'failed_retryable';
      }
      made.push({ id, turnId, kind, channel, status, idem });
    }
    const asc = pageAll((cursor) => lc.listOutbox({ limit: 3, cursor })).map((r) => r.id);
    assert.equal(new Set(asc).size, 17);
    assert.deepEqual(
      pageAll((cursor) => lc.listOutbox({ limit: 4, order: 'desc', cursor })).map((r) => r.id),
      [...asc].reverse(),
    );
    const check = (filter: OutboxFilter, want: (r: (typeof made)[number]) => boolean): void => {
      const got = pageAll((cursor) => lc.listOutbox({ ...filter, limit: 2, cursor })).map((r) => r.id);
      assert.deepEqual(
        got,
        asc.filter((id) => want(made.find((m) => m.id === id)!)),
        JSON.stringify(filter),
      );
    };
    check({ status: ['delivered'] }, (r) => r.status === 'delivered');
    check({ status: ['queued', 'failed_retryable'] }, (r) => r.status !== 'delivered');
    check({ turnId: t1 }, (r) => r.turnId === t1);
    check({ kind: 'tool' }, (r) => r.kind === 'tool');
    check({ kind: 'final' }, (r) => r.kind === 'final');
    check({ kind: 'direct' }, (r) => r.kind === null);
    check({ channel: 'slack' }, (r) => r.channel === 'slack');
    check(
      { channel: 'slack', kind: 'block', status: ['queued'] },
      (r) => r.channel === 'slack' && r.kind === 'block' && r.status === 'queued',
    );
    check({ search: 'r-05' }, (r) => r.id === 'r-05');
    check({ search: t2 }, (r) => r.turnId === t2);
    check({ search: 'idem-6' }, (r) => r.idem === 'idem-6');
  } finally {
    lc.close();
  }
});

test('turnDetail shows the turn, its rows and its history; unknown ids are not_found', () => {
  const { lc } = openTemp();
  try {
    const t = lc.accept({ channel: 'telegram', sessionKey: 's', payload: { text: 'q' }, route: ROUTE }).turn.id;
    lc.markRunning(t);
    // Same queued_at: the rows are ordered by id.
    const tool = lc.enqueue({ id: 'row-1-tool', turnId: t, channel: 'telegram', dispatchKind: 'tool', payload: {} }).row
      .id;
    const final = lc.enqueue({ id: 'row-2-final', turnId: t, channel: 'telegram', dispatchKind: 'final', payload: {} })
      .row.id;
    lc.ack(tool);
    lc.ack(final);
    lc.finalize(t);
    const d = lc.turnDetail(t);
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
    assert.throws(
      () => lc.turnDetail('missing'),
      (err: unknown) => err instanceof LifecycleError && err.code === 'not_found',
    );
  } finally {
    lc.close();
  }
});

test('auditTrail lists operator actions newest first, and only those', () => {
  const { lc, clock } = openTemp();
  try {
    for (const s of ['a', 'b', 'c']) {
      lc.accept({ channel: 'telegram', sessionKey: s, payload: {}, route: ROUTE });
      clock.advance(1_000);
      lc.operatorAbort(s, `cli:${s}`);
    }
    lc.abortSession('none'); // not an operator action
    const audit = lc.auditTrail();
    assert.deepEqual(
      audit.map((e) => e.by),
      ['cli:c', 'cli:b', 'cli:a'],
    );
    assert.ok(audit.every((e) => e.actor === 'operator'));
    assert.deepEqual(
      lc.auditTrail(2).map((e) => e.by),
      ['cli:c', 'cli:b'],
    );
  } finally {
    lc.close();
  }
});

test('series() sums what entered each status per bucket and rebuilds the open-turn curve', () => {
  const { lc, clock } = openTemp();
  const t0 = clock.t; // minute-aligned
  try {
    lc.accept({ channel: 'telegram', sessionKey: 'before', payload: {}, route: ROUTE }); // before the window
    clock.t = t0 + 1 * MIN + 5_000;
    const early = [0, 1, 2].map(
      (i) => lc.accept({ channel: 'telegram', sessionKey: `e${i}`, payload: {}, route: ROUTE }).turn.id,
    );
    clock.t = t0 + 7 * MIN;
    lc.accept({ channel: 'telegram', sessionKey: 'l0', payload: {}, route: ROUTE });
    lc.accept({ channel: 'telegram', sessionKey: 'l1', payload: {}, route: ROUTE });
    const row = lc.enqueue({ channel: 'telegram', payload: {}, live: false }).row.id;
    clock.t = t0 + 12 * MIN;
    for (const id of early) lc.markRunning(id);
    lc.finalize(early[0]!, { noReply: 'x' });
    lc.ack(row);
    clock.t = t0 + 20 * MIN + 30_000;

    const points = lc.series(20 * MIN, 4); // buckets of 5 min: [1,6) [6,11) [11,16) [16,21) minutes
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
    const s = lc.status();
    assert.equal(points.at(-1)!.turnsOpen.accepted, s.turns.accepted);
    assert.equal(points.at(-1)!.turnsOpen.running, s.turns.running);
  } finally {
    lc.close();
  }
});
