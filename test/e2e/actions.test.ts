import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { RecoveryWorker } from '../../main/lifecycle';
import { eventually, launchBrowser, screenshot, openDesk } from './harness';
import { TurnDetailPage } from './pages/detail';
import { TablePage } from './pages/tables';
import {
  createDb,
  delivered,
  failedRetryable,
  failedTerminal,
  pendingSend,
  running,
  stuckSend,
  type SeedDb,
} from './seed';
import { SqliteStore } from '../../main/store/sqlite/store';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

function outboxRows(db: SeedDb, turnId: string): { id: string; status: string; terminal_reason: string | null }[] {
  return db.lc.db
    .prepare('SELECT id, status, terminal_reason FROM message_outbox WHERE turn_id = ? ORDER BY id')
    .all(turnId) as { id: string; status: string; terminal_reason: string | null }[];
}

test(
  '"Abort session" → "Confirm" aborts the session\'s turns and cancels its sends',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb(10 * 60_000);
    const session = 'telegram:chat-77';
    const done = delivered(db, { session, text: 'An earlier question' });
    const a = stuckSend(db, { session, text: 'Book a table' }, ['429 Too Many Requests']);
    const b = pendingSend(db, { session, text: 'And a taxi' });
    const c = pendingSend(db, { session, text: 'And flowers' });
    const other = pendingSend(db, { session: 'slack:other', text: 'Not this one' });
    db.clock.t = null;

    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1100 });
    const detail = new TurnDetailPage(page);
    await detail.open(served);
    await detail.openTurn(a.turn.id);

    // The dialog says exactly what will change, from previewAbort.
    const text = await detail.requestAction(detail.action('Abort session'));
    assert.match(text, /3 turns and 3 pending sends/);
    assert.match(text, new RegExp(session));
    // Cancel changes nothing, and the focus is back on the button that opened the dialog.
    await detail.cancel();
    assert.equal(db.lc.getTurn(a.turn.id)!.status, 'delivery_pending');
    await eventually(async () =>
      assert.equal(
        await detail
          .action('Abort session')
          .evaluate(
            (el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
          ),
        true,
      ),
    );

    await detail.requestAction(detail.action('Abort session'));
    await detail.confirm();
    await eventually(async () =>
      assert.match(await detail.statusMessage().innerText(), /Aborted 3 turns and cancelled 3 pending sends/),
    );
    await eventually(async () => assert.equal(await detail.status().innerText(), 'aborted'));

    // The database: the session's open turns aborted, their pending sends cancelled; nothing else.
    for (const turn of [a.turn, b.turn, c.turn]) {
      assert.equal(db.lc.getTurn(turn.id)!.status, 'aborted');
      for (const row of outboxRows(db, turn.id)) {
        assert.deepEqual([row.status, row.terminal_reason], ['failed_terminal', 'turn_aborted']);
      }
    }
    assert.equal(db.lc.getTurn(done.id)!.status, 'delivered');
    assert.equal(db.lc.getTurn(other.turn.id)!.status, 'delivery_pending');
    assert.equal(db.lc.getRow(other.rowId)!.status, 'queued');
    // Recorded as an operator action, and the timeline shows it.
    const trail = db.lc.auditTrail().items;
    assert.ok(trail.some((e) => e.entityId === a.turn.id && e.toStatus === 'aborted' && e.by?.startsWith('web:')));
    await eventually(async () => assert.match(await detail.timeline().innerText(), /operator[\s\S]*aborted/i));

    // The audit view lists who did it.
    await detail.navLink('Audit').click();
    const audit = page.getByRole('table', { name: 'Audit trail' });
    const entry = audit.locator('tr', { hasText: a.turn.id }).first();
    await entry.waitFor();
    assert.match(await entry.innerText(), /web:\S+[\s\S]*aborted/);
    assert.deepEqual(problems.errors, []);
  },
);

