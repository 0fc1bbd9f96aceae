import type { ApiArgs, ApiCaller, ApiMethod, ApiResult, ApiResults } from '../../shared/api';
import { METHOD_WRITES } from '../../shared/api-values';

// Identical reads in flight share one request: the overview and a list asking for the same
// counts, a refresh racing a view's first load. Writes never share (two clicks are two
// actions). METHOD_WRITES comes from the zod-free api-values.ts, so the bundle stays free of zod.

export function isRead(method: string): boolean {
  return Object.hasOwn(METHOD_WRITES, method) && !METHOD_WRITES[method as ApiMethod];
}

type Caller = Pick<ApiCaller, 'call'>;
const inFlight = new WeakMap<Caller, Map<string, Promise<ApiResult<unknown>>>>();

/**
 * `client.call(method, args)`, except that identical reads (same method, same arguments as
 * JSON) made while the first is in flight get that one's answer. Once it settled, the next call
 * asks again: nothing is cached.
 */
export function callShared<M extends ApiMethod>(
  client: Caller,
  method: M,
  args: ApiArgs<M>,
): Promise<ApiResult<ApiResults[M]>> {
  if (!isRead(method)) return client.call(method, args);
  let calls = inFlight.get(client);
  if (!calls) inFlight.set(client, (calls = new Map()));
  const key = `${method} ${JSON.stringify(args ?? null)}`;
  const pending = calls.get(key);
  if (pending) return pending as Promise<ApiResult<ApiResults[M]>>;
  const mine = calls;
  const p = client.call(method, args).finally(() => mine.delete(key));
  mine.set(key, p);
  return p;
}
