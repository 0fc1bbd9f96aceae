// The API's plain values, apart from its zod schemas (shared/api.ts): the renderer imports them
// from here so that its bundle does not carry zod, which only the main process needs.

import type { ApiMethod } from './api';

/** A page of any list: how many rows one call may ask for (API, CLI and core alike). */
export const PAGE_LIMIT = { min: 1, max: 500, default: 50 } as const;

export const SERIES_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type SeriesWindow = keyof typeof SERIES_WINDOWS;

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The longest id the API accepts (turn, outbox row, job): gateways choose their ids, and every id
 * a list shows must open. TODO(issue 12, helper sec): check the core, IPC guard and CLI agree.
 */
export const ID_MAX_LENGTH = 1024;
/** A list cursor carries a sort value and an id. */
export const CURSOR_MAX_LENGTH = 2 * ID_MAX_LENGTH + 200;

/**
 * The longest text each filter takes (the API's schemas and the dashboard's URL parser, which
 * ignores a longer value rather than cut it: cut, it would match something else).
 */
export const TEXT_MAX = { search: 500, sessionKey: 500, channel: 200, signature: 300, by: 200 } as const;

/**
 * Which methods change the database: each successful call is followed by a `changed` event,
 * and a read-only file refuses them. A new method does not compile until it is classified here.
 */
export const METHOD_WRITES = {
  getInfo: false,
  getStatus: false,
  getSeries: false,
  listTurns: false,
  listOutbox: false,
  getTurn: false,
  getAudit: false,
  getErrorGroups: false,
  previewAbort: false,
  abortSessions: true,
  replayTurns: true,
  retryRows: true,
  terminateRows: true,
  resendRows: true,
  replayAsNew: true,
  prune: true,
  previewBulk: false,
  startBulk: true,
  getBulkJobs: false,
  cancelBulk: true,
  getLiveness: false,
  getChannelStats: false,
} as const satisfies Record<ApiMethod, boolean>;