test(
  '"Replay turn" re-arms a failed turn, and the recovery worker then delivers it',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb();
    const failed = failedRetryable(db, { session: 'whatsapp:chat-3', text: 'Send the invoice to Maria' });
    db.clock.t = null;
    const before = db.lc.getTurn(failed.id)!;
    assert.equal(before.status, 'failed_retryable');
    assert.ok(before.nextAttemptAt > Date.now(), 'not due yet: backing off');

    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1100 });
    const detail = new TurnDetailPage(page);
    await detail.open(served);
    await detail.openTurn(failed.id);
    assert.match(await detail.stuckReason().innerText(), /failed once, last error agent crashed/);

    const text = await detail.requestAction(detail.action('Replay turn'));
    assert.match(text, new RegExp(`Turn ${failed.id} is re-armed: due now, to be retried`));
    // Plain words: no status names in the sentence.
    assert.doesNotMatch(text, /failed_retryable|failed_terminal|operator_terminated/);
    await detail.confirm();
    await eventually(async () => assert.match(await detail.statusMessage().innerText(), /Replay requested for 1 turn/));

    const armed = db.lc.getTurn(failed.id)!;
    assert.equal(armed.status, 'failed_retryable');
    assert.ok(armed.nextAttemptAt <= Date.now(), 'due now');
    assert.ok(
      db.lc.history(failed.id).some((e) => e.actor === 'operator' && e.reason === 'replay requested by operator'),
    );

    // One recovery pass in a process that has a replay handler (the gateway's): it regenerates
    // the final reply through the outbox and sends it.
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
    });
    const report = await worker.runOnce();
    await worker.stop();
    assert.equal(report.turnsReplayed, 1);
    assert.equal(db.lc.getTurn(failed.id)!.status, 'delivered');

    // The page follows the change made by the other process (push, no reload).
    await eventually(async () => assert.equal(await detail.status().innerText(), 'delivered'), 15_000);
    await eventually(async () => assert.match(await detail.timeline().innerText(), /replay/i));
    assert.deepEqual(problems.errors, []);
  },
);

test(
  'per-row "Retry now" and "Terminate" in the turn detail, and refusals shown as errors',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb(9 * 60_000);
    const stuck = stuckSend(db, { session: 'discord:chat-9', text: 'Play some jazz' }, [
      '502 Bad Gateway',
      '429 Too Many Requests',
    ]);
    const extra = db.lc.enqueue({
      id: 'send-extra',
      turnId: stuck.turn.id,
      channel: 'discord',
      target: 'chat-9',
      dispatchKind: 'final',
      payload: { text: 'A second final reply' },
      live: false,
    }).row;
    db.clock.t = null;

    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1200 });
    const detail = new TurnDetailPage(page);
    await detail.open(served);
    await detail.openTurn(stuck.turn.id);
    await detail.outboxRow(stuck.rowId).waitFor();
    assert.match(await detail.outboxRow(stuck.rowId).innerText(), /failed 2 times, last error 429 Too Many Requests/);
    await screenshot(page, 'turn-detail-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'turn-detail-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Retry now: due at once, status unchanged, recorded.
    const before = db.lc.getRow(stuck.rowId)!;
    assert.ok(before.nextAttemptAt < Date.now());
    const retryText = await detail.requestAction(detail.rowAction(stuck.rowId, 'Retry now'));
    assert.match(retryText, new RegExp(`Outbox row ${stuck.rowId} becomes due now`));
    await detail.confirm();
    await eventually(async () => assert.match(await detail.statusMessage().innerText(), /1 outbox row due now/));
    const retried = db.lc.getRow(stuck.rowId)!;
    assert.equal(retried.status, 'failed_retryable');
    assert.ok(retried.nextAttemptAt >= before.nextAttemptAt);
    assert.ok(
      db.lc
        .history(stuck.turn.id)
        .some((e) => e.entityId === stuck.rowId && e.reason === 'retry now requested by operator'),
    );

    // Replaying a turn whose final reply is still queued is refused: the error is shown as such.
    await detail.requestAction(detail.action('Replay turn'));
    await detail.confirm();
    const alert = detail.alerts().filter({ hasText: 'final reply still queued' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /retry that outbox row instead of replaying the turn/);
    assert.equal(db.lc.getTurn(stuck.turn.id)!.status, 'delivery_pending');

    // Terminate both final rows: the turn is finalized as failed_terminal.
    await detail.requestAction(detail.rowAction(stuck.rowId, 'Terminate'));
    await detail.confirm();
    await eventually(async () => assert.match(await detail.statusMessage().innerText(), /Terminated 1 outbox row/));
    // A row offers only what it can still take: failed for good, it can be resent, not retried or terminated.
    await detail.rowAction(stuck.rowId, 'Resend').waitFor();
    assert.equal(await detail.rowAction(stuck.rowId, 'Terminate').count(), 0);
    assert.equal(await detail.rowAction(stuck.rowId, 'Retry now').count(), 0);
    assert.deepEqual(
      [db.lc.getRow(stuck.rowId)!.status, db.lc.getRow(stuck.rowId)!.terminalReason],
      ['failed_terminal', 'operator_terminated'],
    );
    await detail.requestAction(detail.rowAction(extra.id, 'Terminate'));
    await detail.confirm();
    await eventually(async () => assert.equal(await detail.status().innerText(), 'failed terminal'));
    assert.equal(db.lc.getTurn(stuck.turn.id)!.status, 'failed_terminal');
    assert.deepEqual(problems.errors, []);
  },
);

