// Issue 11's "Done when", in Chromium against the browser mode: the demo incident a newcomer
// sees, dead letters resent, error groups acted on as a whole, search by what a ticket gives,
// bulk actions by filter on 10,000 rows, and exports that hold exactly the filter's rows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { errorSignature } from '../../main/lifecycle/signature';
import { RecoveryWorker } from '../../main/lifecycle';
import { SqliteStore } from '../../main/store/sqlite/store';
import { tempDir } from '../helpers/temp-db';
import { eventually, launchBrowser, newPage, screenshot, serve, openDesk } from './harness';
import type { DeskPage } from './pages/desk';
import { TurnDetailPage } from './pages/detail';
import { OverviewPage } from './pages/overview';
import { TablePage } from './pages/tables';
import { AuditPage, BulkDialog, ErrorsPage } from './pages/triage';
import { createDb, delivered, failedTerminal, stuckSend, type SeedDb } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const SEED = '7';

/** What the page's own API answers (the same token and path as the transport). */
async function api<T>(desk: DeskPage, method: string, args: unknown): Promise<T> {
  const { status, body } = await desk.apiCall(method, args);
  const result = body as { ok: boolean; value?: T; error?: { message: string } };
  assert.equal(status, 200, JSON.stringify(body));
  if (!result.ok) throw new Error(`${method}: ${result.error?.message}`);
  return result.value as T;
}

/** RFC 4180: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Saves the download the click starts and returns its text. */
async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), click()]);
  const file = path.join(tempDir('lifecycle-e2e-dl-'), dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}

const ids = (db: SeedDb, sql: string, ...args: unknown[]): string[] =>
  (db.lc.db.prepare(sql).all(...args) as { id: string }[]).map((r) => r.id);

/**
 * Outbox failures in groups: 7 final replies on telegram rate-limited (numbers differ, one
 * signature), 1 of the same that failed for good, 3 timeouts on telegram, 2 rate limits on slack.
 */
function groupsStory(): { db: SeedDb; limited: string[]; deadLimited: string; timeouts: string[]; slack: string[] } {
  const db = createDb(20 * 60_000);
  const limited: string[] = [];
  const timeouts: string[] = [];
  const slack: string[] = [];
  for (let i = 0; i < 7; i++) {
    limited.push(
      stuckSend(db, { session: `telegram:chat-${100 + i}`, text: `Question ${i}` }, [
        `429 Too Many Requests: retry after ${3 + i * 7}`,
      ]).rowId,
    );
  }
  const dead = failedTerminal(
    db,
    { session: 'telegram:chat-200', text: 'Blocked?' },
    '429 Too Many Requests: retry after 99',
  );
  const deadLimited = ids(db, 'SELECT id FROM message_outbox WHERE turn_id = ?', dead.id)[0]!;
  for (let i = 0; i < 3; i++) {
    timeouts.push(stuckSend(db, { session: `telegram:chat-${300 + i}` }, [`ETIMEDOUT 10.0.0.${i + 1}:443`]).rowId);
  }
  for (let i = 0; i < 2; i++) {
    slack.push(
      stuckSend(db, { session: `slack:chat-${400 + i}` }, [`429 Too Many Requests: retry after ${i + 1}`]).rowId,
    );
  }
  for (let i = 0; i < 5; i++) delivered(db, { session: `discord:chat-${500 + i}` });
  db.clock.t = null;
  return { db, limited, deadLimited, timeouts, slack };
}

