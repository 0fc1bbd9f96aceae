import { z } from 'zod';
import { CURSOR_MAX_LENGTH, EXPORT_FORMATS, ID_MAX_LENGTH, METHOD_WRITES, PAGE_LIMIT, TEXT_MAX } from './api-values';

export {
  CURSOR_MAX_LENGTH,
  EXPORT_FORMATS,
  ID_MAX_LENGTH,
  METHOD_WRITES,
  PAGE_LIMIT,
  SERIES_WINDOWS,
  type ExportFormat,
  type SeriesWindow,
} from './api-values';
import {
  DISPATCH_KINDS,
  ERROR_CLASSES,
  OUTBOX_STATUSES,
  TURN_STATUSES,
  type HistoryEntry,
  type StatusCounts,
} from './types';
import { BULK_ACTIONS, type BulkJob, type ErrorGroup } from './triage';
import type { AlertNotice } from './alerts';
import type {
  AbortResult,
  ChannelStats,
  Liveness,
  OutboxListItem,
  Page,
  PruneResult,
  SeriesPoint,
  TurnDetail,
  TurnListItem,
} from './views';

/**
 * The one API contract of Lifecycle Desk. main/api implements it once; Electron IPC and the
 * browser mode's HTTP carry it unchanged. Arguments are validated at the boundary with these
 * schemas; every call answers an ApiResult, never throws across a transport.
 */

/**
 * Ids come from gateways and can be long: anything a list shows must open (ID_MAX_LENGTH in
 * api-values.ts). A cursor carries an id and a time.
 */
const id = z.string().min(1).max(ID_MAX_LENGTH);

const limit = z.number().int().min(PAGE_LIMIT.min).max(PAGE_LIMIT.max).optional();
const cursor = z.string().max(CURSOR_MAX_LENGTH).nullable().optional();
const order = z.enum(['asc', 'desc']).optional();

/** Why a person did an action, shown in the audit (optional everywhere). */
const reason = z.string().max(500).optional();
/** A time bound, ms since the epoch. */
const time = z.number().int().min(0).optional();

/** What a list of turns can be narrowed to: the filter the UI sets, a bulk job runs and an export writes. */
const turnFilter = z
  .object({
    status: z.array(z.enum(TURN_STATUSES)).max(TURN_STATUSES.length).optional(),
    sessionKey: z.string().max(TEXT_MAX.sessionKey).optional(),
    channel: z.string().max(TEXT_MAX.channel).optional(),
    stuck: z.boolean().optional(),
    /** Failed for good within the attention window (failed_terminal, not chosen by a person), not yet replayed as new. */
    dead: z.boolean().optional(),
    /**
     * At least 3 characters: any part of the id, external id, dedupe key, session key, payload text
     * or last error (full-text, trigram). Shorter: a prefix of the id or session key.
     */
    search: z.string().max(TEXT_MAX.search).optional(),
    /** accepted_at within [since, until). */
    since: time,
    until: time,
    /** Only turns whose failure has this normalized signature (an error group). */
    signature: z.string().max(TEXT_MAX.signature).optional(),
  })
  .strict();

const outboxFilter = z
  .object({
    status: z.array(z.enum(OUTBOX_STATUSES)).max(OUTBOX_STATUSES.length).optional(),
    turnId: id.optional(),
    kind: z.enum([...DISPATCH_KINDS, 'direct']).optional(),
    channel: z.string().max(TEXT_MAX.channel).optional(),
    stuck: z.boolean().optional(),
    /** Failed for good or expired within the attention window (not chosen by a person), not yet resent. */
    dead: z.boolean().optional(),
    /** As for turns: id, idempotency key, target, turn id, payload text, last error. */
    search: z.string().max(TEXT_MAX.search).optional(),
    /** queued_at within [since, until). */
    since: time,
    until: time,
    errorClass: z.enum(ERROR_CLASSES).optional(),
    signature: z.string().max(TEXT_MAX.signature).optional(),
  })
  .strict();

