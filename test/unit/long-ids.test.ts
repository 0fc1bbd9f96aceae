// Ids come from gateways and can be long (a gateway's own scheme, a URL, a composite key):
// anything a list shows must open, up to ID_MAX_LENGTH. A 337-character id was listed but
// answered 400 when opened. Through the browser mode's HTTP, the API host, the IPC guard and
// the CLI; the renderer's route is the e2e test's (test/e2e/long-ids.test.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkIpcCall } from '../../app/ipc-guard';
import { RENDERER_URL } from '../../app/policy';
import { runCli } from '../../main/cli/run';
import { startBrowserMode, type BrowserMode } from '../../main/http';
import { Lifecycle } from '../../main/lifecycle';
import { ID_MAX_LENGTH } from '../../shared/api-values';
import { ROUTE, tempDir } from '../helpers/temp-db';

/** A gateway's long id: shared head, differing tail, characters a URL must escape. */
function longId(length: number, tail: string): string {
  const head = 'gw:telegram/chat 42?x=1&y=ü#';
  return head + 'a'.repeat(length - head.length - tail.length) + tail;
}

const ID_337 = longId(337, '-337');
const ID_MAX = longId(ID_MAX_LENGTH, '-max');
const ROW_ID = longId(600, '-row');
let dbPath: string;
let mode: BrowserMode;

before(async () => {
  dbPath = path.join(tempDir(), 'message-lifecycle.db');
  const lc = Lifecycle.open(dbPath);
  for (const id of [ID_337, ID_MAX]) {
    lc.accept({ id, channel: 'telegram', sessionKey: `s-${id.length}`, payload: { text: 'hi' }, route: ROUTE });
  }
  lc.markRunning(ID_337);
  lc.enqueue({ id: ROW_ID, turnId: ID_337, channel: 'telegram', target: '42', dispatchKind: 'final', payload: 'x' });
  lc.close();
  mode = await startBrowserMode({ dbPath, port: 0, staticDir: tempDir() });
});
after(async () => {
  await mode.close();
});

interface Answer {
  ok: boolean;
  value: { items: { id: string }[]; nextCursor: string | null; turn: { id: string }; outbox: { id: string }[] };
  error: { code: string };
}

async function post(method: string, args: unknown): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${mode.server.origin}/api/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${mode.server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(args),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

test('HTTP: a 337-character and a 1024-character turn id are listed, paged past and opened', async () => {
  const list = await post('listTurns', {});
  assert.equal(list.status, 200);
  const ids = list.body.value.items.map((t) => t.id);
  assert.ok(ids.includes(ID_337) && ids.includes(ID_MAX), 'both are listed');
  // A cursor carries a whole id: the next page after each long id is asked for and answered.
  const first = await post('listTurns', { limit: 1 });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const next = await post('listTurns', { limit: 1, cursor: first.body.value.nextCursor });
  assert.equal(next.status, 200, JSON.stringify(next.body));
  assert.equal(next.body.value.items.length, 1);

  for (const id of [ID_337, ID_MAX]) {
    const opened = await post('getTurn', { id });
    assert.equal(opened.status, 200, JSON.stringify(opened.body).slice(0, 300));
    assert.equal(opened.body.value.turn.id, id);
  }
  const detail = await post('getTurn', { id: ID_337 });
  assert.deepEqual(
    detail.body.value.outbox.map((r) => r.id),
    [ROW_ID],
  );
  assert.equal((await post('retryRows', { ids: [ROW_ID] })).status, 200);
  // One past the limit is a clear 400, not a crash.
  const tooLong = await post('getTurn', { id: `${ID_MAX}x` });
  assert.equal(tooLong.status, 400);
  assert.equal(tooLong.body.error.code, 'invalid_argument');
});

test('the API host opens it; the IPC guard lets it through, and stops one past the limit', async () => {
  const got = await mode.host.callRaw('getTurn', { id: ID_337 });
  assert.ok(got.ok, JSON.stringify(got));
  const ipc = (id: string) =>
    checkIpcCall({
      frameUrl: RENDERER_URL,
      isMainFrame: true,
      expectedUrl: RENDERER_URL,
      method: 'getTurn',
      args: { id },
    });
  assert.equal(ipc(ID_337).ok, true);
  assert.equal(ipc(ID_MAX).ok, true);
  assert.equal(ipc(`${ID_MAX}x`).ok, false);
});

test('the CLI shows it', async () => {
  let stdout = '';
  const code = await runCli(['show', ID_337, '--db', dbPath, '--json'], {
    stdout: (s) => void (stdout += s),
    stderr: () => undefined,
  });
  assert.equal(code, 0);
  assert.equal((JSON.parse(stdout) as { turn: { id: string } }).turn.id, ID_337);
});
