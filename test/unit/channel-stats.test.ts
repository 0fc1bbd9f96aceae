// Per-channel numbers (issue 12): counts, failure rate, stuck now and accept → delivered latency
// percentiles from the trigger-kept buckets, checked against a brute-force computation over the
// same rows, on both backends. Turns are written as a gateway writes them (plain SQL inserts and
// status updates) and through the core; pruning must not change the numbers.
import { eventually } from '../helpers/eventually';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ApiHost } from '../../main/api/host';
import { runCli } from '../../main/cli/run';
import { Lifecycle } from '../../main/lifecycle';
import { HOUR, MINUTE } from '../../main/lifecycle/migrations/v6';
import { LATENCY_PRECISION, statRanges } from '../../main/lifecycle/queries/channel-stats';
import type { ChannelStats } from '../../shared/views';
import { PgStore } from '../../main/store/postgres/store';
import { eachBackend, storeSql, type Case } from '../helpers/backends';
import { pgCluster, pgUnavailable } from '../helpers/pg-cluster';
import { ROUTE, T0 } from '../helpers/temp-db';
import { fileAtVersion } from '../helpers/versions';

interface TurnFact {
  channel: string;
  status: string;
  accepted_at: number;
  completed_at: number | null;
  updated_at: number;
}

const TERMINAL = new Set(['delivered', 'failed_terminal', 'aborted']);

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The SPEC's turn columns a gateway names, in plain SQL. */
const INSERT_TURN = `INSERT INTO message_turns (id, channel, account_id, dedupe_key, session_key, payload, route_channel,
  route_to, accepted_at, updated_at, status, attempt_count, next_attempt_at, terminal_reason, completed_at)
  VALUES (?, ?, 'bot', ?, ?, '{}', ?, 'chat', ?, ?, ?, 0, ?, NULL, ?)`;

/**
 * `n` turns over [from, from + spanMs): some inserted already ended, most inserted open and
 * then ended by an UPDATE (the path of a gateway's own core), some left open. Latencies are
 * log-uniform from 0 ms to ~100 s.
 */
async function gatewayTurns(c: Case, n: number, from: number, spanMs: number, seed: number): Promise<void> {
  const r = rng(seed);
  const channels = ['telegram', 'discord', 'slack', ''];
  const outcomes = ['delivered', 'delivered', 'delivered', 'failed_terminal', 'aborted', 'running'];
  for (let i = 0; i < n; i++) {
    const id = `gw-${seed}-${i}`;
    const channel = channels[Math.floor(r() * channels.length)]!;
    const accepted = from + Math.floor(r() * spanMs);
    const status = outcomes[Math.floor(r() * outcomes.length)]!;
    const latency = r() < 0.05 ? 0 : Math.floor(Math.exp(r() * Math.log(100_000)));
    const end = accepted + latency;
    const ended = TERMINAL.has(status);
    if (ended && r() < 0.3) {
      await c.sql(INSERT_TURN, [id, channel, id, `s-${i % 7}`, channel, accepted, end, status, end, end]);
    } else {
      await c.sql(INSERT_TURN, [
        id,
        channel,
        id,
        `s-${i % 7}`,
        channel,
        accepted,
        accepted,
        'accepted',
        accepted,
        null,
      ]);
      if (ended) {
        await c.sql('UPDATE message_turns SET status = ?, updated_at = ?, completed_at = ? WHERE id = ?', [
          status,
          end,
          end,
          id,
        ]);
      } else {
        await c.sql("UPDATE message_turns SET status = 'running', updated_at = ? WHERE id = ?", [accepted + 1, id]);
      }
    }
  }
}

const minuteOf = (t: number): number => t - (t % MINUTE);

