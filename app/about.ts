import { dialog, type BrowserWindow } from 'electron';
import type { AppInfo } from '../shared/api';
import { packageVersion } from '../main/api/host';

/** Help → About: version, database and its role, schema version, who actions are recorded as. */
export function showAbout(productName: string, win: BrowserWindow | null, info: AppInfo | undefined): void {
  const database = info
    ? [
        `Database: ${info.dbPath}${info.demo ? ' (demo)' : ''}`,
        `Role: ${info.role} (${info.roleReason})`,
        `Schema version: ${info.schemaVersion}`,
        `Operator actions are recorded as: ${info.operator}`,
      ]
    : ['No database is open.'];
  const runtime = `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`;
  const detail = [...database, '', runtime].join('\n');
  const options: Electron.MessageBoxOptions = {
    type: 'info',
    title: `About ${productName}`,
    message: `${productName} ${info?.version ?? packageVersion()}`,
    detail,
    buttons: ['OK'],
  };
  void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}
