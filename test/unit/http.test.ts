// The browser mode (main/http): the real server over a real ApiHost, started the way
// `lifecycle-desk serve` starts it. Guards (token, Host, Origin), calls, events, static files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ApiEvent, ApiResult } from '../../shared/api';
import { startBrowserMode, type BrowserMode } from '../../main/http';
import { TICKET_TTL_MS, createTickets } from '../../main/http/download';
import { CONTENT_SECURITY_POLICY } from '../../main/http/headers';
import { startServer } from '../../main/http/server';
import { Lifecycle } from '../../main/lifecycle';
import { CONFINE_CASES, SECRET, confineFixture } from '../helpers/confine-cases';
import { ROUTE, tempDir } from '../helpers/temp-db';

const HTML_TEXT = '</script><script>alert(1)</script><img src=x onerror=alert(2)> & "quotes" \u2028';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request: lets the test set Host and send paths that fetch would normalize. */
function request(
  mode: BrowserMode,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    token?: string | null;
  },
  port = mode.server.port,
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? mode.server.token : options.token;
  if (token !== null && !('Authorization' in headers)) headers.Authorization = `Bearer ${token}`;
  if (!('Host' in headers)) headers.Host = `127.0.0.1:${mode.server.port}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function api(mode: BrowserMode, method: string, args: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(mode, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
}

function json(reply: Reply): ApiResult<unknown> & { error?: { code: string; message: string } } {
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  return JSON.parse(reply.body) as ApiResult<unknown> & { error?: { code: string; message: string } };
}

function assertSecurityHeaders(reply: Reply): void {
  assert.equal(reply.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  assert.equal(reply.headers['referrer-policy'], 'no-referrer');
}

let mode: BrowserMode;
let turnId: string;
let htmlTurnId: string;
let staticDir: string;

before(async () => {
  const dir = tempDir();
  const dbPath = path.join(dir, 'message-lifecycle.db');
  const lc = Lifecycle.open(dbPath);
  const failed = lc.accept({ channel: 'telegram', sessionKey: 's1', payload: { text: 'hello' }, route: ROUTE }).turn;
  lc.markRunning(failed.id);
  lc.recordFailure(failed.id, 'agent crashed');
  turnId = failed.id;
  htmlTurnId = lc.accept({ channel: 'slack', sessionKey: 's2', payload: { text: HTML_TEXT }, route: ROUTE }).turn.id;
  lc.close();

  // A renderer build with a secret beside it that traversal must not reach.
  const site = path.join(dir, 'site');
  staticDir = path.join(site, 'renderer');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(site, 'package.json'), '{"secret":"do-not-serve"}');
  fs.writeFileSync(
    path.join(staticDir, 'index.html'),
    '<!doctype html><title>Lifecycle Desk</title><script src="/assets/index-ABCD1234.js"></script>',
  );
  fs.writeFileSync(path.join(staticDir, 'assets', 'index-ABCD1234.js'), 'console.log(1);');
  fs.writeFileSync(path.join(staticDir, 'assets', 'index-ABCD1234.css'), 'body{}');
  fs.writeFileSync(path.join(staticDir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(staticDir, '.env'), 'SECRET=1');

  mode = await startBrowserMode({ dbPath, port: 0, staticDir, heartbeatMs: 100, countsIntervalMs: 50 });
});

after(async () => {
  await mode.close();
});

test('the printed URL is 127.0.0.1 with the port and a one-time code (never the token) in the fragment', () => {
  assert.match(mode.url, new RegExp(`^http://127\\.0\\.0\\.1:${mode.server.port}/#code=[A-Za-z0-9_-]{24}$`));
  assert.ok(!mode.url.includes(mode.server.token));
  assert.notEqual(mode.newLink(), mode.newLink(), 'each link has its own code');
  assert.match(mode.server.token, /^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
  assert.notEqual(mode.server.port, 0);
  assert.equal((mode.server.server.address() as { address: string }).address, '127.0.0.1');
});

