// E2E harness: the real browser-mode server (`lifecycle-desk serve`) as a child process on a
// database the test prepared with the Lifecycle API, and Debian's Chromium through
// playwright-core (never a downloaded browser).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export { eventually } from '../helpers/eventually';
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'dist', 'main', 'cli', 'bin.js');
const RENDERER_INDEX = path.join(ROOT, 'dist', 'renderer', 'index.html');
/**
 * docs/screenshots/ (committed; the README links them) when UPDATE_SCREENSHOTS=1, else
 * dist/screenshots/: a test run never dirties the work tree.
 */
export const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS
  ? path.join(ROOT, 'docs', 'screenshots')
  : path.join(ROOT, 'dist', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Also for tests that launch a persistent profile of their own (login.test.ts). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface Served {
  /** The first link `serve` printed: origin + `/#code=…` (its code works once, within 60 s). */
  url: string;
  origin: string;
  /** The Bearer secret the harness gave the server (LIFECYCLE_DESK_TOKEN), for calls from Node. */
  token: string;
  /** A fresh link: presses Enter on serve's stdin and resolves with the next printed line. */
  link(): Promise<string>;
  stop(): Promise<void>;
}

const LINK = /Lifecycle Desk at (http:\/\/127\.0\.0\.1:\d+)\/#code=([A-Za-z0-9_-]+)\n/;

/** Starts `lifecycle-desk serve --db <file> --port 0` and waits for its first link. */
export async function serve(dbFile: string, extraArgs: string[] = []): Promise<Served> {
  if (!fs.existsSync(RENDERER_INDEX)) {
    throw new Error(`renderer not built (${RENDERER_INDEX} missing): run node scripts/build-renderer.mjs`);
  }
  const token = randomBytes(32).toString('base64url');
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--db', dbFile, '--port', '0', ...extraArgs], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', LIFECYCLE_DESK_TOKEN: token },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // Printed links not yet handed out, and the callers waiting for one.
  let out = '';
  const links: string[] = [];
  const waiting: ((link: string) => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let m: RegExpExecArray | null;
    while ((m = LINK.exec(out))) {
      out = out.slice(m.index + m[0].length);
      const link = `${m[1]}/#code=${m[2]}`;
      const next = waiting.shift();
      if (next) next(link);
      else links.push(link);
    }
  });
  const nextLink = (what: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const ready = links.shift();
      if (ready) return resolve(ready);
      const timer = setTimeout(
        () => reject(new Error(`serve printed no ${what} within 20 s; stderr: ${stderr}`)),
        20_000,
      );
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code} before printing its ${what}; stderr: ${stderr}`));
      };
      child.once('exit', onExit);
      waiting.push((link) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(link);
      });
    });
  const url = await nextLink('URL');
  const origin = /^http:\/\/127\.0\.0\.1:\d+/.exec(url)![0];
  return {
    url,
    origin,
    token,
    link() {
      const next = nextLink('new link');
      child.stdin?.write('\n');
      return next;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface PageProblems {
  /** Uncaught exceptions and console errors (CSP violations are reported there). */
  errors: string[];
}

/** A fresh context and page; records page errors so a test can assert there were none. */
export interface PageOptions {
  colorScheme?: 'light' | 'dark';
  width?: number;
  height?: number;
  /** Browser permissions granted to the page's origin (e.g. 'notifications'). */
  permissions?: string[];
}

export async function newPage(
  browser: Browser,
  options: PageOptions = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
    permissions: options.permissions ?? [],
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: PageProblems = { errors: [] };
  page.on('pageerror', (err) => problems.errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.errors.push(`console: ${msg.text()}`);
  });
  return { context, page, problems };
}

/**
 * The start most browser tests share: the server on the file and a fresh page, each closed by
 * the test's own hooks so a failing assertion cannot leave a server or a context behind.
 */
export async function openDesk(
  t: TestContext,
  browser: Browser,
  dbFile: string,
  pageOptions: PageOptions = {},
  serveArgs: string[] = [],
): Promise<{ served: Served; context: BrowserContext; page: Page; problems: PageProblems }> {
  const served = await serve(dbFile, serveArgs);
  t.after(() => served.stop());
  const opened = await newPage(browser, pageOptions);
  t.after(() => opened.context.close());
  return { served, ...opened };
}

/**
 * Saves a screenshot under SCREENSHOT_DIR. With
 * `fitContent` the viewport first grows (or shrinks) to the main area's height, so a view that
 * scrolls is captured whole (the page itself never scrolls: its main area does).
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean; fitContent?: boolean } = {},
): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  if (options.fitContent) {
    const width = page.viewportSize()?.width ?? 1440;
    const height = await page.evaluate(
      () =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { scrollHeight: number } | null } }
        ).document.querySelector('.content')?.scrollHeight ?? 900,
    );
    await page.setViewportSize({ width, height: Math.min(Math.max(height, 720), 4000) });
  }
  // Let charts and fonts settle; no animations are running (charts are not animated).
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false, animations: 'disabled' });
  return file;
}
