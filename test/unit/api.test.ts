// The API table (shared/api.ts, main/api/service.ts): every method is implemented and answers
// an ApiResult through createApi(...).dispatch on a real database; untrusted arguments are
// refused as invalid_argument / unknown_method without throwing; actions on rows in the wrong
// state are refused with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  API_METHODS,
  CURSOR_MAX_LENGTH,
  ID_MAX_LENGTH,
  type ApiMethod,
  type AppInfo,
  type ApiResult,
  type ApiResults,
  type BulkResult,
} from '../../shared/api';
import { BulkJobs } from '../../main/api/jobs';
import { createApi } from '../../main/api/service';
import type { BulkJob } from '../../shared/triage';
import type { LifecycleStore } from '../../main/store/contract';
import { eachBackend, type Case } from '../helpers/backends';
import { ROUTE, uid } from '../helpers/temp-db';

interface Fixture {
  store: LifecycleStore;
  c: Case;
  dispatch(method: unknown, args: unknown): Promise<ApiResult<unknown>>;
  /** Session "s-open": delivery_pending, its final row failed once (failed_retryable). */
  openTurn: string;
  pendingRow: string;
  /** Session "s-done": delivered, final row delivered. */
  doneTurn: string;
  deliveredRow: string;
  /** Session "s-failed": live processing threw; no final row, so it can be replayed. */
  failedTurn: string;
  dbPath: string;
  jobs: BulkJobs;
  /** The `job` events the jobs pushed. */
  jobEvents: BulkJob[];
}

/** Runs the turn and writes its final reply to a telegram chat (not sent yet): the row's id. */
async function finalRowOf(store: Fixture['store'], turn: string, target: string, text: string): Promise<string> {
  await store.markRunning(turn);
  const { row } = await store.enqueue({
    turnId: turn,
    channel: 'telegram',
    target,
    dispatchKind: 'final',
    payload: { text },
  });
  return row.id;
}

/** Session "s-dead": its only final row failed for good (403), so the turn failed for good too. */
async function deadTurnAndRow(f: Fixture): Promise<{ turn: string; row: string }> {
  const { store } = f;
  const turn = (
    await store.accept({
      channel: 'telegram',
      sessionKey: 's-dead',
      dedupeKey: uid('dk'),
      externalId: '9001',
      payload: { text: 'where is my answer' },
      route: ROUTE,
    })
  ).turn.id;
  const row = await finalRowOf(store, turn, 'chat-9', 'the answer');
  await store.fail(row, { error: '403 Forbidden: bot was blocked by the user', errorClass: 'terminal' });
  await store.finalize(turn);
  return { turn, row };
}

async function fixture(c: Case): Promise<Fixture> {
  const { store } = c;
  const accept = async (session: string): Promise<string> =>
    (
      await store.accept({
        channel: 'telegram',
        sessionKey: session,
        dedupeKey: uid('dk'),
        payload: { text: 'hi' },
        route: ROUTE,
      })
    ).turn.id;

  const openTurn = await accept('s-open');
  const pendingRow = await finalRowOf(store, openTurn, 'chat-1', 'answer');
  await store.fail(pendingRow, { error: '502 Bad Gateway', errorClass: 'retryable' });

  const doneTurn = await accept('s-done');
  const deliveredRow = await finalRowOf(store, doneTurn, 'chat-1', 'ok');
  await store.ack(deliveredRow);
  await store.finalize(doneTurn);

  const failedTurn = await accept('s-failed');
  await store.markRunning(failedTurn);
  await store.recordFailure(failedTurn, 'agent crashed');

  const info = (): AppInfo => ({
    dbPath: store.location,
    schemaVersion: store.fileVersion,
    demo: false,
    version: '9.9.9',
    operator: 'desk:test',
    role: 'observer',
    roleReason: 'a test',
    readOnly: false,
    recovering: false,
    integrity: { state: 'ok', checked: 1, total: 1, message: null },
    retentionMs: store.config.retentionMs,
    attentionWindowMs: store.config.attentionWindowMs,
  });
  const jobEvents: BulkJob[] = [];
  const jobs = new BulkJobs({ store, operator: 'desk:test', emit: (job) => jobEvents.push(job) });
  const api = createApi({ store, operator: 'desk:test', info, lastExternalWriteAt: () => null, jobs });
  return {
    store,
    c,
    dispatch: (m, a) => api.dispatch(m, a),
    openTurn,
    pendingRow,
    doneTurn,
    deliveredRow,
    failedTurn,
    dbPath: store.location,
    jobs,
    jobEvents,
  };
}

