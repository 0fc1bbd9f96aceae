import { parseCall, type ApiError, type ApiMethod, type ExportRequest } from '../shared/api';
import { parseExport } from '../main/api/export';
import { checkNotice, type AlertNotice } from '../shared/alerts';
import { isAppDocument } from './policy';

/** What the IPC adapter knows about one `invoke(IPC_CALL, method, args)`, as plain data. */
export interface IpcCallInput {
  /** event.senderFrame?.url; null when the frame is already gone. */
  frameUrl: string | null | undefined;
  /** The sending frame is the top frame of the main window's webContents. */
  isMainFrame: boolean;
  /** The renderer's own URL (app://desk/index.html). */
  expectedUrl: string;
  method: unknown;
  args: unknown;
}

export type IpcCallCheck = { ok: true; method: ApiMethod; args: unknown } | { ok: false; error: ApiError };

/**
 * Decides whether a call from a renderer may reach the API: only the main window's top frame
 * showing the app's own renderer document may call, and only a method of the API table with
 * arguments its schema accepts. The sender is checked first, so a foreign page learns nothing
 * about the API (not even which method names exist).
 */
export function checkIpcCall(input: IpcCallInput): IpcCallCheck {
  const sender = checkSender(input);
  return sender ?? parseCall(input.method, input.args);
}

/** Who may send anything on the app's channels: the main window's top frame on the app's document. */
function checkSender(input: Pick<IpcCallInput, 'frameUrl' | 'isMainFrame' | 'expectedUrl'>): {
  ok: false;
  error: ApiError;
} | null {
  if (!input.isMainFrame) {
    return { ok: false, error: { code: 'forbidden', message: 'calls are accepted only from the main window' } };
  }
  if (!isAppDocument(input.frameUrl, input.expectedUrl)) {
    return { ok: false, error: { code: 'forbidden', message: 'calls are accepted only from the app renderer' } };
  }
  return null;
}

export type IpcExportInput = Omit<IpcCallInput, 'method' | 'args'> & { request: unknown };

/** The same sender check for `invoke(IPC_EXPORT, request)`, then the request's schema (exportArgs). */
export function checkIpcExport(
  input: IpcExportInput,
): { ok: true; request: ExportRequest } | { ok: false; error: ApiError } {
  const sender = checkSender(input);
  if (sender) return sender;
  const parsed = parseExport(input.request);
  return parsed.ok ? parsed : { ok: false, error: { code: 'invalid_argument', message: parsed.message } };
}

export type IpcNotifyInput = Omit<IpcCallInput, 'method' | 'args'> & { notice: unknown };

/**
 * The same sender check for `invoke(IPC_NOTIFY, notice)`, then the notice itself (checkNotice:
 * a known condition, a title ≤ 120 and a body ≤ 500 characters of plain text, nothing else).
 */
export function checkIpcNotify(
  input: IpcNotifyInput,
): { ok: true; notice: AlertNotice } | { ok: false; error: ApiError } {
  const sender = checkSender(input);
  if (sender) return sender;
  const checked = checkNotice(input.notice);
  return checked.ok ? checked : { ok: false, error: { code: 'invalid_argument', message: checked.message } };
}
