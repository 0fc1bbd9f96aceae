// The lists at any size find their pages by named index walks (main/lifecycle/queries/page.ts:
// one LIMITed walk per status merged, a session prefix probed to decide between sorting a few
// turns, walking a few sessions, or narrowing the time walk). These cases check that every
// filter combination the dashboard can send still returns exactly the rows the SPEC's filter
// semantics select, in (time, id) order, page after page, on both backends; that a page's
// blocking rows are one statement; and that the abort preview counts past 500 open turns.
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { OutboxFilter, TurnFilter } from '../../main/lifecycle';
import { FEW_KEYS, FEW_ROWS } from '../../main/lifecycle/queries/page';
import type { LifecycleStore } from '../../main/store/contract';
import type { PgStore } from '../../main/store/postgres/store';
import { SqliteStore } from '../../main/store/sqlite/store';
import { isRowStuck, isTurnStuck } from '../../shared/stuck';
import { eachBackend, type Case } from '../helpers/backends';
import { combinations } from '../helpers/combinations';

const MIN = 60_000;
const STATUSES = ['accepted', 'running', 'delivery_pending', 'failed_retryable', 'delivered', 'failed_terminal'];
const ROW_STATUSES = ['queued', 'failed_retryable', 'delivered', 'failed_terminal', 'expired'];
const KINDS = ['tool', 'block', 'final', null];

/** The statements `store` runs during `fn` (SQL text), on either backend. */
async function statementsOf(store: LifecycleStore, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  if (store instanceof SqliteStore) {
    const core = store.lc.core;
    const original = core.stmt;
    core.stmt = (sql: string) => {
      const stmt = original.call(core, sql);
      return new Proxy(stmt, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop, target);
          if (typeof value !== 'function') return value;
          const f = value as (...a: unknown[]) => unknown;
          if (prop === 'all' || prop === 'get' || prop === 'run' || prop === 'iterate')
            return (...args: unknown[]) => (seen.push(sql), f.apply(target, args));
          return f.bind(target);
        },
      });
    };
    try {
      await fn();
    } finally {
      core.stmt = original;
    }
    return seen;
  }
  const pool = (store as PgStore).pool;
  const patch = (client: pg.PoolClient): void => {
    const marked = client as pg.PoolClient & { recording?: true };
    if (marked.recording) return;
    marked.recording = true;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const c = args[0] as { text?: string } | string;
      if (recording) seen.push(typeof c === 'string' ? c : (c.text ?? ''));
      return query(...args);
    };
  };
  let recording = true;
  pool.on('acquire', patch);
  try {
    await fn();
  } finally {
    recording = false;
    pool.off('acquire', patch);
  }
  return seen.filter((s) => !/^(BEGIN|COMMIT|ROLLBACK|SET|RESET|SELECT .*clock_timestamp|SHOW)\b/i.test(s.trim()));
}

