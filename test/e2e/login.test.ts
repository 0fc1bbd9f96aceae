// The sign-in of browser mode as a real profile records it: the printed link carries only a
// one-time code, the page trades it for an HttpOnly cookie, and nothing that still works is
// left in the profile's files (History, Sessions, caches…) after the browser closed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { startBrowserMode } from '../../main/http';
import { tempDir } from '../helpers/temp-db';
import { CHROMIUM, CHROMIUM_ARGS, launchBrowser, newPage, serve, type Served } from './harness';
import { TablePage } from './pages/tables';
import { accepted, createDb } from './seed';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

function exchange(served: Served, code: string): Promise<Response> {
  return fetch(`${served.origin}/api/session`, {
    method: 'POST',
    headers: { Origin: served.origin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ code }),
  });
}

/** Every regular file under `dir`, with its bytes. */
function* filesOf(dir: string): Generator<{ file: string; bytes: Buffer }> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesOf(file);
    else if (entry.isFile()) yield { file, bytes: fs.readFileSync(file) };
  }
}

test(
  'the printed link leaves no working secret in the browser profile; new tabs need no link',
  { timeout: 90_000 },
  async (t) => {
    const db = createDb();
    const turn = accepted(db, { session: 'telegram:chat-7' });
    const served = await serve(db.file);
    t.after(() => served.stop());
    const profile = tempDir('lifecycle-profile-');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    let closed = false;
    t.after(() => (closed ? undefined : context.close()));

    const page = await context.newPage();
    const turns = new TablePage(page, 'Turns');
    await turns.open(served.url);
    assert.equal(page.url(), `${served.origin}/#/overview`);
    // A second tab on a filtered list: the session cookie is enough.
    const tab = await context.newPage();
    await tab.goto(`${served.origin}/#/turns`);
    await new TablePage(tab, 'Turns').row(turn.id).waitFor();
    const cookies = await context.cookies(served.origin);
    assert.equal(cookies.length, 1);
    const secret = cookies[0]!.value;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    await context.close();
    closed = true;

    // Byte search across the whole profile: the Bearer token nowhere, the session secret nowhere
    // but in the cookie store (Chromium keeps cookies in Default/Cookies).
    const searched: string[] = [];
    for (const { file, bytes } of filesOf(profile)) {
      const rel = path.relative(profile, file);
      searched.push(rel);
      assert.equal(bytes.includes(served.token), false, `the Bearer token is in ${rel}`);
      if (!/^Default\/Cookies(-journal)?$/.test(rel)) {
        assert.equal(bytes.includes(secret), false, `the session secret is in ${rel}`);
      }
    }
    assert.ok(searched.includes(path.join('Default', 'History')), `History was written: ${searched.join(', ')}`);

    // History has the link it was given; every code in it is dead.
    const history = new Database(path.join(profile, 'Default', 'History'), { readonly: true, fileMustExist: true });
    let texts: string[];
    try {
      texts = [
        ...history.prepare('SELECT url AS t FROM urls').pluck().all(),
        ...history.prepare('SELECT term AS t FROM keyword_search_terms').pluck().all(),
        ...history.prepare('SELECT u.url AS t FROM visits v JOIN urls u ON u.id = v.url').pluck().all(),
      ] as string[];
    } finally {
      history.close();
    }
    assert.ok(
      texts.some((u) => u.startsWith(served.origin)),
      `History holds the app's URLs: ${texts.join(', ')}`,
    );
    assert.equal(texts.filter((u) => u.includes('token=')).length, 0);
    const codes = [...new Set(texts.flatMap((u) => [...u.matchAll(/code=([A-Za-z0-9_-]+)/g)].map((m) => m[1]!)))];
    for (const code of codes) {
      const res = await exchange(served, code);
      assert.equal(res.status, 401, `a code from History still works: ${code}`);
    }
    t.diagnostic(`History: ${texts.length} entries, ${codes.length} code(s), all dead`);
  },
);

test(
  'a used code, an expired code and a cross-origin POST with the cookie are refused',
  { timeout: 60_000 },
  async (t) => {
    const db = createDb();
    const turn = accepted(db, { session: 'telegram:chat-8' });
    const served = await serve(db.file);
    t.after(() => served.stop());
    const { context, page } = await newPage(browser);
    t.after(() => context.close());
    const link = await served.link();
    await new TablePage(page, 'Turns').open(link);
    const code = /#code=(.+)$/.exec(link)![1]!;
    // Used by the page: dead for everyone without its session.
    const used = await exchange(served, code);
    assert.equal(used.status, 401);
    assert.match(((await used.json()) as { error: { message: string } }).error.message, /already used or has expired/);

    // A second server whose codes live 300 ms: another origin on the same host (so the same
    // "site" for cookies), and a link that expired before it was opened.
    const quick = await startBrowserMode({ dbPath: db.file, codeTtlMs: 300, readOnly: true });
    t.after(() => quick.close());
    const late = quick.newLink();
    await new Promise((r) => setTimeout(r, 500));
    const page2 = await context.newPage();
    await page2.goto(late);
    const notice = page2.getByRole('alert').filter({ hasText: 'This link was already used or has expired' });
    await notice.waitFor();
    assert.equal(await page2.getByRole('alert').count(), 1, 'one notice');
    assert.equal(
      (await exchange({ origin: quick.server.origin } as Served, /#code=(.+)$/.exec(late)![1]!)).status,
      401,
    );

    // A hostile page on another port of the same host (the app's CSP would stop its own page
    // from even trying), POSTing an abort to the first server: the browser sends the cookie
    // along (ports do not make another site), so the server's Origin check is what refuses it.
    const hostile = http.createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => hostile.close(() => r())));
    await page2.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
    const sent = page2.waitForEvent('requestfailed', (req) => req.url() === `${served.origin}/api/abortSessions`);
    await page2.evaluate(async (url) => {
      const body = JSON.stringify({ sessionKeys: ['telegram:chat-8'], reason: 'csrf' });
      await fetch(url, { method: 'POST', body, credentials: 'include', mode: 'no-cors' }).catch(() => undefined);
    }, `${served.origin}/api/abortSessions`);
    await sent;
    // Its answer is not readable there (CORP); what counts is that the abort did not happen.
    const after = await fetch(`${served.origin}/api/getTurn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${served.token}` },
      body: JSON.stringify({ id: turn.id }),
    });
    assert.equal(((await after.json()) as { value: { turn: { status: string } } }).value.turn.status, 'accepted');
    // The same call from the app's own page works.
    const own = await page.evaluate(async () => (await fetch('/api/getStatus', { method: 'POST', body: '{}' })).status);
    assert.equal(own, 200);
  },
);
