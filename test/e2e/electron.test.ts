// The desktop app itself: Electron launched by Playwright on a seeded database. Opt-in by
// nature: it needs the Electron binary (absent when installed with ELECTRON_SKIP_BINARY_DOWNLOAD,
// as on CI) and a display (xvfb-run on a headless Linux). Everything the shell decides on its
// own is covered under plain Node by test/unit/ipc.test.ts and test/unit/app-policy.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';

const root = path.resolve(__dirname, '..', '..', '..');
const load = createRequire(path.join(root, 'package.json'));

/** Under plain Node, the electron package exports the path of its binary (or throws without one). */
function electronBinary(): string | null {
  try {
    const executable = load('electron') as unknown;
    return typeof executable === 'string' && fs.existsSync(executable) ? executable : null;
  } catch {
    return null;
  }
}

function skipReason(): string | null {
  if (!electronBinary()) return 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'no display for Electron (run under xvfb-run)';
  }
  return null;
}

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `node ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/** A database with three accepted turns, written by a plain Node child (the Node build of SQLite). */
function seed(db: string): void {
  const script = `
    const { Lifecycle } = require(${JSON.stringify(path.join(root, 'dist', 'main', 'lifecycle'))});
    const lc = Lifecycle.open(${JSON.stringify(db)});
    for (let i = 0; i < 3; i++) {
      lc.accept({ channel: 'telegram', sessionKey: 'e2e-' + i, payload: { text: 'hello ' + i }, route: { channel: 'telegram', to: 'chat-' + i } });
    }
    lc.close();`;
  run(['-e', script]);
}

async function launch(t: TestContext, db: string, profile: string): Promise<{ app: ElectronApplication; page: Page }> {
  // better-sqlite3 built for Electron while the app runs (scripts/native.mjs); the Node build
  // is put back after the app has exited.
  const native = path.join(root, 'scripts', 'native.mjs');
  run([native, 'electron', '--owner', String(process.pid)]);
  const launched: { app?: ElectronApplication } = {};
  t.after(async () => {
    try {
      await launched.app?.close();
    } finally {
      run([native, 'node', '--owner', String(process.pid)]);
    }
  });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
  const app = await _electron.launch({
    executablePath: electronBinary() ?? '',
    args: [path.join(root, 'dist', 'app', 'main.js'), '--db', db, '--user-data', profile],
    cwd: root,
    env,
    timeout: 60_000,
  });
  launched.app = app;
  const page = await app.firstWindow();
  return { app, page };
}

async function countText(page: Page, key: string, expected: string): Promise<void> {
  const selector = JSON.stringify(`[data-count="${key}"]`);
  await page.waitForFunction(`document.querySelector(${selector})?.textContent === ${JSON.stringify(expected)}`, null, {
    timeout: 15_000,
  });
}

test('the desktop app opens the database given with --db on the overview, with its counts', async (t) => {
  const reason = skipReason();
  if (reason) {
    t.skip(reason);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-electron-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'desk.db');
  seed(db);
  const { app, page } = await launch(t, db, path.join(dir, 'profile'));

  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: 30_000 });
  await countText(page, 'turns.accepted', '3');

  // The page runs on the app's own origin, without Node, and sees exactly the ApiClient.
  assert.match(page.url(), /^app:\/\/desk\/index\.html/);
  const surface = await page.evaluate(() => {
    const g = globalThis as unknown as {
      lifecycleDesk?: Record<string, unknown>;
      require?: unknown;
      process?: unknown;
    };
    return {
      bridge: Object.keys(g.lifecycleDesk ?? {}).sort(),
      require: typeof g.require,
      process: typeof g.process,
    };
  });
  assert.deepEqual(surface, { bridge: ['call', 'onEvent'], require: 'undefined', process: 'undefined' });
  const info = await page.evaluate(async () => {
    const g = globalThis as unknown as { lifecycleDesk: { call(m: string, a: unknown): Promise<unknown> } };
    return g.lifecycleDesk.call('getInfo', {});
  });
  assert.deepEqual((info as { ok: boolean; value: { dbPath: string } }).value.dbPath, db);

  // View → Turns (CmdOrCtrl+2) switches the renderer's route.
  await app.evaluate(({ Menu }) => Menu.getApplicationMenu()?.getMenuItemById('view-turns')?.click());
  await page.getByRole('heading', { level: 1, name: 'Turns' }).waitFor({ timeout: 15_000 });
});

test('File → Open Database… on a file that is not a database shows the error and keeps the current one', async (t) => {
  const reason = skipReason();
  if (reason) {
    t.skip(reason);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-electron-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'desk.db');
  const notDb = path.join(dir, 'notes.txt');
  fs.writeFileSync(notDb, 'these are notes, not SQLite\n');
  seed(db);
  const { app, page } = await launch(t, db, path.join(dir, 'profile'));
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: 30_000 });

  const shown = await app.evaluate(async ({ dialog, Menu }, file) => {
    const errors: string[] = [];
    dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [file] })) as typeof dialog.showOpenDialog;
    dialog.showErrorBox = (title: string, content: string) => {
      errors.push(`${title}: ${content}`);
    };
    Menu.getApplicationMenu()?.getMenuItemById('open-database')?.click();
    for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    return errors;
  }, notDb);
  assert.equal(shown.length, 1, 'one error box');
  assert.match(shown[0] ?? '', /not an SQLite database/);
  assert.ok(fs.readFileSync(notDb, 'utf8').startsWith('these are notes'), 'the refused file is untouched');

  const info = await page.evaluate(async () => {
    const g = globalThis as unknown as { lifecycleDesk: { call(m: string, a: unknown): Promise<unknown> } };
    return g.lifecycleDesk.call('getInfo', {});
  });
  assert.equal((info as { value: { dbPath: string } }).value.dbPath, db, 'the current database stays open');
  await countText(page, 'turns.accepted', '3');
});