/** Turns with `n` consecutive numbers from `from`, inserted in one statement (both backends' SQL). */
async function bulkTurns(c: Case, n: number, id: string, session: string, status: string): Promise<void> {
  const now = c.clock.t;
  await c.sql(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1})
     INSERT INTO message_turns (id, channel, session_key, route_channel, route_to, accepted_at, updated_at, status,
       next_attempt_at, completed_at)
     SELECT ${id}, 'slack', ${session}, 'slack', 'c', ${now} - (i % 97) * ${MIN} - (i % 7), ${now} - (i % 97) * ${MIN},
       ?, ${now}, NULL FROM n`,
    [status],
  );
}

interface TurnRow {
  id: string;
  sessionKey: string;
  channel: string;
  status: string;
  attemptCount: number;
  updatedAt: number;
  acceptedAt: number;
  completedAt: number | null;
  terminalReason: string | null;
}
interface RowRow {
  completedAt: number | null;
  lastError: string | null;
  errorClass: string | null;
  terminalReason: string | null;
  id: string;
  turnId: string | null;
  channel: string;
  status: string;
  dispatchKind: string | null;
  idempotencyKey: string | null;
  attemptCount: number;
  nextAttemptAt: number;
  queuedAt: number;
}

/** A mixed file: statuses, channels, kinds, ties on the time column, busy and wide session prefixes. */
async function seed(c: Case): Promise<void> {
  const now = c.clock.t;
  const channels = ['telegram', 'discord', 'slack'];
  for (let i = 0; i < 90; i++) {
    const status = STATUSES[i % STATUSES.length]!;
    // Every third turn shares its accepted_at with the one before: the id breaks the tie.
    const at = now - Math.floor(i / 3) * 7 * MIN - (i % 3 === 2 ? 0 : i % 3);
    await c.sql(
      `INSERT INTO message_turns (id, channel, session_key, route_channel, route_to, accepted_at, updated_at, status,
         attempt_count, next_attempt_at, completed_at, terminal_reason) VALUES (?, ?, ?, ?, 'c', ?, ?, ?, ?, ?, ?, ?)`,
      [
        `t${String(i).padStart(3, '0')}`,
        channels[i % 3],
        `chat:s${i % 7}`,
        channels[i % 3],
        at,
        at + 1,
        status,
        i % 4 === 0 ? 1 : 0,
        at,
        ['delivered', 'failed_terminal'].includes(status) ? at + 1 : null,
        status === 'failed_terminal' ? `agent crashed after ${i} s` : null,
      ],
    );
    for (let k = 0; k < 2; k++) {
      const rs = ROW_STATUSES[(i + k) % ROW_STATUSES.length]!;
      await c.sql(
        `INSERT INTO message_outbox (id, turn_id, channel, dispatch_kind, payload, queued_at, status, attempt_count,
           next_attempt_at, idempotency_key, completed_at, last_error, error_class, terminal_reason)
           VALUES (?, ?, ?, ?, '{}', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          `r${i}-${k}`,
          i % 11 === 0 ? null : `t${String(i).padStart(3, '0')}`,
          channels[(i + k) % 3],
          KINDS[(i + k) % 4],
          at + (k === 1 && i % 2 ? 0 : k),
          rs,
          (i + k) % 3,
          at - (i % 5) * 10 * MIN,
          k === 0 ? `idem-${i}` : null,
          ...rowFailure(rs, i, at),
        ],
      );
    }
  }
  // A prefix of few busy sessions (more turns than are sorted, few enough sessions to walk
  // each) and one of many sessions (so broad it only narrows the time walk).
  const busy = Math.ceil((FEW_ROWS + 100) / 5) * 5;
  await bulkTurns(c, busy, `'busy-' || i`, `'busy:s' || (i % 5)`, 'delivered');
  await bulkTurns(c, FEW_ROWS + 100, `'wide-' || i`, `'wide:s' || (i % ${FEW_KEYS + 12})`, 'failed_retryable');
}

/** completed_at, last_error, error_class, terminal_reason of a seeded row in status `rs`. */
function rowFailure(rs: string, i: number, at: number): unknown[] {
  const done = ['delivered', 'failed_terminal', 'expired'].includes(rs) ? at + 1 : null;
  if (rs === 'failed_retryable') return [done, `HTTP 502 from 10.0.0.${i}`, 'retryable', null];
  if (rs === 'failed_terminal')
    return i % 3 === 0
      ? [done, null, null, 'operator_terminated']
      : [done, `403 blocked by user ${i}`, 'terminal', null];
  if (rs === 'expired') return [done, null, null, 'expired'];
  return [done, null, null, null];
}

const FAILED_AT = 24 * 3_600_000;
const has = (hay: (string | null)[], needle: string): boolean =>
  hay.some((h) => h !== null && h.toLowerCase().includes(needle.toLowerCase()));
/** A search the full-text index answers: any part of the searched values, in the index's order. */
const fullText = (search: string | undefined): search is string => search !== undefined && search.length >= 3;

/**
 * A page walk against the model: in (time, id) order; for a full-text search (whose order is the
 * index's, not time) the pages hold distinct matches only, as many as there are up to the pages read.
 */
function assertPages(got: string[], want: string[], search: string | undefined, label: string): void {
  if (!fullText(search)) return assert.deepEqual(got, want.slice(0, LIMIT * MAX_PAGES), label);
  const set = new Set(want);
  assert.equal(new Set(got).size, got.length, `${label}: no row twice`);
  assert.equal(got.length, Math.min(set.size, LIMIT * MAX_PAGES), `${label}: as many as match`);
  for (const id of got) assert.ok(set.has(id), `${label}: ${id} matches`);
}

const cmp = (a: [number, string], b: [number, string]): number =>
  a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

/** Up to `maxPages` pages of `limit`, following the cursor: the ids in the order given. */
async function pages(
  list: (cursor: string | null) => Promise<{ items: { id: string }[]; nextCursor: string | null }>,
  maxPages: number,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let p = 0; p < maxPages; p++) {
    const page = await list(cursor);
    ids.push(...page.items.map((i) => i.id));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return ids;
}

const LIMIT = 40;
const MAX_PAGES = 3;