test('no token or a wrong token: 401 with a JSON error', async () => {
  for (const headers of [
    {},
    { Authorization: 'Bearer wrong' },
    { Authorization: `Basic ${mode.server.token}` },
    { Authorization: `Bearer ${mode.server.token}x` },
  ]) {
    const reply = await request(mode, { method: 'POST', path: '/api/getInfo', headers, body: '{}', token: null });
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['www-authenticate'], 'Bearer, Cookie');
    const body = json(reply);
    assert.equal(body.ok, false);
    assert.equal(body.error?.code, 'unauthorized');
    assertSecurityHeaders(reply);
  }
  const events = await request(mode, { path: '/api/events', token: null });
  assert.equal(events.status, 401);
});

test('a foreign Origin: 403', async () => {
  for (const origin of [
    'http://evil.example',
    `http://127.0.0.1:${mode.server.port + 1}`,
    'null',
    `https://127.0.0.1:${mode.server.port}`,
  ]) {
    const reply = await api(mode, 'getInfo', {}, { Origin: origin });
    assert.equal(reply.status, 403, origin);
    assert.equal(json(reply).error?.code, 'forbidden');
  }
  // The server's own origin (as the page sends it) is fine, by either name.
  assert.equal((await api(mode, 'getInfo', {}, { Origin: mode.server.origin })).status, 200);
  const local = await api(
    mode,
    'getInfo',
    {},
    { Origin: `http://localhost:${mode.server.port}`, Host: `localhost:${mode.server.port}` },
  );
  assert.equal(local.status, 200);
});

test('a foreign Host (DNS rebinding): 403, also for static files', async () => {
  for (const host of [
    'evil.example',
    `evil.example:${mode.server.port}`,
    '127.0.0.1',
    `127.0.0.1:${mode.server.port + 1}`,
    `0.0.0.0:${mode.server.port}`,
  ]) {
    const reply = await api(mode, 'getInfo', {}, { Host: host });
    assert.equal(reply.status, 403, host);
    assert.equal(json(reply).error?.code, 'forbidden');
    const page = await request(mode, { path: '/', headers: { Host: host }, token: null });
    assert.equal(page.status, 403);
    assert.doesNotMatch(page.body, /Lifecycle Desk<\/title>/);
  }
});

test('a good call answers the data, with no-store and the security headers', async () => {
  const reply = await api(mode, 'listTurns', { status: ['failed_retryable'] });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['cache-control'], 'no-store');
  assertSecurityHeaders(reply);
  const body = json(reply) as { ok: true; value: { items: { id: string }[] } };
  assert.equal(body.ok, true);
  assert.deepEqual(
    body.value.items.map((t) => t.id),
    [turnId],
  );
  // An empty body means "no arguments".
  const info = await request(mode, { method: 'POST', path: '/api/getInfo' });
  assert.equal(info.status, 200);
  assert.equal(json(info).ok, true);
});

test('bad JSON: 400 invalid_argument; wrong calls get 4xx, domain refusals 200', async () => {
  const bad = await request(mode, {
    method: 'POST',
    path: '/api/listTurns',
    headers: { 'Content-Type': 'application/json' },
    body: '{"limit": 5,',
  });
  assert.equal(bad.status, 400);
  assert.equal(json(bad).error?.code, 'invalid_argument');

  const invalid = await api(mode, 'listTurns', { limit: 'all' });
  assert.equal(invalid.status, 400);
  assert.equal(json(invalid).error?.code, 'invalid_argument');

  const extra = await api(mode, 'getStatus', { admin: true });
  assert.equal(extra.status, 400);

  const unknown = await api(mode, 'dropEverything', {});
  assert.equal(unknown.status, 404);
  assert.equal(json(unknown).error?.code, 'unknown_method');
  for (const name of ['constructor', '__proto__', '', 'events/x', '%E0%A4%A']) {
    const r = await request(mode, { method: 'POST', path: `/api/${name}`, body: '{}' });
    assert.ok(r.status === 404 || r.status === 400, `${name}: ${r.status}`);
    assert.equal(json(r).ok, false);
  }

  const getOnCall = await request(mode, { path: '/api/getInfo' });
  assert.equal(getOnCall.status, 405);
  assert.equal(getOnCall.headers.allow, 'POST');

  const missing = await api(mode, 'getTurn', { id: 'no-such-turn' });
  assert.equal(missing.status, 200);
  assert.equal(json(missing).error?.code, 'not_found');

  // Bulk refusals are per id in the value (the call itself succeeded).
  const refused = await api(mode, 'retryRows', { ids: ['no-such-row'] });
  assert.equal(refused.status, 200);
  assert.deepEqual((json(refused) as { value: { refused: number } }).value.refused, 1);
});