const auditFilter = z
  .object({
    /** Who did it: a substring of the recorded name (e.g. "alice" for "desk:alice"). */
    by: z.string().max(TEXT_MAX.by).optional(),
    /** Which action (BulkAction, or 'prune'). */
    action: z.enum([...BULK_ACTIONS, 'prune', 'bulk']).optional(),
    since: time,
    until: time,
  })
  .strict();

const page = { order, limit, cursor };

/** A bulk action over every row matching a filter: the action names its list. */
const bulkTarget = z.discriminatedUnion('list', [
  z
    .object({ list: z.literal('turns'), action: z.enum(['replay', 'replay-as-new', 'abort']), filter: turnFilter })
    .strict(),
  z
    .object({ list: z.literal('outbox'), action: z.enum(['retry', 'resend', 'terminate']), filter: outboxFilter })
    .strict(),
]);

/**
 * What an export writes: every row of a list matching a filter, streamed page by page (never all
 * in memory). Carried by the transports outside `call` (a download in the browser, a save dialog
 * in Electron, a file or stdout in the CLI); validated with this schema like any argument.
 */
export const exportArgs = z.discriminatedUnion('list', [
  z.object({ list: z.literal('turns'), format: z.enum(EXPORT_FORMATS), filter: turnFilter, order }).strict(),
  z.object({ list: z.literal('outbox'), format: z.enum(EXPORT_FORMATS), filter: outboxFilter, order }).strict(),
  z.object({ list: z.literal('audit'), format: z.enum(EXPORT_FORMATS), filter: auditFilter }).strict(),
]);
export type ExportRequest = z.input<typeof exportArgs>;

export const apiArgs = {
  getInfo: z.object({}).strict(),
  getStatus: z.object({}).strict(),
  getSeries: z.object({ window: z.enum(['1h', '24h', '7d']) }).strict(),
  listTurns: turnFilter.extend(page).strict(),
  listOutbox: outboxFilter.extend(page).strict(),
  getTurn: z.object({ id }).strict(),
  /** Operator actions, newest first, by page. */
  getAudit: auditFilter.extend({ limit, cursor }).strict(),
  /** Failures grouped by normalized error, channel and kind, over the last `sinceMs`. */
  getErrorGroups: z
    .object({
      sinceMs: z
        .number()
        .int()
        .min(60_000)
        .max(90 * 86_400_000)
        .optional(),
      channel: z.string().max(TEXT_MAX.channel).optional(),
      subject: z.enum(['turn', 'outbox']).optional(),
      limit: z.number().int().min(1).max(500).optional(),
    })
    .strict(),
  /** What an abort would change, for the confirmation dialog. */
  previewAbort: z.object({ sessionKeys: z.array(z.string().max(TEXT_MAX.sessionKey)).min(1).max(500) }).strict(),
  abortSessions: z
    .object({ sessionKeys: z.array(z.string().max(TEXT_MAX.sessionKey)).min(1).max(500), reason })
    .strict(),
  replayTurns: z.object({ ids: z.array(id).min(1).max(500), reason }).strict(),
  retryRows: z.object({ ids: z.array(id).min(1).max(500), reason }).strict(),
  terminateRows: z.object({ ids: z.array(id).min(1).max(500), reason }).strict(),
  /** Dead letters: a new row with the same payload and destination, linked to the original. */
  resendRows: z.object({ ids: z.array(id).min(1).max(500), reason }).strict(),
  /** A new (resumed) turn from a turn that ended unanswered, linked to it. */
  replayAsNew: z.object({ ids: z.array(id).min(1).max(500), reason }).strict(),
  prune: z.object({ reason }).strict(),
  /** A bulk action by filter, before it runs: the exact count that can take it, and a sample. */
  previewBulk: bulkTarget,
  /**
   * Starts a bulk action by filter as a job on the server; progress arrives as `job` events.
   * Jobs live in the memory of the process that runs them: a restart forgets them (what they did
   * stays in the file, with one audit entry per job, written also when it is cancelled).
   */
  startBulk: z.intersection(bulkTarget, z.object({ reason })),
  /** The bulk jobs of this process (running and recently ended), oldest first. */
  getBulkJobs: z.object({}).strict(),
  cancelBulk: z.object({ id }).strict(),
  /** Heartbeats of recovery workers and inferred gateway activity, for the liveness banner. */
  getLiveness: z.object({}).strict(),
  /**
   * Per channel over a range: counts, failure rate, stuck now, and accept → delivered latency
   * percentiles. `window` (default 24h) ends at `until` or now; `since`/`until` (ms) choose
   * another range instead. since < until and at most 90 days, else invalid_argument. Events
   * count by the minute they happened in; percentiles are within ChannelStats.precision (±4.5 %).
   */
  getChannelStats: z.object({ window: z.enum(['1h', '24h', '7d']).optional(), since: time, until: time }).strict(),
} as const;

