// The API table (shared/api.ts, main/api/service.ts): every method is implemented and answers
// an ApiResult through createApi(...).dispatch on a real database; untrusted arguments are
// refused as invalid_argument / unknown_method without throwing; actions on rows in the wrong
// state are refused with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  API_METHODS,
  type ApiMethod,
  type AppInfo,
  type ApiResult,
  type ApiResults,
  type BulkResult,
} from '../../shared/api';
import { createApi } from '../../main/api/service';
import type { Lifecycle } from '../../main/lifecycle';
import { ROUTE, openTemp, uid } from '../helpers/temp-db';

interface Fixture {
  lc: Lifecycle;
  dispatch(method: unknown, args: unknown): ApiResult<unknown>;
  /** Session "s-open": delivery_pending, its final row failed once (failed_retryable). */
  openTurn: string;
  pendingRow: string;
  /** Session "s-done": delivered, final row delivered. */
  doneTurn: string;
  deliveredRow: string;
  /** Session "s-failed": live processing threw; no final row, so it can be replayed. */
  failedTurn: string;
  dbPath: string;
}

function fixture(): Fixture {
  const { lc, file } = openTemp();
  const accept = (session: string): string =>
    lc.accept({ channel: 'telegram', sessionKey: session, dedupeKey: uid('dk'), payload: { text: 'hi' }, route: ROUTE })
      .turn.id;

  const openTurn = accept('s-open');
  lc.markRunning(openTurn);
  const pendingRow = lc.enqueue({
    turnId: openTurn,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { text: 'answer' },
  }).row.id;
  lc.fail(pendingRow, { error: '502 Bad Gateway', errorClass: 'retryable' });

  const doneTurn = accept('s-done');
  lc.markRunning(doneTurn);
  const deliveredRow = lc.enqueue({
    turnId: doneTurn,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { text: 'ok' },
  }).row.id;
  lc.ack(deliveredRow);
  lc.finalize(doneTurn);

  const failedTurn = accept('s-failed');
  lc.markRunning(failedTurn);
  lc.recordFailure(failedTurn, 'agent crashed');

  const info = (): AppInfo => ({
    dbPath: file,
    schemaVersion: lc.fileVersion,
    demo: false,
    version: '9.9.9',
    operator: 'desk:test',
    role: 'observer',
    roleReason: 'a test',
    readOnly: false,
    recovering: false,
    integrity: { state: 'ok', checked: 1, total: 1, message: null },
    retentionMs: lc.core.config.retentionMs,
  });
  const api = createApi({ lc, operator: 'desk:test', info, lastExternalWriteAt: () => null });
  return {
    lc,
    dispatch: (m, a) => api.dispatch(m, a),
    openTurn,
    pendingRow,
    doneTurn,
    deliveredRow,
    failedTurn,
    dbPath: file,
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

/** A safe dispatch: must never throw, whatever it is given. */
function call(f: Fixture, method: unknown, args: unknown): ApiResult<unknown> {
  let result: ApiResult<unknown> | undefined;
  assert.doesNotThrow(() => {
    result = f.dispatch(method, args);
  });
  return result!;
}

// One valid call per method and what it must answer. The Record type makes this table fail to
// compile when a method is added to shared/api.ts without a case here.
const TABLE: Record<ApiMethod, (f: Fixture) => void> = {
  getInfo: (f) => {
    const info = ok(call(f, 'getInfo', {}), 'getInfo');
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
    });
    assert.ok(info.schemaVersion >= 1);
  },
  getStatus: (f) => {
    const counts = ok(call(f, 'getStatus', {}), 'getStatus');
    assert.equal(counts.turns.delivery_pending, 1);
    assert.equal(counts.turns.delivered, 1);
    assert.equal(counts.turns.failed_retryable, 1);
    assert.equal(counts.outbox.failed_retryable, 1);
    assert.equal(counts.outbox.delivered, 1);
  },
  getSeries: (f) => {
    for (const window of ['1h', '24h', '7d'] as const) {
      const points = ok(call(f, 'getSeries', { window }), 'getSeries');
      assert.ok(points.length > 0);
      assert.ok(points.every((p) => typeof p.t === 'number'));
    }
  },
  listTurns: (f) => {
    const all = ok(call(f, 'listTurns', {}), 'listTurns');
    assert.equal(all.items.length, 3);
    const page = ok(call(f, 'listTurns', { status: ['delivered'], limit: 1 }), 'listTurns');
    assert.deepEqual(
      page.items.map((t) => t.id),
      [f.doneTurn],
    );
    const bySession = ok(call(f, 'listTurns', { sessionKey: 's-failed' }), 'listTurns');
    assert.deepEqual(
      bySession.items.map((t) => t.id),
      [f.failedTurn],
    );
    // Paging with the cursor reaches every turn exactly once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: ApiResults['listTurns'] = ok(call(f, 'listTurns', { limit: 1, cursor }), 'listTurns');
      seen.push(...p.items.map((t) => t.id));
      cursor = p.nextCursor;
    } while (cursor);
    assert.deepEqual([...seen].sort(), [f.openTurn, f.doneTurn, f.failedTurn].sort());
  },
  listOutbox: (f) => {
    const rows = ok(call(f, 'listOutbox', { turnId: f.openTurn }), 'listOutbox');
    assert.deepEqual(
      rows.items.map((r) => r.id),
      [f.pendingRow],
    );
    assert.equal(rows.items[0]!.lastError, '502 Bad Gateway');
    const delivered = ok(call(f, 'listOutbox', { status: ['delivered'], kind: 'final' }), 'listOutbox');
    assert.deepEqual(
      delivered.items.map((r) => r.id),
      [f.deliveredRow],
    );
  },
  getTurn: (f) => {
    const detail = ok(call(f, 'getTurn', { id: f.openTurn }), 'getTurn');
    assert.equal(detail.turn.id, f.openTurn);
    assert.deepEqual(
      detail.outbox.map((r) => r.id),
      [f.pendingRow],
    );
    assert.ok(detail.history.length > 0);
    refused(call(f, 'getTurn', { id: 'no-such-turn' }), 'not_found');
  },
  getAudit: (f) => {
    ok(call(f, 'replayTurns', { ids: [f.failedTurn] }), 'replayTurns');
    const audit = ok(call(f, 'getAudit', { limit: 10 }), 'getAudit');
    assert.ok(
      audit.some((e) => e.actor === 'operator' && e.by === 'desk:test'),
      'operator actions are recorded with who did them',
    );
  },
  previewAbort: (f) => {
    const preview = ok(call(f, 'previewAbort', { sessionKeys: ['s-open', 's-done', 's-open'] }), 'previewAbort');
    assert.deepEqual(preview, { turns: 1, outbox: 1 });
    // A preview changes nothing.
    assert.equal(f.lc.getTurn(f.openTurn)!.status, 'delivery_pending');
  },
  abortSessions: (f) => {
    const result = ok(call(f, 'abortSessions', { sessionKeys: ['s-open', 's-done'] }), 'abortSessions');
    assert.equal(result.done, 1);
    assert.equal(result.refused, 1);
    assert.deepEqual(result.totals, { turns: 1, outbox: 1, turnIds: [f.openTurn] });
    assert.equal(f.lc.getTurn(f.openTurn)!.status, 'aborted');
    assert.equal(f.lc.getRow(f.pendingRow)!.status, 'failed_terminal');
    const refusal = result.outcomes.find((o) => o.id === 's-done')!;
    assert.equal(refusal.ok, false);
    assert.match(refusal.error!, /no open turns/);
  },
  replayTurns: (f) => {
    const result = ok(call(f, 'replayTurns', { ids: [f.failedTurn] }), 'replayTurns');
    assert.deepEqual(result.outcomes, [{ id: f.failedTurn, ok: true }]);
    assert.equal(result.done, 1);
    // No worker has a heartbeat in this file: the answer says the replay waits for one.
    assert.match(
      result.note ?? '',
      /^The replay runs when a recovery worker with the gateway's handlers runs: no recovery worker has recorded a heartbeat in this database\.$/,
    );
    const turn = f.lc.getTurn(f.failedTurn)!;
    assert.equal(turn.status, 'failed_retryable');
    assert.ok(turn.nextAttemptAt <= f.lc.core.now());
  },
  retryRows: (f) => {
    const result = ok(call(f, 'retryRows', { ids: [f.pendingRow] }), 'retryRows');
    assert.equal(result.done, 1);
    assert.ok(f.lc.getRow(f.pendingRow)!.nextAttemptAt <= f.lc.core.now());
  },
  getLiveness: (f) => {
    const l = ok(call(f, 'getLiveness', {}), 'getLiveness');
    assert.deepEqual(l.workers, []);
    assert.equal(l.nextPassAt, null);
    assert.match(l.banner ?? '', /No recovery worker has recorded a heartbeat in this database/);
    assert.ok(l.lastWriteAt !== null && l.lastWriteAt <= f.lc.core.now());
  },
  terminateRows: (f) => {
    const result = ok(call(f, 'terminateRows', { ids: [f.pendingRow] }), 'terminateRows');
    assert.equal(result.done, 1);
    const row = f.lc.getRow(f.pendingRow)!;
    assert.equal(row.status, 'failed_terminal');
    assert.equal(row.terminalReason, 'operator_terminated');
    // The turn's only final row is terminal: the turn is decided at once.
    assert.equal(f.lc.getTurn(f.openTurn)!.status, 'failed_terminal');
  },
  prune: (f) => {
    const result = ok(call(f, 'prune', {}), 'prune');
    assert.deepEqual(Object.keys(result).sort(), ['history', 'outbox', 'turns']);
  },
};

