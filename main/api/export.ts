import { PAGE_LIMIT, exportArgs, type ExportFormat, type ExportRequest } from '../../shared/api';
import type { HistoryEntry } from '../../shared/types';
import type { OutboxListItem, TurnListItem } from '../../shared/views';
import type { LifecycleStore } from '../store/contract';

// Export of a list matching a filter, as CSV or JSON: an async generator of text chunks, one per
// page of the list's own cursor (PAGE_LIMIT.max rows), so 1M rows never sit in memory at once
// and the consumer's pace (a socket, a file) sets the pace of the reads. Each page is its own
// read: rows that change while an export runs appear as they were when their page was read.

/** The columns of each list, in order; `time`: ms since the epoch, written ISO 8601 in CSV. */
type Columns<T> = { [K in keyof Required<T>]: 'text' | 'time' };

const TURN_COLUMNS: Columns<TurnListItem> = {
  id: 'text',
  channel: 'text',
  accountId: 'text',
  externalId: 'text',
  dedupeKey: 'text',
  sessionKey: 'text',
  status: 'text',
  stuckReason: 'text',
  terminalReason: 'text',
  attemptCount: 'text',
  acceptedAt: 'time',
  updatedAt: 'time',
  nextAttemptAt: 'time',
  completedAt: 'time',
  routeChannel: 'text',
  routeTo: 'text',
  routeAccountId: 'text',
  routeThreadId: 'text',
  routeReplyToId: 'text',
  claimOwner: 'text',
  claimExpiresAt: 'time',
  replayOf: 'text',
  blockingRowId: 'text',
  payload: 'text',
};

const OUTBOX_COLUMNS: Columns<OutboxListItem> = {
  id: 'text',
  turnId: 'text',
  channel: 'text',
  accountId: 'text',
  target: 'text',
  dispatchKind: 'text',
  status: 'text',
  stuckReason: 'text',
  lastError: 'text',
  errorClass: 'text',
  terminalReason: 'text',
  attemptCount: 'text',
  queuedAt: 'time',
  nextAttemptAt: 'time',
  lastAttemptAt: 'time',
  deliveredAt: 'time',
  completedAt: 'time',
  idempotencyKey: 'text',
  claimOwner: 'text',
  claimExpiresAt: 'time',
  resendOf: 'text',
  payload: 'text',
};

const AUDIT_COLUMNS: Columns<HistoryEntry> = {
  id: 'text',
  at: 'time',
  by: 'text',
  action: 'text',
  kind: 'text',
  entityId: 'text',
  subjectId: 'text',
  fromStatus: 'text',
  toStatus: 'text',
  actor: 'text',
  reason: 'text',
  note: 'text',
  jobId: 'text',
};

const COLUMNS = { turns: TURN_COLUMNS, outbox: OUTBOX_COLUMNS, audit: AUDIT_COLUMNS } as const;

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** `lifecycle-turns-2026-12-01.csv`: the list and the day (UTC) it was written. */
export function exportFilename(request: Pick<ExportRequest, 'list' | 'format'>, now: number): string {
  return `lifecycle-${request.list}-${new Date(now).toISOString().slice(0, 10)}.${request.format}`;
}

/** A spreadsheet runs a cell that starts like a formula: such text is written with a leading '. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(value: unknown, kind: 'text' | 'time' = 'text'): string {
  if (value === null || value === undefined) return '';
  if (kind === 'time' && typeof value === 'number') return new Date(value).toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(item: Record<string, unknown>, columns: Record<string, 'text' | 'time'>): string {
  return `${Object.entries(columns)
    .map(([key, kind]) => csvField(item[key], kind))
    .join(',')}\r\n`;
}

/** Pages of the list matching the request's filter, newest first unless asked otherwise. */
async function* pages(store: LifecycleStore, request: ExportRequest): AsyncGenerator<Record<string, unknown>[]> {
  let cursor: string | null = null;
  const limit = PAGE_LIMIT.max;
  do {
    const page: { items: object[]; nextCursor: string | null } =
      request.list === 'turns'
        ? await store.listTurns({ ...request.filter, order: request.order, limit, cursor })
        : request.list === 'outbox'
          ? await store.listOutbox({ ...request.filter, order: request.order, limit, cursor })
          : await store.auditTrail({ ...request.filter, limit, cursor });
    yield page.items as Record<string, unknown>[];
    cursor = page.nextCursor;
  } while (cursor);
}

export interface ExportCount {
  rows: number;
}

/**
 * The export as text chunks (the header or the opening bracket first, one chunk per page);
 * `count.rows` grows as rows are written. The request must be valid (parseExport).
 */
export async function* exportChunks(
  store: LifecycleStore,
  request: ExportRequest,
  count: ExportCount = { rows: 0 },
): AsyncGenerator<string, void, undefined> {
  const columns = COLUMNS[request.list] as Record<string, 'text' | 'time'>;
  if (request.format === 'csv') {
    yield `${Object.keys(columns)
      .map((k) => csvField(k))
      .join(',')}\r\n`;
    for await (const items of pages(store, request)) {
      count.rows += items.length;
      if (items.length) yield items.map((item) => csvLine(item, columns)).join('');
    }
    return;
  }
  yield '[';
  for await (const items of pages(store, request)) {
    if (!items.length) continue;
    const first = count.rows === 0;
    count.rows += items.length;
    // The list's fields in the columns' order, the same shape the API answers.
    const json = items.map((item) =>
      JSON.stringify(Object.fromEntries(Object.keys(columns).map((k) => [k, item[k] ?? null]))),
    );
    yield `${first ? '\n' : ',\n'}${json.join(',\n')}`;
  }
  yield count.rows ? '\n]\n' : ']\n';
}

/** Validates an export request from an untrusted transport, as parseCall does for calls. */
export function parseExport(raw: unknown): { ok: true; request: ExportRequest } | { ok: false; message: string } {
  const parsed = exportArgs.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, request: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, message: `export: ${issue?.message ?? 'invalid request'}${where}` };
}
