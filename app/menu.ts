import { Menu, type MenuItemConstructorOptions } from 'electron';

/** The views the View menu (and CmdOrCtrl+1..4) switch to, in accelerator order. */
export const MENU_VIEWS = [
  { view: 'overview', label: 'Overview' },
  { view: 'turns', label: 'Turns' },
  { view: 'outbox', label: 'Outbox' },
  { view: 'audit', label: 'Audit' },
] as const;

export type MenuView = (typeof MENU_VIEWS)[number]['view'];

export interface MenuActions {
  openDatabase(): void;
  /** Open a database so that nothing can be written at all. */
  openReadOnly(): void;
  /** Open the postgres:// URL on the clipboard (Electron has no text prompt; a URL is pasted, never typed into a log). */
  openPostgres(): void;
  /** Toggle running the recovery worker on the open (non-demo) database; asks first. */
  toggleRecovery(): void;
  openDemo(): void;
  reload(): void;
  navigate(view: MenuView): void;
  about(): void;
  /** Adds Toggle Developer Tools (never in a packaged build). */
  devTools: boolean;
}

/** Menu item ids (`open-database`, `view-turns`…) are stable: the Electron e2e test clicks them. */
export function buildMenu(actions: MenuActions, platform: NodeJS.Platform = process.platform): Menu {
  const mac = platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    {
      label: '&File',
      submenu: [
        {
          id: 'open-database',
          label: 'Open Database…',
          accelerator: 'CmdOrCtrl+O',
          click: () => actions.openDatabase(),
        },
        { id: 'open-read-only', label: 'Open Database Read-Only…', click: () => actions.openReadOnly() },
        { id: 'open-postgres', label: 'Open PostgreSQL URL from Clipboard…', click: () => actions.openPostgres() },
        { id: 'open-demo', label: 'Open Demo Database', click: () => actions.openDemo() },
        { type: 'separator' },
        {
          id: 'run-recovery',
          label: 'Run Recovery Worker on This Database…',
          type: 'checkbox',
          checked: false,
          click: () => actions.toggleRecovery(),
        },
        { type: 'separator' },
        { id: 'reload', label: 'Reload', accelerator: 'CmdOrCtrl+R', click: () => actions.reload() },
        { type: 'separator' },
        { role: 'quit', label: 'Quit' },
      ],
    },
    // Without an Edit menu, copy/paste shortcuts do not work in text fields on macOS.
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...MENU_VIEWS.map(({ view, label }, i): MenuItemConstructorOptions => ({
          id: `view-${view}`,
          label,
          accelerator: `CmdOrCtrl+${i + 1}`,
          click: () => actions.navigate(view),
        })),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(actions.devTools ? [{ role: 'toggleDevTools' } satisfies MenuItemConstructorOptions] : []),
      ],
    },
    {
      label: '&Help',
      role: 'help',
      submenu: [{ id: 'about', label: 'About Lifecycle Desk', click: () => actions.about() }],
    },
  ];
  return Menu.buildFromTemplate(template);
}