eachBackend(
  'every filter combination of the Turns view returns the rows its filters select, in order, page after page',
  async (c) => {
    await seed(c);
    const all = await c.sql<TurnRow>(
      `SELECT id, session_key AS "sessionKey", channel, status, attempt_count AS "attemptCount",
         updated_at AS "updatedAt", accepted_at AS "acceptedAt", completed_at AS "completedAt",
         terminal_reason AS "terminalReason" FROM message_turns`,
    );
    const now = c.clock.t;
    const filters = [
      ...combinations<TurnFilter>({
        status: [undefined, ['failed_retryable'], ['accepted', 'delivered', 'failed_retryable']],
        sessionKey: [undefined, 'chat:s3', 'busy:s1'],
        channel: [undefined, 'slack'],
        stuck: [undefined, true],
        search: [undefined, 't004', 'chat:', 'busy:', 'wide:', 'wide:s1', 'nothing'],
        order: ['asc', 'desc'],
        limit: [undefined],
        cursor: [undefined],
      }),
      // Issue 11's dimensions with the ones they combine with in the views.
      ...combinations<TurnFilter>({
        status: [undefined, ['failed_terminal']],
        channel: [undefined, 'slack'],
        dead: [undefined, true],
        since: [undefined, now - 100 * MIN],
        until: [undefined, now - 20 * MIN],
        signature: [undefined, 'agent crashed after # s'],
        search: [undefined, 'chat:', 'CRASHED'],
        order: ['asc', 'desc'],
      }),
    ];
    for (const f of filters) {
      const want = all
        .filter((t) => !f.status || f.status.includes(t.status as never))
        .filter((t) => f.sessionKey === undefined || t.sessionKey === f.sessionKey)
        .filter((t) => f.channel === undefined || t.channel === f.channel)
        .filter((t) => !f.stuck || isTurnStuck(t as never, now))
        .filter((t) => !f.dead || (t.status === 'failed_terminal' && t.completedAt! >= now - FAILED_AT))
        .filter((t) => f.since === undefined || t.acceptedAt >= f.since)
        .filter((t) => f.until === undefined || t.acceptedAt < f.until)
        .filter((t) => f.signature === undefined || (t.status === 'failed_terminal' && t.terminalReason !== null))
        .filter((t) =>
          !f.search
            ? true
            : fullText(f.search)
              ? has([t.id, t.sessionKey, t.terminalReason], f.search)
              : t.id === f.search || t.sessionKey.startsWith(f.search),
        )
        .sort((a, b) => cmp([a.acceptedAt, a.id], [b.acceptedAt, b.id]) * (f.order === 'desc' ? -1 : 1))
        .map((t) => t.id);
      const got = await pages((cursor) => c.store.listTurns({ ...f, limit: LIMIT, cursor }), MAX_PAGES);
      assertPages(got, want, f.search, `listTurns(${JSON.stringify(f)})`);
      if (f.order === 'asc' && !f.stuck)
        assert.equal(await c.store.countTurns(f), want.length, `countTurns(${JSON.stringify(f)})`);
    }
  },
  { timeout: 240_000 },
);

