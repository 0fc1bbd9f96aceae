import type { ErrorClass, OutboxRow, Turn } from '../../shared/types';

export interface HandlerContext {
  /** Aborted when the handler timed out or the worker is stopping. */
  signal: AbortSignal;
}

/** Sends one outbox row. Resolve when the channel accepted it; throw to report a failure. */
export type DeliverHandler = (row: OutboxRow, ctx: HandlerContext) => Promise<void>;

export interface ReplayOutcome {
  /** Final replies sent outside the outbox during the replay (see finalizeTurn). */
  finalSendsOutsideOutbox?: number;
  /** The turn deliberately produced no reply. */
  noReply?: string;
}

/**
 * Runs a turn again (the turn is `running` and held by this worker). The host regenerates its
 * replies through the outbox; when the promise settles the worker finalizes the turn.
 */
export type ReplayHandler = (turn: Turn, ctx: HandlerContext & { attempt: number }) => Promise<ReplayOutcome | void>;

/** Throw this (or any error with an `errorClass`) to say how a send failed; others are retryable. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly errorClass: ErrorClass = 'retryable',
  ) {
    super(message);
  }
}

export function errorClassOf(err: unknown): ErrorClass {
  const c = (err as { errorClass?: unknown } | null)?.errorClass;
  return c === 'terminal' || c === 'permanent' ? c : 'retryable';
}

export type HandlerResult<T> =
  { kind: 'ok'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' } | { kind: 'stopped' };

/**
 * Runs a handler with a timeout and the worker's stop signal, so one stuck handler can delay
 * neither the pass nor stop(). The handler's promise is abandoned, not awaited, when either fires.
 */
export async function runHandler<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<HandlerResult<T>> {
  if (stop.aborted) return { kind: 'stopped' };
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const limits = new Promise<HandlerResult<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    onStop = () => resolve({ kind: 'stopped' });
    stop.addEventListener('abort', onStop, { once: true });
  });
  try {
    const work = Promise.resolve()
      .then(() => fn(controller.signal))
      .then(
        (value): HandlerResult<T> => ({ kind: 'ok', value }),
        (error: unknown): HandlerResult<T> => ({ kind: 'error', error }),
      );
    return await Promise.race([work, limits]);
  } finally {
    clearTimeout(timer);
    if (onStop) stop.removeEventListener('abort', onStop);
    controller.abort();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
