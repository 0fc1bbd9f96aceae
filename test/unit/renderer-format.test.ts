import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { buildSync } from 'esbuild';
import { newId } from '../../main/lifecycle/ids';

// The renderer's pure helpers (renderer/ is checked by tsconfig.web.json, not built by tsc -b):
// bundled from their source with the renderer's own bundler, then loaded as a module.

const ROOT = path.resolve(__dirname, '..', '..', '..');

function load<T>(entry: string): T {
  const out = buildSync({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  // Bundled whole (nothing left to require): run it as a CommonJS module body.
  const mod = { exports: {} as T };
  new Function('module', 'exports', out.outputFiles[0]!.text)(mod, mod.exports);
  return mod.exports;
}

// Their signatures, restated: tsc -b cannot see renderer/ (the web typecheck checks the sources).
interface Entry {
  kind: 'turn' | 'outbox' | 'action';
  entityId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  actor: string;
  action: string | null;
  reason: string | null;
}
const { shortId, formatNumber } = load<{ shortId(id: string): string; formatNumber(n: number): string }>(
  'renderer/format.ts',
);
const { changeWords, lastFailureIndex } = load<{
  changeWords(entries: Entry[]): { event: string | null; same: boolean }[];
  lastFailureIndex(entries: Entry[]): Map<string, number>;
}>('renderer/components/timeline-words.ts');

test('shortId: time-ordered ids of one second stay distinct, keep their start and end', () => {
  const t0 = Date.UTC(2026, 11, 1, 20, 30, 0);
  // Two pages of a list, written within one second: their ids share the first 9 characters.
  const ids = Array.from({ length: 200 }, (_, i) => newId(t0 + Math.floor((i * 1000) / 200)));
  assert.equal(new Set(ids.map((id) => id.slice(0, 9))).size, 1, 'the ids share their head, as in the issue');
  const short = ids.map((id) => shortId(id));
  assert.equal(new Set(short).size, ids.length, 'every shortened id is distinct');
  for (const [i, s] of short.entries()) {
    const id = ids[i]!;
    assert.ok(s.length <= 16, s);
    const [head, tail] = s.split('…');
    assert.ok(id.startsWith(head!) && id.endsWith(tail!), `${s} is ${id}'s start and end`);
  }
  // The case: ids of one millisecond cut at the end ("01a230c8-35ef-70…") read alike.
  const burst = Array.from({ length: 50 }, () => newId(t0));
  assert.ok(new Set(burst.map((id) => id.slice(0, 16))).size <= 16);
  assert.equal(new Set(burst.map((id) => shortId(id))).size, burst.length);
});

test('shortId: short ids are shown whole', () => {
  assert.equal(shortId('turn-0001'), 'turn-0001');
  assert.equal(shortId('0123456789abcdef'), '0123456789abcdef');
  assert.equal(shortId(''), '');
});

test('formatNumber: one format for every count', () => {
  assert.equal(formatNumber(1_000_000), '1,000,000');
  assert.equal(formatNumber(2_984_186), '2,984,186');
  assert.equal(formatNumber(0), '0');
});

const entry = (e: Partial<Entry>): Entry => ({
  kind: 'outbox',
  entityId: 'row-1',
  fromStatus: null,
  toStatus: null,
  actor: 'gateway',
  action: null,
  reason: null,
  ...e,
});

test('timeline words: a retry is scheduled, failures are numbered per row, never "queued → queued"', () => {
  const entries = [
    entry({ toStatus: 'queued' }),
    entry({ fromStatus: 'queued', toStatus: 'failed_retryable', reason: '502 Bad Gateway' }),
    entry({ entityId: 'row-2', fromStatus: 'queued', toStatus: 'failed_retryable', reason: 'timeout' }),
    entry({ fromStatus: 'failed_retryable', toStatus: 'failed_retryable', actor: 'worker', reason: 'ETIMEDOUT' }),
    entry({
      fromStatus: 'failed_retryable',
      toStatus: 'failed_retryable',
      actor: 'operator',
      action: 'retry',
      reason: 'retry now requested by operator',
    }),
    entry({ entityId: 'row-3', fromStatus: 'queued', toStatus: 'queued', actor: 'operator', action: 'retry' }),
    entry({ kind: 'turn', entityId: 't', fromStatus: 'running', toStatus: 'running' }),
    entry({ kind: 'turn', entityId: 't', fromStatus: 'running', toStatus: 'delivery_pending' }),
  ];
  assert.deepEqual(changeWords(entries), [
    { event: null, same: false },
    { event: 'attempt 1 failed', same: false },
    { event: 'attempt 1 failed', same: false },
    { event: 'attempt 2 failed', same: true },
    { event: 'retry scheduled', same: true },
    { event: 'retry scheduled', same: true },
    { event: null, same: true },
    { event: null, same: false },
  ]);
  // "next try at" belongs to each row's last failure by its sender, not to the operator's retry.
  assert.deepEqual([...lastFailureIndex(entries)].sort(), [
    ['row-1', 3],
    ['row-2', 2],
  ]);
});