/** What the numbers must be, from the rows themselves (events counted by the start of their minute). */
function bruteForce(turns: readonly TurnFact[], since: number, until: number): Map<string, Record<string, number>> {
  const inRange = (t: number): boolean => minuteOf(t) >= since && minuteOf(t) < until;
  const out = new Map<string, Record<string, number>>();
  const get = (ch: string): Record<string, number> => {
    let v = out.get(ch);
    if (!v) out.set(ch, (v = { accepted: 0, delivered: 0, failed: 0, aborted: 0 }));
    return v;
  };
  for (const t of turns) {
    if (inRange(t.accepted_at)) get(t.channel).accepted!++;
    const end = t.completed_at ?? t.updated_at;
    if (TERMINAL.has(t.status) && inRange(end)) {
      const key = t.status === 'delivered' ? 'delivered' : t.status === 'failed_terminal' ? 'failed' : 'aborted';
      get(t.channel)[key]!++;
    }
  }
  return out;
}

function bruteLatencies(turns: readonly TurnFact[], channel: string, since: number, until: number): number[] {
  return turns
    .filter((t) => t.channel === channel && t.status === 'delivered')
    .filter((t) => minuteOf(t.completed_at!) >= since && minuteOf(t.completed_at!) < until)
    .map((t) => Math.max(0, t.completed_at! - t.accepted_at))
    .sort((a, b) => a - b);
}

const nearestRank = (sorted: readonly number[], p: number): number =>
  sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;

async function facts(c: Case): Promise<TurnFact[]> {
  const rows = await c.sql<TurnFact>(
    'SELECT channel, status, accepted_at, completed_at, updated_at FROM message_turns',
  );
  return rows.map((r) => ({
    ...r,
    accepted_at: Number(r.accepted_at),
    updated_at: Number(r.updated_at),
    completed_at: r.completed_at === null ? null : Number(r.completed_at),
  }));
}

/** The answer agrees with the rows: counts exactly, each percentile within the bins' precision. */
function assertAgrees(stats: ChannelStats, turns: readonly TurnFact[], label: string): void {
  const want = bruteForce(turns, stats.countedSince, stats.countedUntil);
  const got = new Map(stats.channels.map((ch) => [ch.channel, ch]));
  for (const [channel, w] of want) {
    if (w.accepted! + w.delivered! + w.failed! + w.aborted! === 0) continue;
    const g = got.get(channel);
    assert.ok(g, `${label}: channel "${channel}" is listed`);
    assert.deepEqual(
      { accepted: g.accepted, delivered: g.delivered, failed: g.failed, aborted: g.aborted },
      w,
      `${label}: counts of "${channel}"`,
    );
    const ended = w.delivered! + w.failed!;
    assert.equal(g.failureRate, ended === 0 ? null : w.failed! / ended, `${label}: failure rate of "${channel}"`);
    const lat = bruteLatencies(turns, channel, stats.countedSince, stats.countedUntil);
    if (lat.length === 0) {
      assert.equal(g.latency, null, `${label}: no latency for "${channel}"`);
      continue;
    }
    assert.equal(g.latency?.count, lat.length, `${label}: deliveries timed on "${channel}"`);
    for (const p of [0.5, 0.95, 0.99] as const) {
      const truth = nearestRank(lat, p);
      const est = g.latency![p === 0.5 ? 'p50' : p === 0.95 ? 'p95' : 'p99'];
      // Within half a bin: exact to the ms below ~12 ms, else within the stated relative precision.
      const tolerance = Math.max(0.5, truth * LATENCY_PRECISION);
      assert.ok(
        Math.abs(est - truth) <= tolerance + 1e-9,
        `${label}: p${p * 100} of "${channel}" is ${est}, true ${truth} (±${tolerance})`,
      );
    }
  }
  for (const g of stats.channels) {
    const w = want.get(g.channel);
    if (!w) assert.ok(g.stuckTurns + g.stuckOutbox > 0, `${label}: "${g.channel}" is listed only for its stuck work`);
  }
}

const START = T0 + 3 * HOUR;