eachBackend(
  'every filter combination of the Outbox view returns the rows its filters select, in order, page after page',
  async (c) => {
    await seed(c);
    const all = await c.sql<RowRow>(
      `SELECT id, turn_id AS "turnId", channel, status, dispatch_kind AS "dispatchKind", idempotency_key AS "idempotencyKey",
         attempt_count AS "attemptCount", next_attempt_at AS "nextAttemptAt", queued_at AS "queuedAt",
         completed_at AS "completedAt", last_error AS "lastError", error_class AS "errorClass",
         terminal_reason AS "terminalReason" FROM message_outbox`,
    );
    const now = c.clock.t;
    const filters = [
      ...combinations<OutboxFilter>({
        status: [undefined, ['failed_retryable'], ['queued', 'delivered', 'expired']],
        turnId: [undefined, 't012'],
        kind: [undefined, 'final', 'direct'],
        channel: [undefined, 'discord'],
        stuck: [undefined, true],
        search: [undefined, 'r5-1', 't013', 'idem-20'],
        order: ['asc', 'desc'],
        limit: [undefined],
        cursor: [undefined],
      }),
      ...combinations<OutboxFilter>({
        status: [undefined, ['failed_retryable', 'failed_terminal']],
        kind: [undefined, 'final'],
        channel: [undefined, 'discord'],
        dead: [undefined, true],
        errorClass: [undefined, 'terminal'],
        since: [undefined, now - 100 * MIN],
        signature: [undefined, 'http # from #.#.#.#'],
        search: [undefined, 'blocked by user', 'idem-2'],
        order: ['asc', 'desc'],
      }),
    ];
    const chosen = ['turn_aborted', 'operator_terminated', 'non_final_pruned'];
    const failure = (r: RowRow): boolean =>
      ['failed_retryable', 'failed_terminal', 'expired'].includes(r.status) && !chosen.includes(r.terminalReason ?? '');
    for (const f of filters) {
      const want = all
        .filter((r) => !f.status || f.status.includes(r.status as never))
        .filter((r) => f.turnId === undefined || r.turnId === f.turnId)
        .filter((r) => f.kind === undefined || r.dispatchKind === (f.kind === 'direct' ? null : f.kind))
        .filter((r) => f.channel === undefined || r.channel === f.channel)
        .filter((r) => !f.stuck || isRowStuck(r as never, now))
        .filter((r) => f.errorClass === undefined || r.errorClass === f.errorClass)
        .filter((r) => f.since === undefined || r.queuedAt >= f.since)
        .filter(
          (r) =>
            !f.dead ||
            (['failed_terminal', 'expired'].includes(r.status) && failure(r) && r.completedAt! >= now - FAILED_AT),
        )
        .filter((r) => f.signature === undefined || (failure(r) && (r.lastError ?? '').startsWith('HTTP 502')))
        .filter((r) =>
          !f.search
            ? true
            : fullText(f.search)
              ? has([r.id, r.turnId, r.idempotencyKey, r.lastError, r.terminalReason], f.search)
              : r.id === f.search || r.turnId === f.search || r.idempotencyKey === f.search,
        )
        .sort((a, b) => cmp([a.queuedAt, a.id], [b.queuedAt, b.id]) * (f.order === 'desc' ? -1 : 1))
        .map((r) => r.id);
      const got = await pages((cursor) => c.store.listOutbox({ ...f, limit: LIMIT, cursor }), MAX_PAGES);
      assertPages(got, want, f.search, `listOutbox(${JSON.stringify(f)})`);
      if (f.order === 'asc' && !f.stuck)
        assert.equal(await c.store.countOutbox(f), want.length, `countOutbox(${JSON.stringify(f)})`);
    }
  },
  { timeout: 240_000 },
);

eachBackend('a page of turns reads the final rows that block them in one statement, not one per turn', async (c) => {
  await seed(c);
  const statements = await statementsOf(c.store, () => c.store.listTurns({ limit: 80 }));
  const outbox = statements.filter((s) => /\bmessage_outbox\b/.test(s));
  assert.equal(outbox.length, 1, `statements reading message_outbox:\n${outbox.join('\n')}`);
  const page = await c.store.listTurns({ limit: 80 });
  assert.equal(page.items.length, 80);
  assert.ok(
    page.items.some((t) => t.blockingRowId !== null),
    'the page has blocking rows to find',
  );
});

eachBackend(
  'the abort preview counts every open turn of a session past 500 of them, in two COUNT statements',
  async (c) => {
    const now = c.clock.t;
    await bulkTurns(c, 700, `'open-' || i`, `'crowded'`, 'running');
    await bulkTurns(c, 40, `'done-' || i`, `'crowded'`, 'delivered');
    await bulkTurns(c, 30, `'other-' || i`, `'elsewhere'`, 'accepted');
    // Two pending rows for each of 600 open turns, a delivered one for some.
    await c.sql(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1199)
       INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at)
       SELECT 'row-' || i, 'open-' || (i / 2), 'slack', '{}', ${now}, CASE WHEN i % 2 = 0 THEN 'queued' ELSE 'failed_retryable' END, ${now} FROM n`,
    );
    await c.sql(
      `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at)
       VALUES ('sent-1', 'open-1', 'slack', '{}', ${now}, 'delivered', ${now})`,
    );
    let preview = { turns: 0, outbox: 0 };
    const statements = await statementsOf(c.store, async () => (preview = await c.store.previewAbort(['crowded'])));
    assert.deepEqual(preview, { turns: 700, outbox: 1200 });
    const counts = statements.filter((s) => /\bmessage_(turns|outbox)\b/.test(s));
    assert.equal(counts.length, 2, counts.join('\n'));
    for (const s of counts) assert.match(s, /^\s*SELECT count\(\*\)/);
    assert.deepEqual(await c.store.previewAbort(['crowded', 'elsewhere', 'crowded']), { turns: 730, outbox: 1200 });
    const done = await c.store.abortSession('crowded');
    assert.deepEqual({ turns: done.turns, outbox: done.outbox }, preview, 'the preview is what the abort does');
  },
  { timeout: 120_000 },
);
