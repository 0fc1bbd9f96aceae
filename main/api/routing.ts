import type { ApiMethod } from '../../shared/api';

// Which thread answers each API method. The engine owns the writable connection and what lives
// only in its memory: the integrity check's progress (getInfo) and the bulk jobs (a reader never
// has them, so listing or cancelling a job there would answer nothing). Reads go to a reader
// thread, which never waits behind a write. A new method does not compile until it is placed here.

export type Thread = 'engine' | 'reader';

export const METHOD_RUNS_ON = {
  getInfo: 'engine',
  getStatus: 'reader',
  getSeries: 'reader',
  listTurns: 'reader',
  listOutbox: 'reader',
  getTurn: 'reader',
  getAudit: 'reader',
  getErrorGroups: 'reader',
  previewAbort: 'reader',
  abortSessions: 'engine',
  replayTurns: 'engine',
  retryRows: 'engine',
  terminateRows: 'engine',
  resendRows: 'engine',
  replayAsNew: 'engine',
  prune: 'engine',
  previewBulk: 'reader',
  startBulk: 'engine',
  getBulkJobs: 'engine',
  cancelBulk: 'engine',
  getLiveness: 'reader',
  getChannelStats: 'reader',
} as const satisfies Record<ApiMethod, Thread>;

/** Unknown names go to the engine, whose dispatch answers unknown_method. */
export function threadFor(method: unknown): Thread {
  return typeof method === 'string' && Object.hasOwn(METHOD_RUNS_ON, method)
    ? METHOD_RUNS_ON[method as ApiMethod]
    : 'engine';
}