eachBackend('counts and latency percentiles agree with the rows, for aligned and unaligned ranges', async (c) => {
  await gatewayTurns(c, 900, START, 5 * HOUR, 1);
  // And sparser ones over three days, for ranges that read day buckets.
  await gatewayTurns(c, 300, START - 50 * HOUR, 80 * HOUR, 2);
  c.clock.t = START + 31 * HOUR;
  const turns = await facts(c);
  const ranges: [string, number, number][] = [
    ['all', START - 51 * HOUR, START + 31 * HOUR],
    ['whole hours', START + HOUR, START + 3 * HOUR],
    ['unaligned over hours', START + 37 * MINUTE + 12_345, START + 4 * HOUR + 3 * MINUTE + 999],
    ['within one hour', START + 2 * HOUR + 5 * MINUTE + 1, START + 2 * HOUR + 50 * MINUTE],
    ['one minute', START + 90 * MINUTE, START + 91 * MINUTE],
    ['nothing', START - 55 * HOUR, START - 54 * HOUR],
    ['unaligned over days', START - 49 * HOUR - 7 * MINUTE - 3_000, START + 20 * HOUR + MINUTE + 5_000],
    ['whole days', T0 - 48 * HOUR, T0 + 24 * HOUR],
  ];
  for (const [label, since, until] of ranges) {
    const stats = await c.store.channelStats(since, until);
    assert.equal(stats.fill.state, 'ready');
    assertAgrees(stats, turns, label);
  }
  const all = await c.store.channelStats(START - 51 * HOUR, START + 31 * HOUR);
  assert.deepEqual(
    all.channels.map((ch) => ch.channel),
    ['', 'discord', 'slack', 'telegram'],
  );
  assert.ok(all.channels.every((ch) => ch.latency !== null && ch.latency.count > 0));
  // Before any turn: the channels are there only for the work stuck now, with nothing counted.
  const none = await c.store.channelStats(START - 55 * HOUR, START - 54 * HOUR);
  assert.ok(none.channels.length > 0 && none.channels.every((ch) => ch.stuckTurns > 0));
  assert.ok(none.channels.every((ch) => ch.accepted + ch.delivered + ch.failed + ch.aborted === 0 && !ch.latency));
});

eachBackend('the range counts an event by the start of its minute: [since, until) rounded up to minutes', async (c) => {
  const at = START + 10 * MINUTE;
  const put = (id: string, accepted: number): Promise<unknown> =>
    c.sql(INSERT_TURN, [id, 'edge', id, 's', 'edge', accepted, accepted, 'accepted', accepted, null]);
  await put('before', at + 10_000); // minute `at`, which starts before since
  await put('first', at + MINUTE); // the first minute that starts within the range
  await put('last', at + 5 * MINUTE + 10_000); // minute at+5, which starts before until
  await put('after', at + 6 * MINUTE); // starts at until (rounded up): out
  const stats = await c.store.channelStats(at + 30_000, at + 5 * MINUTE + 30_000);
  assert.equal(stats.countedSince, at + MINUTE);
  assert.equal(stats.countedUntil, at + 6 * MINUTE);
  assert.equal(stats.channels[0]?.accepted, 2);
  // Whole hours from the hour buckets, edges from the minute buckets: an hour-crossing range adds up.
  await put('next-hour', START + HOUR + 2 * MINUTE);
  const across = await c.store.channelStats(at, START + 2 * HOUR + 30_000);
  assert.equal(across.channels[0]?.accepted, 5);
});

