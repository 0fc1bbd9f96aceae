import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Lifecycle } from '../../main/lifecycle';
import { tempDir } from '../helpers/temp-db';
import { readDbFile } from './generate';
import { table } from './stats';

// The triage reads of issue 11 on the 1M-turn bench file (3M rows) at schema v5: full-text
// searches, error groups, dead work, a group's members, exact counts, the audit. Each the
// median of a few runs after one warm-up, beside its target (< 50 ms). The cached file is v4:
// it is copied, the copy migrated and its search index backfilled (each printed), or pass the path
// of a copy already migrated. Run: node dist/test/bench/triage-reads.js [migrated.db]

const TARGET_MS = 50;
const RUNS = 5;

function prepare(arg: string | undefined): string {
  if (arg) return arg;
  const src = readDbFile(1_000_000);
  const file = path.join(tempDir('lifecycle-triage-reads-'), 'bench.db');
  let t = performance.now();
  fs.copyFileSync(src, file);
  console.log(`copied ${src} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  const lc = Lifecycle.open(file);
  console.log(`migrated v4 → v5 in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  // The migration leaves the rows already there to the background backfill: done here at once.
  t = performance.now();
  const n = lc.backfillSearchNow();
  const s = (performance.now() - t) / 1000;
  console.log(`search index backfilled: ${n.toLocaleString('en-US')} rows in ${s.toFixed(1)} s (unpaced)`);
  lc.close();
  return file;
}

function median(fn: () => unknown): { ms: number; result: unknown } {
  let result = fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    result = fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, result };
}

function main(): void {
  const file = prepare(process.argv[2]);
  const probe = Lifecycle.open(file, { readOnly: true });
  const at = probe.db.prepare('SELECT max(accepted_at) AS m FROM message_turns').get() as { m: number };
  const sample = probe.db
    .prepare(
      `SELECT id, external_id AS ext, session_key AS session FROM message_turns WHERE rowid = (SELECT max(rowid) / 2 FROM message_turns)`,
    )
    .get() as { id: string; ext: string; session: string };
  probe.close();
  const lc = Lifecycle.open(file, { readOnly: true, now: () => at.m + 60_000 });
  const group = lc.errorGroups({ subject: 'outbox', limit: 1 })[0];
  const cases: [string, () => unknown, (r: unknown) => string][] = [
    ['search turns by external id', () => lc.listTurns({ search: sample.ext, order: 'desc', limit: 50 }), items],
    [
      'search turns by a middle part of a session key',
      () => lc.listTurns({ search: sample.session.slice(6, 18), order: 'desc', limit: 50 }),
      items,
    ],
    [
      'search turns by a word of the text',
      () => lc.listTurns({ search: 'deploy fail', order: 'desc', limit: 50 }),
      items,
    ],
    [
      'search turns, 2nd page',
      () => {
        const p = lc.listTurns({ search: 'deploy fail', order: 'desc', limit: 50 });
        return lc.listTurns({ search: 'deploy fail', order: 'desc', limit: 50, cursor: p.nextCursor });
      },
      items,
    ],
    [
      'search outbox by an error',
      () => lc.listOutbox({ search: 'blocked by the user', order: 'desc', limit: 50 }),
      items,
    ],
    ['error groups, 24 h', () => lc.errorGroups({}), (r) => `${(r as unknown[]).length} groups`],
    [
      'error groups, 7 d, one channel',
      () => lc.errorGroups({ sinceMs: 7 * 86_400_000, channel: 'telegram' }),
      (r) => `${(r as unknown[]).length} groups`,
    ],
    [
      'a group’s members (signature filter)',
      () => lc.listOutbox({ signature: group?.signature ?? '', channel: group?.channel, order: 'desc', limit: 50 }),
      items,
    ],
    ['dead rows (list)', () => lc.listOutbox({ dead: true, order: 'desc', limit: 50 }), items],
    ['dead turns (list)', () => lc.listTurns({ dead: true, order: 'desc', limit: 50 }), items],
    [
      'status() with dead counts',
      () => lc.status(),
      (r) => {
        const s = r as { deadTurns: number; deadOutbox: number };
        return `${s.deadTurns} dead turns, ${s.deadOutbox} dead rows`;
      },
    ],
    ['count: a group (bulk preview)', () => lc.countOutbox({ signature: group?.signature ?? '' }), String],
    ['count: dead rows', () => lc.countOutbox({ dead: true }), String],
    ['count: search matches', () => lc.countTurns({ search: 'deploy fail' }), String],
    ['count: delivered turns (broad)', () => lc.countTurns({ status: ['delivered'] }), String],
    ['count: all rows of a channel (broad)', () => lc.countOutbox({ channel: 'telegram' }), String],
    ['audit page', () => lc.auditTrail({ limit: 100 }), items],
  ];
  const rows = cases.map(([label, fn, describe]) => {
    const { ms, result } = median(fn);
    return [label, ms.toFixed(1), ms < TARGET_MS ? `< ${TARGET_MS}` : `over ${TARGET_MS}`, describe(result)];
  });
  lc.close();
  console.log(`triage reads on ${file} (median of ${RUNS})`);
  console.log(table(['query', 'ms', 'target', 'result'], rows));
}

const items = (r: unknown): string => `${(r as { items: unknown[] }).items.length} items`;

main();