export type ApiMethod = keyof typeof apiArgs;
export const API_METHODS = Object.keys(apiArgs) as ApiMethod[];

export const MUTATING_METHODS: ReadonlySet<string> = new Set(API_METHODS.filter((m) => METHOD_WRITES[m]));
export type ApiArgs<M extends ApiMethod> = z.input<(typeof apiArgs)[M]>;

/**
 * How this app treats the file. `demo`: a file it created, fed by the demo gateway, recovered
 * by its worker. `observer`: another process's file; nothing is written except operator
 * actions a person confirms. `recovering`: an observer that also runs the recovery worker,
 * because the person asked for it. `read-only`: nothing can be written at all.
 */
export type DbRole = 'demo' | 'observer' | 'recovering' | 'read-only';

/** The background integrity check of the open file (PRAGMA quick_check, table by table). */
export interface IntegrityState {
  state: 'checking' | 'ok' | 'damaged' | 'unavailable';
  /** Tables checked so far, of `total`. */
  checked: number;
  total: number;
  /** What is damaged, or why the check could not run. */
  message: string | null;
}

export interface AppInfo {
  dbPath: string;
  schemaVersion: number;
  demo: boolean;
  version: string;
  /** Who operator actions are recorded as. */
  operator: string;
  role: DbRole;
  /** Why the role is what it is, in words (e.g. why the file was opened read-only). */
  roleReason: string;
  readOnly: boolean;
  /** This app runs a recovery worker on the file. */
  recovering: boolean;
  integrity: IntegrityState;
  /** How long done rows and terminal turns are kept before pruning (what "Prune now" removes). */
  retentionMs: number;
  /** How long failed-for-good work counts as needing attention. */
  attentionWindowMs: number;
  /**
   * The full-text search index of a SQLite file (absent: none, e.g. PostgreSQL or an older file
   * read as it is). While `building`, rows that were in the file before it was migrated and are
   * not yet indexed (the oldest first: newest rows are indexed first) are missing from searches.
   */
  searchIndex?: { state: 'ready' | 'building'; indexed: number; total: number };
}

/** One entry per id (or session) of a bulk action: what happened to it. */
export interface BulkOutcome {
  id: string;
  ok: boolean;
  /** The row or turn a resend / replay as new created (or found: a repeat creates nothing). */
  created?: string;
  /** Why it was refused, and its code (e.g. invalid_state, not_found). */
  error?: string;
  code?: string;
}

export interface BulkResult {
  done: number;
  refused: number;
  outcomes: BulkOutcome[];
  /** When what was requested will happen (replay/retry wait for a recovery worker's pass). */
  note?: string;
}

/** What a bulk action by filter would do: how many rows match and can take it, and the first few. */
export interface BulkPreview {
  /** Rows matching the filter and in a state the action accepts (each is re-checked when it runs). */
  count: number;
  /** Rows matching the filter in any state. */
  matching: number;
  sample: (TurnListItem | OutboxListItem)[];
  /** The filter in words, as the audit entry will say it. */
  filterText: string;
}

export interface AbortPreview {
  turns: number;
  outbox: number;
}

