// Bulk actions by filter (main/api/jobs.ts) on 10,000 rows of a real SQLite file: the job walks
// the filter batch by batch, reports progress, can be cancelled between batches, re-checks every
// row (what cannot take the action is counted as refused), and writes ONE audit entry with the
// filter, the count done and refused; its per-row timeline entries carry the job's id and stay
// out of the audit.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { effectiveFilter } from '../../main/api/bulk-filter';
import { BulkJobs } from '../../main/api/jobs';
import { createApi } from '../../main/api/service';
import type { AppInfo } from '../../shared/api';
import { filterText } from '../../shared/filter-text';
import { SqliteStore } from '../../main/store/sqlite/store';
import type { BulkJob } from '../../shared/triage';
import { makeClock, tempDir, type Clock } from '../helpers/temp-db';

const ROWS = 10_000;

/**
 * `rows` direct sends in `status` written by a gateway's plain SQL (one transaction), one per
 * minute back from now, and `aborted` more whose turn was aborted (failed_terminal, turn_aborted).
 */
function seed(store: SqliteStore, clock: Clock, status: 'failed_retryable' | 'failed_terminal', aborted = 0): void {
  const db = store.lc.db;
  const row = db.prepare(
    `INSERT INTO message_outbox (id, turn_id, channel, account_id, target, dispatch_kind, payload, queued_at, status,
       attempt_count, next_attempt_at, last_attempt_at, completed_at, last_error, error_class, terminal_reason)
     VALUES (?, ?, 'telegram', '', 'chat-1', ?, '{"text":"hello"}', ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
  );
  const turn = db.prepare(
    `INSERT INTO message_turns (id, channel, account_id, session_key, payload, route_channel, route_to, accepted_at,
       updated_at, status, attempt_count, next_attempt_at, terminal_reason, completed_at)
     VALUES (?, 'telegram', '', 'sess-aborted', '{}', 'telegram', 'chat-1', ?, ?, 'aborted', 0, ?, 'operator_aborted', ?)`,
  );
  const terminal = status === 'failed_terminal';
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const t = clock.t - 1_000 - i * 10;
      row.run(
        `row-${i}`,
        null,
        null,
        t,
        status,
        terminal ? t + 1 : clock.t + 60_000,
        t,
        terminal ? t : null,
        terminal ? '502 Bad Gateway' : '429 Too Many Requests',
        terminal ? 'terminal' : 'retryable',
        terminal ? 'max_attempts' : null,
      );
    }
    if (aborted) turn.run('turn-aborted', clock.t - 5_000, clock.t - 5_000, clock.t - 5_000, clock.t - 5_000);
    for (let i = 0; i < aborted; i++) {
      const t = clock.t - 2_000 - i;
      row.run(
        `aborted-${i}`,
        'turn-aborted',
        'final',
        t,
        'failed_terminal',
        t,
        t,
        t,
        'cancelled',
        'terminal',
        'turn_aborted',
      );
    }
  })();
}

function open(): { store: SqliteStore; clock: Clock } {
  const clock = makeClock();
  const store = SqliteStore.open(path.join(tempDir(), 'message-lifecycle.db'), { now: () => clock.t });
  return { store, clock };
}

test('a resend by filter over 10,000 dead rows: progress, each row re-checked, one audit entry', async () => {
  const { store, clock } = open();
  try {
    seed(store, clock, 'failed_terminal', 3);
    const events: BulkJob[] = [];
    const jobs = new BulkJobs({ store, operator: 'desk:alice', emit: (j) => events.push(j), throttleMs: 0 });
    const started = await jobs.start({
      list: 'outbox',
      action: 'resend',
      filter: { channel: 'telegram' },
      reason: 'the outage is over',
    });
    assert.equal(started.total, ROWS + 3);
    assert.equal(started.state, 'running');
    assert.equal(started.done, 0, 'nothing is changed before start() answers');
    const end = await jobs.wait(started.id);
    assert.equal(end.state, 'done');
    assert.equal(end.done, ROWS);
    // The rows of an aborted turn match the filter, but nothing of an aborted turn is sent again.
    assert.equal(end.refused, 3);
    assert.deepEqual(end.refusals.map((r) => r.id).sort(), ['aborted-0', 'aborted-1', 'aborted-2']);

    // Progress: one event per batch of 100 (unthrottled here), counts only growing, then the end.
    const progress = events.filter((e) => e.state === 'running');
    assert.ok(progress.length >= ROWS / 100, `${progress.length} progress events`);
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i]!.done + progress[i]!.refused > progress[i - 1]!.done + progress[i - 1]!.refused);
    }
    assert.deepEqual(events.at(-1), end);

    const resent = store.lc.db
      .prepare(
        `SELECT count(*) AS n, count(DISTINCT resend_of) AS originals FROM message_outbox WHERE resend_of IS NOT NULL`,
      )
      .get() as { n: number; originals: number };
    assert.deepEqual(resent, { n: ROWS, originals: ROWS });

    // One audit entry for the job, with the filter in words, the counts and the person's reason.
    const audit = await store.auditTrail({ limit: 500 });
    assert.equal(audit.items.length, 1, JSON.stringify(audit.items.slice(0, 3)));
    const [entry] = audit.items;
    assert.equal(entry!.action, 'bulk');
    assert.equal(entry!.by, 'desk:alice');
    assert.equal(entry!.note, 'the outage is over');
    assert.match(entry!.reason ?? '', /resend/);
    assert.match(entry!.reason ?? '', /channel telegram/);
    assert.match(entry!.reason ?? '', /10,000 done, 3 refused/);
    // The per-row entries are in each row's timeline, marked with the job.
    const timeline = await store.history('row-42');
    assert.ok(timeline.some((e) => e.jobId === started.id && e.note === 'the outage is over'));
  } finally {
    await store.close();
  }
});

test('a retry job on 10,000 rows can be cancelled between batches; what it did stays done', async () => {
  const { store, clock } = open();
  try {
    seed(store, clock, 'failed_retryable');
    let cancelled: BulkJob | undefined;
    const jobs: BulkJobs = new BulkJobs({
      store,
      operator: 'desk:bob',
      throttleMs: 0,
      // Cancelled from the first progress event: the job stops after the batch it is in.
      emit: (j) => {
        if (!cancelled && j.state === 'running') cancelled = jobs.cancel(j.id);
      },
    });
    const started = await jobs.start({ list: 'outbox', action: 'retry', filter: { errorClass: 'retryable' } });
    assert.equal(started.total, ROWS);
    const end = await jobs.wait(started.id);
    assert.equal(cancelled?.state, 'running');
    assert.equal(end.state, 'cancelled');
    assert.ok(end.done >= 100 && end.done < ROWS, `${end.done} done`);
    assert.equal(end.done % 100, 0, 'whole batches only');
    // Retried rows are due now; the others still wait for their backoff.
    const due = store.lc.db
      .prepare(`SELECT count(*) AS n FROM message_outbox WHERE next_attempt_at <= ?`)
      .get(clock.t) as { n: number };
    assert.equal(due.n, end.done);
    assert.throws(() => jobs.cancel(started.id), /already ended \(cancelled\)/);
    const audit = await store.auditTrail({ action: 'bulk' });
    assert.equal(audit.items.length, 1);
    assert.match(audit.items[0]!.reason ?? '', new RegExp(`${end.done.toLocaleString('en-US')} done`));
    assert.deepEqual(
      jobs.list().map((j) => [j.id, j.state]),
      [[started.id, 'cancelled']],
    );
  } finally {
    await store.close();
  }
});

test('progress events are throttled to at most 4 a second, and the end is always told', async () => {
  const { store, clock } = open();
  try {
    seed(store, clock, 'failed_retryable');
    const events: { at: number; job: BulkJob }[] = [];
    const jobs = new BulkJobs({ store, operator: 'desk:bob', emit: (job) => events.push({ at: Date.now(), job }) });
    const started = await jobs.start({ list: 'outbox', action: 'terminate', filter: {} });
    const end = await jobs.wait(started.id);
    assert.deepEqual([end.state, end.done, end.refused], ['done', ROWS, 0]);
    const progress = events.filter((e) => e.job.state === 'running');
    // The job reads the clock a moment before it calls emit: a few ms of slack between the two.
    for (let i = 1; i < progress.length; i++) {
      const gap = progress[i]!.at - progress[i - 1]!.at;
      assert.ok(gap >= 240, `${gap} ms between two progress events`);
    }
    assert.equal(events.at(-1)!.job.state, 'done');
  } finally {
    await store.close();
  }
});

test('a filter no row can take runs an empty job that still says what it did', async () => {
  const { store, clock } = open();
  try {
    seed(store, clock, 'failed_retryable');
    const jobs = new BulkJobs({ store, operator: 'desk:bob' });
    const started = await jobs.start({ list: 'outbox', action: 'retry', filter: { status: ['delivered'] } });
    const end = await jobs.wait(started.id);
    assert.deepEqual([end.state, end.total, end.done, end.refused], ['done', 0, 0, 0]);
    const audit = await store.auditTrail({ action: 'bulk' });
    assert.equal(audit.items.length, 1);
    assert.match(audit.items[0]!.reason ?? '', /0 done, 0 refused/);
  } finally {
    await store.close();
  }
});

test('a filter in words: fixed order, plain status words, UTC times, "all …" when empty', () => {
  assert.equal(filterText('turns', {}), 'all turns');
  assert.equal(filterText('outbox', { status: [] }), 'all outbox rows');
  assert.equal(
    filterText('outbox', {
      signature: '# bad gateway',
      channel: 'telegram',
      status: ['failed_retryable', 'queued'],
      since: Date.UTC(2026, 11, 1, 9, 30),
    }),
    'status (failed, will be retried or waiting to be sent), channel telegram, error "# bad gateway", from 2026-12-01 09:30 UTC',
  );
  assert.equal(
    filterText('turns', { dead: true, search: '9001' }),
    'failed for good (needs attention), matching "9001"',
  );
  assert.equal(filterText('audit', { by: 'alice', action: 'bulk' }), 'by "alice", action bulk');
});

test('the effective filter: the statuses the action takes, intersected; none left is nothing, not everything', () => {
  assert.deepEqual(effectiveFilter('retry', { channel: 'x' }), {
    channel: 'x',
    status: ['queued', 'failed_retryable'],
  });
  assert.deepEqual(effectiveFilter('resend', { status: ['queued', 'expired'] }), { status: ['expired'] });
  assert.equal(effectiveFilter('retry', { status: ['delivered'] }), null);
  assert.deepEqual(effectiveFilter('replay-as-new', {}), { status: ['failed_terminal', 'aborted'] });
});

test('through the API: startBulk answers at once, cancelBulk stops the job between batches, getBulkJobs shows it', async () => {
  const { store, clock } = open();
  try {
    seed(store, clock, 'failed_retryable');
    const events: BulkJob[] = [];
    let firstProgress!: () => void;
    const progressed = new Promise<void>((resolve) => (firstProgress = resolve));
    const jobs = new BulkJobs({
      store,
      operator: 'desk:carol',
      throttleMs: 0,
      emit: (job) => {
        events.push(job);
        if (job.state === 'running') firstProgress();
      },
    });
    const api = createApi({
      store,
      operator: 'desk:carol',
      info: () => ({}) as AppInfo,
      lastExternalWriteAt: () => null,
      jobs,
    });
    const started = await api.dispatch('startBulk', {
      list: 'outbox',
      action: 'terminate',
      filter: { channel: 'telegram' },
      reason: 'wrong recipients',
    });
    assert.ok(started.ok);
    const job = started.value as BulkJob;
    assert.deepEqual([job.state, job.total, job.done], ['running', ROWS, 0]);
    await progressed;
    const cancel = await api.dispatch('cancelBulk', { id: job.id });
    assert.ok(cancel.ok);
    const end = await jobs.wait(job.id);
    assert.equal(end.state, 'cancelled');
    assert.ok(end.done < ROWS);
    const listed = await api.dispatch('getBulkJobs', {});
    assert.ok(listed.ok);
    assert.deepEqual(
      (listed.value as BulkJob[]).map((j) => [j.id, j.state, j.done]),
      [[job.id, 'cancelled', end.done]],
    );
    const terminated = store.lc.db
      .prepare(`SELECT count(*) AS n FROM message_outbox WHERE terminal_reason = 'operator_terminated'`)
      .get() as { n: number };
    assert.equal(terminated.n, end.done);
    const audit = await api.dispatch('getAudit', {});
    assert.ok(audit.ok);
    const items = (audit.value as { items: { action: string; note: string }[] }).items;
    assert.deepEqual(
      items.map((e) => [e.action, e.note]),
      [['bulk', 'wrong recipients']],
    );
    assert.equal(events.at(-1)!.state, 'cancelled');
  } finally {
    await store.close();
  }
});

test('an abort by filter works on sessions and counts their turns, also when a session spans batches', async () => {
  const { store, clock } = open();
  try {
    for (let i = 0; i < 90; i++) {
      clock.advance(1);
      const { turn } = await store.accept({
        channel: 'telegram',
        sessionKey: `s-${i % 30}`,
        payload: { text: 'q' },
        route: { channel: 'telegram', to: 'c' },
      });
      if (i % 2) await store.markRunning(turn.id);
    }
    const jobs = new BulkJobs({ store, operator: 'desk:dan', batchSize: 7 });
    const started = await jobs.start({ list: 'turns', action: 'abort', filter: { channel: 'telegram' } });
    assert.equal(started.total, 90);
    const end = await jobs.wait(started.id);
    assert.deepEqual([end.state, end.done, end.refused], ['done', 90, 0]);
    const open = await store.countTurns({ status: ['accepted', 'running'] });
    assert.equal(open, 0);
    assert.equal(await store.countTurns({ status: ['aborted'] }), 90);
    const audit = await store.auditTrail({});
    assert.equal(audit.items.length, 1);
    assert.match(audit.items[0]!.reason ?? '', /abort.*90 done, 0 refused/);
  } finally {
    await store.close();
  }
});
