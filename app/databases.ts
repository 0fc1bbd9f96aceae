import path from 'node:path';
import { clipboard, dialog, Menu, type BrowserWindow } from 'electron';
import type { ApiEvent } from '../shared/api';
import { ApiHost } from '../main/api/host';
import { isPostgresUrl, redactUrl } from '../main/store/location';

/** How a database is opened: the demo, or another process's file to observe, recover or only read. */
export interface OpenMode {
  demo: boolean;
  readOnly?: boolean;
  recover?: boolean;
}

export interface DatabaseUi {
  window(): BrowserWindow | null;
  /** Forwards a push event of the current host to the window. */
  send(event: ApiEvent): void;
  /** The current host changed (e.g. the title names the file and role). */
  changed(): void;
}

/**
 * The database the window shows, and switching it (File menu, a second instance's --db): the
 * new one is opened first; if the core refuses it (not SQLite, newer schema, locked…) its
 * message is shown and the current one stays.
 */
export class Databases {
  host: ApiHost | null = null;
  quitting = false;
  private switching = false;
  private stopForwarding: (() => void) | null = null;

  constructor(private readonly ui: DatabaseUi) {}

  /** Makes `next` the current host: events go to the window, IPC calls to it. */
  attach(next: ApiHost): ApiHost | null {
    const previous = this.host;
    this.stopForwarding?.();
    this.host = next;
    this.stopForwarding = next.onEvent((event) => this.ui.send(event));
    this.ui.changed();
    return previous;
  }

  /** Stops forwarding and hands back the host to close (on quit). */
  detach(): ApiHost | null {
    const host = this.host;
    this.stopForwarding?.();
    this.host = null;
    return host;
  }

  /** Operator actions are recorded as `desk:<login name>`; the version is package.json's. */
  start(dbPath: string, mode: OpenMode): Promise<ApiHost> {
    return ApiHost.start({ dbPath, ...mode });
  }

  async switchTo(dbPath: string, mode: OpenMode): Promise<void> {
    if (this.switching) return;
    const { host } = this;
    const win = this.ui.window();
    const same = host && host.target === (isPostgresUrl(dbPath) ? dbPath : path.resolve(dbPath));
    const sameRole =
      host &&
      host.info.readOnly === (mode.readOnly ?? false) &&
      host.info.recovering === (mode.demo || (mode.recover ?? false));
    if (same && sameRole) {
      win?.webContents.reload();
      return;
    }
    this.switching = true;
    try {
      let next: ApiHost;
      try {
        next = await this.start(dbPath, mode);
      } catch (err) {
        dialog.showErrorBox('Cannot open this database', (err as Error).message);
        return;
      }
      if (this.quitting) {
        await next.close();
        return;
      }
      const previous = this.attach(next);
      await previous?.close();
      // Every view refetches from the new database, including getInfo.
      this.ui.window()?.webContents.reload();
    } finally {
      this.switching = false;
    }
  }

  async choose(readOnly = false): Promise<void> {
    const options: Electron.OpenDialogOptions = {
      title: readOnly ? 'Open a lifecycle database read-only' : 'Open a lifecycle database',
      properties: ['openFile'],
      filters: [
        { name: 'SQLite databases', extensions: ['db', 'sqlite', 'sqlite3'] },
        { name: 'All files', extensions: ['*'] },
      ],
    };
    const win = this.ui.window();
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    const file = result.canceled ? undefined : result.filePaths[0];
    if (file) await this.switchTo(file, { demo: false, readOnly });
  }

  /** Opens the postgres:// URL copied to the clipboard, after showing it (without its password). */
  async openPostgresFromClipboard(): Promise<void> {
    const text = clipboard.readText().trim();
    if (!isPostgresUrl(text)) {
      dialog.showErrorBox(
        'Open PostgreSQL',
        'Copy a PostgreSQL URL (postgres://user:password@host:5432/database) to the clipboard first.',
      );
      return;
    }
    const answer = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Open', 'Open Read-Only', 'Cancel'],
      defaultId: 0,
      cancelId: 2,
      message: 'Open this PostgreSQL database?',
      detail: `${redactUrl(text)}\n\nGateway nodes own it: nothing is written except the actions you confirm.`,
    });
    if (answer.response === 2) return;
    await this.switchTo(text, { demo: false, readOnly: answer.response === 1 });
  }

  /**
   * Running the worker on a file another process owns changes that file on its own: say what it
   * will do and let the person decide. The demo always runs its worker.
   */
  async toggleRecovery(): Promise<void> {
    const item = Menu.getApplicationMenu()?.getMenuItemById('run-recovery');
    const { host } = this;
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
    await this.switchTo(host.target, { demo: false, recover: turnOn });
    if (item) item.checked = this.host?.info.recovering ?? false;
  }
}