export interface ApiResults {
  getInfo: AppInfo;
  getStatus: StatusCounts;
  getSeries: SeriesPoint[];
  listTurns: Page<TurnListItem>;
  listOutbox: Page<OutboxListItem>;
  getTurn: TurnDetail;
  getAudit: Page<HistoryEntry>;
  getErrorGroups: ErrorGroup[];
  previewAbort: AbortPreview;
  abortSessions: BulkResult & { totals: AbortResult };
  replayTurns: BulkResult;
  retryRows: BulkResult;
  terminateRows: BulkResult;
  resendRows: BulkResult;
  replayAsNew: BulkResult;
  prune: PruneResult;
  previewBulk: BulkPreview;
  startBulk: BulkJob;
  getBulkJobs: BulkJob[];
  cancelBulk: BulkJob;
  getLiveness: Liveness;
  getChannelStats: ChannelStats;
}

export type ApiErrorCode =
  | 'unknown_method'
  | 'invalid_argument'
  | 'not_found'
  | 'invalid_state'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  /** The file is open read-only: nothing can be written. */
  | 'read_only'
  | 'internal';

export interface ApiError {
  code: ApiErrorCode | string;
  message: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Pushed to every open view; no polling. */
export type ApiEvent =
  | { type: 'counts'; counts: StatusCounts }
  /** Rows or turns changed (by the worker, the gateway or an action): views refetch. */
  | { type: 'changed'; at: number }
  /** The background integrity check progressed or finished. */
  | { type: 'integrity'; integrity: IntegrityState }
  /** A bulk job progressed, finished or was cancelled. */
  | { type: 'job'; job: BulkJob };

/** What an export did: in Electron, the file it wrote and the rows in it; in a browser, a download started. */
export interface ExportResult {
  /** Rows written, when the transport knows (Electron, CLI); null for a browser download. */
  rows: number | null;
  /** Where it was saved (Electron's save dialog); null for a browser download or a cancelled dialog. */
  savedTo: string | null;
  /** The person cancelled the save dialog. */
  cancelled: boolean;
}

/** Calls and push events: what main's ApiHost offers the transports. */
export interface ApiCaller {
  call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<ApiResults[M]>>;
  /** Returns an unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

/** What the renderer gets from either transport (the preload's `window.lifecycleDesk`). */
export interface ApiClient extends ApiCaller {
  /** Streams every row matching the request to a file the person picks (Electron) or a download (browser). */
  exportRows(request: ExportRequest): Promise<ApiResult<ExportResult>>;
  /**
   * Shows a desktop notification through the Electron shell (main's Notification) and returns
   * whether it was shown; absent in browser mode, where the page uses the Notification API.
   */
  notify?(notice: AlertNotice): Promise<ApiResult<boolean>>;
}

/** Validates raw arguments for a method name from an untrusted transport. */
export function parseCall(
  method: unknown,
  args: unknown,
): { ok: true; method: ApiMethod; args: unknown } | { ok: false; error: ApiError } {
  if (typeof method !== 'string' || !Object.hasOwn(apiArgs, method)) {
    return { ok: false, error: { code: 'unknown_method', message: `unknown API method ${JSON.stringify(method)}` } };
  }
  const parsed = apiArgs[method as ApiMethod].safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
    return {
      ok: false,
      error: { code: 'invalid_argument', message: `${method}: ${issue?.message ?? 'invalid arguments'}${where}` },
    };
  }
  return { ok: true, method: method as ApiMethod, args: parsed.data };
}

/** The IPC channel names; app/ and the preload use only these. */
export const IPC_CALL = 'lifecycle-desk:call';
export const IPC_EVENT = 'lifecycle-desk:event';
/** An export: the request in, a save dialog and the streamed file in main, the ExportResult back. */
export const IPC_EXPORT = 'lifecycle-desk:export';
/** An alert: the AlertNotice in, main's Notification shown (app/alerts.ts). */
export const IPC_NOTIFY = 'lifecycle-desk:notify';
