// One Content-Security-Policy for the renderer, however it is loaded: the browser mode's
// header (on the page, its assets, its API answers and its own fallback page), the built
// index.html's <meta> (the same minus frame-ancestors, which a <meta> cannot carry) and the
// app:// header (app-shell.test.ts compares that one). And no source maps outside development.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrowserMode, type BrowserMode } from '../../main/http';
import { startServer } from '../../main/http/server';
import { DEFAULT_STATIC_DIR } from '../../main/http/static';
import { Lifecycle } from '../../main/lifecycle';
import { CONTENT_SECURITY_POLICY, META_CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { tempDir } from '../helpers/temp-db';

const INDEX = path.join(DEFAULT_STATIC_DIR, 'index.html');
const built = fs.existsSync(INDEX);
let mode: BrowserMode;

before(async () => {
  const dbPath = path.join(tempDir(), 'message-lifecycle.db');
  Lifecycle.open(dbPath).close();
  mode = await startBrowserMode({ dbPath, port: 0 });
});
after(async () => {
  await mode.close();
});

function directives(policy: string): string[] {
  return policy.split(';').map((d) => d.trim().replace(/\s+/g, ' '));
}

function metaPolicy(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html);
  assert.ok(m, 'index.html has its CSP <meta>');
  return m[1]!;
}

test('the policy: no inline style or script, and the <meta> is the header minus frame-ancestors', () => {
  const d = directives(CONTENT_SECURITY_POLICY);
  assert.ok(d.includes("style-src 'self'") && d.includes("script-src 'self'"));
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-|nonce-|sha\d+-|\*/);
  assert.deepEqual(
    directives(META_CONTENT_SECURITY_POLICY),
    d.filter((x) => !x.startsWith('frame-ancestors')),
  );
});

test('browser mode sends the one policy on the page, its assets, the API and its fallback page', async (t) => {
  if (!built) return t.skip('dist/renderer not built (npm test builds it first)');
  const origin = mode.server.origin;
  const page = await fetch(`${origin}/`);
  assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  const html = await page.text();
  assert.equal(metaPolicy(html), META_CONTENT_SECURITY_POLICY, 'the served page carries the same <meta>');
  assert.equal(metaPolicy(fs.readFileSync(INDEX, 'utf8')), META_CONTENT_SECURITY_POLICY);
  // Nothing inline that the policy would have to allow.
  assert.doesNotMatch(html, /<style|\sstyle=|<script(?![^>]*\ssrc=)[^>]*>/i);
  for (const asset of [...html.matchAll(/(?:src|href)="([a-z0-9.-]+\.(?:js|css))"/g)].map((m) => m[1]!)) {
    const res = await fetch(`${origin}/${asset}`);
    assert.equal(res.status, 200, asset);
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, asset);
  }
  const api = await fetch(`${origin}/api/getInfo`, { method: 'POST', body: '{}' });
  assert.equal(api.status, 401);
  assert.equal(api.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  const missing = await fetch(`${origin}/nope.js`);
  assert.equal(missing.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  // The page shown when the renderer is not built: the same header, and no inline anything.
  const bare = await startServer(mode.host, { staticDir: tempDir() });
  try {
    const fallback = await fetch(`${bare.origin}/`);
    assert.equal(fallback.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.doesNotMatch(await fallback.text(), /<style|\sstyle=|<script/i);
  } finally {
    await bare.close();
  }
});

test('no source maps outside development: none built, none linked, none served', async (t) => {
  if (!built) return t.skip('dist/renderer not built (npm test builds it first)');
  const files = fs.readdirSync(DEFAULT_STATIC_DIR, { recursive: true }).map(String);
  assert.deepEqual(
    files.filter((f) => f.endsWith('.map')),
    [],
    'dist/renderer was built with --dev (or LIFECYCLE_DEV=1): rebuild it without',
  );
  for (const f of files.filter((x) => /\.(js|css)$/.test(x))) {
    assert.doesNotMatch(fs.readFileSync(path.join(DEFAULT_STATIC_DIR, f), 'utf8'), /sourceMappingURL/, f);
  }
  // A map put there by hand is not served either.
  const planted = path.join(DEFAULT_STATIC_DIR, `planted-${process.pid}.js.map`);
  fs.writeFileSync(planted, '{"version":3}');
  try {
    assert.equal((await fetch(`${mode.server.origin}/${path.basename(planted)}`)).status, 404);
  } finally {
    fs.rmSync(planted);
  }
});