test("a newcomer's first screen shows stuck and failed-for-good work within 30 s", { timeout: 120_000 }, async (t) => {
  const file = path.join(tempDir('lifecycle-e2e-demo-'), 'message-lifecycle.db');
  const { served, page, problems } = await openDesk(t, browser, file, { width: 1280 }, ['--demo', '--seed', SEED]);
  const overview = new OverviewPage(page);
  const started = Date.now();
  await overview.open(served);

  const left = (): number => Math.max(1, 30_000 - (Date.now() - started));
  await eventually(
    async () => {
      const c = await overview.counts();
      assert.ok(c.stuckTurns + c.stuckOutbox > 0, `nothing stuck yet: ${JSON.stringify(c)}`);
    },
    left(),
    250,
  );
  // Failed for good is named as such on the first screen, and counted as needing attention.
  await eventually(
    async () => {
      const dead = async (key: 'deadTurns' | 'deadOutbox'): Promise<number> =>
        Number((await overview.card('attention', key).innerText()).replace(/[^0-9]/g, '') || 'NaN');
      assert.ok((await dead('deadTurns')) + (await dead('deadOutbox')) > 0, 'no failed-for-good card counts');
      assert.match(await page.locator('#main').innerText(), /failed for good/i);
      const counts = await api<{ deadTurns: number; deadOutbox: number }>(overview, 'getStatus', {});
      assert.ok(counts.deadTurns + counts.deadOutbox > 0, JSON.stringify(counts));
    },
    left(),
    250,
  );
  assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);

  // The incident holds steady: a few seconds later there is still work to triage.
  await new Promise((r) => setTimeout(r, 3_000));
  const later = await overview.counts();
  assert.ok(later.stuckTurns + later.stuckOutbox > 0, JSON.stringify(later));
  const groups = await api<unknown[]>(overview, 'getErrorGroups', {});
  assert.ok(groups.length > 0, 'the demo shows error groups');
  await screenshot(page, 'triage-first-screen');

  // The Errors view lists the incident's groups.
  const errors = new ErrorsPage(page);
  await errors.navErrors().click();
  await errors.table().locator('tbody tr').first().waitFor();
  assert.deepEqual(problems.errors, []);
});

test('resend of a dead row delivers once and links both ways', { timeout: 90_000 }, async (t) => {
  const db = createDb(10 * 60_000);
  const turn = failedTerminal(
    db,
    { session: 'telegram:chat-9001', text: 'Where is my parcel?' },
    '403 Forbidden: bot was blocked by the user',
  );
  const original = ids(db, 'SELECT id FROM message_outbox WHERE turn_id = ?', turn.id)[0]!;
  db.clock.t = null;
  const rowAsIs = (): unknown => db.lc.db.prepare('SELECT * FROM message_outbox WHERE id = ?').get(original);
  const deadRow = rowAsIs();
  const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1100 });
  const detail = new TurnDetailPage(page);
  await detail.open(served);
  await detail.openTurn(turn.id);

  // The dead row offers Resend; the dialog speaks plain words and takes a reason.
  const text = await detail.requestAction(detail.outboxRow(original).getByRole('button', { name: /^Resend/ }));
  assert.doesNotMatch(text, /failed_terminal|failed_retryable|operator_terminated/);
  const reason = detail.dialog().getByRole('textbox', { name: /Reason/ });
  if (await reason.count()) await reason.fill('user unblocked the bot, ticket 9001');
  await detail.confirm();

  const created = await eventually(() => {
    const r = ids(db, 'SELECT id FROM message_outbox WHERE resend_of = ?', original);
    assert.equal(r.length, 1);
    return r[0]!;
  });
  // A second request (a double click, another operator) finds the same row and creates nothing.
  const again = await api<{ outcomes: { created?: string }[] }>(detail, 'resendRows', { ids: [original] });
  assert.equal(again.outcomes[0]?.created, created);
  assert.equal(ids(db, 'SELECT id FROM message_outbox WHERE resend_of = ?', original).length, 1);
  // The gateway's worker sends it, once: a second pass finds nothing more to send.
  const sent: string[] = [];
  const worker = new RecoveryWorker(new SqliteStore(db.lc), {
    deliver: async (row) => {
      sent.push(row.id);
    },
  });
  await worker.runOnce();
  await worker.runOnce();
  await worker.stop();
  assert.deepEqual(sent, [created]);
  assert.equal(db.lc.getRow(created)!.status, 'delivered');
  // Terminal rows never change: the original is as it was, column for column.
  assert.deepEqual(rowAsIs(), deadRow);

  // Both ways in the timeline: the original says what it was resent as, the new row what it resends.
  await eventually(async () => {
    const timeline = await detail.timeline().innerText();
    assert.match(timeline, new RegExp(`resent as ${created}`));
    assert.match(timeline, new RegExp(`resend of ${original}`));
  }, 15_000);
  // And the audit has it, with the reason.
  const audit = await api<{ items: { action: string | null; entityId: string | null }[] }>(detail, 'getAudit', {
    action: 'resend',
  });
  assert.ok(audit.items.some((e) => e.entityId === original || e.entityId === created));
  assert.deepEqual(problems.errors, []);
});

