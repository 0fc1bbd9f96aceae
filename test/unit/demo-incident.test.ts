import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { embeddedDemo } from '../../main/demo/embedded';
import { DEMO_CONFIG } from '../../main/demo/gateway';
import { seedPast } from '../../main/demo/past';
import { Sink } from '../../main/demo/sink';
import { DISCORD_CYCLE, LOOP_PAUSE_MS, loopUser } from '../../main/demo/scenario';
import { errorSignature } from '../../main/lifecycle/signature';
import { SqliteStore } from '../../main/store/sqlite/store';
import { CHOSEN_TERMINAL_REASONS } from '../../shared/triage';
import { makeClock, T0, tempDir } from '../helpers/temp-db';

// The demo's incident: the same seed plays the same story (ids aside), and the story always has
// something to triage: stuck work, work failed for good, errors that group.

interface RowFact {
  replyTo: string;
  kind: string | null;
  channel: string;
  status: string;
  lastError: string | null;
  attempts: number;
}

function facts(store: SqliteStore, since = 0): { turns: string[]; rows: string[] } {
  const db = store.lc.db;
  const turns = (
    db
      .prepare(
        `SELECT external_id, session_key, channel, status, terminal_reason, attempt_count FROM message_turns
         WHERE accepted_at >= ?`,
      )
      .all(since) as Record<string, unknown>[]
  ).map((t) => JSON.stringify(Object.values(t)));
  const rows = (
    db
      .prepare(
        `SELECT json_extract(payload, '$.replyTo') AS replyTo, dispatch_kind AS kind, channel, status,
           last_error AS lastError, attempt_count AS attempts FROM message_outbox WHERE queued_at >= ?`,
      )
      .all(since) as RowFact[]
  ).map((r) => JSON.stringify(Object.values(r)));
  // Ids and the order of rows written in one millisecond differ between runs; the facts do not.
  return { turns: turns.sort(), rows: rows.sort() };
}

/** A demo file at T0 with the incident's past, opened as the app opens it, on a clock the test moves. */
function demoFile(seed: number) {
  const clock = makeClock(T0);
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const store = SqliteStore.open(file, {
    now: () => clock.t,
    config: DEMO_CONFIG,
  });
  const gateway = embeddedDemo(store, file, { seed, latencyMs: 0 });
  return { clock, store, gateway, file };
}

test('the same seed writes the same past; another seed another one', () => {
  const run = (seed: number) => {
    const file = path.join(tempDir(), 'message-lifecycle.db');
    const result = seedPast(file, { seed, startAt: T0, owner: 'demo' });
    assert.ok(result, 'a new file gets a past');
    const store = SqliteStore.open(file, { now: () => T0 });
    try {
      return facts(store);
    } finally {
      void store.close();
    }
  };
  const a = run(7);
  assert.ok(a.turns.length > 150, `two hours of traffic: ${a.turns.length} turns`);
  assert.deepEqual(run(7), a);
  assert.notDeepEqual(run(8), a);
});

test('a file with a recent past gets none again; an idle one gets a new one', () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  assert.ok(seedPast(file, { seed: 1, startAt: T0, owner: 'demo' }));
  assert.equal(seedPast(file, { seed: 1, startAt: T0 + 60 * 60_000, owner: 'demo' }), null);
  assert.ok(seedPast(file, { seed: 1, startAt: T0 + 5 * 3_600_000, owner: 'demo' }));
});

