import type { ApiError, ApiEvent, ApiResult, AppInfo } from '../../shared/api';
import type { ExportMessage, ExportReply } from './export-port';

// The messages between ApiHost (the host process: Electron main or the HTTP server), the
// engine (a worker thread that owns the writable connection, the recovery worker and the
// change watch) and the reader (a worker thread with a read-only connection of its own that
// answers the read methods, so that they never wait behind a write). Internal to main/api.

/** What the host passes to the engine thread as `workerData`. */
export interface EngineData {
  dbPath: string;
  demo: boolean;
  /** Run the recovery worker (no handlers) on a file another process owns: the person asked for it. */
  recover?: boolean;
  /** Open so that nothing can be written. */
  readOnly?: boolean;
  operator: string;
  version: string;
  /** How often the engine compares status counts (and the file's data_version); default 1000 ms. */
  countsIntervalMs?: number;
  /** Demo only: ms between simulated inbound messages; default 1500. */
  demoFeedMs?: number;
}

/** What the host passes to the reader thread as `workerData`, from the engine's `ready`. */
export interface ReaderData {
  /** The file the engine opened (a snapshot copy's path when it had to make one). */
  file: string;
  /** The demo's configuration applies (its stuck thresholds and retention). */
  demo: boolean;
  /** The engine's identity, so that liveness tells its heartbeat as `self`. */
  owner: string;
  operator: string;
  /** The engine's info at start (getInfo itself is answered by the engine). */
  info: AppInfo;
  lastExternalWriteAt: number | null;
}

/** A call, to the engine or the reader. */
export interface CallMessage {
  id: number;
  method: unknown;
  args: unknown;
}

/** Host → engine. */
export type HostMessage = CallMessage | ExportMessage | { type: 'close' };

/** Host → reader: calls, and other writers' commits as the engine sees them. */
export type ReaderMessage = CallMessage | ExportMessage | { type: 'external-write'; at: number } | { type: 'close' };

/** Engine → host: a reply to a call, a push event, or a life-cycle message of the engine itself. */
export type EngineMessage =
  | { id: number; result: ApiResult<unknown> }
  | ApiEvent
  /** `owner`: the store's identity; `reader`: a reader thread may open the file (SQLite only). */
  | { type: 'ready'; info: AppInfo; owner: string; reader: boolean }
  | { type: 'fatal'; error: ApiError }
  /** Another connection committed to the file (what getLiveness reports as lastExternalWriteAt). */
  | { type: 'external-write'; at: number }
  | ExportReply;

/** Reader → host. */
export type ReaderReply =
  { id: number; result: ApiResult<unknown> } | ExportReply | { type: 'ready' } | { type: 'fatal'; error: ApiError };

export { MUTATING_METHODS } from '../../shared/api';