test('an error group\'s "Retry all" previews, then retries exactly its rows', { timeout: 90_000 }, async (t) => {
  const story = groupsStory();
  const { db } = story;
  const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280, height: 1000 });
  const errors = new ErrorsPage(page);
  await errors.open(served);
  await errors.go('#/errors');

  const signature = errorSignature('429 Too Many Requests: retry after 17')!;
  const group = errors.group(signature, 'telegram');
  await group.waitFor();
  // Counted as one group: 8 rows, 7 still retried and 1 failed for good.
  const cells = await group.locator('td.num').allInnerTexts();
  assert.deepEqual(
    cells.map((c) => c.trim()),
    ['8', '7', '1'],
  );
  await screenshot(page, 'triage-group-1280-light', { fitContent: true });

  await errors.groupAction(group, 'Retry all').click();
  const bulk = new BulkDialog(errors);
  await bulk.dialog().waitFor();
  const counts = await eventually(() => bulk.counts());
  assert.deepEqual(counts, { count: 7, matching: 8 });
  const sample = await bulk.sampleIds();
  assert.ok(
    sample.length > 0 && sample.every((id) => story.limited.includes(id) || id === story.deadLimited),
    sample.join(),
  );
  await screenshot(page, 'triage-group-retry-preview-1280-light');
  await bulk.reason().fill('telegram rate limit, ticket 4411');
  await bulk.start().click();
  await eventually(async () => assert.equal(await bulk.job().getAttribute('data-state'), 'done'), 30_000);
  assert.match(await bulk.job().innerText(), /7 of 7/);
  await bulk.close().click();
  await bulk.dialog().waitFor({ state: 'hidden' });

  // Exactly the group's rows that could be retried: each has one entry of this job.
  const jobEntries = db.lc.db
    .prepare("SELECT entity_id AS id, job_id FROM message_history WHERE job_id IS NOT NULL AND kind = 'outbox'")
    .all() as { id: string; job_id: string }[];
  assert.deepEqual(new Set(jobEntries.map((e) => e.id)), new Set(story.limited));
  assert.equal(jobEntries.length, 7);
  assert.equal(new Set(jobEntries.map((e) => e.job_id)).size, 1);
  const now = Date.now();
  for (const id of story.limited) assert.ok(db.lc.getRow(id)!.nextAttemptAt <= now, id);
  for (const id of [...story.slack, ...story.timeouts, story.deadLimited]) {
    assert.equal(
      (
        db.lc.db
          .prepare('SELECT count(*) AS n FROM message_history WHERE entity_id = ? AND job_id IS NOT NULL')
          .get(id) as { n: number }
      ).n,
      0,
      id,
    );
  }

  // One audit entry for the job, with the filter in words, the counts and the reason.
  const audit = new AuditPage(page);
  await audit.navLink('Audit').click();
  const entry = audit.rows().filter({ hasText: 'ticket 4411' });
  await entry.waitFor();
  assert.equal(await entry.count(), 1);
  assert.match(await entry.innerText(), /7 done/);
  assert.match(await entry.innerText(), /telegram/);
  await audit.action().selectOption('bulk');
  await eventually(async () => assert.equal(await audit.rows().count(), 1));
  await screenshot(page, 'triage-group-audit-1280-light', { fitContent: true });
  assert.deepEqual(problems.errors, []);
});