eachBackend('turns through the core are counted with their latency; stuck work is counted per channel', async (c) => {
  c.clock.t = START;
  const { turn } = await c.store.accept({ channel: 'telegram', sessionKey: 's1', payload: { t: 1 }, route: ROUTE });
  await c.store.markRunning(turn.id);
  const { row } = await c.store.enqueue({
    turnId: turn.id,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { a: 1 },
    live: true,
  });
  c.clock.advance(1_234);
  assert.ok(await c.store.beginSend(row.id));
  assert.ok(await c.store.ack(row.id));
  assert.equal((await c.store.finalize(turn.id)).status, 'delivered');
  // Stuck: an old open turn on discord and an overdue row on slack.
  const { turn: old } = await c.store.accept({ channel: 'discord', sessionKey: 's2', payload: {}, route: ROUTE });
  await c.store.enqueue({ turnId: null, channel: 'slack', target: 'x', dispatchKind: null, payload: {} });
  c.clock.advance(HOUR);
  const stats = await c.store.channelStats(START - HOUR, c.clock.t);
  const by = Object.fromEntries(stats.channels.map((ch) => [ch.channel, ch]));
  assert.equal(by.telegram?.accepted, 1);
  assert.equal(by.telegram?.delivered, 1);
  assert.equal(by.telegram?.failureRate, 0);
  assert.equal(by.telegram?.latency?.count, 1);
  const p50 = by.telegram!.latency!.p50;
  assert.ok(Math.abs(p50 - 1_234) <= 1_234 * LATENCY_PRECISION, `p50 ${p50} ≈ 1234`);
  assert.equal(by.discord?.stuckTurns, 1);
  assert.equal(by.discord?.accepted, 1);
  assert.equal(by.discord?.failureRate, null);
  assert.equal(by.slack?.stuckOutbox, 1);
  assert.equal(by.slack?.accepted, 0);
  // The same definition as the lists' "stuck only".
  for (const ch of stats.channels) {
    assert.equal(ch.stuckTurns, await c.store.countTurns({ channel: ch.channel, stuck: true }), ch.channel);
    assert.equal(ch.stuckOutbox, await c.store.countOutbox({ channel: ch.channel, stuck: true }), ch.channel);
  }
  assert.ok(old.id);
});

eachBackend('pruning leaves the numbers as they were (they are history)', async (c) => {
  await gatewayTurns(c, 200, START, 2 * HOUR, 7);
  const range: [number, number] = [START - HOUR, START + 3 * HOUR];
  const before = await c.store.channelStats(...range);
  c.clock.t = START + 10 * 24 * HOUR;
  const pruned = await c.store.prune();
  assert.ok(pruned.turns > 0, 'the prune removed turns');
  const after = await c.store.channelStats(...range);
  // Stuck is "now": the open turns left are compared apart.
  const strip = (s: ChannelStats): unknown => s.channels.map((ch) => ({ ...ch, stuckTurns: 0, stuckOutbox: 0 }));
  assert.deepEqual(strip(after), strip(before));
});

test('migration 6 keeps a v5 file and counts its turns in the background fill, each once', () => {
  const file = fileAtVersion(5, (db) => {
    const insert = db.prepare(INSERT_TURN);
    db.transaction(() => {
      for (let i = 0; i < 250; i++) {
        const at = START + i * 30_000;
        const status = i % 5 === 0 ? 'running' : i % 7 === 0 ? 'failed_terminal' : 'delivered';
        const end = status === 'running' ? null : at + 100 + i * 13;
        insert.run(`old-${i}`, i % 2 ? 'telegram' : 'slack', `old-${i}`, 's', 'x', at, end ?? at, status, at, end);
      }
    })();
  });
  const lc = Lifecycle.open(file, { now: () => START + 5 * HOUR });
  try {
    assert.equal(lc.db.prepare('SELECT count(*) FROM message_turns').pluck().get(), 250);
    assert.deepEqual(lc.statsFillState(), { state: 'building', counted: 0, total: 250 });
    const range: [number, number] = [START - HOUR, START + 6 * HOUR];
    assert.equal(lc.channelStats(...range).fill.state, 'building');
    // While the fill has not reached them: a gateway ends an old turn, and inserts a new one.
    lc.db
      .prepare("UPDATE message_turns SET status = 'delivered', completed_at = ?, updated_at = ? WHERE id = 'old-5'")
      .run(START + 3 * HOUR, START + 3 * HOUR);
    lc.db
      .prepare(INSERT_TURN)
      .run('new-1', 'slack', 'new-1', 's', 'x', START + HOUR, START + HOUR, 'accepted', START, null);
    // One step (the newest turns first), then the rest.
    assert.equal(lc.statsFillStep(100), 100);
    assert.deepEqual(lc.statsFillState(), { state: 'building', counted: 100, total: 250 });
    assert.equal(lc.statsFillNow(), 150);
    assert.deepEqual(lc.statsFillState(), { state: 'ready', counted: 250, total: 250 });
    const stats = lc.channelStats(...range);
    const turns = lc.db
      .prepare('SELECT channel, status, accepted_at, completed_at, updated_at FROM message_turns')
      .all() as TurnFact[];
    assertAgrees(stats, turns, 'after the fill');
    const accepted = stats.channels.reduce((n, ch) => n + ch.accepted, 0);
    assert.equal(accepted, 251);
  } finally {
    lc.close();
  }
  // What the file holds after closing: the version and the aggregates, readable by plain SQLite.
  const db = new Database(file, { readonly: true });
  try {
    assert.equal(db.pragma('user_version', { simple: true }), 6);
    assert.ok((db.prepare('SELECT count(*) AS n FROM lifecycle_channel_stats').get() as { n: number }).n > 0);
  } finally {
    db.close();
  }
});

