import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { NavView } from '../shared/routes';

/**
 * The views the View menu switches to, in the sidebar's order. Their numbers are the page's own
 * shortcuts (renderer/shortcuts.ts: Errors came after Audit, which kept 4).
 */
export const MENU_VIEWS = [
  { view: 'overview', label: 'Overview', key: 1 },
  { view: 'turns', label: 'Turns', key: 2 },
  { view: 'outbox', label: 'Outbox', key: 3 },
  { view: 'errors', label: 'Errors', key: 5 },
  { view: 'audit', label: 'Audit', key: 4 },
] as const satisfies readonly { view: NavView; label: string; key: number }[];

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
        ...MENU_VIEWS.map(({ view, label, key }): MenuItemConstructorOptions => ({
          id: `view-${view}`,
          label,
          accelerator: `CmdOrCtrl+${key}`,
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