test(
  'search finds a turn by its external id, a middle part of its session key and a word of its text',
  { timeout: 90_000 },
  async (t) => {
    const db = createDb(30 * 60_000);
    for (let i = 0; i < 40; i++) delivered(db, { session: `telegram:acct-${i}:chat-${i}`, text: `Hello number ${i}` });
    const { turn } = db.lc.accept({
      id: 'turn-ticket-9001',
      channel: 'telegram',
      accountId: 'telegram-bot',
      externalId: 'tg-msg-90017731',
      dedupeKey: 'telegram:bot:4321:90017731',
      sessionKey: 'telegram:acct-77:chat-4321',
      payload: { text: 'Where is my parcel from Rotterdam?', from: 'user-9' },
      route: { channel: 'telegram', to: '4321' },
    });
    db.lc.markRunning(turn.id);
    db.lc.recordFailure(turn.id, 'agent crashed: model call failed (500)');
    db.clock.t = null;
    // The demo writes its traffic into the same file meanwhile: the search still finds only ours.
    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280 }, ['--demo', '--seed', SEED]);
    const turns = new TablePage(page, 'Turns');
    await turns.open(served);
    await turns.navLink('Turns').click();
    await turns.table().waitFor();

    for (const term of ['tg-msg-90017731', 'acct-77:chat', 'Rotterdam']) {
      await turns.search().fill(term);
      await turns.search().press('Enter');
      await eventually(async () => assert.deepEqual(await turns.renderedIds(), [turn.id]), 15_000);
    }
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'a bulk action by filter on 10,000 rows shows progress and writes one audit entry',
  { timeout: 180_000 },
  async (t) => {
    const db = createDb();
    const N = 10_000;
    const now = Date.now();
    // Written as a gateway writes plain SQL: only the SPEC's columns, in one transaction.
    const insert = db.lc.db.prepare(
      `INSERT INTO message_outbox (id, turn_id, channel, account_id, target, dispatch_kind, payload, queued_at, status,
       attempt_count, next_attempt_at, last_attempt_at, last_error, error_class, idempotency_key)
     VALUES (?, NULL, ?, 'bot', ?, NULL, ?, ?, 'failed_retryable', 2, ?, ?, ?, 'retryable', ?)`,
    );
    db.lc.db.transaction(() => {
      for (let i = 0; i < N; i++) {
        const id = `bulk-${String(i).padStart(5, '0')}`;
        insert.run(
          id,
          'telegram',
          `chat-${i % 97}`,
          JSON.stringify({ text: `Reminder ${i}` }),
          now - 120_000 + i,
          now + 3_600_000,
          now - 60_000,
          '502 Bad Gateway',
          `idem-${id}`,
        );
      }
      // Not matching the filter: left alone.
      for (let i = 0; i < 20; i++) {
        const id = `other-${i}`;
        insert.run(
          id,
          'slack',
          'c',
          '{"text":"x"}',
          now - 60_000,
          now + 3_600_000,
          now - 60_000,
          '502 Bad Gateway',
          `idem-${id}`,
        );
      }
    })();
    const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280, height: 1000 });
    const outbox = new TablePage(page, 'Outbox');
    await outbox.open(served);
    await outbox.navLink('Outbox').click();
    await outbox.table().waitFor();
    await page.getByRole('textbox', { name: 'Channel' }).fill('telegram');
    await page.getByRole('textbox', { name: 'Channel' }).press('Enter');

    const open = page.getByRole('button', { name: /^Act on all 10,000 matching/ });
    await open.click({ timeout: 20_000 });
    const bulk = new BulkDialog(outbox);
    await bulk.dialog().waitFor();
    const retry = bulk.dialog().getByRole('radio', { name: 'Retry now' });
    if (await retry.count()) await retry.check();
    assert.deepEqual(await eventually(() => bulk.counts(), 20_000), { count: N, matching: N });
    await bulk.reason().fill('gateway 502s after the deploy');

    // Records every value the progress bar takes while the job runs.
    await page.evaluate(() => {
      const g = globalThis as unknown as {
        __progress: number[];
        document: { querySelector(s: string): { value: number } | null };
        requestAnimationFrame(f: () => void): void;
      };
      g.__progress = [];
      const tick = (): void => {
        const bar = g.document.querySelector('dialog.bulk-dialog progress');
        if (bar && g.__progress[g.__progress.length - 1] !== bar.value) g.__progress.push(bar.value);
        g.requestAnimationFrame(tick);
      };
      tick();
    });
    await bulk.start().click();
    await bulk.job().waitFor();
    await screenshot(page, 'triage-bulk-progress-1280-light');
    await eventually(async () => assert.equal(await bulk.job().getAttribute('data-state'), 'done'), 120_000, 200);
    const seen = await page.evaluate(() => (globalThis as unknown as { __progress: number[] }).__progress);
    assert.ok(
      seen.some((v) => v > 0 && v < N),
      `progress seen: ${seen.join(', ')}`,
    );
    assert.equal(seen[seen.length - 1], N);
    assert.match(await bulk.job().innerText(), /10,000 of 10,000/);

    // Every matching row is due now; the others are not; one audit entry says so.
    const due = db.lc.db
      .prepare("SELECT count(*) AS n FROM message_outbox WHERE channel = 'telegram' AND next_attempt_at <= ?")
      .get(Date.now()) as { n: number };
    assert.equal(due.n, N);
    const untouched = db.lc.db
      .prepare("SELECT count(*) AS n FROM message_outbox WHERE channel = 'slack' AND next_attempt_at > ?")
      .get(Date.now()) as { n: number };
    assert.equal(untouched.n, 20);
    const jobs = await api<{ items: { action: string; reason: string; note: string }[] }>(outbox, 'getAudit', {
      action: 'bulk',
    });
    assert.equal(jobs.items.length, 1);
    assert.match(jobs.items[0]!.reason, /10,000 done/);
    assert.equal(jobs.items[0]!.note, 'gateway 502s after the deploy');
    // The audit lists the job once, not its 10,000 rows.
    const all = await api<{ items: unknown[] }>(outbox, 'getAudit', { limit: 500 });
    assert.equal(all.items.length, 1);
    assert.deepEqual(problems.errors, []);
  },
);