test('an older file opened read-only gives stuck counts and says the numbers are unavailable', () => {
  const file = fileAtVersion(5, (db) => {
    db.prepare(INSERT_TURN).run('o1', 'telegram', 'o1', 's', 'x', START, START, 'running', START, null);
  });
  const lc = Lifecycle.open(file, { readOnly: true, now: () => START + HOUR });
  try {
    const stats = lc.channelStats(START - HOUR, START + HOUR);
    assert.equal(stats.fill.state, 'unavailable');
    assert.deepEqual(
      stats.channels.map((ch) => [ch.channel, ch.stuckTurns, ch.accepted]),
      [['telegram', 1, 0]],
    );
  } finally {
    lc.close();
  }
});

test(
  'PostgreSQL schema 4 counts the turns of a version-3 database in its migration',
  { skip: pgUnavailable() ?? false },
  async () => {
    const url = pgCluster().createDatabase('stats');
    await (await PgStore.open(url)).close();
    // Back to version 3 (no buckets, no trigger), with a gateway's turns in it.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('DROP TRIGGER lc_turn_stats ON message_turns');
      await client.query('DROP TABLE lifecycle_channel_stats, lifecycle_channel_latency, lifecycle_latency_bins');
      await client.query('UPDATE lifecycle_schema SET version = 3');
      const r = rng(3);
      for (let i = 0; i < 120; i++) {
        const at = START + Math.floor(r() * 3 * HOUR);
        const status = i % 4 === 0 ? 'running' : i % 5 === 0 ? 'aborted' : 'delivered';
        const end = status === 'running' ? null : at + Math.floor(r() * 20_000);
        await client.query(
          `INSERT INTO message_turns (id, channel, dedupe_key, session_key, payload, route_channel, route_to, accepted_at,
           updated_at, status, attempt_count, next_attempt_at, completed_at)
         VALUES ($1, $2, $1, 's', '{}', 'x', 'y', $3, $4, $5, 0, $3, $6)`,
          [`pg-${i}`, i % 3 ? 'telegram' : 'discord', at, end ?? at, status, end],
        );
      }
    } finally {
      await client.end();
    }
    const store = await PgStore.open(url, { now: () => START + 4 * HOUR });
    try {
      assert.equal(store.fileVersion, 4);
      const stats = await store.channelStats(START - HOUR, START + 4 * HOUR);
      const turns = (
        await storeSql(store)<TurnFact>(
          'SELECT channel, status, accepted_at, completed_at, updated_at FROM message_turns',
        )
      ).map((t) => ({
        ...t,
        accepted_at: Number(t.accepted_at),
        updated_at: Number(t.updated_at),
        completed_at: t.completed_at === null ? null : Number(t.completed_at),
      }));
      assertAgrees(stats, turns, 'after migrating to 4');
      assert.equal(
        stats.channels.reduce((n, ch) => n + ch.accepted, 0),
        120,
      );
    } finally {
      await store.close();
    }
  },
);

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

