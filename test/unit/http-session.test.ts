// Browser mode's sign-in (main/http/auth.ts): a printed one-time code is traded once for an
// HttpOnly session cookie, and cookie-authorized requests must come from the app's own page.
// Also the caps on connections and event streams. Real servers over a real ApiHost, real sockets.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrowserMode, type BrowserMode } from '../../main/http';
import { CODE_REFUSED, createSessions } from '../../main/http/auth';
import { startServer, type BrowserServer } from '../../main/http/server';
import { Lifecycle } from '../../main/lifecycle';
import { ROUTE, tempDir } from '../helpers/temp-db';

let mode: BrowserMode;

before(async () => {
  const dbPath = path.join(tempDir(), 'message-lifecycle.db');
  const lc = Lifecycle.open(dbPath);
  lc.accept({ channel: 'telegram', sessionKey: 's1', payload: { text: 'hello' }, route: ROUTE });
  lc.close();
  mode = await startBrowserMode({ dbPath, port: 0, staticDir: tempDir(), heartbeatMs: 100 });
});

after(async () => {
  await mode.close();
});

function codeOf(link: string): string {
  const m = /#code=([A-Za-z0-9_-]+)$/.exec(link);
  assert.ok(m, link);
  return m[1]!;
}

function exchange(server: BrowserServer, code: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}/api/session`, {
    method: 'POST',
    headers: { Origin: server.origin, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ code }),
  });
}

async function cookieFor(server: BrowserServer): Promise<string> {
  const res = await exchange(server, codeOf(server.newLink()));
  assert.equal(res.status, 200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

function call(server: BrowserServer, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.origin}/api/getStatus`, { method: 'POST', headers, body: '{}' });
}

test('a code is traded once for an HttpOnly, SameSite=Strict session cookie without Max-Age', async () => {
  const server = mode.server;
  const code = codeOf(server.newLink());
  const res = await exchange(server, code);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const setCookie = res.headers.get('set-cookie') ?? '';
  assert.match(
    setCookie,
    new RegExp(`^lifecycle-desk-${server.port}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$`),
  );
  const cookie = setCookie.split(';')[0]!;
  assert.ok(!setCookie.includes(code) && !setCookie.includes(server.token));

  // The cookie authorizes calls from the page: its Origin, or fetch metadata for GETs.
  assert.equal((await call(server, { Cookie: cookie, Origin: server.origin })).status, 200);
  const events = await fetch(`${server.origin}/api/events`, {
    headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' },
  });
  assert.equal(events.status, 200);
  await events.body?.cancel();

  // Used: 401 with the words the page shows, even from the browser that used it (without its cookie).
  const again = await exchange(server, code);
  assert.equal(again.status, 401);
  assert.equal(again.headers.get('set-cookie'), null);
  assert.deepEqual(await again.json(), { ok: false, error: { code: 'unauthorized', message: CODE_REFUSED } });
  // The browser that holds a session may open an old link again: it stays signed in, no new cookie.
  const signedIn = await exchange(server, code, { Cookie: cookie });
  assert.equal(signedIn.status, 200);
  assert.equal(signedIn.headers.get('set-cookie'), null);

  for (const bad of ['', 'made-up', 'x'.repeat(24), '../../etc', 'a'.repeat(500)]) {
    assert.equal((await exchange(server, bad)).status, 401, bad);
  }
  const get = await fetch(`${server.origin}/api/session`);
  assert.equal(get.status, 405);
});

