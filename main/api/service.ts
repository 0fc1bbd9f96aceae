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
import { previewAbort } from '../lifecycle/abort';
import { LifecycleError, isBusyError } from '../lifecycle/errors';
import type { Lifecycle } from '../lifecycle/lifecycle';
import { liveness, whenWorkerRuns } from '../lifecycle/liveness';
import { MUTATING_METHODS } from './protocol';

type Handlers = { [M in ApiMethod]: (args: Exclude<ApiArgs<M>, undefined>) => ApiResults[M] };

export interface ApiContext {
  lc: Lifecycle;
  /** Who operator actions are recorded as (e.g. "desk:alice"). */
  operator: string;
  /** What getInfo answers: built once by the engine, which knows the role and the integrity check. */
  info: () => AppInfo;
  /** When the engine last saw another connection commit to the file; null if never. */
  lastExternalWriteAt: () => number | null;
}

const SERIES_BUCKETS = { '1h': 60, '24h': 96, '7d': 168 } as const;

function bulk(ids: string[], act: (id: string) => void): BulkResult {
  const outcomes = ids.map((id) => {
    try {
      act(id);
      return { id, ok: true };
    } catch (err) {
      if (!(err instanceof LifecycleError)) throw err;
      return { id, ok: false, error: err.message, code: err.code };
    }
  });
  const done = outcomes.filter((o) => o.ok).length;
  return { done, refused: outcomes.length - done, outcomes };
}

/** The API, implemented once over the core. Transports only carry `dispatch`. */
export function createApi(ctx: ApiContext): { dispatch(method: unknown, args: unknown): ApiResult<unknown> } {
  const { lc } = ctx;
  const handlers: Handlers = {
    getInfo: (): AppInfo => ctx.info(),
    getStatus: () => lc.status(),
    getSeries: ({ window }) => lc.series(SERIES_WINDOWS[window], SERIES_BUCKETS[window]),
    listTurns: (f) => lc.listTurns(f),
    listOutbox: (f) => lc.listOutbox(f),
    getTurn: ({ id }) => lc.turnDetail(id),
    getAudit: ({ limit }) => lc.auditTrail(limit),
    previewAbort: ({ sessionKeys }): AbortPreview => previewAbort(lc.core, sessionKeys),
    abortSessions: ({ sessionKeys }) => {
      const totals: AbortResult = { turns: 0, outbox: 0, turnIds: [] };
      const result = bulk([...new Set(sessionKeys)], (key) => {
        const r = lc.operatorAbort(key, ctx.operator);
        totals.turns += r.turns;
        totals.outbox += r.outbox;
        totals.turnIds.push(...r.turnIds);
      });
      return { ...result, totals };
    },
    replayTurns: ({ ids }) =>
      withNote(
        bulk(ids, (id) => lc.operatorReplay(id, ctx.operator)),
        'The replay runs',
        'replay',
      ),
    retryRows: ({ ids }) =>
      withNote(
        bulk(ids, (id) => lc.operatorRetry(id, ctx.operator)),
        'The retry runs',
        'deliver',
      ),
    terminateRows: ({ ids }) => bulk(ids, (id) => lc.operatorTerminate(id, ctx.operator)),
    prune: () => lc.operatorPrune(ctx.operator),
    getLiveness: () => liveness(lc.core, ctx.lastExternalWriteAt()),
  };

  /** A requested replay or retry happens on a worker's pass: say truthfully when that will be. */
  function withNote(result: BulkResult, what: string, need: 'deliver' | 'replay'): BulkResult {
    if (result.done === 0) return result;
    return { ...result, note: whenWorkerRuns(liveness(lc.core, ctx.lastExternalWriteAt()), what, need) };
  }

  return {
    dispatch(method, rawArgs) {
      const call = parseCall(method, rawArgs);
      if (!call.ok) return call;
      if (lc.core.readOnly && MUTATING_METHODS.has(call.method)) {
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
        return { ok: true, value: handler(call.args) };
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