function ok<M extends ApiMethod>(result: ApiResult<unknown>, _method: M): ApiResults[M] {
  assert.equal(result.ok, true, result.ok ? '' : `${result.error.code}: ${result.error.message}`);
  return (result as { ok: true; value: ApiResults[M] }).value;
}

function refused(result: ApiResult<unknown>, code: string): string {
  assert.equal(result.ok, false, `expected ${code}, got ok`);
  const { error } = result as { ok: false; error: { code: string; message: string } };
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 0);
  return error.message;
}

/** A safe dispatch: must never throw or reject, whatever it is given. */
async function call(f: Fixture, method: unknown, args: unknown): Promise<ApiResult<unknown>> {
  let pending: Promise<ApiResult<unknown>> | undefined;
  assert.doesNotThrow(() => {
    pending = f.dispatch(method, args);
  });
  return pending!;
}

// One valid call per method and what it must answer. The Record type makes this table fail to
// compile when a method is added to shared/api.ts without a case here.
const TABLE: Record<ApiMethod, (f: Fixture) => Promise<void>> = {
  getInfo: async (f) => {
    const info = ok(await call(f, 'getInfo', {}), 'getInfo');
    assert.deepEqual(info, {
      dbPath: f.dbPath,
      schemaVersion: info.schemaVersion,
      demo: false,
      version: '9.9.9',
      operator: 'desk:test',
      role: 'observer',
      roleReason: 'a test',
      readOnly: false,
      recovering: false,
      integrity: { state: 'ok', checked: 1, total: 1, message: null },
      retentionMs: 48 * 3_600_000,
      attentionWindowMs: 24 * 3_600_000,
    });
    assert.ok(info.schemaVersion >= 1);
  },
  getStatus: async (f) => {
    const counts = ok(await call(f, 'getStatus', {}), 'getStatus');
    assert.equal(counts.turns.delivery_pending, 1);
    assert.equal(counts.turns.delivered, 1);
    assert.equal(counts.turns.failed_retryable, 1);
    assert.equal(counts.outbox.failed_retryable, 1);
    assert.equal(counts.outbox.delivered, 1);
  },
  getSeries: async (f) => {
    for (const window of ['1h', '24h', '7d'] as const) {
      const points = ok(await call(f, 'getSeries', { window }), 'getSeries');
      assert.ok(points.length > 0);
      assert.ok(points.every((p) => typeof p.t === 'number'));
    }
  },
  listTurns: async (f) => {
    const all = ok(await call(f, 'listTurns', {}), 'listTurns');
    assert.equal(all.items.length, 3);
    const page = ok(await call(f, 'listTurns', { status: ['delivered'], limit: 1 }), 'listTurns');
    assert.deepEqual(
      page.items.map((t) => t.id),
      [f.doneTurn],
    );
    const bySession = ok(await call(f, 'listTurns', { sessionKey: 's-failed' }), 'listTurns');
    assert.deepEqual(
      bySession.items.map((t) => t.id),
      [f.failedTurn],
    );
    // Paging with the cursor reaches every turn exactly once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: ApiResults['listTurns'] = ok(await call(f, 'listTurns', { limit: 1, cursor }), 'listTurns');
      seen.push(...p.items.map((t) => t.id));
      cursor = p.nextCursor;
    } while (cursor);
    assert.deepEqual([...seen].sort(), [f.openTurn, f.doneTurn, f.failedTurn].sort());
  },
  listOutbox: async (f) => {
    const rows = ok(await call(f, 'listOutbox', { turnId: f.openTurn }), 'listOutbox');
    assert.deepEqual(
      rows.items.map((r) => r.id),
      [f.pendingRow],
    );
    assert.equal(rows.items[0]!.lastError, '502 Bad Gateway');
    const delivered = ok(await call(f, 'listOutbox', { status: ['delivered'], kind: 'final' }), 'listOutbox');
    assert.deepEqual(
      delivered.items.map((r) => r.id),
      [f.deliveredRow],
    );
  },
  getTurn: async (f) => {
    const detail = ok(await call(f, 'getTurn', { id: f.openTurn }), 'getTurn');
    assert.equal(detail.turn.id, f.openTurn);
    assert.deepEqual(
      detail.outbox.map((r) => r.id),
      [f.pendingRow],
    );
    assert.ok(detail.history.length > 0);
    refused(await call(f, 'getTurn', { id: 'no-such-turn' }), 'not_found');
  },
  getErrorGroups: async (f) => {
    const groups = ok(await call(f, 'getErrorGroups', {}), 'getErrorGroups');
    const send = groups.find((g) => g.subject === 'outbox')!;
    assert.deepEqual(
      { ...send, firstSeen: 0, lastSeen: 0 },
      {
        subject: 'outbox',
        channel: 'telegram',
        kind: 'final',
        signature: '# bad gateway',
        count: 1,
        retrying: 1,
        dead: 0,
        firstSeen: 0,
        lastSeen: 0,
        sampleId: f.pendingRow,
        sampleError: '502 Bad Gateway',
      },
    );
    const turn = groups.find((g) => g.subject === 'turn')!;
    assert.equal(turn.sampleId, f.failedTurn);
    assert.equal(turn.signature, 'agent crashed');
    // Narrowed by subject and channel.
    const rows = ok(await call(f, 'getErrorGroups', { subject: 'outbox' }), 'getErrorGroups');
    assert.deepEqual(
      rows.map((g) => g.sampleId),
      [f.pendingRow],
    );
    assert.deepEqual(ok(await call(f, 'getErrorGroups', { channel: 'discord' }), 'getErrorGroups'), []);
    // The group's signature selects exactly its members.
    const members = ok(await call(f, 'listOutbox', { signature: send.signature }), 'listOutbox');
    assert.deepEqual(
      members.items.map((r) => r.id),
      [f.pendingRow],
    );
    refused(await call(f, 'getErrorGroups', { sinceMs: 1 }), 'invalid_argument');
  },
  resendRows: async (f) => {
    const dead = await deadTurnAndRow(f);
    const first = ok(
      await call(f, 'resendRows', { ids: [dead.row], reason: 'the user unblocked the bot' }),
      'resendRows',
    );
    assert.equal(first.done, 1);
    const created = first.outcomes[0]!.created!;
    assert.ok(created && created !== dead.row);
    const row = (await f.store.getRow(created))!;
    const original = (await f.store.getRow(dead.row))!;
    assert.equal(row.resendOf, dead.row);
    assert.equal(row.status, 'queued');
    assert.equal(row.turnId, null);
    assert.equal(row.payload, original.payload);
    assert.equal(row.target, original.target);
    // The original never changes; a repeat (a double click) finds the first resend.
    assert.equal(original.status, 'failed_terminal');
    const again = ok(await call(f, 'resendRows', { ids: [dead.row, dead.row] }), 'resendRows');
    assert.deepEqual(again.outcomes, [{ id: dead.row, ok: true, created }]);
    assert.equal((await f.store.listOutbox({ limit: 500 })).items.filter((r) => r.resendOf === dead.row).length, 1);
    // Refused: a row that is still pending, and one that does not exist.
    const wrong = ok(await call(f, 'resendRows', { ids: [f.pendingRow, 'no-such-row'] }), 'resendRows');
    assert.equal(wrong.done, 0);
    assert.deepEqual(
      wrong.outcomes.map((o) => o.code),
      ['invalid_state', 'not_found'],
    );
    // The reason is in the audit.
    const audit = ok(await call(f, 'getAudit', { action: 'resend' }), 'getAudit');
    assert.ok(audit.items.some((e) => e.note === 'the user unblocked the bot' && e.by === 'desk:test'));
    refused(await call(f, 'resendRows', { ids: [dead.row], reason: 'x'.repeat(501) }), 'invalid_argument');
  },
  replayAsNew: async (f) => {
    const dead = await deadTurnAndRow(f);
    const first = ok(await call(f, 'replayAsNew', { ids: [dead.turn], reason: 'ticket 42' }), 'replayAsNew');
    assert.equal(first.done, 1);
    const created = first.outcomes[0]!.created!;
    const turn = (await f.store.getTurn(created))!;
    assert.equal(turn.replayOf, dead.turn);
    assert.equal(turn.status, 'accepted');
    assert.equal(turn.sessionKey, 's-dead');
    assert.equal(turn.externalId, '9001');
    assert.equal((await f.store.getTurn(dead.turn))!.status, 'failed_terminal');
    assert.deepEqual((await f.store.turnDetail(dead.turn)).replayedAs, [created]);
    const again = ok(await call(f, 'replayAsNew', { ids: [dead.turn] }), 'replayAsNew');
    assert.deepEqual(again.outcomes, [{ id: dead.turn, ok: true, created }]);
    // A delivered turn has its answer: refused.
    const wrong = ok(await call(f, 'replayAsNew', { ids: [f.doneTurn] }), 'replayAsNew');
    assert.equal(wrong.outcomes[0]!.code, 'invalid_state');
    const audit = ok(await call(f, 'getAudit', { action: 'replay-as-new' }), 'getAudit');
    assert.ok(audit.items.some((e) => e.note === 'ticket 42'));
    refused(await call(f, 'replayAsNew', { ids: [] }), 'invalid_argument');
  },
  previewBulk: async (f) => {
    const preview = ok(
      await call(f, 'previewBulk', { list: 'outbox', action: 'retry', filter: { channel: 'telegram' } }),
      'previewBulk',
    );
    assert.equal(preview.count, 1, 'only the pending row can be retried');
    assert.equal(preview.matching, 2);
    assert.deepEqual(
      preview.sample.map((r) => r.id),
      [f.pendingRow],
    );
    assert.equal(preview.filterText, 'channel telegram');
    // Statuses the action cannot take narrow to nothing: not to "any status".
    const none = ok(
      await call(f, 'previewBulk', { list: 'outbox', action: 'retry', filter: { status: ['delivered'] } }),
      'previewBulk',
    );
    assert.deepEqual({ ...none, filterText: '' }, { count: 0, matching: 1, sample: [], filterText: '' });
    const turns = ok(
      await call(f, 'previewBulk', { list: 'turns', action: 'abort', filter: { sessionKey: 's-open' } }),
      'previewBulk',
    );
    assert.deepEqual([turns.count, turns.matching], [1, 1]);
    // A preview changes nothing.
    assert.equal((await f.store.getRow(f.pendingRow))!.status, 'failed_retryable');
    refused(await call(f, 'previewBulk', { list: 'turns', action: 'retry', filter: {} }), 'invalid_argument');
    refused(
      await call(f, 'previewBulk', { list: 'outbox', action: 'retry', filter: { sessionKey: 'x' } }),
      'invalid_argument',
    );
  },
  startBulk: async (f) => {
    const job = ok(
      await call(f, 'startBulk', {
        list: 'outbox',
        action: 'terminate',
        filter: { channel: 'telegram' },
        reason: 'telegram outage',
      }),
      'startBulk',
    );
    assert.equal(job.state, 'running');
    assert.equal(job.total, 1);
    assert.equal(job.reason, 'telegram outage');
    const end = await f.jobs.wait(job.id);
    assert.deepEqual([end.state, end.done, end.refused], ['done', 1, 0]);
    assert.equal(f.jobEvents.at(-1)!.state, 'done');
    const row = (await f.store.getRow(f.pendingRow))!;
    assert.equal(row.terminalReason, 'operator_terminated');
    // One audit entry for the job; its per-row entry is not in the audit.
    const audit = ok(await call(f, 'getAudit', {}), 'getAudit');
    const bulk = audit.items.filter((e) => e.action === 'bulk');
    assert.equal(bulk.length, 1);
    assert.equal(bulk[0]!.note, 'telegram outage');
    assert.match(bulk[0]!.reason ?? '', /terminate.*channel telegram.*1 done, 0 refused/);
    assert.ok(!audit.items.some((e) => e.action === 'terminate'));
    refused(await call(f, 'startBulk', { list: 'outbox', action: 'abort', filter: {} }), 'invalid_argument');
  },
  getBulkJobs: async (f) => {
    assert.deepEqual(ok(await call(f, 'getBulkJobs', {}), 'getBulkJobs'), []);
    const job = ok(await call(f, 'startBulk', { list: 'outbox', action: 'retry', filter: {} }), 'startBulk');
    await f.jobs.wait(job.id);
    const jobs = ok(await call(f, 'getBulkJobs', {}), 'getBulkJobs');
    assert.deepEqual(
      jobs.map((j) => [j.id, j.state, j.done]),
      [[job.id, 'done', 1]],
    );
    refused(await call(f, 'getBulkJobs', { all: true }), 'invalid_argument');
  },
  cancelBulk: async (f) => {
    refused(await call(f, 'cancelBulk', { id: 'job-nope' }), 'not_found');
    const job = ok(await call(f, 'startBulk', { list: 'outbox', action: 'retry', filter: {} }), 'startBulk');
    await f.jobs.wait(job.id);
    assert.match(refused(await call(f, 'cancelBulk', { id: job.id }), 'invalid_state'), /already ended \(done\)/);
    refused(await call(f, 'cancelBulk', {}), 'invalid_argument');
  },
  getAudit: async (f) => {
    ok(await call(f, 'replayTurns', { ids: [f.failedTurn] }), 'replayTurns');
    const audit = ok(await call(f, 'getAudit', { limit: 10 }), 'getAudit');
    assert.ok(
      audit.items.some((e) => e.actor === 'operator' && e.by === 'desk:test'),
      'operator actions are recorded with who did them',
    );
  },
  previewAbort: async (f) => {
    const preview = ok(await call(f, 'previewAbort', { sessionKeys: ['s-open', 's-done', 's-open'] }), 'previewAbort');
    assert.deepEqual(preview, { turns: 1, outbox: 1 });
    // A preview changes nothing.
    assert.equal((await f.store.getTurn(f.openTurn))!.status, 'delivery_pending');
  },
  abortSessions: async (f) => {
    const result = ok(await call(f, 'abortSessions', { sessionKeys: ['s-open', 's-done'] }), 'abortSessions');
    assert.equal(result.done, 1);
    assert.equal(result.refused, 1);
    assert.deepEqual(result.totals, { turns: 1, outbox: 1, turnIds: [f.openTurn] });
    assert.equal((await f.store.getTurn(f.openTurn))!.status, 'aborted');
    assert.equal((await f.store.getRow(f.pendingRow))!.status, 'failed_terminal');
    const refusal = result.outcomes.find((o) => o.id === 's-done')!;
    assert.equal(refusal.ok, false);
    assert.match(refusal.error!, /no open turns/);
  },
  replayTurns: async (f) => {
    const result = ok(await call(f, 'replayTurns', { ids: [f.failedTurn] }), 'replayTurns');
    assert.deepEqual(result.outcomes, [{ id: f.failedTurn, ok: true }]);
    assert.equal(result.done, 1);
    // No worker has a heartbeat in this file: the answer says the replay waits for one.
    assert.match(
      result.note ?? '',
      /^The replay runs when a recovery worker with the gateway's handlers runs: no recovery worker has recorded a heartbeat in this database\.$/,
    );
    const turn = (await f.store.getTurn(f.failedTurn))!;
    assert.equal(turn.status, 'failed_retryable');
    assert.ok(turn.nextAttemptAt <= f.c.clock.t);
  },
  retryRows: async (f) => {
    const result = ok(
      await call(f, 'retryRows', { ids: [f.pendingRow], reason: '  the gateway is back  ' }),
      'retryRows',
    );
    assert.equal(result.done, 1);
    // The reason, trimmed, is the action's note in the audit.
    const audit = ok(await call(f, 'getAudit', { action: 'retry' }), 'getAudit');
    assert.deepEqual(
      audit.items.map((e) => [e.entityId, e.note, e.by]),
      [[f.pendingRow, 'the gateway is back', 'desk:test']],
    );
    assert.ok((await f.store.getRow(f.pendingRow))!.nextAttemptAt <= f.c.clock.t);
  },
  getLiveness: async (f) => {
    const l = ok(await call(f, 'getLiveness', {}), 'getLiveness');
    assert.deepEqual(l.workers, []);
    assert.equal(l.nextPassAt, null);
    assert.match(l.banner ?? '', /No recovery worker has recorded a heartbeat in this database/);
    assert.ok(l.lastWriteAt !== null && l.lastWriteAt <= f.c.clock.t);
  },
  getChannelStats: async (f) => {
    f.c.clock.advance(1_000); // the window [now − 1 h, now) holds what happened before now
    const stats = ok(await call(f, 'getChannelStats', { window: '1h' }), 'getChannelStats');
    const now = f.c.clock.t;
    assert.equal(stats.until, now);
    assert.equal(stats.since, now - 3_600_000);
    assert.equal(stats.fill.state, 'ready');
    assert.equal(stats.channels.length, 1);
    const [telegram] = stats.channels;
    // The fixture's three turns: one delivered (at once: 0 ms), one pending, one failed for now.
    assert.deepEqual(
      { ...telegram, latency: telegram!.latency && { count: telegram!.latency.count, p50: telegram!.latency.p50 } },
      {
        channel: 'telegram',
        accepted: 3,
        delivered: 1,
        failed: 0,
        aborted: 0,
        failureRate: 0,
        stuckTurns: await f.store.countTurns({ channel: 'telegram', stuck: true }),
        stuckOutbox: await f.store.countOutbox({ channel: 'telegram', stuck: true }),
        latency: { count: 1, p50: 0 },
      },
    );
    assert.ok(telegram!.stuckTurns > 0 && telegram!.stuckOutbox > 0);
    // Another range: before the fixture, nothing was counted.
    const before = ok(
      await call(f, 'getChannelStats', { since: now - 7_200_000, until: now - 3_600_000 }),
      'getChannelStats',
    );
    assert.equal(before.channels[0]?.accepted, 0);
    for (const [args, message] of [
      [{ since: now, until: now }, /must be before/],
      [{ since: now, until: now - 1 }, /must be before/],
      [{ since: now - 91 * 86_400_000, until: now }, /at most 90 days/],
      [{ window: '1h', since: now - 1 }, /either a window or a since/],
      [{ window: '2h' }, /window/],
    ] as const) {
      const r = await call(f, 'getChannelStats', args as never);
      assert.equal(r.ok, false, JSON.stringify(args));
      if (!r.ok) {
        assert.equal(r.error.code, 'invalid_argument');
        assert.match(r.error.message, message);
      }
    }
  },
  terminateRows: async (f) => {
    const result = ok(await call(f, 'terminateRows', { ids: [f.pendingRow] }), 'terminateRows');
    assert.equal(result.done, 1);
    const row = (await f.store.getRow(f.pendingRow))!;
    assert.equal(row.status, 'failed_terminal');
    assert.equal(row.terminalReason, 'operator_terminated');
    // The turn's only final row is terminal: the turn is decided at once.
    assert.equal((await f.store.getTurn(f.openTurn))!.status, 'failed_terminal');
  },
  prune: async (f) => {
    const result = ok(await call(f, 'prune', {}), 'prune');
    assert.deepEqual(Object.keys(result).sort(), ['history', 'outbox', 'turns']);
  },
};