test('after the seeding there is work to triage: stuck, failed for good, in error groups', async () => {
  const { store } = demoFile(1);
  try {
    const status = await store.status();
    assert.ok(status.stuckTurns >= 10, `the looping session piles up: ${status.stuckTurns} stuck turns`);
    assert.ok(status.outbox.expired > 0 && status.outbox.failed_terminal > 0, JSON.stringify(status.outbox));
    assert.ok(status.turns.failed_terminal > 0);

    const db = store.lc.db;
    const poison = db
      .prepare(
        `SELECT count(*) AS n FROM message_turns WHERE status = 'failed_terminal' AND terminal_reason LIKE 'agent crashed%'`,
      )
      .get() as { n: number };
    assert.ok(poison.n >= 1, 'a poison turn reached failed_terminal');
    const blocked = db
      .prepare(
        `SELECT count(*) AS n FROM message_outbox WHERE status = 'failed_terminal' AND last_error LIKE '403 Forbidden: bot was blocked%'`,
      )
      .get() as { n: number };
    assert.ok(blocked.n >= 1, 'users blocked the bot');
    // The long outage is over: its expired rows are on WhatsApp, which is up now.
    const expired = db.prepare(`SELECT DISTINCT channel FROM message_outbox WHERE status = 'expired'`).all() as {
      channel: string;
    }[];
    assert.deepEqual(
      expired.map((r) => r.channel),
      ['whatsapp'],
    );

    // Groups as the SPEC's signature forms them: several, and normalization merges different texts.
    const failures = db
      .prepare(
        `SELECT channel, coalesce(dispatch_kind, 'direct') AS kind, coalesce(last_error, terminal_reason) AS error
         FROM message_outbox WHERE status IN ('failed_retryable', 'failed_terminal', 'expired')
           AND (terminal_reason IS NULL OR terminal_reason NOT IN (${CHOSEN_TERMINAL_REASONS.map(() => '?').join(', ')}))`,
      )
      .all(...CHOSEN_TERMINAL_REASONS) as { channel: string; kind: string; error: string }[];
    const groups = new Map<string, Set<string>>();
    for (const f of failures) {
      const key = `${f.channel} ${f.kind} ${errorSignature(f.error)}`;
      groups.set(key, (groups.get(key) ?? new Set()).add(f.error));
    }
    assert.ok(groups.size >= 5, `error groups: ${[...groups.keys()].join(' | ')}`);
    assert.ok(
      [...groups.values()].some((texts) => texts.size >= 3),
      'one signature groups errors whose ids and numbers differ',
    );

    // And as the store groups them (the Errors view), with the dead-letter counts of "Needs attention".
    const stored = await store.errorGroups({});
    assert.ok(stored.length >= 6, `error groups: ${stored.map((g) => `${g.channel} ${g.signature}`).join(' | ')}`);
    assert.ok(stored.some((g) => g.subject === 'turn' && g.signature.startsWith('agent crashed')));
    assert.ok(stored.some((g) => g.channel === 'whatsapp' && g.subject === 'outbox' && g.dead >= 3));
    assert.ok(
      status.deadTurns > 0 && status.deadOutbox > 0,
      `dead: ${status.deadTurns} turns, ${status.deadOutbox} rows`,
    );
    const deadRows = await store.listOutbox({ dead: true, limit: 500 });
    assert.equal(deadRows.items.length, status.deadOutbox);
    assert.ok(deadRows.items.every((r) => /^(Failed for good|Expired): /.test(r.stuckReason ?? '')));
  } finally {
    await store.close();
  }
});

/** Runs the live incident for `steps` × 5 s of the test's clock, with the app's recovery worker. */
async function live(seed: number, steps: number) {
  const demo = demoFile(seed);
  const { clock, store, gateway } = demo;
  const worker = gateway.createWorker();
  const stuck: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      clock.advance(5_000);
      await gateway.step();
      await worker.runOnce();
      stuck.push((await store.status()).stuckTurns);
    }
    return { facts: facts(store, T0), stuck, store };
  } finally {
    await worker.stop();
  }
}

test('live: the same seed plays the same sends, failures and outcomes; stuck work stays', async () => {
  const steps = Math.ceil((DISCORD_CYCLE.down + 2 * 60_000) / 5_000);
  const a = await live(3, steps);
  const b = await live(3, steps);
  try {
    assert.ok(a.facts.rows.length > 20, `live traffic: ${a.facts.rows.length} rows`);
    assert.deepEqual(b.facts, a.facts);
    assert.ok(
      a.stuck.every((n) => n > 0),
      `stuck turns at every step: ${a.stuck.join(' ')}`,
    );
    // Discord is down at the start: its sends fail, are retried, and end failed for good.
    const dead = a.facts.rows
      .map((r) => JSON.parse(r) as unknown[])
      .filter((r) => r[2] === 'discord' && r[3] === 'failed_terminal');
    assert.ok(dead.length > 0, 'discord sends failed for good in the outage');
    // Final replies after their five attempts (the worker drops a tool message at its first failure).
    const finals = dead.filter((r) => r[1] === 'final');
    assert.ok(finals.length > 0 && finals.every((r) => r[5] === 5), JSON.stringify(dead));
  } finally {
    await a.store.close();
    await b.store.close();
  }
});

