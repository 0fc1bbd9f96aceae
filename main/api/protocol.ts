import type { ApiError, ApiEvent, ApiResult, AppInfo } from '../../shared/api';

// The messages between ApiHost (the host process: Electron main or the HTTP server) and the
// engine (a worker thread that owns the SQLite connection). Internal to main/api.

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

/** Host → engine. */
export type HostMessage = { id: number; method: unknown; args: unknown } | { type: 'close' };

/** Engine → host: a reply to a call, a push event, or a life-cycle message of the engine itself. */
export type EngineMessage =
  | { id: number; result: ApiResult<unknown> }
  | ApiEvent
  | { type: 'ready'; info: AppInfo }
  | { type: 'fatal'; error: ApiError };

export { MUTATING_METHODS } from '../../shared/api';
