import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import type { AppInfo } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { Liveness } from '../../shared/views';
import { RecoveryWorker } from '../../main/lifecycle';
import { eventually, launchBrowser, newPage, screenshot, serve, openDesk } from './harness';
import { TurnDetailPage } from './pages/detail';
import { OverviewPage } from './pages/overview';
import { TablePage } from './pages/tables';
import { accepted, createDb, failedRetryable, mixedStory, pendingSend, stuckSend, type SeedDb } from './seed';
import { SqliteStore } from '../../main/store/sqlite/store';

// How the dashboard treats a file it did not create: the role on screen, read-only actions
// disabled with the reason, the liveness banner (is anyone recovering this file?), statuses
// and transitions written by a gateway in plain SQL, and the integrity check.

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Everything in the file, table by table (rows sorted), plus the schema version: "did anything
 * write?". The planner's statistics (sqlite_stat*) are kept apart: the server's PRAGMA optimize
 * at close writes them, which is not data (see `statsChanged`).
 */
function snapshot(db: SeedDb): { data: Record<string, string[]>; stats: string } {
  const tables = db.lc.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  const read = (table: string): string[] =>
    (db.lc.db.prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`).all() as unknown[])
      .map((r) => JSON.stringify(r))
      .sort();
  const data: Record<string, string[]> = { userVersion: [String(db.lc.db.pragma('user_version', { simple: true }))] };
  const stats: string[] = [];
  for (const table of tables) {
    if (table.startsWith('sqlite_stat')) stats.push(...read(table));
    else data[table] = read(table);
  }
  return { data, stats: stats.sort().join('\n') };
}

/** The tables whose rows differ between two snapshots, with a few of the rows that do. */
function changes(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const table of new Set([...Object.keys(a.data), ...Object.keys(b.data)])) {
    const before = new Set(a.data[table] ?? []);
    const after = new Set(b.data[table] ?? []);
    const diff = [
      ...[...before].filter((r) => !after.has(r)).map((r) => `- ${r}`),
      ...[...after].filter((r) => !before.has(r)).map((r) => `+ ${r}`),
    ];
    if (diff.length) out[table] = diff.slice(0, 5);
  }
  return out;
}

/**
 * What a gateway that knows nothing of this app writes with plain SQL: a status outside the
 * SPEC's set, a turn and a row inserted with a status of its own, and an INSERT OR REPLACE.
 */
function gatewaySql(db: SeedDb): { pausedTurn: string; rawTurn: string; rawRow: string } {
  const now = Date.now();
  const paused = accepted(db, { session: 'telegram:paused-1', text: 'Hold on' });
  db.lc.db.prepare("UPDATE message_turns SET status = 'paused', updated_at = ? WHERE id = ?").run(now, paused.id);
  db.lc.db
    .prepare(
      `INSERT INTO message_turns (id, channel, session_key, payload, route_channel, route_to, accepted_at, updated_at, next_attempt_at)
       VALUES ('raw-turn-1', 'slack', 'slack:raw-1', '{"text":"typed by hand"}', 'slack', 'raw-1', ?, ?, ?)`,
    )
    .run(now, now, now + 3_600_000);
  db.lc.db
    .prepare(
      `INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, next_attempt_at, status)
       VALUES ('raw-row-1', 'raw-turn-1', 'slack', 'raw-1', 'final', '{"text":"on its way"}', ?, ?, 'sending')`,
    )
    .run(now, now + 3_600_000);
  db.lc.db
    .prepare(
      `INSERT OR REPLACE INTO message_turns (id, channel, session_key, payload, route_channel, route_to, accepted_at, updated_at, next_attempt_at, status)
       VALUES ('raw-turn-1', 'slack', 'slack:raw-1', '{"text":"typed by hand"}', 'slack', 'raw-1', ?, ?, ?, 'running')`,
    )
    .run(now, now, now + 3_600_000);
  return { pausedTurn: paused.id, rawTurn: 'raw-turn-1', rawRow: 'raw-row-1' };
}

async function value<T>(desk: OverviewPage, method: string): Promise<T> {
  const { body } = await desk.apiCall(method, {});
  const result = body as { ok: boolean; value: T };
  assert.equal(result.ok, true, JSON.stringify(body));
  return result.value;
}

async function isDisabledWith(button: Locator, reason: RegExp): Promise<void> {
  await eventually(async () => assert.equal(await button.isDisabled(), true));
  assert.match((await button.getAttribute('title')) ?? '', reason);
}

test(
  'observer: the role is on screen, other statuses and direct SQL are shown, and looking writes nothing',
  { timeout: 90_000 },
  async (t) => {
    const { db } = mixedStory(60, 3);
    const raw = gatewaySql(db);
    const before = snapshot(db);

    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1300 });
    const overview = new OverviewPage(page);
    await overview.open(served);

    // The role: badge in the topbar (reason in its tooltip), the reason as text in the sidebar.
    const info = await value<AppInfo>(overview, 'getInfo');
    assert.deepEqual([info.role, info.readOnly, info.recovering], ['observer', false, false]);
    assert.ok(info.roleReason.length > 0);
    await eventually(async () => assert.equal(await overview.roleBadge().getAttribute('data-role'), 'observer'));
    assert.equal((await overview.roleBadge().innerText()).trim(), 'Observer — writes only what you confirm');
    assert.ok((await overview.roleBadge().getAttribute('title'))?.includes(info.roleReason));
    const block = await overview.roleBlock().innerText();
    assert.match(block, /observer/i);
    assert.ok(block.includes('writes only what you confirm') && block.includes(info.roleReason), block);

    // A healthy file: the check ends ok and leaves nothing on screen.
    await eventually(async () => assert.equal((await value<AppInfo>(overview, 'getInfo')).integrity.state, 'ok'));
    await eventually(async () => assert.equal(await overview.integrity().count(), 0));

    // Nobody recovers this file: the banner says what that means, with what was inferred.
    await overview.livenessBanner().waitFor();
    await eventually(async () => {
      // The inferred line says "written N s ago": compare with an answer of the same second.
      const liveness = await value<Liveness>(overview, 'getLiveness');
      assert.ok(liveness.banner, 'no worker alive: a banner');
      const banner = await overview.livenessBanner().innerText();
      assert.ok(banner.includes(liveness.banner), banner);
      if (liveness.inferred) assert.ok(banner.includes(liveness.inferred), banner);
    });
    assert.match(await overview.workers().innerText(), /none alive[\s\S]*No recovery worker recorded a heartbeat/);

    // Statuses outside the SPEC's set are counted as "other: …", and in the totals.
    await eventually(async () => {
      assert.match(await overview.otherCard('turns', 'paused').innerText(), /other: paused\s+1/);
      assert.match(await overview.otherCard('outbox', 'sending').innerText(), /other: sending\s+1/);
    });
    const total = (table: string): number =>
      (db.lc.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    assert.match(await page.locator('#turns-title + *').innerText(), new RegExp(`^${total('message_turns')} total`));
    assert.match(await page.locator('#outbox-title + *').innerText(), new RegExp(`^${total('message_outbox')} total`));

    // The gateway's plain-SQL writes in the timeline: who (direct SQL), inserts, the replace.
    const detail = new TurnDetailPage(page);
    await detail.openTurn(raw.rawTurn);
    await eventually(async () => {
      const timeline = await detail.timeline().innerText();
      assert.match(timeline, /gateway\s*\(direct SQL\)[\s\S]*inserted as\s*accepted/i);
      assert.match(timeline, /row raw-row-1\s*inserted as\s*sending/i);
      // An INSERT OR REPLACE reads as a change from the replaced status, with the reason saying so.
      assert.match(timeline, /accepted\s*→\s*running\s*[^\n]*replace/i);
    });
    assert.equal(await detail.status().innerText(), 'running');

    // Every view, then wait for a liveness poll and a refresh or two: still nothing written.
    for (const name of ['Turns', 'Outbox', 'Audit', 'Overview'] as const) {
      await overview.navLink(name).click();
      await eventually(async () => assert.match(await overview.heading().innerText(), new RegExp(name)));
    }
    // The positive signal that the timers had their chance: a liveness poll answered a full poll
    // interval (10 s) after the last navigation, so every periodic read ran at least once more.
    const idleSince = Date.now();
    await page.waitForResponse((res) => res.url().endsWith('/api/getLiveness') && Date.now() - idleSince >= 9_500, {
      timeout: 30_000,
    });
    // Leave the page first: a page still open would log its reconnects to the stopped server.
    await page.goto('about:blank');
    await served.stop();
    const after = snapshot(db);
    assert.deepEqual(changes(before, after), {}, 'an observer that only looks writes nothing');
    assert.equal(after.stats, before.stats, 'not even the planner statistics (no PRAGMA optimize on close)');
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'read-only: every action is disabled with the reason, no dialog opens, and the API refuses',
  { timeout: 90_000 },
  async (t) => {
    const db = createDb(10 * 60_000);
    const stuck = stuckSend(db, { session: 'telegram:ro-1', text: 'Book a table' }, ['429 Too Many Requests']);
    const failed = failedRetryable(db, { session: 'whatsapp:ro-2', text: 'Send the invoice' });
    const pending = pendingSend(db, { session: 'slack:ro-3', text: 'And a taxi' });
    db.clock.t = null;
    const before = snapshot(db);

    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280, height: 1100 }, [
      '--read-only',
    ]);
    const detail = new TurnDetailPage(page);
    await detail.open(served);
    const info = await value<AppInfo>(new OverviewPage(page), 'getInfo');
    assert.deepEqual([info.role, info.readOnly], ['read-only', true]);
    await eventually(async () => assert.equal(await detail.roleBadge().getAttribute('data-role'), 'read-only'));
    assert.equal((await detail.roleBadge().innerText()).trim(), 'Read-only — nothing can be written');
    assert.ok((await detail.roleBlock().innerText()).includes(info.roleReason));
    const reason = /^Read-only: actions are disabled/;

    // The detail: both turn actions and both row actions, with the reason as title and as text.
    await detail.openTurn(stuck.turn.id);
    const buttons = [
      detail.action('Replay turn'),
      detail.action('Abort session'),
      detail.rowAction(stuck.rowId, 'Retry now'),
      detail.rowAction(stuck.rowId, 'Terminate'),
    ];
    for (const button of buttons) {
      await isDisabledWith(button, reason);
      const hintId = await button.getAttribute('aria-describedby');
      assert.ok(hintId, 'the button points at the visible hint');
      const hint = await page.locator(`[id="${hintId}"]`).innerText();
      assert.match(hint, reason);
      assert.ok(hint.includes(info.roleReason), hint);
      await button.click({ force: true });
    }
    assert.equal(await page.locator('dialog[open]').count(), 0, 'no confirmation dialog opened');
    await screenshot(page, 'turn-detail-read-only-1280-light', { fitContent: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'turn-detail-read-only-1280-dark', { fitContent: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 1100 });

    // The tables: a selection does not enable the bulk actions; the hint says why.
    const turns = new TablePage(page, 'Turns');
    await turns.navLink('Turns').click();
    await turns.row(failed.id).waitFor();
    await turns.select(failed.id);
    for (const name of ['Replay turn', 'Abort session'] as const) await isDisabledWith(turns.bulkButton(name), reason);
    assert.match(await turns.actionHints().innerText(), reason);
    const outbox = new TablePage(page, 'Outbox');
    await outbox.navLink('Outbox').click();
    await outbox.row(pending.rowId).waitFor();
    await outbox.select(pending.rowId);
    for (const name of ['Retry now', 'Terminate'] as const) await isDisabledWith(outbox.bulkButton(name), reason);
    await outbox.bulkButton('Terminate').click({ force: true });
    assert.equal(await page.locator('dialog[open]').count(), 0);

    // The overview's "Prune now".
    const overview = new OverviewPage(page);
    await overview.navLink('Overview').click();
    await isDisabledWith(overview.workers().getByRole('button', { name: 'Prune now' }), reason);

    // The API itself, called as the page's transport calls it: refused with read_only.
    const calls: [string, unknown][] = [
      ['replayTurns', { ids: [failed.id] }],
      ['retryRows', { ids: [stuck.rowId] }],
      ['terminateRows', { ids: [pending.rowId] }],
      ['abortSessions', { sessionKeys: ['telegram:ro-1'] }],
      ['prune', {}],
    ];
    const pageErrors = problems.errors.length;
    for (const [method, args] of calls) {
      const { status, body } = await overview.apiCall(method, args);
      const result = body as { ok: boolean; error?: { code: string; message: string } };
      assert.equal(result.ok, false, `${method}: ${JSON.stringify(body)}`);
      assert.equal(result.error?.code, 'read_only', `${method}: ${JSON.stringify(body)}`);
      // A refusal is an answer, not a server failure: 200 like every domain refusal.
      assert.equal(status, 200, method);
    }
    // The browser logs each non-2xx answer of those direct calls; the app itself made none.
    problems.errors.splice(pageErrors);
    // Reads still work.
    assert.equal((await value<StatusCounts>(overview, 'getStatus')).turns.failed_retryable, 1);

    // Leave the page first: a page still open would log its reconnects to the stopped server.
    await page.goto('about:blank');
    await served.stop();
    const after = snapshot(db);
    assert.deepEqual(changes(before, after), {}, 'read-only wrote nothing');
    assert.equal(after.stats, before.stats, 'read-only wrote nothing, not even statistics');
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'the liveness banner shows while no worker is alive and goes while one runs; action notes; "Prune now"',
  { timeout: 120_000 },
  async (t) => {
    const db = createDb(10 * 60_000);
    const failed = failedRetryable(db, { session: 'whatsapp:live-1', text: 'Send the invoice to Maria' });
    db.clock.t = null;

    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1200 });
    const detail = new TurnDetailPage(page);
    await detail.open(served);
    await detail.livenessBanner().waitFor();

    // Replay while no worker is alive: the dialog warns, the message says when it will happen.
    await detail.openTurn(failed.id);
    const dialogText = await detail.requestAction(detail.action('Replay turn'));
    const banner = (await value<Liveness>(new OverviewPage(page), 'getLiveness')).banner;
    assert.ok(banner && dialogText.includes(banner), dialogText);
    await detail.confirm();
    await eventually(async () => assert.match(await detail.statusMessage().innerText(), /Replay requested for 1 turn/));
    assert.match(await detail.actionNote().innerText(), /recovery worker/i);

    // A gateway starts its recovery worker (in this process, on the same file): the banner goes.
    const worker = new RecoveryWorker(new SqliteStore(db.lc), {
      replay: async (turn) => {
        const { row } = db.lc.enqueue({
          turnId: turn.id,
          channel: turn.routeChannel,
          target: turn.routeTo,
          dispatchKind: 'final',
          payload: { text: 'Invoice sent to Maria.' },
        });
        db.lc.ack(row.id);
      },
      deliver: async () => undefined,
    });
    worker.start();
    t.after(() => worker.stop());
    await eventually(async () => assert.equal(await detail.livenessBanner().count(), 0), 20_000);
    // The replay the note promised happened.
    await eventually(async () => assert.equal(await detail.status().innerText(), 'delivered'), 20_000);

    const overview = new OverviewPage(page);
    await overview.navLink('Overview').click();
    const beat = (await value<Liveness>(overview, 'getLiveness')).workers.find((w) => w.pid === process.pid);
    assert.ok(beat?.alive, 'the worker recorded an alive heartbeat');
    const item = overview.worker(beat.owner);
    await item.waitFor();
    await eventually(async () => {
      const text = await item.innerText();
      assert.match(text, /^alive/);
      assert.ok(text.includes(beat.owner) && text.includes(`${beat.host} · pid ${process.pid}`), text);
      assert.match(text, /last pass (just now|\d+ s ago)/);
      assert.match(text, /next pass (in \d+ s|due now)/);
    });
    assert.match(await overview.workers().innerText(), /1 alive/);

    // It stops cleanly: the banner is back, the card says it stopped.
    await worker.stop();
    await eventually(async () => assert.equal(await overview.livenessBanner().count(), 1), 20_000);
    await eventually(async () => assert.match(await item.innerText(), /^stopped[\s\S]*stopped (just now|\d+ s ago)/));

    // "Prune now" is an operator action like the others: confirmed, then said what it did.
    const pruneText = await overview.requestAction(overview.workers().getByRole('button', { name: 'Prune now' }));
    assert.match(pruneText, /Prune now\?[\s\S]*retention window[\s\S]*cannot be undone/);
    await overview.confirm();
    await eventually(async () =>
      assert.match(
        await overview.statusMessage().innerText(),
        /^Pruned 0 turns, 0 outbox rows and 0 history entries\.$/,
      ),
    );
    assert.ok(db.lc.auditTrail().items.some((e) => e.kind === 'action' && /pruned/.test(e.reason ?? '')));
    assert.deepEqual(problems.errors, []);
  },
);

test(
  "--recover and --demo: the role says so; a worker without handlers keeps the banner, the demo's clears it",
  { timeout: 90_000 },
  async (t) => {
    const db = createDb(10 * 60_000);
    const stuck = stuckSend(db, { session: 'telegram:rec-1', text: 'Book a table' }, ['502 Bad Gateway']);
    db.clock.t = null;

    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280, height: 1000 }, [
      '--recover',
    ]);
    const overview = new OverviewPage(page);
    await overview.open(served);
    await eventually(async () => assert.equal(await overview.roleBadge().getAttribute('data-role'), 'recovering'));
    assert.equal(
      (await overview.roleBadge().innerText()).trim(),
      'Recovering — this app runs the recovery worker on this file',
    );
    const self = overview.workers().locator('li', { hasText: 'this app' });
    await eventually(async () => assert.match(await self.innerText(), /^alive/));
    // Alive, but without a gateway's handlers it sends and replays nothing: the banner says so.
    await eventually(async () =>
      assert.match(await overview.livenessBanner().innerText(), /runs here without the gateway's handlers/),
    );
    await screenshot(page, 'overview-recovering-1280-light');

    // Retry a stuck row: the note says it waits for a worker that can send it.
    const detail = new TurnDetailPage(page);
    await detail.openTurn(stuck.turn.id);
    await detail.requestAction(detail.rowAction(stuck.rowId, 'Retry now'));
    await detail.confirm();
    await eventually(async () => assert.match(await detail.statusMessage().innerText(), /1 outbox row due now/));
    assert.match(await detail.actionNote().innerText(), /without the gateway's deliver handler/);
    // Leave the page first: a page still open would log its reconnects to the stopped server.
    await page.goto('about:blank');
    await served.stop();

    // The demo: a file this app creates and recovers.
    const demoFile = path.join(db.dir, 'demo', 'message-lifecycle.db');
    fs.mkdirSync(path.dirname(demoFile), { recursive: true });
    const demo = await serve(demoFile, ['--demo']);
    t.after(() => demo.stop());
    await overview.open(demo);
    await eventually(async () => assert.equal(await overview.roleBadge().getAttribute('data-role'), 'demo'));
    assert.match(await overview.roleBadge().innerText(), /^Demo/);
    await eventually(async () => assert.match(await overview.workers().innerText(), /this app/));
    assert.equal(await overview.livenessBanner().count(), 0);
    assert.deepEqual(problems.errors, []);
  },
);

test('a damaged file: the integrity check ends in a red alert with what is damaged', { timeout: 60_000 }, async (t) => {
  const { db } = mixedStory(40, 1);
  // Garbage in the cells of one index page: the header and the schema still read fine.
  const index = db.lc.db
    .prepare("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = 'ux_outbox_idempotency'")
    .get() as { rootpage: number } | undefined;
  assert.ok(index, 'the idempotency index exists');
  db.lc.db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.lc.db.pragma('page_size', { simple: true }) as number;
  db.lc.close();
  const fd = fs.openSync(db.file, 'r+');
  fs.writeSync(fd, Buffer.alloc(120, 0x5a), 0, 120, index.rootpage * pageSize - 200);
  fs.closeSync(fd);

  const { served, page } = await openDesk(t, browser, db.file, { width: 1280, height: 1000 });
  const overview = new OverviewPage(page);
  await overview.open(served);
  const alert = overview.alerts().filter({ hasText: 'The database file is damaged' });
  await alert.waitFor({ timeout: 20_000 });
  assert.equal(await overview.integrity().getAttribute('data-state'), 'damaged');
  const info = await value<AppInfo>(overview, 'getInfo');
  assert.equal(info.integrity.state, 'damaged');
  assert.ok(info.integrity.message);
  assert.match(await alert.innerText(), /message_outbox/);
  await screenshot(page, 'overview-damaged-1280-light');
});

test('screenshots: every view at 1280 and 820 px, light and dark, as an observer', { timeout: 180_000 }, async (t) => {
  const { db, stuck, failed } = mixedStory(120, 6);
  gatewaySql(db);
  db.lc.operatorReplay(failed.id, 'cli:alice');
  db.lc.operatorRetry(stuck.rowId, 'cli:alice');
  const served = await serve(db.file);
  t.after(() => served.stop());
  for (const width of [1280, 820]) {
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page, problems } = await newPage(browser, { width, height: 900, colorScheme: scheme });
      const desk = new TurnDetailPage(page);
      await desk.open(served);
      await desk.livenessBanner().waitFor();
      await page.locator('.recharts-surface').first().waitFor();
      await screenshot(page, `observer-overview-${width}-${scheme}`, { fitContent: true });
      for (const [view, ready] of [
        ['turns', () => new TablePage(page, 'Turns').rows().first().waitFor()],
        ['outbox', () => new TablePage(page, 'Outbox').rows().first().waitFor()],
        ['audit', () => page.getByRole('table', { name: 'Audit trail' }).locator('tbody tr').first().waitFor()],
      ] as const) {
        await page.setViewportSize({ width, height: 900 });
        await desk.go(`#/${view}`);
        await ready();
        await screenshot(page, `observer-${view}-${width}-${scheme}`);
      }
      await desk.openTurn(stuck.turn.id);
      await desk.timeline().waitFor();
      await screenshot(page, `observer-turn-detail-${width}-${scheme}`, { fitContent: true });
      assert.deepEqual(problems.errors, []);
      await context.close();
    }
  }
});