test('a body over 1 MB: 413, and the server keeps serving', async () => {
  const big = JSON.stringify({ search: 'x'.repeat(1024 * 1024 + 10) });
  const reply = await request(mode, {
    method: 'POST',
    path: '/api/listTurns',
    headers: { 'Content-Type': 'application/json' },
    body: big,
  });
  assert.equal(reply.status, 413);
  assert.equal(json(reply).error?.code, 'invalid_argument');
  assert.equal((await api(mode, 'getStatus', {})).status, 200);
});

test('a payload containing HTML comes back as the exact string, as JSON', async () => {
  const reply = await api(mode, 'getTurn', { id: htmlTurnId });
  assert.equal(reply.status, 200);
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  const body = json(reply) as { ok: true; value: { turn: { payload: string } } };
  assert.equal((JSON.parse(body.value.turn.payload) as { text: string }).text, HTML_TEXT);
});

/** Reads SSE `data:` events (and counts comments) from a fetch body until `until` says stop. */
async function readEvents(
  res: Response,
  until: (events: ApiEvent[], comments: string[]) => boolean,
  timeoutMs = 5_000,
): Promise<{ events: ApiEvent[]; comments: string[] }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: ApiEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) comments.push(block.slice(1).trim());
        else if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)) as ApiEvent);
      }
      if (until(events, comments)) break;
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => undefined);
  }
  return { events, comments };
}

