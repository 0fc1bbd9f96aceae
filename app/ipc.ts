import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_CALL, type ApiResult } from '../shared/api';
import type { ApiHost } from '../main/api/host';
import { checkIpcCall } from './ipc-guard';
import { RENDERER_URL } from './policy';

/**
 * The IPC adapter: checks who is calling (checkIpcCall), then forwards to the current ApiHost.
 * No logic of its own; the API answers every call with an ApiResult and never throws.
 */
export function registerIpc(getWindow: () => BrowserWindow | null, getHost: () => ApiHost | null): () => void {
  const handle = async (event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<ApiResult<unknown>> => {
    const win = getWindow();
    const frame = event.senderFrame;
    const isMainFrame =
      win !== null &&
      !win.isDestroyed() &&
      event.sender === win.webContents &&
      frame !== null &&
      frame === win.webContents.mainFrame;
    const check = checkIpcCall({ frameUrl: frame?.url, isMainFrame, expectedUrl: RENDERER_URL, method, args });
    if (!check.ok) return check;
    const host = getHost();
    if (!host) return { ok: false, error: { code: 'unavailable', message: 'no database is open' } };
    return host.callRaw(check.method, check.args);
  };
  ipcMain.handle(IPC_CALL, handle);
  return () => ipcMain.removeHandler(IPC_CALL);
}
