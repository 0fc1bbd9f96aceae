import path from 'node:path';
import { app, BrowserWindow, dialog, Menu, session, shell, type WebContents } from 'electron';
import { IPC_EVENT, type ApiEvent } from '../shared/api';
import { ApiHost, packageVersion } from '../main/api/host';
import { DB_FILE_NAME } from '../shared/types';
import { registerIpc } from './ipc';
import { buildMenu, type MenuView } from './menu';
import { decideNavigation, externalHttpsUrl, isAppDocument, parseAppArgs, RENDERER_URL, viewUrl } from './policy';
import { registerAppScheme, serveRenderer } from './protocol';

/**
 * The Electron entry point (dist/app/main.js). Everything with logic lives in main/ (the API
 * host and the core, in a worker thread) and in the pure app/policy.ts and app/ipc-guard.ts;
 * this file wires windows, menus and the API host together.
 */

/** The second instance passes its --db to the first one through the single-instance lock. */
interface SecondInstanceData {
  db: string | null;
}

const RENDERER_DIR = path.join(__dirname, '..', 'renderer');
/** The same file name the CLI uses for its default database (main/cli/paths.ts). */
const PRELOAD = path.join(__dirname, 'preload.js');

const PRODUCT_NAME = 'Lifecycle Desk';

// `electron dist/app/main.js` finds no package.json beside the script, so Electron would call
// the app "Electron" and keep its profile in <appData>/Electron: name both explicitly, the same
// in development and in the packaged app.
const args = parseAppArgs(process.argv.slice(1), process.cwd());
app.setName(PRODUCT_NAME);
app.setPath('userData', args.userData ?? path.join(app.getPath('appData'), PRODUCT_NAME));

let win: BrowserWindow | null = null;
let host: ApiHost | null = null;
let stopForwarding: (() => void) | null = null;
let switching = false;
let quitting = false;

function demoDbPath(): string {
  return path.join(app.getPath('userData'), 'demo', DB_FILE_NAME);
}

function send(event: ApiEvent): void {
  if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, event);
}

let documentTitle = PRODUCT_NAME;

/** "<view> · Lifecycle Desk — <file>": always says which database is open. */
function updateTitle(): void {
  if (!win || win.isDestroyed()) return;
  const file = host ? ` — ${path.basename(host.info.dbPath)} (${host.info.role})` : '';
  win.setTitle(`${documentTitle}${file}`);
}

/** Makes `next` the current host: events go to the window, IPC calls to it. */
function attach(next: ApiHost): ApiHost | null {
  const previous = host;
  stopForwarding?.();
  host = next;
  stopForwarding = next.onEvent((event) => send(event));
  updateTitle();
  return previous;
}

/** How a database is opened: the demo, or another process's file to observe, recover or only read. */
interface OpenMode {
  demo: boolean;
  readOnly?: boolean;
  recover?: boolean;
}

/** Operator actions are recorded as `desk:<login name>`; the version is package.json's. */
function startHost(dbPath: string, mode: OpenMode): Promise<ApiHost> {
  return ApiHost.start({ dbPath, ...mode });
}

/**
 * File → Open Database…: the new database is opened first; if the core refuses it (not
 * SQLite, damaged, newer schema, locked…) its message is shown and the current one stays.
 */
async function switchDatabase(dbPath: string, mode: OpenMode): Promise<void> {
  if (switching) return;
  const same = host && path.resolve(host.info.dbPath) === path.resolve(dbPath);
  const sameRole =
    host &&
    host.info.readOnly === (mode.readOnly ?? false) &&
    host.info.recovering === (mode.demo || (mode.recover ?? false));
  if (same && sameRole) {
    win?.webContents.reload();
    return;
  }
  switching = true;
  try {
    let next: ApiHost;
    try {
      next = await startHost(dbPath, mode);
    } catch (err) {
      dialog.showErrorBox('Cannot open this database', (err as Error).message);
      return;
    }
    if (quitting) {
      await next.close();
      return;
    }
    const previous = attach(next);
    await previous?.close();
    // Every view refetches from the new database, including getInfo.
    win?.webContents.reload();
  } finally {
    switching = false;
  }
}

