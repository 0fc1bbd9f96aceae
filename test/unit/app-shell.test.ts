// The Electron shell's wiring (app/main.ts, ipc.ts, protocol.ts, menu.ts), run under plain Node
// against a stand-in for the 'electron' module: the real ApiHost on a real database, the real
// IPC handler, protocol handler and menu callbacks. What only a real Electron can show (window,
// sandbox, preload) is test/e2e/electron.test.ts.
//
// Every test boots its own shell (a fresh load of dist/app/*.js against a fresh stand-in, on its
// own databases) and quits it, so each passes alone and in any order.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { IPC_CALL, IPC_EVENT, IPC_EXPORT, type ApiResult } from '../../shared/api';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { Lifecycle } from '../../main/lifecycle';
import { ROUTE, sha256, tempDir } from '../helpers/temp-db';
// The alerts channel (its own line: other branches extend the import above).
import { IPC_NOTIFY } from '../../shared/api';

type Fn = (...args: unknown[]) => unknown;
interface MenuItem {
  id?: string;
  click?: () => void;
  submenu?: MenuItem[];
}

/** dist/app: what a boot loads afresh. */
const APP_DIR = path.resolve(__dirname, '..', '..', 'app');
/** dist/renderer: what app/main.ts serves on app://desk/ (built or not). */
const RENDERER_DIR = path.resolve(__dirname, '..', '..', 'renderer');

function seed(file: string): string {
  const lc = Lifecycle.open(file);
  try {
    const { turn } = lc.accept({ channel: 'telegram', sessionKey: 's1', payload: { text: 'hi' }, route: ROUTE });
    lc.markRunning(turn.id);
    lc.recordFailure(turn.id, 'agent crashed');
    return turn.id;
  } finally {
    lc.close();
  }
}

class FakeFrame {
  constructor(public url: string) {}
}

class FakeWebContents extends EventEmitter {
  readonly sent: [string, unknown][] = [];
  readonly loaded: string[] = [];
  reloads = 0;
  mainFrame = new FakeFrame('');
  openHandler: Fn | null = null;
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.mainFrame.url = url;
    return Promise.resolve();
  }
  reload(): void {
    this.reloads++;
  }
  setWindowOpenHandler(handler: Fn): void {
    this.openHandler = handler;
  }
}

async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One booted shell: its stand-in's records, its databases, and helpers to drive it. */
interface Shell {
  dbFile: string;
  otherFile: string;
  notDb: string;
  /** A failed turn in dbFile (replayable). */
  turnId: string;
  calls: {
    errorBoxes: string[];
    openDialog: string[];
    /** What the save dialog answers next ('' = cancelled); the default names it was offered. */
    saveDialog: string[];
    saveOffered: string[];
    external: string[];
    quit: number;
    exit: number[];
    privileged: unknown[];
  };
  app: EventEmitter;
  protocolHandler: (req: { url: string; method: string }) => Promise<Response>;
  win(): FakeWindowLike;
  call(method: unknown, args: unknown, frame?: { url: string }): Promise<ApiResult<unknown>>;
  /** invoke(IPC_EXPORT, request) as the preload sends it. */
  exportRows(request: unknown, frame?: { url: string }): Promise<ApiResult<unknown>>;
  /** invoke(IPC_NOTIFY, notice) as the preload sends it. */
  notify(notice: unknown, frame?: { url: string }): Promise<ApiResult<unknown>>;
  /** main's Notifications and the badge/tray, as the stand-in recorded them. */
  alerts: {
    notifications: Array<{ options: { title: string; body: string; silent: boolean }; shown: boolean; click(): void }>;
    badgeCounts: number[];
    tooltips: string[];
    trayMenu: MenuItem[];
  };
  dbPathNow(): Promise<string>;
  menuItem(id: string): MenuItem;
  /** Emits will-quit as Electron does; resolves once the shell called app.quit(). */
  quit(): Promise<{ defaultPrevented: boolean }>;
}