test('the table covers exactly API_METHODS', () => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...API_METHODS].sort());
});

for (const method of API_METHODS) {
  eachBackend(`${method}: implemented and answers through dispatch on a real database`, async (c) => {
    await TABLE[method](await fixture(c));
  });
}

eachBackend('unknown methods answer unknown_method, including prototype names', async (c) => {
  const f = await fixture(c);
  for (const m of [
    'nope',
    '',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'GETINFO',
    42,
    null,
    undefined,
    {},
  ]) {
    refused(await call(f, m, {}), 'unknown_method');
  }
});

eachBackend('bad arguments answer invalid_argument without throwing', async (c) => {
  const f = await fixture(c);
  const huge = Array.from({ length: 100_000 }, (_, i) => `id-${i}`);
  const cases: [ApiMethod, unknown][] = [
    // wrong types
    ['getInfo', 'x'],
    ['getInfo', [1]],
    ['getInfo', 5],
    ['getSeries', { window: '2h' }],
    ['getSeries', {}],
    ['listTurns', { limit: '10' }],
    ['listTurns', { limit: 0 }],
    ['listTurns', { limit: 501 }],
    ['listTurns', { limit: 1.5 }],
    ['listTurns', { status: 'running' }],
    ['listTurns', { status: ['sleeping'] }],
    ['listTurns', { stuck: 'yes' }],
    ['listTurns', { order: 'random' }],
    ['listTurns', { cursor: 'not-a-cursor' }],
    ['listTurns', { cursor: 'x'.repeat(CURSOR_MAX_LENGTH + 1) }],
    ['listOutbox', { kind: 'poem' }],
    ['listOutbox', { turnId: '' }],
    ['getTurn', { id: 7 }],
    ['getTurn', { id: '' }],
    ['getTurn', { id: 'x'.repeat(ID_MAX_LENGTH + 1) }],
    ['getTurn', {}],
    ['getAudit', { limit: -1 }],
    ['replayTurns', { ids: f.failedTurn }],
    ['replayTurns', { ids: [] }],
    ['replayTurns', { ids: [null] }],
    ['abortSessions', { sessionKeys: [{}] }],
    // extra keys
    ['getStatus', { extra: 1 }],
    ['listTurns', { limit: 5, sql: 'DROP TABLE message_turns' }],
    ['prune', { force: true }],
    ['retryRows', { ids: [f.pendingRow], now: true }],
    ['getTurn', JSON.parse(`{"id":"${f.openTurn}","__proto__":{"polluted":true}}`)],
    ['listTurns', JSON.parse('{"constructor":{"prototype":{"polluted":true}}}')],
    // huge inputs
    ['replayTurns', { ids: huge }],
    ['retryRows', { ids: huge }],
    ['terminateRows', { ids: huge }],
    ['abortSessions', { sessionKeys: huge }],
    ['previewAbort', { sessionKeys: huge }],
    ['listTurns', { search: 'x'.repeat(10_000) }],
    [
      'listTurns',
      { status: ['running', 'running', 'running', 'running', 'running', 'running', 'running', 'running', 'running'] },
    ],
  ];
  for (const [method, args] of cases) {
    const message = refused(await call(f, method, args), 'invalid_argument');
    assert.ok(message.startsWith(`${method}`) || /cursor/.test(message), `the message names the method: ${message}`);
  }
  // Nothing was changed by the refused calls.
  assert.equal((await f.store.getRow(f.pendingRow))!.status, 'failed_retryable');
  assert.equal((await f.store.getTurn(f.openTurn))!.status, 'delivery_pending');
  // Missing/null arguments mean "no arguments".
  ok(await call(f, 'getStatus', undefined), 'getStatus');
  ok(await call(f, 'getStatus', null), 'getStatus');
});

