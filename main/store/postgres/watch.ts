import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { PgCore } from './context';
import { NOTIFY_EVERY_MS } from './schema';

// Changes pushed by the database: the schema's statement-level triggers NOTIFY lifecycle_changes
// on every write by any writer (see schema.ts), and a connection of our own LISTENs. Bursts of
// commits (a busy gateway) make one call per interval, not one per commit.

export const CHANNEL = 'lifecycle_changes';
/** At most one call of the listener per this many ms. */
const COALESCE_MS = 100;
/** Reconnect delays: doubling from the first to the last, then the last again and again. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 10_000;

/** True when the notification's writer is this process's core (see lc_notify in schema.ts). */
export function ownWrite(payload: string | undefined, owner: string): boolean {
  const space = payload?.indexOf(' ') ?? -1;
  return space >= 0 && payload!.slice(space + 1) === owner;
}

/**
 * Calls `listener` soon after another writer committed a change (another node, a gateway's own
 * SQL, another process on this machine); returns the unsubscribe. A lost
 * connection is opened again with backoff (and the listener called once, since changes made
 * meanwhile were not heard); nothing is ever thrown to the caller.
 */
export function watchChanges(core: PgCore, listener: () => void): () => void {
  let stopped = false;
  let client: pg.Client | null = null;
  let retryMs = RETRY_FIRST_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let callTimer: NodeJS.Timeout | undefined;
  let lastCall = -Infinity;

  const call = (): void => {
    callTimer = undefined;
    if (stopped) return;
    lastCall = performance.now();
    try {
      listener();
    } catch (err) {
      console.error(`[lifecycle-desk] change listener failed: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  const changed = (): void => {
    if (stopped || callTimer) return;
    callTimer = setTimeout(call, Math.max(0, lastCall + COALESCE_MS - performance.now()));
    callTimer.unref();
  };
  // A writer announces at most one commit per NOTIFY_EVERY_MS (schema.ts): one more call after
  // that window shows what it committed unannounced right after the one it announced.
  let trailingTimer: NodeJS.Timeout | undefined;
  const announced = (): void => {
    changed();
    clearTimeout(trailingTimer);
    trailingTimer = setTimeout(changed, NOTIFY_EVERY_MS * 2);
    trailingTimer.unref();
  };

  const close = (c: pg.Client): void => {
    c.removeAllListeners('notification');
    c.end().catch(() => undefined);
  };
  const retry = (): void => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect(true);
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };
  const lost = (c: pg.Client): void => {
    if (client !== c) return;
    client = null;
    close(c);
    retry();
  };

  async function connect(again: boolean): Promise<void> {
    const options = core.pool.options;
    const c = new pg.Client({ ...options, password: options.password, keepAlive: true });
    // An idle client's errors (server restart, network) arrive as events: unhandled, they would
    // crash the process.
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', (msg) => {
      // The payload is "<table> <owner of the writing core>" (empty for other writers): our own
      // process's commits are not news to it.
      if (msg.channel === CHANNEL && !ownWrite(msg.payload, core.owner)) announced();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch {
      close(c);
      retry();
      return;
    }
    if (stopped) {
      close(c);
      return;
    }
    client = c;
    retryMs = RETRY_FIRST_MS;
    if (again) changed();
  }

  void connect(false);
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    clearTimeout(callTimer);
    clearTimeout(trailingTimer);
    if (client) close(client);
    client = null;
  };
}
