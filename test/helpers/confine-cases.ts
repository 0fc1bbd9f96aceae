// The one table of paths for the renderer's two file servers, which share one rule
// (main/http/confine.ts): the browser mode's static server (test/unit/http.test.ts, real HTTP)
// and Electron's app:// handler (test/unit/app-policy.test.ts, its resolver under plain Node).
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp-db';

export interface ConfineFixture {
  /** The renderer folder to serve. */
  root: string;
  /** A file beside it that nothing may serve (its content is SECRET). */
  outside: string;
}

export const SECRET = 'do-not-serve-this';

export interface ConfineCase {
  /** The raw URL path, as sent (percent-encoding kept). */
  path: string;
  /** The file under root it serves, or null when refused. */
  serves: string | null;
  why: string;
}

/**
 * root/ index.html, app.js, app.js.map, assets/a b.css, sub/ (a folder), .env, .git/config,
 * link-in.js → app.js, link-out.txt → ../outside.txt, linkdir → .. (the parent folder),
 * link-dot.js → .env; ../outside.txt.
 */
export function confineFixture(): ConfineFixture {
  const dir = tempDir('lifecycle-confine-');
  const root = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.mkdirSync(path.join(root, 'sub'));
  fs.mkdirSync(path.join(root, '.git'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Lifecycle Desk</title>');
  fs.writeFileSync(path.join(root, 'app.js'), 'console.log(1);');
  fs.writeFileSync(path.join(root, 'app.js.map'), `{"sources":["${SECRET}"]}`);
  fs.writeFileSync(path.join(root, 'assets', 'a b.css'), 'body{}');
  fs.writeFileSync(path.join(root, '.env'), `TOKEN=${SECRET}`);
  fs.writeFileSync(path.join(root, '.git', 'config'), SECRET);
  const outside = path.join(dir, 'outside.txt');
  fs.writeFileSync(outside, SECRET);
  fs.symlinkSync(path.join(root, 'app.js'), path.join(root, 'link-in.js'));
  fs.symlinkSync(outside, path.join(root, 'link-out.txt'));
  fs.symlinkSync(dir, path.join(root, 'linkdir'));
  fs.symlinkSync(path.join(root, '.env'), path.join(root, 'link-dot.js'));
  return { root, outside };
}

export const CONFINE_CASES: readonly ConfineCase[] = [
  { path: '/', serves: 'index.html', why: 'the root is index.html' },
  { path: '/index.html', serves: 'index.html', why: 'a file' },
  { path: '/app.js', serves: 'app.js', why: 'a file' },
  { path: '/assets/a%20b.css', serves: 'assets/a b.css', why: 'encoded space in a name' },
  { path: '/link-in.js', serves: 'app.js', why: 'a symlink to a file inside' },
  { path: '/link-out.txt', serves: null, why: 'a symlink pointing outside' },
  { path: '/linkdir/outside.txt', serves: null, why: 'a folder symlink pointing outside' },
  { path: '/link-dot.js', serves: null, why: 'a symlink to a dotfile' },
  { path: '/.env', serves: null, why: 'a dotfile' },
  { path: '/%2eenv', serves: null, why: 'an encoded dotfile' },
  { path: '/.git/config', serves: null, why: 'a dot-folder' },
  { path: '/app.js.map', serves: null, why: 'a source map outside development' },
  { path: '/sub', serves: null, why: 'a directory' },
  { path: '/sub/', serves: null, why: 'a directory without index.html' },
  { path: '/assets', serves: null, why: 'no directory listing' },
  { path: '/missing.js', serves: null, why: 'missing' },
  { path: '/%2e%2e/outside.txt', serves: null, why: 'encoded ..' },
  { path: '/%2E%2E/%2E%2E/etc/passwd', serves: null, why: 'encoded .. (upper case)' },
  { path: '/..%2foutside.txt', serves: null, why: '.. with an encoded slash' },
  { path: '/..%5coutside.txt', serves: null, why: '.. with an encoded backslash' },
  { path: '/assets%2fa%20b.css', serves: null, why: 'an encoded separator' },
  { path: '/%2foutside.txt', serves: null, why: 'an encoded leading slash' },
  { path: '/app.js%00.html', serves: null, why: 'an encoded NUL' },
  { path: '/%00', serves: null, why: 'only NUL' },
  { path: '/%E0%A4%A', serves: null, why: 'malformed percent-encoding' },
  { path: '/assets/.%2e/.%2e/outside.txt', serves: null, why: 'half-encoded ..' },
];
