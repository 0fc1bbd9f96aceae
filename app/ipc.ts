import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_CALL, IPC_EXPORT, IPC_NOTIFY, type ApiResult, type ExportResult } from '../shared/api';
import type { AlertNotice } from '../shared/alerts';
import { ExportFailed, type ApiHost } from '../main/api/host';
import { writeExportFile } from '../main/api/export-write';
import { checkIpcCall, checkIpcExport, checkIpcNotify } from './ipc-guard';
import { RENDERER_URL } from './policy';

/**
 * The IPC adapter: checks who is calling (checkIpcCall), then forwards to the current ApiHost.
 * No logic of its own; the API answers every call with an ApiResult and never throws. Exports
 * (IPC_EXPORT) ask main for a file with the save dialog, then stream the API's chunks into it.
 * Alerts (IPC_NOTIFY) are shown by `notify` (app/alerts.ts), which answers whether it could.
 */
export function registerIpc(
  getWindow: () => BrowserWindow | null,
  getHost: () => ApiHost | null,
  notify: (notice: AlertNotice) => boolean = () => false,
): () => void {
  const sender = (event: IpcMainInvokeEvent): { frameUrl: string | undefined; isMainFrame: boolean } => {
    const win = getWindow();
    const frame = event.senderFrame;
    const isMainFrame =
      win !== null &&
      !win.isDestroyed() &&
      event.sender === win.webContents &&
      frame !== null &&
      frame === win.webContents.mainFrame;
    return { frameUrl: frame?.url, isMainFrame };
  };
  const handle = async (event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<ApiResult<unknown>> => {
    const check = checkIpcCall({ ...sender(event), expectedUrl: RENDERER_URL, method, args });
    if (!check.ok) return check;
    const host = getHost();
    if (!host) return { ok: false, error: { code: 'unavailable', message: 'no database is open' } };
    return host.callRaw(check.method, check.args);
  };
  const handleExport = async (event: IpcMainInvokeEvent, request: unknown): Promise<ApiResult<ExportResult>> => {
    const check = checkIpcExport({ ...sender(event), expectedUrl: RENDERER_URL, request });
    if (!check.ok) return check;
    const host = getHost();
    if (!host) return { ok: false, error: { code: 'unavailable', message: 'no database is open' } };
    const opened = host.openExport(check.request);
    if (!opened.ok) return opened;
    const { filename, request: r } = opened.value;
    const win = getWindow();
    const options = {
      defaultPath: filename,
      filters: [{ name: r.format === 'csv' ? 'CSV' : 'JSON', extensions: [r.format] }],
    };
    const choice = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) {
      await opened.value.chunks.return(undefined);
      return { ok: true, value: { rows: null, savedTo: null, cancelled: true } };
    }
    try {
      await writeExportFile(opened.value.chunks, choice.filePath);
    } catch (err) {
      const error = err instanceof ExportFailed ? err.error : { code: 'internal', message: (err as Error).message };
      return { ok: false, error: { code: error.code, message: `the export was not saved: ${error.message}` } };
    }
    return { ok: true, value: { rows: opened.value.rows(), savedTo: choice.filePath, cancelled: false } };
  };
  const handleNotify = async (event: IpcMainInvokeEvent, notice: unknown): Promise<ApiResult<boolean>> => {
    const check = checkIpcNotify({ ...sender(event), expectedUrl: RENDERER_URL, notice });
    if (!check.ok) return check;
    return { ok: true, value: notify(check.notice) };
  };
  ipcMain.handle(IPC_CALL, handle);
  ipcMain.handle(IPC_EXPORT, handleExport);
  ipcMain.handle(IPC_NOTIFY, handleNotify);
  return () => {
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeHandler(IPC_EXPORT);
    ipcMain.removeHandler(IPC_NOTIFY);
  };
}