interface FakeWindowLike {
  readonly webContents: FakeWebContents;
  readonly options: { webPreferences: Record<string, unknown> };
  title: string;
}

/** Loads dist/app/main.js afresh against a new stand-in for 'electron', with `--db` on a new file. */
async function bootShell(): Promise<Shell> {
  const root = tempDir('lifecycle-shell-');
  const dbFile = path.join(root, 'first.db');
  const otherFile = path.join(root, 'second.db');
  const notDb = path.join(root, 'notes.txt');
  const turnId = seed(dbFile);
  seed(otherFile);
  fs.writeFileSync(notDb, 'not a database\n');

  const calls: Shell['calls'] = {
    errorBoxes: [],
    openDialog: [],
    saveDialog: [],
    saveOffered: [],
    external: [],
    quit: 0,
    exit: [],
    privileged: [],
  };
  const windows: FakeWindow[] = [];
  let protocolHandler: Shell['protocolHandler'] | null = null;
  let ipcHandler: Fn | null = null;
  let exportHandler: Fn | null = null;
  let notifyHandler: Fn | null = null;
  const alerts: Shell['alerts'] = { notifications: [], badgeCounts: [], tooltips: [], trayMenu: [] };
  class FakeNotification extends EventEmitter {
    static isSupported(): boolean {
      return true;
    }
    shown = false;
    constructor(readonly options: { title: string; body: string; silent: boolean }) {
      super();
      alerts.notifications.push(this);
    }
    show(): void {
      this.shown = true;
    }
    click(): void {
      this.emit('click');
    }
  }
  class FakeTray extends EventEmitter {
    setToolTip(t: string): void {
      alerts.tooltips.push(t);
    }
    setContextMenu(menu: { template: MenuItem[] }): void {
      alerts.trayMenu = menu.template;
    }
    destroy(): void {}
  }
  let menuTemplate: MenuItem[] = [];
  let readyResolve: () => void = () => undefined;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));

  class FakeWindow extends EventEmitter implements FakeWindowLike {
    static getAllWindows(): FakeWindow[] {
      return windows;
    }
    readonly webContents = new FakeWebContents();
    title = '';
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super();
      windows.push(this);
    }
    loadURL(url: string): Promise<void> {
      return this.webContents.loadURL(url);
    }
    setTitle(t: string): void {
      this.title = t;
    }
    isDestroyed(): boolean {
      return false;
    }
    isMinimized(): boolean {
      return false;
    }
    show(): void {}
    focus(): void {}
    restore(): void {}
  }

  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    setName: () => undefined,
    setPath: () => undefined,
    getPath: (name: string) => path.join(root, name),
    enableSandbox: () => undefined,
    requestSingleInstanceLock: () => true,
    setAsDefaultProtocolClient: () => true,
    whenReady: () => readyPromise,
    isReady: () => true,
    quit: () => {
      calls.quit++;
    },
    setBadgeCount: (n: number) => {
      alerts.badgeCounts.push(n);
      return true;
    },
    exit: (code: number) => {
      calls.exit.push(code);
    },
  });

  const fakeElectron = {
    app,
    BrowserWindow: FakeWindow,
    dialog: {
      showErrorBox: (title: string, content: string) => calls.errorBoxes.push(`${title}: ${content}`),
      showOpenDialog: async () => ({ canceled: false, filePaths: [calls.openDialog.shift() ?? ''] }),
      showMessageBox: async () => ({ response: 0 }),
      showSaveDialog: async (_win: unknown, options: { defaultPath: string }) => {
        calls.saveOffered.push(options.defaultPath);
        const filePath = calls.saveDialog.shift() ?? '';
        return { canceled: filePath === '', filePath: filePath || undefined };
      },
    },
    Notification: FakeNotification,
    Tray: FakeTray,
    nativeImage: { createFromDataURL: (url: string) => ({ url }) },
    Menu: {
      buildFromTemplate: (template: MenuItem[]) => ({ template }),
      setApplicationMenu: (menu: { template: MenuItem[] }) => {
        menuTemplate = menu.template;
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => undefined,
        setPermissionCheckHandler: () => undefined,
        setDevicePermissionHandler: () => undefined,
        protocol: {
          handle: (_scheme: string, handler: Shell['protocolHandler']) => {
            protocolHandler = handler;
          },
        },
      },
    },
    shell: { openExternal: async (url: string) => void calls.external.push(url) },
    protocol: { registerSchemesAsPrivileged: (schemes: unknown[]) => calls.privileged.push(...schemes) },
    ipcMain: {
      handle: (channel: string, handler: Fn) => {
        if (channel === IPC_EXPORT) exportHandler = handler;
        else if (channel === IPC_NOTIFY) notifyHandler = handler;
        else {
          assert.equal(channel, IPC_CALL);
          ipcHandler = handler;
        }
      },
      removeHandler: () => undefined,
    },
  };

  // A fresh load: drop every dist/app module a previous boot left in the require cache, and
  // answer `require('electron')` with this boot's stand-in (the modules take it at load).
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(APP_DIR + path.sep)) delete require.cache[key];
  }
  const mod = Module as unknown as { _load: Fn };
  const loadBefore = mod._load;
  const argvBefore = process.argv;
  mod._load = function (this: unknown, request: unknown, ...rest: unknown[]) {
    if (request === 'electron') return fakeElectron;
    return loadBefore.call(this, request, ...rest);
  };
  process.argv = [process.execPath, 'dist/app/main.js', '--db', dbFile];
  try {
    Module.createRequire(__filename)('../../app/main');
  } finally {
    process.argv = argvBefore;
    mod._load = loadBefore;
  }
  readyResolve();

  const win = (): FakeWindow => {
    const w = windows[0];
    assert.ok(w, 'a window was created');
    return w;
  };
  const call = (method: unknown, args: unknown, frame?: { url: string }): Promise<ApiResult<unknown>> => {
    assert.ok(ipcHandler, 'the IPC handler is registered');
    const w = win();
    const event = { sender: w.webContents, senderFrame: frame ?? w.webContents.mainFrame };
    return ipcHandler(event, method, args) as Promise<ApiResult<unknown>>;
  };
  const exportRows = (request: unknown, frame?: { url: string }): Promise<ApiResult<unknown>> => {
    assert.ok(exportHandler, 'the export handler is registered');
    const w = win();
    const event = { sender: w.webContents, senderFrame: frame ?? w.webContents.mainFrame };
    return exportHandler(event, request) as Promise<ApiResult<unknown>>;
  };
  const notify = (notice: unknown, frame?: { url: string }): Promise<ApiResult<unknown>> => {
    assert.ok(notifyHandler, 'the notify handler is registered');
    const w = win();
    const event = { sender: w.webContents, senderFrame: frame ?? w.webContents.mainFrame };
    return notifyHandler(event, notice) as Promise<ApiResult<unknown>>;
  };
  const findItem = (id: string, items: MenuItem[]): MenuItem | null => {
    for (const item of items) {
      if (item.id === id) return item;
      const found = item.submenu ? findItem(id, item.submenu) : null;
      if (found) return found;
    }
    return null;
  };
  let quitting: Promise<{ defaultPrevented: boolean }> | null = null;
  const shell: Shell = {
    dbFile,
    otherFile,
    notDb,
    turnId,
    calls,
    app,
    get protocolHandler() {
      assert.ok(protocolHandler, 'the app:// protocol handler is registered');
      return protocolHandler;
    },
    win,
    call,
    exportRows,
    notify,
    alerts,
    async dbPathNow() {
      const info = await call('getInfo', {});
      assert.ok(info.ok, JSON.stringify(info));
      return (info.value as { dbPath: string }).dbPath;
    },
    menuItem(id) {
      const item = findItem(id, menuTemplate);
      if (!item) throw new Error(`no menu item ${id}`);
      return item;
    },
    quit() {
      quitting ??= (async () => {
        const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
        app.emit('will-quit', event);
        if (event.defaultPrevented) await until(() => calls.quit > 0, 'app.quit after the host closed');
        return { defaultPrevented: event.defaultPrevented };
      })();
      return quitting;
    },
  };
  try {
    await until(() => windows.length > 0 && ipcHandler, 'the window and the IPC handler');
  } catch (err) {
    await shell.quit();
    throw new Error(`${(err as Error).message}; error boxes: ${JSON.stringify(calls.errorBoxes)}`);
  }
  return shell;
}

