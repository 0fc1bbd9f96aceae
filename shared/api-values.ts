// The API's plain values, apart from its zod schemas (shared/api.ts): the renderer imports them
// from here so that its bundle does not carry zod, which only the main process needs.

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