function assertRefusedOnly(result: BulkResult, id: string, pattern: RegExp): void {
  assert.equal(result.done, 0);
  assert.equal(result.refused, 1);
  assert.equal(result.outcomes.length, 1);
  const [outcome] = result.outcomes;
  assert.equal(outcome!.id, id);
  assert.equal(outcome!.ok, false);
  assert.match(outcome!.error!, pattern);
}

eachBackend('actions in the wrong state are refused (invalid_state) with the reason, and change nothing', async (c) => {
  const f = await fixture(c);
  const before = JSON.stringify([await f.store.getTurn(f.doneTurn), await f.store.getRow(f.deliveredRow)]);
  // Replaying a delivered (terminal) turn.
  assertRefusedOnly(
    ok(await call(f, 'replayTurns', { ids: [f.doneTurn] }), 'replayTurns'),
    f.doneTurn,
    /delivered.*terminal turn never changes/,
  );
  // Replaying a turn whose final row is still queued: the row must be retried instead.
  assertRefusedOnly(ok(await call(f, 'replayTurns', { ids: [f.openTurn] }), 'replayTurns'), f.openTurn, /still queued/);
  // Retrying or terminating a delivered row.
  assertRefusedOnly(
    ok(await call(f, 'retryRows', { ids: [f.deliveredRow] }), 'retryRows'),
    f.deliveredRow,
    /is delivered/,
  );
  assertRefusedOnly(
    ok(await call(f, 'terminateRows', { ids: [f.deliveredRow] }), 'terminateRows'),
    f.deliveredRow,
    /is delivered/,
  );
  // Aborting a session with nothing open.
  const abort = ok(await call(f, 'abortSessions', { sessionKeys: ['s-done'] }), 'abortSessions');
  assertRefusedOnly(abort, 's-done', /no open turns/);
  assert.deepEqual(abort.totals, { turns: 0, outbox: 0, turnIds: [] });
  // Unknown ids are refused per id, the rest of the batch still runs.
  const mixed = ok(await call(f, 'retryRows', { ids: ['no-such-row', f.pendingRow] }), 'retryRows');
  assert.equal(mixed.done, 1);
  assert.equal(mixed.refused, 1);
  assert.match(mixed.outcomes[0]!.error!, /no-such-row/);
  assert.equal(JSON.stringify([await f.store.getTurn(f.doneTurn), await f.store.getRow(f.deliveredRow)]), before);
  // Terminating twice: the second time the row is already terminal.
  ok(await call(f, 'terminateRows', { ids: [f.pendingRow] }), 'terminateRows');
  assertRefusedOnly(
    ok(await call(f, 'terminateRows', { ids: [f.pendingRow] }), 'terminateRows'),
    f.pendingRow,
    /failed_terminal/,
  );
});

eachBackend('a payload containing HTML comes back as the exact string', async (c) => {
  const f = await fixture(c);
  const html = '<img src=x onerror=alert(1)><script>alert("x")</script>&amp; \u202e';
  const { turn } = await f.store.accept({
    channel: 'slack',
    sessionKey: 's-html',
    payload: { text: html },
    route: ROUTE,
  });
  const detail = ok(await call(f, 'getTurn', { id: turn.id }), 'getTurn');
  assert.equal((JSON.parse(detail.turn.payload) as { text: string }).text, html);
});