/** Boots a shell for one test and always quits it (closing its API host) afterwards. */
async function withShell(fn: (s: Shell) => Promise<void> | void): Promise<void> {
  const shell = await bootShell();
  try {
    await fn(shell);
  } finally {
    await shell.quit();
  }
}

test('the scheme is privileged but does not bypass CSP; the window is sandboxed and isolated', () =>
  withShell((s) => {
    assert.deepEqual(s.calls.privileged, [
      {
        scheme: 'app',
        privileges: {
          standard: true,
          secure: true,
          supportFetchAPI: true,
          corsEnabled: true,
          allowServiceWorkers: false,
        },
      },
    ]);
    const prefs = s.win().options.webPreferences;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    assert.match(String(prefs.preload), /dist[/\\]app[/\\]preload\.js$/);
    assert.deepEqual(s.win().webContents.loaded, ['app://desk/index.html']);
    assert.match(s.win().title, /first\.db \(observer\)$/);
  }));

test('IPC from the renderer reaches the API host on the --db file; foreign frames are forbidden', () =>
  withShell(async (s) => {
    assert.equal(await s.dbPathNow(), s.dbFile);
    const status = await s.call('getStatus', {});
    assert.ok(status.ok);
    const foreign = await s.call('getStatus', {}, new FakeFrame('https://evil.example/'));
    assert.deepEqual(foreign.ok ? null : foreign.error.code, 'forbidden');
    const subframe = await s.call('getStatus', {}, new FakeFrame('app://desk/index.html'));
    assert.deepEqual(subframe.ok ? null : subframe.error.code, 'forbidden', 'another frame object than the main frame');
    const unknown = await s.call('dropTables', {});
    assert.deepEqual(unknown.ok ? null : unknown.error.code, 'unknown_method');
  }));