test('SSE: counts first, a changed event after an action, heartbeats; Bearer required', async () => {
  const controller = new AbortController();
  const res = await fetch(`${mode.server.origin}/api/events`, {
    headers: { Authorization: `Bearer ${mode.server.token}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);

  let acted = false;
  const { events, comments } = await readEvents(res, (evs, cs) => {
    if (!acted && cs.includes('connected')) {
      acted = true;
      void api(mode, 'replayTurns', { ids: [turnId] }).then((r) => assert.equal(r.status, 200));
    }
    return evs.some((e) => e.type === 'changed') && cs.includes('ping');
  });
  controller.abort();
  assert.ok(acted);
  assert.equal(events[0]?.type, 'counts', 'the current counts come first');
  assert.ok(
    events.some((e) => e.type === 'changed'),
    'a changed event followed the action',
  );
  assert.ok(comments.includes('ping'), 'heartbeats are comments');
});

test('static: / serves index.html with the CSP; assets with their types; traversal refused', async () => {
  const index = await request(mode, { path: '/', token: null });
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-type']), /^text\/html/);
  assert.match(index.body, /<title>Lifecycle Desk<\/title>/);
  assertSecurityHeaders(index);
  assert.equal(index.headers['cache-control'], 'no-cache');

  const js = await request(mode, { path: '/assets/index-ABCD1234.js?v=1', token: null });
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  assert.match(String(js.headers['cache-control']), /immutable/);
  assert.equal(js.body, 'console.log(1);');
  assert.match(
    String((await request(mode, { path: '/assets/index-ABCD1234.css', token: null })).headers['content-type']),
    /^text\/css/,
  );
  assert.equal(
    (await request(mode, { path: '/assets/logo.svg', token: null })).headers['content-type'],
    'image/svg+xml',
  );
  const etag = String(index.headers.etag);
  const revalidated = await request(mode, { path: '/', headers: { 'If-None-Match': etag }, token: null });
  assert.equal(revalidated.status, 304);
  assert.equal(revalidated.body, '');
  const head = await request(mode, { method: 'HEAD', path: '/assets/index-ABCD1234.js', token: null });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');

  assert.equal((await request(mode, { path: '/nope.js', token: null })).status, 404);
  assert.equal((await request(mode, { path: '/assets', token: null })).status, 404, 'no directory listing');
  assert.equal((await request(mode, { path: '/.env', token: null })).status, 404, 'no dotfiles');
  assert.equal((await request(mode, { method: 'POST', path: '/', token: null })).status, 405);

  for (const p of [
    '/../package.json',
    '/assets/../../package.json',
    '/%2e%2e/package.json',
    '/..%2fpackage.json',
    '/..%5cpackage.json',
    '/..\\package.json',
    '/%2E%2E/%2E%2E/package.json',
  ]) {
    const reply = await request(mode, { path: p, token: null });
    assert.ok(reply.status === 403 || reply.status === 400, `${p}: ${reply.status}`);
    assert.doesNotMatch(reply.body, /do-not-serve/);
    assertSecurityHeaders(reply);
  }
});

test('static: the shared confinement cases over real HTTP (the same as app://)', async () => {
  const { root } = confineFixture();
  const server = await startServer(mode.host, { staticDir: root });
  try {
    for (const c of CONFINE_CASES) {
      const reply = await request(
        mode,
        { path: c.path, token: null, headers: { Host: `127.0.0.1:${server.port}` } },
        server.port,
      );
      const what = `${c.path} (${c.why}): ${reply.status}`;
      if (c.serves === null) {
        assert.ok([400, 403, 404].includes(reply.status), what);
        assert.doesNotMatch(reply.body, new RegExp(SECRET), what);
      } else {
        assert.equal(reply.status, 200, what);
        assert.equal(reply.body, fs.readFileSync(path.join(root, c.serves), 'utf8'), what);
      }
      assertSecurityHeaders(reply);
    }
  } finally {
    await server.close();
  }
});

test('without a renderer build, / says how to build it', async () => {
  const server = await startServer(
    { callRaw: () => Promise.resolve({ ok: true, value: null }), onEvent: () => () => undefined },
    { staticDir: path.join(tempDir(), 'missing') },
  );
  try {
    const res = await fetch(`${server.origin}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.match(await res.text(), /renderer not built: run npm run build/);
  } finally {
    await server.close();
  }
});

test('close() ends open event streams and frees the port', async () => {
  const dbPath = path.join(tempDir(), 'message-lifecycle.db');
  const other = await startBrowserMode({ dbPath, port: 0, staticDir });
  const res = await fetch(`${other.server.origin}/api/events`, {
    headers: { Authorization: `Bearer ${other.server.token}` },
  });
  assert.equal(res.status, 200);
  const reading = res.text().catch(() => 'ended');
  await other.close();
  await reading; // the stream ended (instead of hanging the test)
  assert.equal(other.server.server.listening, false);
  assert.equal(other.host.available, false);
  await assert.rejects(fetch(`${other.server.origin}/`));
  // The port can be reused at once.
  const again = await startServer(other.host, { port: other.server.port, staticDir });
  await again.close();
});

/** Trades a printed code for the session cookie, as the page does; returns `name=value`. */
async function signIn(origin: string, code: string): Promise<string> {
  const res = await fetch(`${origin}/api/session`, {
    method: 'POST',
    headers: { Origin: origin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const setCookie = res.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /^lifecycle-desk-\d+=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
  return setCookie.split(';')[0]!;
}

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `lifecycle-desk serve …` until its one line is out; returns the line and the child. */
function serve(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const bin = path.join(__dirname, '..', '..', 'main', 'cli', 'bin.js');
  const child = spawn(process.execPath, [bin, 'serve', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line in time; stderr: ${stderr}`)), 10_000);
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(stdout.split('\n')[0]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  return { child, line, exited, output: () => ({ stdout, stderr }) };
}

test('lifecycle-desk serve: one line with the URL, a working API, SIGTERM exits 0', async () => {
  const dbPath = path.join(tempDir(), 'message-lifecycle.db');
  Lifecycle.open(dbPath).close();
  const run = serve(['--db', dbPath, '--port', '0']);
  const line = await run.line;
  const match = /^Lifecycle Desk at (http:\/\/127\.0\.0\.1:(\d+))\/#code=([A-Za-z0-9_-]{24})$/.exec(line);
  assert.ok(match, line);
  const [, origin, port, code] = match;
  const cookie = await signIn(origin!, code!);
  assert.ok(cookie.startsWith(`lifecycle-desk-${port!}=`), cookie);
  const res = await fetch(`${origin!}/api/getInfo`, {
    method: 'POST',
    headers: { Cookie: cookie, Origin: origin! },
    body: '{}',
  });
  const info = (await res.json()) as { ok: true; value: { dbPath: string; demo: boolean; operator: string } };
  assert.equal(info.value.dbPath, dbPath);
  assert.equal(info.value.demo, false);
  assert.match(info.value.operator, /^web:/);
  // Enter prints one more link, with a fresh code; the first code is dead already.
  run.child.stdin.write('\n');
  await until(() => run.output().stdout.split('\n').length === 3);
  const second = run.output().stdout.split('\n')[1]!;
  const again = /^Lifecycle Desk at (http:\/\/127\.0\.0\.1:\d+)\/#code=([A-Za-z0-9_-]{24})$/.exec(second);
  assert.ok(again, second);
  assert.equal(again[1], origin);
  assert.notEqual(again[2], code);
  await signIn(origin!, again[2]!);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.equal(run.output().stdout, `${line}\n${second}\n`, 'one line on stdout per link');
  await assert.rejects(fetch(`${origin!}/`), 'the server is gone');
});

test('lifecycle-desk serve --demo: the demo database lives in the data directory; SIGINT exits 0', async () => {
  const home = tempDir();
  const run = serve(['--demo'], {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: path.join(home, 'data'),
    LIFECYCLE_DESK_DB: path.join(home, 'real.db'),
  });
  const line = await run.line;
  assert.match(line, /^Lifecycle Desk at http:\/\/127\.0\.0\.1:\d+\/#code=/);
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0);
  const demoDb = path.join(home, 'data', 'lifecycle-desk', 'demo', 'message-lifecycle.db');
  assert.ok(fs.existsSync(demoDb), 'the demo database was created in <data dir>/demo/');
  assert.equal(fs.existsSync(path.join(home, 'real.db')), false, 'the real database was not touched');
});

test('lifecycle-desk serve refuses a missing database (without --demo) and a file that is not SQLite', async () => {
  const dir = tempDir();
  const missing = serve(['--db', path.join(dir, 'nope.db')]);
  await assert.rejects(missing.line);
  assert.equal(await missing.exited, 1);
  assert.match(missing.output().stderr, /no database at/);
  assert.equal(fs.existsSync(path.join(dir, 'nope.db')), false);

  const notSqlite = path.join(dir, 'notes.db');
  fs.writeFileSync(notSqlite, 'my notes');
  const bad = serve(['--db', notSqlite]);
  await assert.rejects(bad.line);
  assert.equal(await bad.exited, 1);
  assert.match(bad.output().stderr, /not an SQLite database/);
  assert.equal(fs.readFileSync(notSqlite, 'utf8'), 'my notes');
});

test('export: POST /api/export answers a one-time link; its GET downloads exactly the rows, as an attachment', async () => {
  const listed = json(await api(mode, 'listTurns', { channel: 'slack' })) as {
    ok: true;
    value: { items: { id: string }[] };
  };
  const link = await api(mode, 'export', { list: 'turns', format: 'csv', filter: { channel: 'slack' } });
  assert.equal(link.status, 200);
  const { url } = (json(link) as { ok: true; value: { url: string } }).value;
  assert.match(url, /^\/api\/download\/[A-Za-z0-9_-]{20,}$/);

  // A browser's download sends no Authorization header: the ticket is the authorization.
  const download = await request(mode, { path: url, token: null });
  assert.equal(download.status, 200);
  assert.equal(download.headers['content-type'], 'text/csv; charset=utf-8');
  assert.match(
    String(download.headers['content-disposition']),
    /^attachment; filename="lifecycle-turns-\d{4}-\d\d-\d\d\.csv"$/,
  );
  assert.equal(download.headers['cache-control'], 'no-store');
  assertSecurityHeaders(download);
  const lines = download.body.split('\r\n').filter(Boolean);
  assert.equal(lines[0]!.split(',')[0], 'id');
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(',')[0]),
    listed.value.items.map((t) => t.id),
  );
  // The payload with HTML in it is text in the file, exactly (quoted, its quotes doubled).
  assert.ok(download.body.includes(JSON.stringify({ text: HTML_TEXT }).replaceAll('"', '""')));

  // Once only.
  const again = await request(mode, { path: url, token: null });
  assert.equal(again.status, 404);
  assert.equal(json(again).error?.code, 'not_found');

  // JSON the same way.
  const jsonLink = json(await api(mode, 'export', { list: 'turns', format: 'json', filter: {} })) as {
    ok: true;
    value: { url: string };
  };
  const all = await request(mode, { path: jsonLink.value.url, token: null });
  assert.equal(all.headers['content-type'], 'application/json; charset=utf-8');
  assert.match(String(all.headers['content-disposition']), /filename="lifecycle-turns-[\d-]+\.json"/);
  const items = JSON.parse(all.body) as { id: string; payload: string }[];
  assert.ok(items.some((t) => t.id === htmlTurnId && JSON.parse(t.payload).text === HTML_TEXT));
});

test('export: no token is refused, a bad request is refused, a made-up or foreign-Host download is refused', async () => {
  const body = JSON.stringify({ list: 'turns', format: 'csv', filter: {} });
  const noToken = await request(mode, { method: 'POST', path: '/api/export', body, token: null });
  assert.equal(noToken.status, 401);
  const wrong = await request(mode, { method: 'POST', path: '/api/export', body, token: 'x'.repeat(43) });
  assert.equal(wrong.status, 401);

  for (const bad of [
    { list: 'turns', format: 'xlsx', filter: {} },
    { list: 'turns', format: 'csv', filter: { sql: 'DROP TABLE message_turns' } },
    { list: 'turns', format: 'csv' },
    'turns',
  ]) {
    const reply = await api(mode, 'export', bad);
    assert.equal(reply.status, 400, JSON.stringify(bad));
    assert.equal(json(reply).error?.code, 'invalid_argument');
    assert.match(json(reply).error?.message ?? '', /^export: /);
  }
  const notJson = await request(mode, { method: 'POST', path: '/api/export', body: '{' });
  assert.equal(notJson.status, 400);
  const get = await request(mode, { path: '/api/export' });
  assert.equal(get.status, 405);

  for (const path of ['/api/download/made-up-ticket', '/api/download/', '/api/download/..%2F..%2Fpackage.json']) {
    const reply = await request(mode, { path, token: null });
    assert.equal(reply.status, 404, path);
  }
  // A link is good only on this server's own Host (a DNS-rebinding page cannot fetch it).
  const link = json(await api(mode, 'export', { list: 'outbox', format: 'csv', filter: {} })) as {
    ok: true;
    value: { url: string };
  };
  const rebound = await request(mode, { path: link.value.url, token: null, headers: { Host: 'evil.example:80' } });
  assert.equal(rebound.status, 403);
  const post = await request(mode, { method: 'POST', path: link.value.url, token: null });
  assert.equal(post.status, 405);
  // Neither used it up.
  assert.equal((await request(mode, { path: link.value.url, token: null })).status, 200);
});

test('export tickets: valid once, for 60 s', () => {
  let now = 1_000_000;
  const tickets = createTickets(() => now);
  const req = { list: 'turns', format: 'csv', filter: {} } as const;
  const a = tickets.issue(req)!;
  const b = tickets.issue(req)!;
  assert.notEqual(a, b);
  assert.deepEqual(tickets.take(a), req);
  assert.equal(tickets.take(a), null);
  now += TICKET_TTL_MS - 1;
  const c = tickets.issue(req)!;
  now += 1;
  assert.equal(tickets.take(b), null, 'expired at 60 s');
  assert.deepEqual(tickets.take(c), req);
});

test('SSE: a bulk job by filter pushes its end as a job event', async () => {
  const controller = new AbortController();
  const res = await fetch(`${mode.server.origin}/api/events`, {
    headers: { Authorization: `Bearer ${mode.server.token}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  let started: Promise<Reply> | undefined;
  const { events } = await readEvents(res, (evs, cs) => {
    if (!started && cs.includes('connected')) {
      started = api(mode, 'startBulk', { list: 'turns', action: 'abort', filter: { sessionKey: 'no-such-session' } });
    }
    return evs.some((e) => e.type === 'job' && e.job.state !== 'running');
  });
  controller.abort();
  assert.ok(started);
  const { value } = json(await started) as { ok: true; value: { id: string } };
  const end = events.find((e) => e.type === 'job' && e.job.state !== 'running');
  assert.ok(end && end.type === 'job');
  assert.equal(end.job.id, value.id);
  assert.deepEqual([end.job.state, end.job.total, end.job.done], ['done', 0, 0]);
});
