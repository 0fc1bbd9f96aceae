// The Electron shell's wiring (app/main.ts, ipc.ts, protocol.ts, menu.ts), run under plain Node
// against a stand-in for the 'electron' module: the real ApiHost on a real database, the real
// IPC handler, protocol handler and menu callbacks. What only a real Electron can show (window,
// sandbox, preload) is test/e2e/electron.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IPC_CALL, IPC_EVENT, type ApiResult } from '../../shared/api';
import { Lifecycle } from '../../main/lifecycle';
import { ROUTE, sha256, tempDir } from '../helpers/temp-db';

type Fn = (...args: unknown[]) => unknown;
interface MenuItem {
  id?: string;
  click?: () => void;
  submenu?: MenuItem[];
}

const root = tempDir('lifecycle-shell-');
const dbFile = path.join(root, 'first.db');
const otherFile = path.join(root, 'second.db');
const notDb = path.join(root, 'notes.txt');

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

class FakeWindow extends EventEmitter {
  static all: FakeWindow[] = [];
  static getAllWindows(): FakeWindow[] {
    return FakeWindow.all;
  }
  readonly webContents = new FakeWebContents();
  title = '';
  constructor(readonly options: { webPreferences: Record<string, unknown> }) {
    super();
    FakeWindow.all.push(this);
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

const calls = {
  errorBoxes: [] as string[],
  openDialog: [] as string[],
  external: [] as string[],
  quit: 0,
  exit: [] as number[],
  privileged: [] as unknown[],
};
let protocolHandler: ((req: { url: string; method: string }) => Promise<Response>) | null = null;
let ipcHandler: Fn | null = null;
let menuTemplate: MenuItem[] = [];
let readyResolve: () => void = () => undefined;
const readyPromise = new Promise<void>((r) => (readyResolve = r));

const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  setName: () => undefined,
  setPath: () => undefined,
  getPath: (name: string) => path.join(root, name),
  enableSandbox: () => undefined,
  requestSingleInstanceLock: () => true,
  whenReady: () => readyPromise,
  isReady: () => true,
  quit: () => {
    calls.quit++;
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
  },
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
        handle: (_scheme: string, handler: typeof protocolHandler) => {
          protocolHandler = handler;
        },
      },
    },
  },
  shell: { openExternal: async (url: string) => void calls.external.push(url) },
  protocol: { registerSchemesAsPrivileged: (schemes: unknown[]) => calls.privileged.push(...schemes) },
  ipcMain: {
    handle: (channel: string, handler: Fn) => {
      assert.equal(channel, IPC_CALL);
      ipcHandler = handler;
    },
    removeHandler: () => undefined,
  },
};