test('the table covers exactly API_METHODS', () => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...API_METHODS].sort());
});

for (const method of API_METHODS) {
  test(`${method}: implemented and answers through dispatch on a real database`, () => {
    const f = fixture();
    try {
      TABLE[method](f);
    } finally {
      f.lc.close();
    }
  });
}

test('unknown methods answer unknown_method, including prototype names', () => {
  const f = fixture();
  try {
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
      refused(call(f, m, {}), 'unknown_method');
    }
  } finally {
    f.lc.close();
  }
});

test('bad arguments answer invalid_argument without throwing', () => {
  const f = fixture();
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
    ['listTurns', { cursor: 'x'.repeat(401) }],
    ['listOutbox', { kind: 'poem' }],
    ['listOutbox', { turnId: '' }],
    ['getTurn', { id: 7 }],
    ['getTurn', { id: '' }],
    ['getTurn', { id: 'x'.repeat(201) }],
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
  try {
    for (const [method, args] of cases) {
      const message = refused(call(f, method, args), 'invalid_argument');
      assert.ok(message.startsWith(`${method}`) || /cursor/.test(message), `the message names the method: ${message}`);
    }
    // Nothing was changed by the refused calls.
    assert.equal(f.lc.getRow(f.pendingRow)!.status, 'failed_retryable');
    assert.equal(f.lc.getTurn(f.openTurn)!.status, 'delivery_pending');
    // Missing/null arguments mean "no arguments".
    ok(call(f, 'getStatus', undefined), 'getStatus');
    ok(call(f, 'getStatus', null), 'getStatus');
  } finally {
    f.lc.close();
  }
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

test('actions in the wrong state are refused (invalid_state) with the reason, and change nothing', () => {
  const f = fixture();
  try {
    const before = JSON.stringify([f.lc.getTurn(f.doneTurn), f.lc.getRow(f.deliveredRow)]);
    // Replaying a delivered (terminal) turn.
    assertRefusedOnly(
      ok(call(f, 'replayTurns', { ids: [f.doneTurn] }), 'replayTurns'),
      f.doneTurn,
      /delivered.*terminal turn never changes/,
    );
    // Replaying a turn whose final row is still queued: the row must be retried instead.
    assertRefusedOnly(ok(call(f, 'replayTurns', { ids: [f.openTurn] }), 'replayTurns'), f.openTurn, /still queued/);
    // Retrying or terminating a delivered row.
    assertRefusedOnly(ok(call(f, 'retryRows', { ids: [f.deliveredRow] }), 'retryRows'), f.deliveredRow, /is delivered/);
    assertRefusedOnly(
      ok(call(f, 'terminateRows', { ids: [f.deliveredRow] }), 'terminateRows'),
      f.deliveredRow,
      /is delivered/,
    );
    // Aborting a session with nothing open.
    const abort = ok(call(f, 'abortSessions', { sessionKeys: ['s-done'] }), 'abortSessions');
    assertRefusedOnly(abort, 's-done', /no open turns/);
    assert.deepEqual(abort.totals, { turns: 0, outbox: 0, turnIds: [] });
    // Unknown ids are refused per id, the rest of the batch still runs.
    const mixed = ok(call(f, 'retryRows', { ids: ['no-such-row', f.pendingRow] }), 'retryRows');
    assert.equal(mixed.done, 1);
    assert.equal(mixed.refused, 1);
    assert.match(mixed.outcomes[0]!.error!, /no-such-row/);
    assert.equal(JSON.stringify([f.lc.getTurn(f.doneTurn), f.lc.getRow(f.deliveredRow)]), before);
    // Terminating twice: the second time the row is already terminal.
    ok(call(f, 'terminateRows', { ids: [f.pendingRow] }), 'terminateRows');
    assertRefusedOnly(
      ok(call(f, 'terminateRows', { ids: [f.pendingRow] }), 'terminateRows'),
      f.pendingRow,
      /failed_terminal/,
    );
  } finally {
    f.lc.close();
  }
});

test('a payload containing HTML comes back as the exact string', () => {
  const f = fixture();
  try {
    const html = '<img src=x onerror=alert(1)><script>alert("x")</script>&amp; \u202e';
    const { turn } = f.lc.accept({ channel: 'slack', sessionKey: 's-html', payload: { text: html }, route: ROUTE });
    const detail = ok(call(f, 'getTurn', { id: turn.id }), 'getTurn');
    assert.equal((JSON.parse(detail.turn.payload) as { text: string }).text, html);
  } finally {
    f.lc.close();
  }
});