test('export over IPC: the save dialog in main, the rows streamed to the chosen file; checked like calls', () =>
  withShell(async (s) => {
    const file = path.join(tempDir(), 'turns.csv');
    s.calls.saveDialog.push(file);
    const saved = await s.exportRows({ list: 'turns', format: 'csv', filter: {} });
    assert.deepEqual(saved, { ok: true, value: { rows: 1, savedTo: file, cancelled: false } });
    assert.match(s.calls.saveOffered[0]!, /^lifecycle-turns-\d{4}-\d\d-\d\d\.csv$/);
    const lines = fs.readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!.split(',')[0], s.turnId);

    // Cancelled: nothing written, said so.
    const cancelled = await s.exportRows({ list: 'audit', format: 'json', filter: {} });
    assert.deepEqual(cancelled, { ok: true, value: { rows: null, savedTo: null, cancelled: true } });

    const foreign = await s.exportRows(
      { list: 'turns', format: 'csv', filter: {} },
      new FakeFrame('https://evil.example/'),
    );
    assert.equal(foreign.ok ? null : foreign.error.code, 'forbidden');
    const bad = await s.exportRows({ list: 'turns', format: 'csv', filter: {}, path: '/etc/passwd' });
    assert.equal(bad.ok ? null : bad.error.code, 'invalid_argument');
    assert.equal(s.calls.saveOffered.length, 2, 'no dialog for refused requests');
  }));

