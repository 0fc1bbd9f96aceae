import { SERIES_WINDOWS } from '../../shared/api';
import { TURN_ACTIVE_STATUSES } from '../../shared/types';
import type { LifecycleStore } from '../../main/store/contract';
import { measure, ms, table, type Latency, type MeasureOptions } from './stats';

// Read latency of the dashboard's calls on the large generated data, through the store contract,
// so that every backend times the same list of calls (readCalls) on the same rows.

export interface ReadResult {
  label: string;
  /** Target for the p99, ms; null for figures printed for information only. */
  targetMs: number | null;
  latency: Latency;
  /** What the call returned, e.g. "50 items". */
  returned: string;
}

export interface ReadReport {
  results: ReadResult[];
  stuckTurns: number;
  stuckOutbox: number;
  activeTurns: number;
}

export interface ReadCall {
  label: string;
  targetMs: number | null;
  /** Makes the call once; what it returned, in a few words. */
  run(): Promise<string>;
}

/** Targets (ms, for the p99): the counts, a page of a list, a chart. */
export const TARGET_MS = { status: 20, list: 20, series: 100 } as const;

/** The list views fetch pages of 100 (renderer/stores/list.ts), the overview's stuck lists 25, newest first. */
const PAGE = 100;
const OVERVIEW = 25;
/** The buckets of each chart window (main/api/service.ts). */
const SERIES_BUCKETS = { '1h': 60, '24h': 96, '7d': 168 } as const;

const items = (page: { items: unknown[] }): string => `${page.items.length} items`;

/**
 * The dashboard's reads, as it makes them: the overview (counts, charts, stuck lists), the Turns
 * and Outbox views with each of their filters (newest first, a page of 100), a turn's detail,
 * the abort dialog's preview. Ids, sessions and cursors come from the data itself, so every
 * backend holding the same rows gets the same calls.
 */
