import type { LifecycleStore } from '../../main/store/contract';
import { errorSignature } from '../../main/lifecycle/signature';
import { SqliteStore } from '../../main/store/sqlite/store';
import { ensureReadDb } from './generate';
import { readTable, type ReadCall, type ReadResult } from './reads';
import { envInt, heading, int, measure, type MeasureOptions } from './stats';

// Issue 11's triage reads on the generated file (1M turns by default): search by what a ticket
// gives (an external id, a middle part of a session key, a word of the text), error groups over
// 24 h and 7 d, the dead-letter lists, the exact counts of a bulk preview, the audit page, a
// group's members. Each is timed through the store contract against the issue's < 50 ms.

export const TRIAGE_TARGET_MS = 50;
const DAY = 24 * 3_600_000;
const PAGE = 100;

const items = (page: { items: unknown[] }): string => `${page.items.length} items`;

/**
 * The calls, with their arguments taken from the data (an external id, a session key and a
 * signature that exist), so that every search finds something and every group has members.
 */
export async function triageCalls(store: LifecycleStore, generatedAt: number): Promise<ReadCall[]> {
  const calls: ReadCall[] = [];
  const add = (label: string, run: () => Promise<string>): void => {
    calls.push({ label, targetMs: TRIAGE_TARGET_MS, run });
  };
  const newest = (await store.listTurns({ order: 'desc', limit: 50 })).items;
  const sample = newest[Math.floor(newest.length / 2)] ?? newest[0];
  const externalId = sample?.externalId ?? '100000000';
  // A middle part ("telegram:dm:482" of "agent:main:telegram:dm:48213907"): neither its prefix nor its whole.
  const parts = (sample?.sessionKey ?? 'agent:main:telegram:dm:48213907').split(':');
  const sessionPart = `${parts.slice(2, 4).join(':')}:${(parts[4] ?? '').slice(0, 3)}`;
  // A row that failed on its own (not cancelled by an abort): its error group is what a person opens.
  const failed = await store.listOutbox({ status: ['failed_terminal', 'expired'], order: 'desc', limit: 100 });
  const failedRow = failed.items.find((r) => r.lastError !== null);
  // The JS twin of the SQL signature (main/lifecycle/signature.ts): the group a person clicks.
  const signature = failedRow ? errorSignature(failedRow.lastError ?? failedRow.terminalReason) : null;
  const channel = failedRow?.channel ?? 'telegram';
  const since = generatedAt - DAY;

  add(`search turns by external id "${externalId}"`, async () =>
    items(await store.listTurns({ search: externalId, limit: PAGE })),
  );
  add(`search turns by part of a session key "${sessionPart}"`, async () =>
    items(await store.listTurns({ search: sessionPart, limit: PAGE })),
  );
  add('search turns by a word of the text "invoice"', async () =>
    items(await store.listTurns({ search: 'invoice', limit: PAGE })),
  );
  add('search outbox by a word of the text "reminder"', async () =>
    items(await store.listOutbox({ search: 'reminder', limit: PAGE })),
  );
  add('search outbox by an error "bot was blocked"', async () =>
    items(await store.listOutbox({ search: 'bot was blocked', limit: PAGE })),
  );
  const groups = async (sinceMs: number, ch?: string): Promise<string> =>
    `${(await store.errorGroups({ sinceMs, ...(ch ? { channel: ch } : {}) })).length} groups`;
  add('errorGroups 24 h', () => groups(DAY));
  add('errorGroups 7 d', () => groups(7 * DAY));
  add(`errorGroups 24 h, channel ${channel}`, () => groups(DAY, channel));
  add(`errorGroups 7 d, channel ${channel}`, () => groups(7 * DAY, channel));
  add('listTurns dead (24 h)', async () => items(await store.listTurns({ dead: true, limit: PAGE })));
  add('listOutbox dead (24 h)', async () => items(await store.listOutbox({ dead: true, limit: PAGE })));
  add(`countOutbox bulk retry filter (channel ${channel}, pending)`, async () =>
    int(await store.countOutbox({ channel, status: ['queued', 'failed_retryable'] })),
  );
  add(`countOutbox bulk resend filter (channel ${channel}, dead)`, async () =>
    int(await store.countOutbox({ channel, dead: true })),
  );
  add('countTurns filter (failed_terminal, last 24 h)', async () =>
    int(await store.countTurns({ status: ['failed_terminal'], since })),
  );
  add('auditTrail page (100)', async () => items(await store.auditTrail({ limit: PAGE })));
  add('auditTrail page, action retry, by "alice"', async () =>
    items(await store.auditTrail({ action: 'retry', by: 'alice', limit: PAGE })),
  );
  if (signature !== null) {
    add(`listOutbox by signature "${signature.slice(0, 40)}"`, async () =>
      items(await store.listOutbox({ signature, limit: PAGE })),
    );
    add(`countOutbox by signature`, async () => int(await store.countOutbox({ signature })));
  }
  return calls;
}

/** Times each call; a call the store does not have yet is reported as such, not as a figure. */
export async function triageLatencies(
  store: LifecycleStore,
  generatedAt: number,
  options: MeasureOptions,
): Promise<{ results: ReadResult[]; unavailable: string[] }> {
  const results: ReadResult[] = [];
  const unavailable: string[] = [];
  for (const call of await triageCalls(store, generatedAt)) {
    let returned = '';
    try {
      const latency = await measure(async () => (returned = await call.run()), options);
      results.push({ label: call.label, targetMs: call.targetMs, latency, returned });
    } catch (err) {
      unavailable.push(`${call.label}: ${(err as Error).message}`);
    }
  }
  return { results, unavailable };
}

/** The bench section: the generated file (BENCH_TRIAGE_TURNS, default 1M), its triage reads. */
export async function triageSection(turns = envInt('BENCH_TRIAGE_TURNS', 1_000_000)): Promise<ReadResult[]> {
  heading(`triage reads (search, error groups, dead letters, bulk counts, audit): ${int(turns)} turns`);
  const data = ensureReadDb(turns, (line) => console.log(line));
  if (data.generationMs !== null) {
    console.log(`generation of ${int(turns)} turns took ${(data.generationMs / 1000).toFixed(1)} s`);
  }
  const store = SqliteStore.open(data.file, { readOnly: true, now: () => data.generatedAt, optimizeOnClose: false });
  try {
    const { results, unavailable } = await triageLatencies(store, data.generatedAt, {
      runs: 30,
      warmup: 3,
      budgetMs: 3_000,
    });
    console.log(readTable(results));
    for (const u of unavailable) console.log(`not measured (${u})`);
    const missed = results.filter((r) => r.latency.p99 >= TRIAGE_TARGET_MS);
    console.log(
      missed.length === 0
        ? `every triage read < ${TRIAGE_TARGET_MS} ms at p99`
        : `${missed.length} of ${results.length} over ${TRIAGE_TARGET_MS} ms at p99`,
    );
    return results;
  } finally {
    await store.close();
  }
}

if (require.main === module && process.env.NODE_TEST_CONTEXT === undefined) {
  void triageSection().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