test('cookie requests need our own page: a foreign Origin or no proof of origin is 403', async () => {
  const server = mode.server;
  const cookie = await cookieFor(server);
  const foreign = await call(server, { Cookie: cookie, Origin: `http://127.0.0.1:${server.port + 1}` });
  assert.equal(foreign.status, 403);
  assert.equal(((await foreign.json()) as { error: { code: string } }).error.code, 'forbidden');
  // A page on another port is "same site" for cookies (ports do not count): fetch metadata says so.
  for (const site of [undefined, 'same-site', 'cross-site', 'none']) {
    const headers: Record<string, string> = { Cookie: cookie };
    if (site) headers['Sec-Fetch-Site'] = site;
    assert.equal((await call(server, headers)).status, 403, String(site));
    const events = await fetch(`${server.origin}/api/events`, { headers });
    assert.equal(events.status, 403, String(site));
  }
  // The exchange itself is refused without an origin, and from another one.
  const code = codeOf(server.newLink());
  assert.equal((await exchange(server, code, { Origin: 'http://evil.example' })).status, 403);
  const bare = await fetch(`${server.origin}/api/session`, { method: 'POST', body: JSON.stringify({ code }) });
  assert.equal(bare.status, 403);
  assert.equal((await exchange(server, code)).status, 200, 'the refusals did not use the code up');
  // A made-up cookie, and a cookie of another port's name, authorize nothing.
  assert.equal(
    (await call(server, { Cookie: `lifecycle-desk-${server.port}=${'a'.repeat(43)}`, Origin: server.origin })).status,
    401,
  );
  const value = cookie.split('=')[1]!;
  assert.equal((await call(server, { Cookie: `lifecycle-desk-1=${value}`, Origin: server.origin })).status, 401);
  // The Bearer token still works for programs, and a wrong one is not rescued by a good cookie.
  assert.equal((await call(server, { Authorization: `Bearer ${server.token}` })).status, 200);
  assert.equal(
    (await call(server, { Authorization: 'Bearer wrong', Cookie: cookie, Origin: server.origin })).status,
    401,
  );
});

test('a code expires after its TTL', async () => {
  const server = await startServer(mode.host, { codeTtlMs: 150, staticDir: tempDir() });
  try {
    const late = codeOf(server.url);
    const early = codeOf(server.newLink());
    assert.equal((await exchange(server, early)).status, 200);
    await new Promise((r) => setTimeout(r, 250));
    const res = await exchange(server, late);
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /already used or has expired/);
  } finally {
    await server.close();
  }
});

test('codes outstanding and sessions are capped: the oldest goes', () => {
  const sessions = createSessions({ maxCodes: 3, maxSessions: 2 });
  const codes = [1, 2, 3, 4].map(() => sessions.newCode());
  assert.equal(sessions.redeem(codes[0]!), null, 'the oldest code was dropped');
  const secrets = codes.slice(1).map((c) => sessions.redeem(c));
  assert.ok(secrets.every((s) => s !== null));
  assert.deepEqual(
    secrets.map((s) => sessions.isSession(s!)),
    [false, true, true],
    'the oldest session ended',
  );
});

test('event streams are capped: the next one answers 503, the open ones keep streaming', async () => {
  const server = await startServer(mode.host, { maxStreams: 2, heartbeatMs: 50, staticDir: tempDir() });
  const auth = { Authorization: `Bearer ${server.token}` };
  try {
    const open = await Promise.all([1, 2].map(() => fetch(`${server.origin}/api/events`, { headers: auth })));
    assert.deepEqual(
      open.map((r) => r.status),
      [200, 200],
    );
    const third = await fetch(`${server.origin}/api/events`, { headers: auth });
    assert.equal(third.status, 503);
    const body = (await third.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unavailable');
    assert.match(body.error.message, /too many open event streams \(2\): close some Lifecycle Desk tabs/);
    // The first two still get their heartbeats.
    for (const res of open) {
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes(': ping')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
    }
    // Once one closed, a new one is let in.
    await new Promise((r) => setTimeout(r, 100));
    const later = await fetch(`${server.origin}/api/events`, { headers: auth });
    assert.equal(later.status, 200);
    await later.body?.cancel();
  } finally {
    await server.close();
  }
});

test('connections are capped: sockets past the cap are closed, the ones inside keep working', async () => {
  const server = await startServer(mode.host, { maxConnections: 3, staticDir: tempDir() });
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      sockets.push(s);
    }
    // Let the server accept the three before the fourth arrives.
    await new Promise((r) => setTimeout(r, 100));
    const extra = net.connect(server.port, '127.0.0.1');
    sockets.push(extra);
    const closed = await new Promise<boolean>((resolve) => {
      extra.once('close', () => resolve(true));
      extra.once('error', () => resolve(true));
      extra.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
      extra.once('data', () => resolve(false));
      setTimeout(() => resolve(false), 3_000);
    });
    assert.equal(closed, true, 'the fourth socket was closed without an answer');
    // One of the three inside still gets answers.
    const inside = sockets[0]!;
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      inside.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('\r\n\r\n')) resolve(text);
      });
      inside.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 401 /);
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
  }
});
