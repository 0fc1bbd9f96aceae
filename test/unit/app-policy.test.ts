// The desktop shell's pure security policy (app/policy.ts): which files app:// serves, which
// navigations are allowed, how the shell reads its flags, and that the CSP is strict.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  CONTENT_SECURITY_POLICY,
  RENDERER_URL,
  decideNavigation,
  isAppDocument,
  mimeType,
  parseAppArgs,
  resolveRendererFile,
} from '../../app/policy';
import { CONFINE_CASES, confineFixture } from '../helpers/confine-cases';

test('app://desk serves what the static server serves: the shared confinement cases', async () => {
  const { root } = confineFixture();
  for (const c of CONFINE_CASES) {
    const file = await resolveRendererFile(root, `app://desk${c.path}`, {});
    assert.equal(file, c.serves === null ? null : fs.realpathSync(path.join(root, c.serves)), `${c.path} (${c.why})`);
  }
  assert.equal(
    await resolveRendererFile(root, 'app://desk/app.js?v=1#x', {}),
    fs.realpathSync(path.join(root, 'app.js')),
  );
  // Development builds may serve their source maps.
  assert.equal(
    await resolveRendererFile(root, 'app://desk/app.js.map', { sourceMaps: true }),
    fs.realpathSync(path.join(root, 'app.js.map')),
  );
  // Only the renderer's own origin: other hosts, credentials, schemes are refused.
  for (const url of [
    'app://other/index.html',
    'app://user@desk/index.html',
    'app://desk:8080/index.html',
    'https://desk/index.html',
    'file:///etc/passwd',
    'nonsense',
  ]) {
    assert.equal(await resolveRendererFile(root, url, {}), null, url);
  }
});

test('content types', () => {
  assert.match(mimeType('index.html'), /^text\/html/);
  assert.match(mimeType('app.js'), /^text\/javascript/);
  assert.match(mimeType('app.CSS'), /^text\/css/);
  assert.equal(mimeType('blob.bin'), 'application/octet-stream');
});

test('the CSP allows only the app itself: no inline or remote script, no eval, no frames, no plugins', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name ?? '', values];
    }),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(directives.get('form-action'), ["'none'"]);
  for (const values of directives.values()) {
    for (const v of values) {
      assert.ok(
        !["'unsafe-eval'", "'unsafe-inline'", "'wasm-unsafe-eval'", '*', 'http:', 'https:', 'file:'].includes(v),
        v,
      );
    }
  }
});

test('only the renderer document itself counts as the app', () => {
  assert.ok(isAppDocument(RENDERER_URL, RENDERER_URL));
  assert.ok(isAppDocument(`${RENDERER_URL}#/turns`, RENDERER_URL));
  assert.ok(!isAppDocument('app://desk/index.html?x', RENDERER_URL));
  assert.ok(!isAppDocument('app://desk/other.html', RENDERER_URL));
  assert.ok(!isAppDocument('app://desk.evil/index.html', RENDERER_URL));
  assert.ok(!isAppDocument(null, RENDERER_URL));
});

test('navigation: only the renderer document; everything else denied, https included', () => {
  assert.equal(decideNavigation(`${RENDERER_URL}#/outbox`, RENDERER_URL), 'allow');
  assert.equal(decideNavigation(RENDERER_URL, RENDERER_URL), 'allow');
  for (const url of [
    'https://example.com/docs',
    'https://github.com/',
    'http://example.com/',
    'http://127.0.0.1:8080/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,x',
    'app://desk/other.html',
    'app://desk/index.html?x=1',
    'app://evil/index.html',
    'lifecycle-desk://turn/x',
    'https://user:pw@example.com/',
    'smb://host/share',
    'garbage',
  ]) {
    assert.equal(decideNavigation(url, RENDERER_URL), 'deny', url);
  }
});

test('--db and --user-data are found among Electron and Playwright switches', () => {
  const cwd = path.resolve('/home/u/work');
  assert.deepEqual(parseAppArgs([], cwd), { db: null, userData: null });
  assert.deepEqual(
    parseAppArgs(['--inspect=0', '--remote-debugging-port=0', 'dist/app/main.js', '--db', 'x.db'], cwd),
    {
      db: path.join(cwd, 'x.db'),
      userData: null,
    },
  );
  assert.deepEqual(parseAppArgs(['--db=/tmp/a.db', '--user-data', 'profile'], cwd), {
    db: path.resolve('/tmp/a.db'),
    userData: path.join(cwd, 'profile'),
  });
  assert.deepEqual(parseAppArgs(['--db'], cwd), { db: null, userData: null });
  assert.deepEqual(parseAppArgs(['--db', '--user-data=p'], cwd), { db: null, userData: path.join(cwd, 'p') });
  assert.deepEqual(parseAppArgs(['--db', 'a.db', '--db', 'b.db'], cwd).db, path.join(cwd, 'b.db'));
  // A PostgreSQL URL is a database too, kept as given.
  const url = 'postgres://desk:pw@db.internal:5432/lifecycle?sslmode=require';
  assert.equal(parseAppArgs(['--db', url], cwd).db, url);
  assert.equal(parseAppArgs([`--db=${url}`], cwd).db, url);
});