test('API events are forwarded to the window on IPC_EVENT', () =>
  withShell(async (s) => {
    const sentBefore = s.win().webContents.sent.length;
    const replay = await s.call('replayTurns', { ids: [s.turnId] });
    assert.ok(replay.ok, JSON.stringify(replay));
    await until(
      () =>
        s
          .win()
          .webContents.sent.slice(sentBefore)
          .find(([ch, e]) => ch === IPC_EVENT && (e as { type: string }).type === 'changed'),
      'a changed event',
    );
  }));

test("counts set the badge and the tray tooltip; IPC_NOTIFY shows main's Notification, checked like calls", () =>
  withShell(async (s) => {
    // The seeded failed turn is stuck: the first counts event says 1.
    await until(() => s.alerts.tooltips.includes('Lifecycle Desk — 1 stuck'), 'the tray tooltip');
    assert.equal(s.alerts.badgeCounts.at(-1), 1);
    const labels = s.alerts.trayMenu.map((i) => (i as { label?: string }).label).filter(Boolean);
    assert.deepEqual(labels, ['Show Lifecycle Desk', 'Quit']);
    const quitBefore = s.calls.quit;
    s.alerts.trayMenu.find((i) => (i as { label?: string }).label === 'Quit')?.click?.();
    assert.equal(s.calls.quit, quitBefore + 1);

    const notice = {
      condition: 'stuck-turns',
      title: 'Stuck turns',
      body: '12 stuck turns (threshold 10) in first.db',
    };
    assert.deepEqual(await s.notify(notice), { ok: true, value: true });
    assert.equal(s.alerts.notifications.length, 1);
    const shown = s.alerts.notifications[0]!;
    assert.deepEqual(shown.options, { title: notice.title, body: notice.body, silent: false });
    assert.equal(shown.shown, true);
    // A click brings the window to the Overview.
    shown.click();
    assert.match(s.win().webContents.loaded.at(-1) ?? '', /overview/);

    const foreign = await s.notify(notice, new FakeFrame('https://evil.example/'));
    assert.equal(foreign.ok ? null : foreign.error.code, 'forbidden');
    const markup = await s.notify({ ...notice, body: '<b>12</b>' });
    assert.equal(markup.ok ? null : markup.error.code, 'invalid_argument');
    assert.equal(s.alerts.notifications.length, 1, 'refused notices show nothing');

    // A renderer gone wrong cannot flood the desktop: 10 a minute, then false.
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await s.notify(notice));
    assert.deepEqual(
      answers.map((a) => a.ok && a.value),
      [...Array<boolean>(9).fill(true), false, false, false],
    );
    assert.equal(s.alerts.notifications.length, 10);
  }));

test('app:// serves the renderer folder with the CSP, and nothing outside it', () =>
  withShell(async (s) => {
    // A file of our own in the folder main.ts serves, so this does not depend on a renderer build.
    const createdDir = !fs.existsSync(RENDERER_DIR);
    fs.mkdirSync(RENDERER_DIR, { recursive: true });
    const name = `shell-probe-${process.pid}-${Date.now()}.html`;
    const probe = path.join(RENDERER_DIR, name);
    const body = '<!doctype html><div id="probe">served from dist/renderer</div>\n';
    fs.writeFileSync(probe, body);
    try {
      const served = await s.protocolHandler({ url: `app://desk/${name}`, method: 'GET' });
      assert.equal(served.status, 200);
      assert.match(served.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(served.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, 'the one policy');
      assert.equal(await served.text(), body);

      // A missing file is a 404 that still carries the CSP.
      const missing = await s.protocolHandler({ url: `app://desk/missing-${name}`, method: 'GET' });
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);

      // Outside the folder: dist/app/main.js exists (it is what booted), and is never served.
      assert.ok(fs.existsSync(path.join(APP_DIR, 'main.js')));
      for (const url of [
        'app://desk/../app/main.js',
        'app://desk/%2e%2e/app/main.js',
        'app://desk/%2E%2E%2Fapp%2Fmain.js',
        `app://evil/${name}`,
      ]) {
        assert.equal((await s.protocolHandler({ url, method: 'GET' })).status, 404, url);
      }
      assert.equal((await s.protocolHandler({ url: `app://desk/${name}`, method: 'POST' })).status, 404);
    } finally {
      fs.rmSync(probe, { force: true });
      if (createdDir) fs.rmSync(RENDERER_DIR, { recursive: true, force: true });
    }
  }));

