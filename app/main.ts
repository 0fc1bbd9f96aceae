import path from 'node:path';
import { shortName } from '../main/store/location';
import { app, BrowserWindow, dialog, Menu, session } from 'electron';
import { IPC_EVENT, type ApiEvent } from '../shared/api';
import { DB_FILE_NAME } from '../shared/types';
import { showAbout } from './about';
import { Alerts } from './alerts';
import { Badge } from './badge';
import { Databases } from './databases';
import { harden } from './harden';
import { registerIpc } from './ipc';
import { appUrlForDeepLink, appUrlForView, DEEP_LINK_SCHEME, deepLinkInArgv, protocolClientArgs } from './deep-link';
import { buildMenu, type MenuView } from './menu';
import { parseAppArgs, RENDERER_URL } from './policy';
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
const databases = new Databases({
  window: () => win,
  send,
  changed: () => {
    updateTitle();
    // The host's first counts may have been sent before it was attached: start from them.
    badge.update(databases.host?.lastCounts ?? null);
  },
});

function demoDbPath(): string {
  return path.join(app.getPath('userData'), 'demo', DB_FILE_NAME);
}

const badge = new Badge({ show: () => focusWindow(), quit: () => app.quit() });
// A click on an alert brings the window up on the Overview (where the stuck lists are).
const alerts = new Alerts(() => {
  focusWindow();
  navigate('overview');
});

function send(event: ApiEvent): void {
  if (event.type === 'counts') badge.update(event.counts);
  if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, event);
}

let documentTitle = PRODUCT_NAME;

/** "<view> · Lifecycle Desk — <file>": always says which database is open. */
function updateTitle(): void {
  if (!win || win.isDestroyed()) return;
  const { host } = databases;
  const file = host ? ` — ${shortName(host.info.dbPath)} (${host.info.role})` : '';
  win.setTitle(`${documentTitle}${file}`);
}

/**
 * View → Overview/Turns/Outbox/Errors/Audit, and deep links: a fragment navigation to the
 * renderer's own hash route (#/overview…, printed by shared/routes.ts like the page's links):
 * same document, no reload, and the renderer's router follows `hashchange`.
 * No extra IPC channel or event type is needed, and the page stays on RENDERER_URL, so the
 * IPC sender check keeps accepting it.
 */
function navigate(view: MenuView): void {
  show(appUrlForView(view, RENDERER_URL));
}

/** The renderer document at another route (always RENDERER_URL with a hash: see deep-link.ts). */
function show(url: string): void {
  if (!win || win.isDestroyed()) return;
  win.webContents.loadURL(url).catch((err: unknown) => {
    console.error(`[lifecycle-desk] cannot show ${url}: ${(err as Error).message}`);
  });
}

/**
 * A deep link asked for before the window exists (the link that started the app, or macOS's
 * open-url before ready): the window opens there instead of the overview.
 */
let pendingUrl: string | null = null;

/** A lifecycle-desk:// link: the window shows its route (opened and focused if need be). */
function openDeepLink(link: string): void {
  const url = appUrlForDeepLink(link, RENDERER_URL);
  if (!url) return;
  if (!win || win.isDestroyed() || !databases.host) {
    pendingUrl = url;
    if (databases.host) focusWindow();
    return;
  }
  focusWindow();
  show(url);
}

/** Makes the OS hand lifecycle-desk:// links to this app. A convenience: the app works without it. */
function registerProtocolClient(): void {
  const { path: exe, args: extra } = protocolClientArgs(
    app.isPackaged,
    process.execPath,
    process.argv[1] ? path.resolve(process.argv[1]) : undefined,
  );
  try {
    const ok = exe
      ? app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, exe, extra)
      : app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
    if (!ok) console.error(`[lifecycle-desk] ${DEEP_LINK_SCHEME}:// links could not be registered with the system`);
  } catch (err) {
    console.error(`[lifecycle-desk] ${DEEP_LINK_SCHEME}:// links not registered: ${(err as Error).message}`);
  }
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
  void window.loadURL(pendingUrl ?? RENDERER_URL);
  pendingUrl = null;
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
    databases.attach(await databases.start(dbPath, { demo }));
  } catch (err) {
    dialog.showErrorBox('Cannot open the database', (err as Error).message);
    app.exit(1);
    return;
  }

  registerIpc(
    () => win,
    () => databases.host,
    (notice) => alerts.show(notice),
  );
  const menu = buildMenu({
    openDatabase: () => void databases.choose(),
    openReadOnly: () => void databases.choose(true),
    openPostgres: () => void databases.openPostgresFromClipboard(),
    toggleRecovery: () => void databases.toggleRecovery(),
    openDemo: () => void databases.switchTo(demoDbPath(), { demo: true }),
    reload: () => win?.webContents.reload(),
    navigate,
    about: () => showAbout(PRODUCT_NAME, win, databases.host?.info),
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
  app.on('second-instance', (_event, argv, _cwd, additionalData) => {
    focusWindow();
    const db = (additionalData as Partial<SecondInstanceData> | null)?.db;
    if (typeof db === 'string' && db !== '') void databases.switchTo(db, { demo: false });
    // Windows and Linux start a second instance for a deep link; it hands its argv over and quits.
    const link = deepLinkInArgv(argv);
    if (link) openDeepLink(link);
  });
  // macOS hands deep links to the running app, also the one that started it (before ready).
  app.on('open-url', (event, link) => {
    event.preventDefault();
    openDeepLink(link);
  });
  const startLink = deepLinkInArgv(process.argv);
  if (startLink) pendingUrl = appUrlForDeepLink(startLink, RENDERER_URL);
  registerProtocolClient();

  app.on('web-contents-created', (_event, contents) => harden(contents));
  app.on('activate', () => {
    if (app.isReady() && databases.host && BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Stop the API host cleanly (recovery worker stopped, database closed) before exiting.
  app.on('will-quit', (event) => {
    databases.quitting = true;
    const closing = databases.detach();
    if (!closing) return;
    event.preventDefault();
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
