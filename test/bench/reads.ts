import { Lifecycle } from '../../main/lifecycle/lifecycle';
import type { ReadDb } from './generate';
import { measure, type Latency } from './stats';

// Read latency of the dashboard's queries on the large generated file.

export interface ReadResult {
  label: string;
  /** Target for the median, ms; null for figures printed for information only. */
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

export function readLatencies(data: ReadDb, runs: number, warmup: number): ReadReport {
  // Run the clock from the moment the data was generated, so a cached file looks as fresh
  // (what is stuck, what falls in the last 24 hours) as it did when it was generated.
  const shift = Date.now() - data.generatedAt;
  const lc = Lifecycle.open(data.file, { now: () => Date.now() - shift });
  try {
    const results: ReadResult[] = [];
    const add = (label: string, targetMs: number | null, fn: () => string): void => {
      let returned = '';
      const latency = measure(() => (returned = fn()), runs, warmup);
      results.push({ label, targetMs, latency, returned });
    };
    const status = lc.status();
    add('status()', 20, () => {
      const s = lc.status();
      return `${s.stuckTurns} stuck turns, ${s.stuckOutbox} stuck rows`;
    });
    add(
      'listTurns({ stuck: true, limit: 50 })',
      10,
      () => `${lc.listTurns({ stuck: true, limit: 50 }).items.length} items`,
    );
    add(
      'listOutbox({ stuck: true, limit: 50 })',
      10,
      () => `${lc.listOutbox({ stuck: true, limit: 50 }).items.length} items`,
    );
    add('series(24 h, 96)', 100, () => `${lc.series(24 * 3_600_000, 96).length} points`);
    // For information: the other first screens of the dashboard.
    const stuckPage = lc.listTurns({ stuck: true, limit: 50 });
    add(
      'listTurns({ stuck, page 2 via cursor })',
      null,
      () => `${lc.listTurns({ stuck: true, limit: 50, cursor: stuckPage.nextCursor }).items.length} items`,
    );
    add(
      "listTurns({ order: 'desc', limit: 50 })",
      null,
      () => `${lc.listTurns({ order: 'desc', limit: 50 }).items.length} items`,
    );
    add(
      "listOutbox({ order: 'desc', limit: 50 })",
      null,
      () => `${lc.listOutbox({ order: 'desc', limit: 50 }).items.length} items`,
    );
    const stuckId = stuckPage.items[0]?.id;
    if (stuckId) add('turnDetail(a stuck turn)', null, () => `${lc.turnDetail(stuckId).outbox.length} rows`);
    const active =
      status.turns.accepted + status.turns.running + status.turns.delivery_pending + status.turns.failed_retryable;
    return { results, stuckTurns: status.stuckTurns, stuckOutbox: status.stuckOutbox, activeTurns: active };
  } finally {
    lc.close();
  }
}