test('cli channels: migrates a v5 file, counts its turns, prints the table or --json; bad ranges are refused', async () => {
  const now = Date.now();
  const file = fileAtVersion(5, (db) => {
    const insert = db.prepare(INSERT_TURN);
    for (let i = 0; i < 40; i++) {
      const at = now - 30 * MINUTE + i * 1_000;
      const status = i % 4 === 0 ? 'failed_terminal' : 'delivered';
      insert.run(`c-${i}`, i % 2 ? 'telegram' : 'discord', `c-${i}`, 's', 'x', at, at + 500, status, at, at + 500);
    }
  });
  const json = await cli(['channels', '--window', '1h', '--json', '--db', file]);
  assert.equal(json.code, 0, json.stderr);
  const stats = JSON.parse(json.stdout) as ChannelStats;
  assert.equal(stats.fill.state, 'ready');
  assert.deepEqual(
    stats.channels.map((c) => [c.channel, c.accepted, c.delivered, c.failed]),
    [
      ['discord', 20, 10, 10],
      ['telegram', 20, 20, 0],
    ],
  );
  assert.equal(stats.channels[0]!.failureRate, 0.5);
  const text = await cli(['channels', '--since', '2h', '--db', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^CHANNEL +ACCEPTED +DELIVERED +FAILED +ABORTED +FAILURE RATE/);
  assert.match(text.stdout, /\ndiscord +20 +10 +10 +0 +50 %/);
  assert.match(text.stdout, /within ±4\.\d %/);
  const old = await cli(['channels', '--since', '1m', '--db', file]);
  assert.match(old.stdout, /no turns in the range/);
  for (const [args, code, message] of [
    [['--since', '1h', '--window', '1h'], 2, /not both/],
    [['--window', '2h'], 2, /--window must be one of 1h, 24h, 7d/],
    [['--since', '91d'], 1, /at most 90 days/],
  ] as const) {
    const r = await cli(['channels', ...args, '--db', file]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('a range is read as whole days, whole hours and edge minutes that cover it exactly once', () => {
  const r = rng(9);
  for (let i = 0; i < 2_000; i++) {
    const since = T0 + Math.floor(r() * 30 * 24 * HOUR);
    const until = since + Math.floor(r() ** 3 * 9 * 24 * HOUR);
    const { countedSince: s, countedUntil: u, params: p } = statRanges(since, until);
    assert.equal(s % MINUTE, 0);
    assert.ok(s >= since && s - since < MINUTE && u >= until && u - until < MINUTE);
    const all: [number, number, number][] = [
      [p.D, p.d0, p.d1],
      [p.H, p.h0, p.h1],
      [p.H, p.h2, p.h3],
      [p.M, p.m0, p.m1],
      [p.M, p.m2, p.m3],
    ];
    const parts = all.filter(([, a, b]) => a < b);
    for (const [span, a, b] of parts) assert.ok(a % span === 0 && b % span === 0, `${span}: ${a}..${b} aligned`);
    parts.sort((x, y) => x[1] - y[1]);
    let at = s;
    for (const [, a, b] of parts) {
      assert.equal(a, at, `${since}..${until}: no gap or overlap`);
      at = b;
    }
    assert.equal(at, u === s ? s : u);
    assert.ok(p.m1 - p.m0 + (p.m3 - p.m2) < 2 * HOUR || parts.length === 1, 'at most two edges of minutes');
  }
});

test('the engine counts a migrated file’s older turns in its background; getChannelStats says so until done', async () => {
  const now = Date.now();
  const file = fileAtVersion(5, (db) => {
    const insert = db.prepare(INSERT_TURN);
    db.transaction(() => {
      for (let i = 0; i < 3_000; i++) {
        const at = now - 50 * MINUTE + i * 500;
        insert.run(`e-${i}`, i % 3 ? 'telegram' : 'slack', `e-${i}`, 's', 'x', at, at + 900, 'delivered', at, at + 900);
      }
    })();
  });
  const host = await ApiHost.start({ dbPath: file, operator: 'desk:test', version: '0.0.0' });
  try {
    const stats = await eventually(async () => {
      const r = await host.call('getChannelStats', { window: '1h' });
      assert.ok(r.ok);
      assert.equal(r.value.fill.state, 'ready');
      return r.value;
    }, 30_000);
    assert.deepEqual(
      stats.channels.map((c) => [c.channel, c.accepted, c.delivered]),
      [
        ['slack', 1_000, 1_000],
        ['telegram', 2_000, 2_000],
      ],
    );
    assert.ok(Math.abs(stats.channels[0]!.latency!.p50 - 900) <= 900 * LATENCY_PRECISION);
  } finally {
    await host.close();
  }
});