test('actions work on the incident: a resend of a past outage row delivers; the poison turn replayed as new fails again', async () => {
  const { clock, store, gateway } = demoFile(1);
  const worker = gateway.createWorker();
  try {
    const db = store.lc.db;
    const expired = db
      .prepare(`SELECT id FROM message_outbox WHERE status = 'expired' AND channel = 'whatsapp' LIMIT 1`)
      .get() as { id: string };
    const resent = await store.operatorResend(expired.id, 'test', 'WhatsApp is back');
    const outage = db
      .prepare(
        `SELECT id FROM message_turns WHERE status = 'failed_terminal' AND channel = 'whatsapp'
         AND terminal_reason LIKE 'final reply failed: 50%' LIMIT 1`,
      )
      .get() as { id: string };
    const answered = await store.operatorReplayAsNew(outage.id, 'test');
    const poison = db
      .prepare(`SELECT id FROM message_turns WHERE terminal_reason LIKE 'agent crashed%' LIMIT 1`)
      .get() as { id: string };
    const replayed = await store.operatorReplayAsNew(poison.id, 'test');
    for (let i = 0; i < 12; i++) {
      clock.advance(5_000);
      await gateway.step();
      await worker.runOnce();
    }
    assert.equal((await store.getRow(resent.row.id))?.status, 'delivered');
    const sent = Sink.read(gateway.sink.file).filter((l) => l.rowId === resent.row.id);
    assert.equal(sent.length, 1, 'the resend reached the platform once');
    assert.equal((await store.getTurn(answered.turn.id))?.status, 'delivered');
    const again = await store.getTurn(replayed.turn.id);
    assert.equal(again?.status, 'failed_terminal');
    assert.match(again?.terminalReason ?? '', /Array buffer allocation failed/);
  } finally {
    await worker.stop();
    await store.close();
  }
});

test('lifecycle-desk demo --incident writes the past once; serve refuses --seed without --demo', () => {
  const bin = path.join(__dirname, '..', '..', 'main', 'cli', 'bin.js');
  const file = path.join(tempDir(), 'demo.db');
  const run = (...args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [bin, ...args, '--db', file, '--json'], { encoding: 'utf8' })) as {
      written: boolean;
      turns: number;
      status: { stuckTurns: number; deadOutbox: number };
    };
  const first = run('demo', '--incident', '--seed', '4');
  assert.equal(first.written, true);
  assert.ok(first.turns > 150 && first.status.stuckTurns > 0 && first.status.deadOutbox > 0, JSON.stringify(first));
  assert.equal(run('demo', '--incident').written, false, 'a file with a recent past is left as it is');
  const refused = spawnSync(process.execPath, [bin, 'serve', '--seed', '3', '--db', file], { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--seed only applies with --demo/);
});

test('the looping session piles up until it is aborted; then it stops, and another starts later', async () => {
  const { clock, store, gateway } = demoFile(1);
  const worker = gateway.createWorker();
  const running = async (sessionKey: string): Promise<number> =>
    (await store.listTurns({ sessionKey, status: ['running'], limit: 500 })).items.length;
  try {
    const first = loopUser(0).sessionKey;
    const before = await running(first);
    assert.ok(before >= 10, `${before} turns held`);
    for (let i = 0; i < 24; i++) {
      clock.advance(5_000);
      await gateway.step();
      await worker.runOnce();
    }
    assert.ok((await running(first)) > before, 'it kept piling up, and the worker left it to the gateway');
    const aborted = await store.operatorAbort(first, 'test', 'the user asked');
    assert.ok(aborted.turns > before);
    for (let i = 0; i < Math.ceil((LOOP_PAUSE_MS + 3 * 60_000) / 5_000); i++) {
      clock.advance(5_000);
      await gateway.step();
      await worker.runOnce();
    }
    assert.equal(await running(first), 0, 'nothing new in the aborted session');
    assert.ok((await running(loopUser(1).sessionKey)) > 0, 'another user loops a while later');
  } finally {
    await worker.stop();
    await store.close();
  }
});
