// The dashboard and the CLI on a PostgreSQL database of the test's throwaway cluster: the same
// views and actions as on a file, changes by another node pushed (LISTEN/NOTIFY), and the URL's
// password never shown (not on stdout, stderr, getInfo or the page).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { LifecycleStore } from '../../main/store/contract';
import { PgStore } from '../../main/store/postgres/store';
import { pgCluster, pgUnavailable } from '../helpers/pg-cluster';
import { ROOT, eventually, launchBrowser, newPage, screenshot, serve } from './harness';
import { OverviewPage } from './pages/overview';
import { TablePage } from './pages/tables';
import { TurnDetailPage } from './pages/detail';

const skip = pgUnavailable() ?? false;
const PASSWORD = 'not-to-be-shown-7f3a';
const BIN = path.join(ROOT, 'dist', 'main', 'cli', 'bin.js');
const run = promisify(execFile);

let browser: Browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The cluster trusts local connections, so a password in the URL is accepted and ignored: here it is only bait. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

let seq = 0;
async function turnWithFinal(
  store: LifecycleStore,
  session: string,
  text: string,
): Promise<{ turnId: string; rowId: string }> {
  seq++;
  const channel = session.split(':')[0]!;
  const { turn } = await store.accept({
    channel,
    dedupeKey: `${session}:m${seq}`,
    externalId: `m${seq}`,
    sessionKey: session,
    payload: { text },
    route: { channel, to: session.split(':')[1]! },
  });
  await store.markRunning(turn.id);
  const { row } = await store.enqueue({
    turnId: turn.id,
    channel,
    target: session.split(':')[1]!,
    dispatchKind: 'final',
    payload: { text: `answer to ${text}` },
    live: false,
  });
  return { turnId: turn.id, rowId: row.id };
}

test(
  'serve --db postgres://…: the same views and actions, pushed changes, no password anywhere',
  { skip, timeout: 90_000 },
  async (t) => {
    const url = withPassword(pgCluster().createDatabase('e2e'));
    // An hour ago, so the sends are overdue and count as stuck.
    let clock: number | null = Date.now() - 3_600_000;
    const gateway = await PgStore.open(url, { now: () => clock ?? Date.now(), owner: 'node-a' });
    t.after(() => gateway.close());
    const done = await turnWithFinal(gateway, 'telegram:chat-1', 'What is the weather?');
    await gateway.ack(done.rowId);
    await gateway.finalize(done.turnId);
    const stuck = await turnWithFinal(gateway, 'slack:team-2', 'Book a table');
    await gateway.fail(stuck.rowId, { error: '429 Too Many Requests', errorClass: 'retryable' });
    const pending = await turnWithFinal(gateway, 'slack:team-2', 'And a taxi');
    clock = null;

    // The CLI reads the same counts.
    const status = JSON.parse((await run(process.execPath, [BIN, 'status', '--db', url, '--json'])).stdout) as {
      turns: Record<string, number>;
      stuckOutbox: number;
    };
    assert.deepEqual([status.turns.delivered, status.turns.delivery_pending], [1, 2]);
    assert.equal(status.stuckOutbox, 2);

    const served = await serve(url);
    t.after(() => served.stop());
    const { context, page, problems } = await newPage(browser, { height: 1000 });
    t.after(() => context.close());
    const overview = new OverviewPage(page);
    await overview.open(served);
    await eventually(async () => {
      const counts = await overview.counts();
      assert.equal(counts.turns.delivered, 1);
      assert.equal(counts.turns.delivery_pending, 2);
      assert.equal(counts.stuckOutbox, 2);
    });
    const info = await overview.apiCall('getInfo', {});
    const shown = JSON.stringify(info.body);
    assert.doesNotMatch(shown, new RegExp(PASSWORD));
    assert.match(shown, /postgres:\/\/postgres:\*\*\*@/);
    assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(PASSWORD));
    await screenshot(page, 'postgres-overview');

    // Another node writes: the dashboard hears of it without a reload.
    const turns = new TablePage(page, 'Turns');
    await overview.navLink('Turns').click();
    await turns.row(stuck.turnId).waitFor();
    const late = await turnWithFinal(gateway, 'discord:guild-3', 'Arrived later');
    await eventually(() => turns.row(late.turnId).waitFor({ timeout: 500 }), 10_000);

    // An action: abort the session of the stuck turn, which cancels its pending sends.
    const detail = new TurnDetailPage(page);
    await detail.openTurn(stuck.turnId);
    await detail.requestAction(detail.action('Abort session'));
    // The dialog counts what the abort will change once previewAbort answers ("counting…" before).
    await eventually(async () => assert.match(await detail.dialog().innerText(), /2 turns and 2 pending sends/));
    await detail.confirm();
    await eventually(async () => assert.equal(await detail.status().innerText(), 'aborted'));
    for (const id of [stuck.turnId, pending.turnId]) assert.equal((await gateway.getTurn(id))?.status, 'aborted');
    for (const id of [stuck.rowId, pending.rowId]) {
      const row = await gateway.getRow(id);
      assert.deepEqual([row?.status, row?.terminalReason], ['failed_terminal', 'turn_aborted']);
    }
    assert.equal((await gateway.getTurn(done.turnId))?.status, 'delivered');
    const trail = (await gateway.auditTrail()).items;
    assert.ok(trail.some((e) => e.entityId === stuck.turnId && e.toStatus === 'aborted' && e.by?.startsWith('web:')));
    await screenshot(page, 'postgres-detail-aborted');
    assert.deepEqual(problems.errors, []);
  },
);

test('serve and status refuse an unreachable PostgreSQL with a clear error and no password', { skip }, async () => {
  const cluster = pgCluster();
  const bad = withPassword(cluster.url('no_such_database_here'));
  const failed = await run(process.execPath, [BIN, 'status', '--db', bad]).then(
    () => assert.fail('status should fail'),
    (err: { code: number; stderr: string; stdout: string }) => err,
  );
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /cannot open postgres:\/\/postgres:\*\*\*@.*no_such_database_here/);
  assert.doesNotMatch(failed.stderr + failed.stdout, new RegExp(PASSWORD));
});