export async function readCalls(store: LifecycleStore): Promise<ReadCall[]> {
  const calls: ReadCall[] = [];
  const add = (label: string, targetMs: number | null, run: () => Promise<string>): void => {
    calls.push({ label, targetMs, run });
  };
  const stuckPage = await store.listTurns({ stuck: true, limit: 50 });
  const newest = await store.listTurns({ order: 'desc', limit: PAGE });
  const stuckTurn = stuckPage.items[0];
  const doneTurn = newest.items.find((t) => t.status === 'delivered') ?? newest.items[0];
  const session = stuckTurn?.sessionKey ?? doneTurn?.sessionKey ?? '';
  const channel = stuckTurn?.channel ?? doneTurn?.channel ?? '';
  const rows = doneTurn ? (await store.turnDetail(doneTurn.id)).outbox : [];
  const finalRow = rows.find((r) => r.idempotencyKey !== null) ?? rows[0];
  const sessions = [...new Set(newest.items.map((t) => t.sessionKey))];

  // The overview.
  add('status()', TARGET_MS.status, async () => {
    const s = await store.status();
    return `${s.stuckTurns} stuck turns, ${s.stuckOutbox} stuck rows`;
  });
  for (const [w, buckets] of Object.entries(SERIES_BUCKETS) as [keyof typeof SERIES_BUCKETS, number][]) {
    add(`series(${w}, ${buckets})`, TARGET_MS.series, async () => {
      const points = await store.series(SERIES_WINDOWS[w], buckets);
      return `${points.length} points, ${points.reduce((n, p) => n + p.turnsEntered.accepted, 0)} accepted`;
    });
  }
  add(`listTurns({ stuck, desc, ${OVERVIEW} })`, TARGET_MS.list, async () =>
    items(await store.listTurns({ stuck: true, order: 'desc', limit: OVERVIEW })),
  );
  add(`listOutbox({ stuck, desc, ${OVERVIEW} })`, TARGET_MS.list, async () =>
    items(await store.listOutbox({ stuck: true, order: 'desc', limit: OVERVIEW })),
  );
  add('liveness()', null, async () => `${(await store.liveness()).workers.length} workers`);

  // The first pages of stuck turns and rows, oldest first (the CLI's `stuck`), and the next one.
  add('listTurns({ stuck, limit: 50 })', TARGET_MS.list, async () =>
    items(await store.listTurns({ stuck: true, limit: 50 })),
  );
  add('listTurns({ stuck, limit: 50, page 2 })', TARGET_MS.list, async () =>
    items(await store.listTurns({ stuck: true, limit: 50, cursor: stuckPage.nextCursor })),
  );
  add('listOutbox({ stuck, limit: 50 })', TARGET_MS.list, async () =>
    items(await store.listOutbox({ stuck: true, limit: 50 })),
  );

  // The Turns view: newest first, a page of 100, each filter it offers.
  const turns = (label: string, filter: Parameters<LifecycleStore['listTurns']>[0]): void =>
    add(`listTurns(${label})`, TARGET_MS.list, async () =>
      items(await store.listTurns({ order: 'desc', limit: PAGE, ...filter })),
    );
  turns('{}', {});
  turns('{ page 2 }', { cursor: newest.nextCursor });
  turns("{ order: 'asc' }", { order: 'asc' });
  turns('{ stuck }', { stuck: true });
  turns('{ status: delivered }', { status: ['delivered'] });
  turns('{ status: failed_terminal }', { status: ['failed_terminal'] });
  turns('{ status: aborted, failed_terminal }', { status: ['aborted', 'failed_terminal'] });
  turns('{ status: the 4 open ones }', { status: [...TURN_ACTIVE_STATUSES] });
  turns('{ sessionKey }', { sessionKey: session });
  turns('{ channel }', { channel });
  turns('{ channel, status: failed_terminal }', { channel, status: ['failed_terminal'] });
  turns('{ search: a turn id }', { search: stuckTurn?.id ?? '' });
  turns('{ search: a session prefix }', { search: session.slice(0, -1) });
  // Combinations and later pages: what a click in the filter bar or a scroll sends.
  const delivered = await store.listTurns({ order: 'desc', limit: PAGE, status: ['delivered'] });
  turns('{ status: delivered, page 2 }', { status: ['delivered'], cursor: delivered.nextCursor });
  turns("{ status: the 4 open ones, order: 'asc' }", { status: [...TURN_ACTIVE_STATUSES], order: 'asc' });
  turns('{ status: delivered, aborted, channel }', { status: ['delivered', 'aborted'], channel });
  turns('{ stuck, channel }', { stuck: true, channel });
  turns('{ sessionKey, status: delivered }', { sessionKey: session, status: ['delivered'] });
  turns("{ sessionKey, order: 'asc', page 2 }", {
    sessionKey: session,
    order: 'asc',
    cursor: (await store.listTurns({ sessionKey: session, order: 'asc', limit: PAGE })).nextCursor,
  });
  turns("{ search: a broad prefix ('agent:') }", { search: 'agent:' });
  turns("{ search: a channel's prefix }", { search: session.slice(0, session.lastIndexOf(':') + 1) });
  turns('{ search: a broad prefix, status: failed_terminal }', { search: 'agent:', status: ['failed_terminal'] });

  // The Outbox view, likewise.
  const outbox = (label: string, filter: Parameters<LifecycleStore['listOutbox']>[0]): void =>
    add(`listOutbox(${label})`, TARGET_MS.list, async () =>
      items(await store.listOutbox({ order: 'desc', limit: PAGE, ...filter })),
    );
  outbox('{}', {});
  outbox('{ stuck }', { stuck: true });
  outbox('{ status: failed_retryable }', { status: ['failed_retryable'] });
  outbox('{ status: queued, failed_retryable }', { status: ['queued', 'failed_retryable'] });
  outbox('{ status: expired }', { status: ['expired'] });
  outbox("{ kind: 'final' }", { kind: 'final' });
  outbox("{ kind: 'direct' }", { kind: 'direct' });
  outbox("{ kind: 'final', status: failed_terminal }", { kind: 'final', status: ['failed_terminal'] });
  outbox('{ channel }', { channel });
  outbox('{ turnId }', { turnId: doneTurn?.id ?? '' });
  outbox('{ search: a row id }', { search: finalRow?.id ?? '' });
  outbox('{ search: a turn id }', { search: doneTurn?.id ?? '' });
  outbox('{ search: an idempotency key }', { search: finalRow?.idempotencyKey ?? '' });
  const finals = await store.listOutbox({ order: 'desc', limit: PAGE, kind: 'final' });
  outbox("{ kind: 'final', page 2 }", { kind: 'final', cursor: finals.nextCursor });
  outbox("{ kind: 'final', order: 'asc' }", { kind: 'final', order: 'asc' });
  outbox("{ kind: 'block', channel }", { kind: 'block', channel });
  outbox("{ kind: 'direct', status: failed_terminal }", { kind: 'direct', status: ['failed_terminal'] });
  outbox('{ status: delivered, expired, channel }', { status: ['delivered', 'expired'], channel });
  outbox("{ stuck, kind: 'final' }", { stuck: true, kind: 'final' });
  outbox("{ status: failed_retryable, order: 'asc', page 2 }", {
    status: ['failed_retryable'],
    order: 'asc',
    cursor: (await store.listOutbox({ status: ['failed_retryable'], order: 'asc', limit: PAGE })).nextCursor,
  });

  // A turn's page, and the abort dialog (one session; the sessions of a page of turns).
  if (stuckTurn)
    add('turnDetail(a stuck turn)', null, async () => {
      const d = await store.turnDetail(stuckTurn.id);
      return `${d.outbox.length} rows, ${d.history.length} entries`;
    });
  if (doneTurn)
    add('turnDetail(a delivered turn)', null, async () => {
      const d = await store.turnDetail(doneTurn.id);
      return `${d.outbox.length} rows, ${d.history.length} entries`;
    });
  const preview = async (keys: string[]): Promise<string> => {
    const p = await store.previewAbort(keys);
    return `${p.turns} turns, ${p.outbox} rows`;
  };
  add('previewAbort(1 session)', null, () => preview([session]));
  add(`previewAbort(${sessions.length} sessions)`, null, () => preview(sessions));
  add('auditTrail(100)', null, async () => `${(await store.auditTrail({ limit: 100 })).items.length} entries`);
  return calls;
}