test('CSV export of a filter downloads exactly its rows', { timeout: 90_000 }, async (t) => {
  const story = groupsStory();
  const { db } = story;
  // A payload that would be a formula in a spreadsheet, and one with quotes, commas and a line break.
  stuckSend(db, { session: 'slack:chat-900', text: '=HYPERLINK("http://x","y")' }, ['429 Too Many Requests']);
  stuckSend(db, { session: 'slack:chat-901', text: 'a "quoted", text\nover two lines' }, ['ETIMEDOUT']);
  const { served, page, problems } = await openDesk(t, browser, db.file, { width: 1280 });
  const outbox = new TablePage(page, 'Outbox');
  await outbox.open(served);
  await outbox.navLink('Outbox').click();
  await outbox.table().waitFor();
  await page.getByRole('textbox', { name: 'Channel' }).fill('slack');
  await page.getByRole('textbox', { name: 'Channel' }).press('Enter');
  const want = ids(db, "SELECT id FROM message_outbox WHERE channel = 'slack'");
  await eventually(async () => assert.deepEqual(new Set(await outbox.renderedIds()), new Set(want)));

  const exportCsv = page.getByRole('group', { name: 'Export' }).getByRole('button', { name: 'CSV', exact: true });
  const { name, text } = await download(page, () => exportCsv.click());
  assert.match(name, /\.csv$/);
  const [header, ...rows] = parseCsv(text.replace(/\r?\n$/, ''));
  const idCol = header!.indexOf('id');
  assert.ok(idCol >= 0, header!.join());
  assert.deepEqual(new Set(rows.map((r) => r[idCol])), new Set(want));
  assert.equal(rows.length, want.length);
  // Spreadsheets do not run what a payload says.
  assert.ok(!rows.some((r) => r.some((cell) => /^[=+\-@]/.test(cell))), 'a cell starts with a formula character');

  // The audit's export (JSON) holds the audit's entries for its filter.
  const audit = new AuditPage(page);
  await audit.navLink('Audit').click();
  await audit.page.getByText(/No operator actions/).waitFor();
  const json = await download(page, () => audit.exportButton('JSON').click());
  assert.deepEqual(JSON.parse(json.text), []);
  assert.deepEqual(problems.errors, []);
});