async function chooseDatabase(readOnly = false): Promise<void> {
  const options: Electron.OpenDialogOptions = {
    title: readOnly ? 'Open a lifecycle database read-only' : 'Open a lifecycle database',
    properties: ['openFile'],
    filters: [
      { name: 'SQLite databases', extensions: ['db', 'sqlite', 'sqlite3'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const file = result.canceled ? undefined : result.filePaths[0];
  if (file) await switchDatabase(file, { demo: false, readOnly });
}

/**
 * Running the worker on a file another process owns changes that file on its own: say what it
 * will do and let the person decide. The demo always runs its worker.
 */
async function toggleRecovery(): Promise<void> {
  const item = Menu.getApplicationMenu()?.getMenuItemById('run-recovery');
  if (!host || host.info.demo || host.info.readOnly) {
    if (item) item.checked = host?.info.recovering ?? false;
    dialog.showErrorBox(
      'Recovery worker',
      host?.info.demo
        ? 'The demo database always runs its recovery worker.'
        : 'The database is open read-only: nothing can be written.',
    );
    return;
  }
  const turnOn = !host.info.recovering;
  if (turnOn) {
    const answer = await dialog.showMessageBox({
      type: 'warning',
      buttons: ['Run the Recovery Worker', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'Run the recovery worker on a file another process owns?',
      detail:
        "Without the gateway's own handlers it cannot send or replay. It will expire overdue rows, terminalize " +
        'pending tool and block sends, fail turns past their attempts or age, and prune old ones, every few ' +
        "seconds, recorded under this app's name. Use it only when no gateway runs its own worker.",
    });
    if (answer.response !== 0) {
      if (item) item.checked = false;
      return;
    }
  }
  await switchDatabase(host.info.dbPath, { demo: false, recover: turnOn });
  if (item) item.checked = host.info.recovering;
}

/**
 * View → Overview/Turns/Outbox/Audit: a fragment navigation to the renderer's own hash route
 * (#/overview…): same document, no reload, and the renderer's router follows `hashchange`.
 * No extra IPC channel or event type is needed, and the page stays on RENDERER_URL, so the
 * IPC sender check keeps accepting it.
 */
function navigate(view: MenuView): void {
  if (!win || win.isDestroyed()) return;
  win.webContents.loadURL(viewUrl(view)).catch((err: unknown) => {
    console.error(`[lifecycle-desk] cannot show ${view}: ${(err as Error).message}`);
  });
}

function showAbout(): void {
  const info = host?.info;
  const database = info
    ? [
        `Database: ${info.dbPath}${info.demo ? ' (demo)' : ''}`,
        `Schema version: ${info.schemaVersion}`,
        `Operator actions are recorded as: ${info.operator}`,
      ]
    : ['No database is open.'];
  const runtime = `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`;
  const detail = [...database, '', runtime].join('\n');
  const options: Electron.MessageBoxOptions = {
    type: 'info',
    title: 'About Lifecycle Desk',
    message: `${PRODUCT_NAME} ${info?.version ?? packageVersion()}`,
    detail,
    buttons: ['OK'],
  };
  void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}

/** Navigation, new windows and webviews: applied to every webContents the app ever creates. */
function harden(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    const decision = decideNavigation(url, RENDERER_URL);
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'open-external') void shell.openExternal(url);
  });
  contents.on('will-frame-navigate', (event) => {
    // Subframes never navigate anywhere (CSP frame-src 'none' already forbids frames).
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppDocument(url, RENDERER_URL)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalHttpsUrl(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1320,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: PRODUCT_NAME,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.on('page-title-updated', (event, title) => {
    event.preventDefault();
    documentTitle = title || PRODUCT_NAME;
    updateTitle();
  });
  window.on('closed', () => {
    if (win === window) win = null;
  });
  void window.loadURL(RENDERER_URL);
  win = window;
  updateTitle();
  return window;
}

function focusWindow(): void {
  if (!win || win.isDestroyed()) {
    createWindow();
    return;
  }
  if (win.isMinimized()) win.restore();
  win.focus();
}

async function ready(): Promise<void> {
  const ses = session.defaultSession;
  // No camera, microphone, notifications, geolocation, clipboard-read, HID, serial…: ever.
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  serveRenderer(ses, RENDERER_DIR);

  const dbPath = args.db ?? demoDbPath();
  const demo = args.db === null;
  try {
    attach(await startHost(dbPath, { demo }));
  } catch (err) {
    dialog.showErrorBox('Cannot open the database', (err as Error).message);
    app.exit(1);
    return;
  }

  registerIpc(
    () => win,
    () => host,
  );
  const menu = buildMenu({
    openDatabase: () => void chooseDatabase(),
    openReadOnly: () => void chooseDatabase(true),
    toggleRecovery: () => void toggleRecovery(),
    openDemo: () => void switchDatabase(demoDbPath(), { demo: true }),
    reload: () => win?.webContents.reload(),
    navigate,
    about: showAbout,
    devTools: !app.isPackaged,
  });
  Menu.setApplicationMenu(menu);
  createWindow();
}

function run(): void {
  registerAppScheme();
  app.enableSandbox();

  const data: SecondInstanceData = { db: args.db };
  if (!app.requestSingleInstanceLock(data)) {
    // Another instance runs for this profile: it gets our --db (if any) and takes focus.
    app.quit();
    return;
  }
  app.on('second-instance', (_event, _argv, _cwd, additionalData) => {
    focusWindow();
    const db = (additionalData as Partial<SecondInstanceData> | null)?.db;
    if (typeof db === 'string' && db !== '') void switchDatabase(db, { demo: false });
  });

  app.on('web-contents-created', (_event, contents) => harden(contents));
  app.on('activate', () => {
    if (app.isReady() && host && BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Stop the API host cleanly (recovery worker stopped, database closed) before exiting.
  app.on('will-quit', (event) => {
    quitting = true;
    const closing = host;
    if (!closing) return;
    event.preventDefault();
    stopForwarding?.();
    host = null;
    void closing.close().finally(() => app.quit());
  });

  app
    .whenReady()
    .then(ready)
    .catch((err: unknown) => {
      console.error(`[lifecycle-desk] ${(err as Error).message}`);
      app.exit(1);
    });
}

run();
