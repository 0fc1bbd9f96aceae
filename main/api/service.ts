import {
  SERIES_WINDOWS,
  parseCall,
  type AbortPreview,
  type ApiArgs,
  type ApiMethod,
  type ApiResult,
  type ApiResults,
  type AppInfo,
  type BulkResult,
} from '../../shared/api';
import type { AbortResult } from '../lifecycle';
import { LifecycleError, isBusyError } from '../lifecycle/errors';
import { whenWorkerRuns } from '../lifecycle/liveness';
import type { LifecycleStore } from '../store/contract';
import { statsRange } from '../lifecycle/queries/channel-stats';
import { previewBulk } from './bulk-filter';
import type { BulkJobs } from './jobs';
import { MUTATING_METHODS } from './protocol';

type Handlers = { [M in ApiMethod]: (args: Exclude<ApiArgs<M>, undefined>) => ApiResults[M] | Promise<ApiResults[M]> };

export interface ApiContext {
  store: LifecycleStore;
  /** Who operator actions are recorded as (e.g. "desk:alice"). */
  operator: string;
  /** What getInfo answers: built once by the engine, which knows the role and the integrity check. */
  info: () => AppInfo;
  /** When the engine last saw another writer commit; null if never. */
  lastExternalWriteAt: () => number | null;
  /** The bulk jobs by filter of this process: only where writes run (the engine, the CLI). */
  jobs?: BulkJobs;
}

const SERIES_BUCKETS = { '1h': 60, '24h': 96, '7d': 168 } as const;

/** One action per id, one after the other (each its own transaction); a refusal is that id's outcome. */
async function bulk(ids: string[], act: (id: string) => Promise<string | void>): Promise<BulkResult> {
  const outcomes: BulkResult['outcomes'] = [];
  for (const id of ids) {
    try {
      const created = await act(id);
      outcomes.push(created === undefined ? { id, ok: true } : { id, ok: true, created });
    } catch (err) {
      if (!(err instanceof LifecycleError)) throw err;
      outcomes.push({ id, ok: false, error: err.message, code: err.code });
    }
  }
  const done = outcomes.filter((o) => o.ok).length;
  return { done, refused: outcomes.length - done, outcomes };
}

/** The API, implemented once over the core. Transports only carry `dispatch`. */
export function createApi(ctx: ApiContext): { dispatch(method: unknown, args: unknown): Promise<ApiResult<unknown>> } {
  const { store } = ctx;
  const jobs = (): BulkJobs => {
    // host.ts routes the job methods to the engine; a reader thread never has jobs.
    if (!ctx.jobs) throw new LifecycleError('unavailable', 'bulk jobs run only where the writes run (the engine)');
    return ctx.jobs;
  };
  const note = (reason: string | undefined): string | undefined => (reason?.trim() ? reason.trim() : undefined);
  const handlers: Handlers = {
    getInfo: (): AppInfo => ctx.info(),
    getStatus: () => store.status(),
    getSeries: ({ window }) => store.series(SERIES_WINDOWS[window], SERIES_BUCKETS[window]),
    listTurns: (f) => store.listTurns(f),
    listOutbox: (f) => store.listOutbox(f),
    getTurn: ({ id }) => store.turnDetail(id),
    getAudit: (filter) => store.auditTrail(filter),
    previewAbort: ({ sessionKeys }): Promise<AbortPreview> => store.previewAbort(sessionKeys),
    abortSessions: async ({ sessionKeys, reason }) => {
      const totals: AbortResult = { turns: 0, outbox: 0, turnIds: [] };
      const result = await bulk([...new Set(sessionKeys)], async (key) => {
        const r = await store.operatorAbort(key, ctx.operator, note(reason));
        totals.turns += r.turns;
        totals.outbox += r.outbox;
        totals.turnIds.push(...r.turnIds);
      });
      return { ...result, totals };
    },
    replayTurns: async ({ ids, reason }) =>
      withNote(
        await bulk(ids, (id) => store.operatorReplay(id, ctx.operator, note(reason))),
        'The replay runs',
        'replay',
      ),
    retryRows: async ({ ids, reason }) =>
      withNote(
        await bulk(ids, (id) => store.operatorRetry(id, ctx.operator, note(reason))),
        'The retry runs',
        'deliver',
      ),
    terminateRows: ({ ids, reason }) => bulk(ids, (id) => store.operatorTerminate(id, ctx.operator, note(reason))),
    prune: ({ reason }) => store.operatorPrune(ctx.operator, note(reason)),
    getErrorGroups: (query) => store.errorGroups(query),
    // A repeat (a double click) finds what the first created: `created` names it either way.
    resendRows: async ({ ids, reason }) =>
      withNote(
        await bulk(
          [...new Set(ids)],
          async (id) => (await store.operatorResend(id, ctx.operator, note(reason))).row.id,
        ),
        'The resend goes out',
        'deliver',
      ),
    replayAsNew: async ({ ids, reason }) =>
      withNote(
        await bulk(
          [...new Set(ids)],
          async (id) => (await store.operatorReplayAsNew(id, ctx.operator, note(reason))).turn.id,
        ),
        'The new turn runs',
        'replay',
      ),
    previewBulk: (target) => previewBulk(store, target),
    startBulk: (args) => jobs().start(args),
    getBulkJobs: () => jobs().list(),
    cancelBulk: ({ id }) => jobs().cancel(id),
    getLiveness: () => store.liveness(ctx.lastExternalWriteAt()),
    getChannelStats: async (args) => {
      const { since, until } = statsRange(args, await store.now());
      return store.channelStats(since, until);
    },
  };

  /** A requested replay or retry happens on a worker's pass: say truthfully when that will be. */
  async function withNote(result: BulkResult, what: string, need: 'deliver' | 'replay'): Promise<BulkResult> {
    if (result.done === 0) return result;
    return { ...result, note: whenWorkerRuns(await store.liveness(ctx.lastExternalWriteAt()), what, need) };
  }

  return {
    async dispatch(method, rawArgs) {
      const call = parseCall(method, rawArgs);
      if (!call.ok) return call;
      if (store.readOnly && MUTATING_METHODS.has(call.method)) {
        const { roleReason } = ctx.info();
        return {
          ok: false,
          error: {
            code: 'read_only',
            message: `the database is open read-only: nothing can be changed (${roleReason})`,
          },
        };
      }
      try {
        const handler = handlers[call.method] as (args: unknown) => unknown;
        return { ok: true, value: await handler(call.args) };
      } catch (err) {
        if (err instanceof LifecycleError) {
          const passed = ['not_found', 'invalid_state', 'invalid_argument', 'read_only'] as const;
          const code = (passed as readonly string[]).includes(err.code) ? err.code : 'unavailable';
          return { ok: false, error: { code, message: err.message } };
        }
        if (isBusyError(err)) {
          return {
            ok: false,
            error: {
              code: 'unavailable',
              message: `the database is locked by another process; try again (${(err as Error).message})`,
            },
          };
        }
        return { ok: false, error: { code: 'internal', message: (err as Error).message ?? String(err) } };
      }
    },
  };
}