test(
  'screenshots: Errors, bulk dialog and Audit at 1,280 and 820 px, light and dark',
  { timeout: 120_000 },
  async (t) => {
    const story = groupsStory();
    const served = await serve(story.db.file);
    t.after(() => served.stop());
    {
      // Something in the audit: actions with reasons (one long), and a bulk job's one entry.
      const { context, page } = await newPage(browser);
      const desk = new AuditPage(page);
      await desk.open(served);
      await api(desk, 'retryRows', {
        ids: story.limited.slice(0, 2),
        reason:
          'telegram was rate-limiting us from 14:02 to 14:20; the user asked in ticket 4411 why the reply never came',
      });
      await api(desk, 'terminateRows', { ids: [story.timeouts[0]], reason: 'the user cancelled the booking' });
      await api(desk, 'startBulk', {
        list: 'outbox',
        action: 'retry',
        filter: { channel: 'slack' },
        reason: 'slack is back',
      });
      await eventually(async () => {
        const jobs = await api<{ state: string }[]>(desk, 'getBulkJobs', {});
        assert.ok(jobs.length > 0 && jobs.every((j) => j.state !== 'running'));
      });
      await context.close();
    }
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [1280, 820]) {
        const { context, page, problems } = await newPage(browser, { width, height: 900, colorScheme });
        const errors = new ErrorsPage(page);
        await errors.open(served);
        await errors.go('#/errors');
        await errors.table().waitFor();
        await screenshot(page, `triage-errors-${width}-${colorScheme}`, { fitContent: true });
        await errors
          .groupAction(errors.group(errorSignature('ETIMEDOUT 10.0.0.2:443')!, 'telegram'), 'Terminate all')
          .click();
        const bulk = new BulkDialog(errors);
        await eventually(() => bulk.counts());
        await screenshot(page, `triage-bulk-preview-${width}-${colorScheme}`);
        await bulk.dialog().getByRole('button', { name: 'Cancel', exact: true }).click();
        await bulk.dialog().waitFor({ state: 'hidden' });
        const audit = new AuditPage(page);
        await audit.go('#/audit');
        await audit.rows().filter({ hasText: 'ticket 4411' }).first().waitFor();
        await screenshot(page, `triage-audit-${width}-${colorScheme}`, { fitContent: true });
        // Nothing sticks out sideways: the main area does not scroll horizontally.
        const overflow = await page.evaluate(() => {
          const el = (
            globalThis as unknown as {
              document: { querySelector(s: string): { scrollWidth: number; clientWidth: number } };
            }
          ).document.querySelector('.content');
          return el.scrollWidth - el.clientWidth;
        });
        assert.ok(overflow <= 1, `${width} ${colorScheme}: ${overflow} px wider than the window`);
        assert.deepEqual(problems.errors, []);
        await context.close();
      }
    }
  },
);
