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
import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES, type AbortResult } from '../lifecycle';
import { LifecycleError, isBusyError } from '../lifecycle/errors';
import type { Lifecycle } from '../lifecycle/lifecycle';
import { SCHEMA_VERSION } from '../lifecycle/migrations';

type Handlers = { [M in ApiMethod]: (args: Exclude<ApiArgs<M>, undefined>) => ApiResults[M] };

export interface ApiContext {
  lc: Lifecycle;
  dbPath: string;
  demo: boolean;
  version: string;
  /** Who operator actions are recorded as (e.g. "desk:alice"). */
  operator: string;
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
    getInfo: (): AppInfo => ({
      dbPath: ctx.dbPath,
      schemaVersion: SCHEMA_VERSION,
      demo: ctx.demo,
      version: ctx.version,
      operator: ctx.operator,
    }),
    getStatus: () => lc.status(),
    getSeries: ({ window }) => lc.series(SERIES_WINDOWS[window], SERIES_BUCKETS[window]),
    listTurns: (f) => lc.listTurns(f),
    listOutbox: (f) => lc.listOutbox(f),
    getTurn: ({ id }) => lc.turnDetail(id),
    getAudit: ({ limit }) => lc.auditTrail(limit),
    previewAbort: ({ sessionKeys }): AbortPreview => {
      let turns = 0;
      let outbox = 0;
      for (const sessionKey of new Set(sessionKeys)) {
        const open = lc.listTurns({ sessionKey, status: [...TURN_ACTIVE_STATUSES], limit: 500 }).items;
        turns += open.length;
        for (const t of open) {
          outbox += lc.listOutbox({ turnId: t.id, status: [...OUTBOX_PENDING_STATUSES], limit: 500 }).items.length;
        }
      }
      return { turns, outbox };
    },
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
    replayTurns: ({ ids }) => bulk(ids, (id) => lc.operatorReplay(id, ctx.operator)),
    retryRows: ({ ids }) => bulk(ids, (id) => lc.operatorRetry(id, ctx.operator)),
    terminateRows: ({ ids }) => bulk(ids, (id) => lc.operatorTerminate(id, ctx.operator)),
    prune: () => lc.operatorPrune(ctx.operator),
  };

  return {
    dispatch(method, rawArgs) {
      const call = parseCall(method, rawArgs);
      if (!call.ok) return call;
      try {
        const handler = handlers[call.method] as (args: unknown) => unknown;
        return { ok: true, value: handler(call.args) };
      } catch (err) {
        if (err instanceof LifecycleError) {
          const code = err.code === 'not_found' || err.code === 'invalid_state' ? err.code : err.code === 'invalid_argument' ? 'invalid_argument' : 'unavailable';
          return { ok: false, error: { code, message: err.message } };
        }
        if (isBusyError(err)) {
          return { ok: false, error: { code: 'unavailable', message: `the database is locked by another process; try again (${(err as Error).message})` } };
        }
        return { ok: false, error: { code: 'internal', message: (err as Error).message ?? String(err) } };
      }
    },
  };
}