/** Times readCalls on `store`, one call at a time; `onResult` sees each result as soon as it is measured. */
export async function readLatencies(
  store: LifecycleStore,
  options: MeasureOptions,
  onResult?: (r: ReadResult, call: ReadCall) => Promise<void>,
): Promise<ReadReport> {
  const results: ReadResult[] = [];
  for (const call of await readCalls(store)) {
    let returned = '';
    const latency = await measure(async () => (returned = await call.run()), options);
    const result = { label: call.label, targetMs: call.targetMs, latency, returned };
    results.push(result);
    await onResult?.(result, call);
  }
  const status = await store.status();
  const t = status.turns;
  return {
    results,
    stuckTurns: status.stuckTurns,
    stuckOutbox: status.stuckOutbox,
    activeTurns: t.accepted + t.running + t.delivery_pending + t.failed_retryable,
  };
}

/** Over target: its p99 is, or (for information-only figures) over the list target. */
export function overTarget(r: ReadResult): boolean {
  return r.latency.p99 >= (r.targetMs ?? TARGET_MS.list);
}

function verdict(r: ReadResult): string {
  if (r.targetMs === null) return '';
  if (r.latency.p99 < r.targetMs) return 'PASS';
  return r.latency.median < r.targetMs ? 'MISS (p99)' : 'MISS';
}

/**
 * The results as a table: p50, p99 and max beside the target; with `other` (another backend's
 * results of the same run), its p50 and p99 beside them, and whether it returned the same.
 */
export function readTable(results: readonly ReadResult[], other?: { name: string; results: readonly ReadResult[] }) {
  const by = new Map(other?.results.map((r) => [r.label, r]));
  const header = ['call', 'p50', 'p99', 'max', 'runs', 'target', ''];
  if (other) header.push(`${other.name} p50`, `${other.name} p99`);
  header.push('returned');
  return table(
    header,
    results.map((r) => {
      const o = by.get(r.label);
      const cells = [
        r.label,
        ms(r.latency.median),
        ms(r.latency.p99),
        ms(r.latency.max),
        String(r.latency.runs),
        r.targetMs === null ? '-' : `< ${r.targetMs} ms`,
        verdict(r),
      ];
      if (other) cells.push(o ? ms(o.latency.median) : '-', o ? ms(o.latency.p99) : '-');
      cells.push(o && o.returned !== r.returned ? `${r.returned} (${other!.name}: ${o.returned})` : r.returned);
      return cells;
    }),
  );
}