function menuItem(id: string, items: MenuItem[] = menuTemplate): MenuItem {
  for (const item of items) {
    if (item.id === id) return item;
    const found = item.submenu ? menuItemOrNull(id, item.submenu) : null;
    if (found) return found;
  }
  throw new Error(`no menu item ${id}`);
}
function menuItemOrNull(id: string, items: MenuItem[]): MenuItem | null {
  try {
    return menuItem(id, items);
  } catch {
    return null;
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

function win(): FakeWindow {
  const w = FakeWindow.all[0];
  assert.ok(w, 'a window was created');
  return w;
}

function call(method: unknown, args: unknown, frame?: { url: string }): Promise<ApiResult<unknown>> {
  assert.ok(ipcHandler, 'the IPC handler is registered');
  const w = win();
  const event = { sender: w.webContents, senderFrame: frame ?? w.webContents.mainFrame };
  return ipcHandler(event, method, args) as Promise<ApiResult<unknown>>;
}

async function dbPathNow(): Promise<string> {
  const info = await call('getInfo', {});
  assert.ok(info.ok, JSON.stringify(info));
  return (info.value as { dbPath: string }).dbPath;
}

let turnId = '';
const argvBefore = process.argv;
const loadBefore = (Module as unknown as { _load: Fn })._load;

before(async () => {
  turnId = seed(dbFile);
  seed(otherFile);
  fs.writeFileSync(notDb, 'not a database\n');
  const mod = Module as unknown as { _load: Fn };
  mod._load = function (this: unknown, request: unknown, ...rest: unknown[]) {
    if (request === 'electron') return fakeElectron;
    return loadBefore.call(this, request, ...rest);
  };
  process.argv = [process.execPath, 'dist/app/main.js', '--db', dbFile];
  // Loaded only now, with 'electron' replaced (a static import would run it too early).
  Module.createRequire(__filename)('../../app/main');
  readyResolve();
  await until(() => FakeWindow.all.length > 0 && ipcHandler, 'the window and the IPC handler');
});

after(async () => {
  process.argv = argvBefore;
  (Module as unknown as { _load: Fn })._load = loadBefore;
  const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
  app.emit('will-quit', event);
  assert.ok(event.defaultPrevented, 'quitting waits for the API host to close');
  await until(() => calls.quit > 0, 'app.quit after the host closed');
});

test('the scheme is privileged but does not bypass CSP; the window is sandboxed and isolated', () => {
  assert.deepEqual(calls.privileged, [
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
  const prefs = win().options.webPreferences;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.webSecurity, true);
  assert.match(String(prefs.preload), /dist[/\\]app[/\\]preload\.js$/);
  assert.deepEqual(win().webContents.loaded, ['app://desk/index.html']);
  assert.match(win().title, /first\.db \(observer\)$/);
});

test('IPC from the renderer reaches the API host on the --db file; foreign frames are forbidden', async () => {
  assert.equal(await dbPathNow(), dbFile);
  const status = await call('getStatus', {});
  assert.ok(status.ok);
  const foreign = await call('getStatus', {}, new FakeFrame('https://evil.example/'));
  assert.deepEqual(foreign.ok ? null : foreign.error.code, 'forbidden');
  const subframe = await call('getStatus', {}, new FakeFrame('app://desk/index.html'));
  assert.deepEqual(subframe.ok ? null : subframe.error.code, 'forbidden', 'another frame object than the main frame');
  const unknown = await call('dropTables', {});
  assert.deepEqual(unknown.ok ? null : unknown.error.code, 'unknown_method');
});

test('API events are forwarded to the window on IPC_EVENT', async () => {
  const sentBefore = win().webContents.sent.length;
  const replay = await call('replayTurns', { ids: [turnId] });
  assert.ok(replay.ok, JSON.stringify(replay));
  await until(
    () =>
      win()
        .webContents.sent.slice(sentBefore)
        .find(([ch, e]) => ch === IPC_EVENT && (e as { type: string }).type === 'changed'),
    'a changed event',
  );
});

test('app:// serves the renderer folder with the CSP, and nothing outside it', async () => {
  assert.ok(protocolHandler);
  const rendererDir = path.resolve(__dirname, '..', '..', 'renderer');
  const index = await protocolHandler({ url: 'app://desk/index.html', method: 'GET' });
  if (fs.existsSync(path.join(rendererDir, 'index.html'))) {
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await index.text(), /<div id="root">/);
  }
  assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  for (const url of ['app://desk/../app/main.js', 'app://desk/%2e%2e/app/main.js', 'app://evil/index.html']) {
    assert.equal((await protocolHandler({ url, method: 'GET' })).status, 404, url);
  }
  assert.equal((await protocolHandler({ url: 'app://desk/index.html', method: 'POST' })).status, 404);
});

test('View menu items switch the renderer route by hash (same document)', () => {
  menuItem('view-turns').click?.();
  menuItem('view-audit').click?.();
  assert.deepEqual(win().webContents.loaded.slice(-2), [
    'app://desk/index.html#/turns',
    'app://desk/index.html#/audit',
  ]);
});

test('File → Open Database… on a non-database shows the core message and keeps the current file', async () => {
  const before = sha256(notDb);
  calls.openDialog.push(notDb);
  menuItem('open-database').click?.();
  const box = await until(() => calls.errorBoxes[0], 'the error box');
  assert.match(box, /not an SQLite database/);
  assert.equal(sha256(notDb), before, 'the refused file is left untouched');
  assert.equal(await dbPathNow(), dbFile);
});

test('File → Open Database… on another database switches to it and reloads the page', async () => {
  const reloads = win().webContents.reloads;
  calls.openDialog.push(otherFile);
  menuItem('open-database').click?.();
  await until(() => win().webContents.reloads > reloads, 'the reload');
  assert.equal(await dbPathNow(), otherFile);
  assert.match(win().title, /second\.db \(observer\)$/);
});

test('every webContents is hardened: navigation away denied, https to the browser, no new windows', () => {
  const contents = new FakeWebContents();
  app.emit('web-contents-created', {}, contents);
  const nav = (url: string): boolean => {
    let prevented = false;
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  assert.equal(nav('app://desk/index.html#/outbox'), false);
  assert.equal(nav('https://docs.example/x'), true);
  assert.equal(nav('file:///etc/passwd'), true);
  assert.deepEqual(calls.external, ['https://docs.example/x']);
  assert.ok(contents.openHandler);
  assert.deepEqual(contents.openHandler({ url: 'https://a.example/' }), { action: 'deny' });
  assert.deepEqual(contents.openHandler({ url: 'http://a.example/' }), { action: 'deny' });
  assert.deepEqual(calls.external, ['https://docs.example/x', 'https://a.example/']);
  let webview = false;
  contents.emit('will-attach-webview', { preventDefault: () => (webview = true) });
  assert.ok(webview);
});