test('View menu items switch the renderer route by hash (same document)', () =>
  withShell((s) => {
    s.menuItem('view-turns').click?.();
    s.menuItem('view-audit').click?.();
    assert.deepEqual(s.win().webContents.loaded, [
      'app://desk/index.html',
      'app://desk/index.html#/turns',
      'app://desk/index.html#/audit',
    ]);
  }));

test('File → Open Database… on a non-database shows the core message and keeps the current file', () =>
  withShell(async (s) => {
    const before = sha256(s.notDb);
    s.calls.openDialog.push(s.notDb);
    s.menuItem('open-database').click?.();
    const box = await until(() => s.calls.errorBoxes[0], 'the error box');
    assert.match(box, /not an SQLite database/);
    assert.equal(s.calls.errorBoxes.length, 1);
    assert.equal(sha256(s.notDb), before, 'the refused file is left untouched');
    assert.equal(await s.dbPathNow(), s.dbFile);
    assert.match(s.win().title, /first\.db \(observer\)$/);
  }));

test('File → Open Database… on another database switches to it and reloads the page', () =>
  withShell(async (s) => {
    assert.equal(s.win().webContents.reloads, 0);
    s.calls.openDialog.push(s.otherFile);
    s.menuItem('open-database').click?.();
    await until(() => s.win().webContents.reloads > 0, 'the reload');
    assert.equal(await s.dbPathNow(), s.otherFile);
    assert.match(s.win().title, /second\.db \(observer\)$/);
    assert.deepEqual(s.calls.errorBoxes, []);
  }));

test('every webContents is hardened: navigation away denied (https too), no new windows, nothing opened outside', () =>
  withShell((s) => {
    const contents = new FakeWebContents();
    s.app.emit('web-contents-created', {}, contents);
    const nav = (url: string): boolean => {
      let prevented = false;
      contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    assert.equal(nav('app://desk/index.html#/outbox'), false);
    assert.equal(nav('https://docs.example/x'), true);
    assert.equal(nav('file:///etc/passwd'), true);
    assert.ok(contents.openHandler);
    assert.deepEqual(contents.openHandler({ url: 'https://a.example/' }), { action: 'deny' });
    assert.deepEqual(contents.openHandler({ url: 'http://a.example/' }), { action: 'deny' });
    assert.deepEqual(contents.openHandler({ url: 'app://desk/index.html#/turns' }), { action: 'deny' });
    assert.deepEqual(s.calls.external, [], 'nothing was handed to the system browser');
    let webview = false;
    contents.emit('will-attach-webview', { preventDefault: () => (webview = true) });
    assert.ok(webview);
  }));

test('quitting waits for the API host to close, then quits; IPC then answers unavailable', async () => {
  const s = await bootShell();
  const { defaultPrevented } = await s.quit();
  assert.ok(defaultPrevented, 'quitting waits for the API host to close');
  assert.equal(s.calls.quit, 1);
  const after = await s.call('getStatus', {});
  assert.equal(after.ok ? null : after.error.code, 'unavailable');
  // The host closed its connection: the file opens again, with no WAL left beside it.
  assert.equal(fs.existsSync(`${s.dbFile}-wal`), false);
  Lifecycle.open(s.dbFile).close();
});