test('bulk actions on the table selection: terminate rows, replay turns', { timeout: 60_000 }, async (t) => {
  // Ten minutes ago: the gateway's live hold on its running turns (5 min lease) has lapsed.
  const db = createDb(10 * 60_000);
  const sends = [1, 2, 3].map((i) => pendingSend(db, { session: `slack:bulk-${i}`, text: `Question ${i}` }));
  const doneTurn = delivered(db, { session: 'slack:bulk-done', text: 'Answered already' });
  const done = {
    rowId: (
      db.lc.db
        .prepare("SELECT id FROM message_outbox WHERE turn_id = ? AND dispatch_kind = 'final'")
        .get(doneTurn.id) as { id: string }
    ).id,
  };
  const stalled = [1, 2].map((i) => running(db, { session: `telegram:stalled-${i}`, text: `Task ${i}` }));
  db.clock.t = null;

  const { served, page, problems } = await openDesk(t, browser, db.file);

  const outbox = new TablePage(page, 'Outbox');
  await outbox.open(served);
  await outbox.navLink('Outbox').click();
  await outbox.row(sends[0]!.rowId).waitFor();
  assert.equal(await outbox.bulkButton('Terminate').isDisabled(), true);
  // A delivered row ticked alone: nothing can be terminated, and the button says why.
  await outbox.row(done.rowId).waitFor();
  await outbox.select(done.rowId);
  assert.equal(await outbox.bulkButton('Terminate').isDisabled(), true);
  assert.match((await outbox.bulkButton('Terminate').getAttribute('title')) ?? '', /It is delivered: only a send/);
  assert.equal(await outbox.bulkButton('Resend').isDisabled(), true);
  // With two pending rows ticked too, the dialog says which are skipped and only those two are sent.
  await outbox.select(sends[0]!.rowId);
  await outbox.select(sends[2]!.rowId);
  const text = await outbox.requestAction(outbox.bulkButton('Terminate'));
  assert.match(text, /2 of 3 selected can be terminated; 1 other will be skipped/);
  assert.match(
    text,
    /2 outbox rows \(send-\d+, send-\d+\) are stopped: failed for good \(stopped by an operator\), never sent/,
  );
  assert.doesNotMatch(text, /failed_terminal|operator_terminated/);
  // The reason field is the dialog's first field, focused; what is typed there goes with the action.
  const reason = outbox.dialog().getByRole('textbox', { name: /Reason/ });
  assert.equal(
    await reason.evaluate(
      (el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
    ),
    true,
  );
  await reason.fill('ticket 4521: duplicate replies');
  await outbox.confirm();
  await eventually(async () => assert.match(await outbox.statusMessage().innerText(), /Terminated 2 outbox rows/));
  assert.equal(db.lc.getRow(sends[0]!.rowId)!.status, 'failed_terminal');
  assert.equal(db.lc.getRow(sends[1]!.rowId)!.status, 'queued');
  assert.equal(db.lc.getRow(sends[2]!.rowId)!.status, 'failed_terminal');
  assert.equal(db.lc.getRow(done.rowId)!.status, 'delivered');
  // The reason is kept with each row's operator entry (what the audit shows).
  const noted = db.lc.db
    .prepare(
      "SELECT DISTINCT entity_id AS id FROM message_history WHERE kind = 'outbox' AND actor = 'operator' AND note = ?",
    )
    .all('ticket 4521: duplicate replies') as { id: string }[];
  assert.deepEqual(new Set(noted.map((n) => n.id)), new Set([sends[0]!.rowId, sends[2]!.rowId]));
  // Terminating a turn's only final reply finalizes the turn.
  assert.equal(db.lc.getTurn(sends[0]!.turn.id)!.status, 'failed_terminal');
  await eventually(async () =>
    assert.equal(await outbox.row(sends[0]!.rowId).locator('.badge').innerText(), 'failed terminal'),
  );
  // The selection is cleared after the action.
  assert.equal(await outbox.bulkButton('Terminate').isDisabled(), true);

  const turns = new TablePage(page, 'Turns');
  await turns.navLink('Turns').click();
  await turns.row(stalled[0]!.id).waitFor();
  await turns.select(stalled[0]!.id);
  await turns.select(stalled[1]!.id);
  assert.match(await turns.requestAction(turns.bulkButton('Replay turn')), /2 turns .* are re-armed/);
  await turns.confirm();
  await eventually(async () => assert.match(await turns.statusMessage().innerText(), /Replay requested for 2 turns/));
  for (const s of stalled) assert.equal(db.lc.getTurn(s.id)!.status, 'failed_retryable');
  assert.deepEqual(problems.errors, []);
});

test(
  'a dead row is resent and a dead turn replayed as new from the turn page, linked both ways',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb(5 * 60_000);
    const dead = failedTerminal(db, { session: 'telegram:ticket-9001', text: 'Where is my parcel?' });
    db.clock.t = null;
    const rowId = (
      db.lc.db.prepare("SELECT id FROM message_outbox WHERE turn_id = ? AND dispatch_kind = 'final'").get(dead.id) as {
        id: string;
      }
    ).id;

    const { served, page, problems } = await openDesk(t, browser, db.file, { height: 1200 });
    const detail = new TurnDetailPage(page);
    await detail.open(served);
    await detail.openTurn(dead.id);

    // What cannot be done is disabled, and the page says why in words.
    assert.equal(await detail.action('Replay turn').isDisabled(), true);
    assert.match(await detail.actionWhy().innerText(), /Replay turn: It is failed for good: only an open turn/);
    assert.equal(await detail.rowAction(rowId, 'Retry now').count(), 0);

    // Resend the dead row, with a reason.
    const text = await detail.requestAction(detail.rowAction(rowId, 'Resend'));
    assert.match(
      text,
      new RegExp(`A new send is queued for outbox row ${rowId}: the same channel, target and payload`),
    );
    await detail
      .dialog()
      .getByRole('textbox', { name: /Reason/ })
      .fill('the user unblocked the bot');
    await detail.confirm();
    await eventually(async () => assert.match(await detail.statusMessage().innerText(), /Resent 1 outbox row/));
    const resent = db.lc.db
      .prepare('SELECT id, status, idempotency_key FROM message_outbox WHERE resend_of = ?')
      .all(rowId) as {
      id: string;
      idempotency_key: string;
    }[];
    assert.equal(resent.length, 1);
    assert.equal(resent[0]!.idempotency_key, `resend:${rowId}`);
    const resentId = resent[0]!.id;
    assert.equal(await detail.resultLinks().first().getAttribute('title'), resentId);
    assert.match(await detail.resultLinks().first().innerText(), /^Resent as /);
    // Both rows on the page, each naming the other; the original cannot be resent twice.
    await eventually(async () => assert.match(await detail.outboxRow(resentId).innerText(), /Resend of/));
    assert.match(await detail.outboxRow(rowId).innerText(), /Resent as/);
    assert.equal(await detail.rowAction(rowId, 'Resend').count(), 0);
    await eventually(async () => assert.match(await detail.timeline().innerText(), /the user unblocked the bot/));
    assert.equal(db.lc.getRow(rowId)!.status, 'failed_terminal', 'a terminal row never changes');

    // Replay the turn as a new one: the result links to it, and each turn links to the other.
    const replayText = await detail.requestAction(detail.action('Replay as new turn'));
    assert.match(
      replayText,
      new RegExp(`A new turn is made from turn ${dead.id}: the same session, message and reply route`),
    );
    await detail.confirm();
    const link = detail.resultLinks().filter({ hasText: /^Replayed as new turn / });
    await link.waitFor();
    const newId = (await link.getAttribute('title'))!;
    assert.equal(db.lc.getTurn(newId)!.replayOf, dead.id);
    await eventually(async () => assert.match(await detail.turnLinks().innerText(), /Replayed as new turn/));
    assert.equal(await detail.action('Replay as new turn').isDisabled(), true);
    await screenshot(page, 'turn-detail-replayed-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'turn-detail-replayed-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await link.click();
    await page.locator('.detail-title h2', { hasText: newId }).waitFor();
    assert.match(await detail.turnLinks().innerText(), /Replay of turn/);
    await detail.turnLinks().getByRole('link').click();
    await page.locator('.detail-title h2', { hasText: dead.id }).waitFor();
    assert.deepEqual(problems.errors, []);
  },
);
