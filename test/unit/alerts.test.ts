// The alert rules (shared/alerts.ts): when a condition fires, at most once per interval, and
// what a notice may hold. Pure: plain values in, plain values out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALERT_CONDITIONS,
  DEFAULT_ALERT_SETTINGS,
  checkNotice,
  cleanNotice,
  emptyAlertMemory,
  evaluate,
  mergeFired,
  parseAlertSettings,
  stuckBadge,
  testNotice,
  type AlertMemory,
  type AlertNotice,
  type AlertSettings,
  type AlertSnapshot,
} from '../../shared/alerts';
import { OUTBOX_STATUSES, TURN_STATUSES, type StatusCounts } from '../../shared/types';
import type { Liveness, WorkerBeat } from '../../shared/views';

const MIN = 60_000;

function counts(over: Partial<StatusCounts> = {}): StatusCounts {
  return {
    turns: Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as StatusCounts['turns'],
    outbox: Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as StatusCounts['outbox'],
    otherTurns: {},
    otherOutbox: {},
    stuckTurns: 0,
    stuckOutbox: 0,
    deadTurns: 0,
    deadOutbox: 0,
    at: 0,
    ...over,
  };
}

function beat(alive: boolean): WorkerBeat {
  return {
    owner: 'w1',
    host: 'h',
    pid: 1,
    startedAt: 0,
    lastPassAt: 0,
    nextPassAt: 0,
    stoppedAt: null,
    alive,
    self: false,
    canDeliver: true,
    canReplay: true,
  };
}

function liveness(alive: boolean | null): Liveness {
  return {
    now: 0,
    workers: alive === null ? [] : [beat(alive)],
    nextPassAt: null,
    lastWriteAt: null,
    lastExternalWriteAt: null,
    banner: null,
    inferred: null,
  };
}

const ON: AlertSettings = { ...DEFAULT_ALERT_SETTINGS, enabled: true, stuckTurns: 10, stuckOutbox: null };

/** Feeds a sequence of snapshots (one a minute unless `at` says) and collects every notice. */
function run(
  settings: AlertSettings,
  steps: Array<Partial<AlertSnapshot> & { at?: number }>,
  memory: AlertMemory = emptyAlertMemory(),
): { fired: Array<AlertNotice & { at: number }>; memory: AlertMemory } {
  const fired: Array<AlertNotice & { at: number }> = [];
  let m = memory;
  steps.forEach((step, i) => {
    const at = step.at ?? i * MIN;
    const r = evaluate(
      settings,
      { counts: step.counts ?? null, liveness: step.liveness ?? null, source: step.source ?? 'message-lifecycle.db' },
      m,
      at,
    );
    m = r.memory;
    for (const n of r.notices) fired.push({ ...n, at });
  });
  return { fired, memory: m };
}

const stuck = (n: number): Partial<AlertSnapshot> => ({ counts: counts({ stuckTurns: n }) });

test('crossing the threshold fires once, with a plain-text notice naming the count, the threshold and the file', () => {
  const { fired } = run(ON, [stuck(3), stuck(9), stuck(12), stuck(15), stuck(40)]);
  assert.deepEqual(fired, [
    {
      condition: 'stuck-turns',
      title: 'Stuck turns',
      body: '12 stuck turns (threshold 10) in message-lifecycle.db',
      at: 2 * MIN,
    },
  ]);
});

test('at the threshold counts as above; one below does not fire', () => {
  assert.equal(run(ON, [stuck(0), stuck(9), stuck(9)]).fired.length, 0);
  assert.equal(run(ON, [stuck(0), stuck(10)]).fired.length, 1);
});

test('a condition that flaps within the interval fires once; after the interval a new crossing fires again', () => {
  const flaps = run(ON, [stuck(0), stuck(11), stuck(2), stuck(12), stuck(1), stuck(13)]);
  assert.equal(flaps.fired.length, 1, 'flapping within 15 min: one notice');

  const later = run(ON, [
    { ...stuck(0), at: 0 },
    { ...stuck(11), at: 1 * MIN },
    { ...stuck(2), at: 5 * MIN },
    { ...stuck(12), at: 15 * MIN + 999 }, // still within 15 min of the first notice (1 min + 15 min)
    { ...stuck(1), at: 17 * MIN },
    { ...stuck(14), at: 17 * MIN + 1 }, // 16 min after the first: a new crossing fires
  ]);
  assert.deepEqual(
    later.fired.map((n) => [n.at, n.body]),
    [
      [1 * MIN, '11 stuck turns (threshold 10) in message-lifecycle.db'],
      [17 * MIN + 1, '14 stuck turns (threshold 10) in message-lifecycle.db'],
    ],
  );
});

test('a condition that stays above does not fire again, however long it stays', () => {
  const steps = [stuck(0), ...Array.from({ length: 200 }, (_, i) => stuck(20 + i))];
  assert.equal(run(ON, steps).fired.length, 1);
});

test('the first observation counts as coming from below: opening the app over the threshold tells once', () => {
  assert.equal(run(ON, [stuck(25), stuck(25)]).fired.length, 1);
  // Counts not known yet (null) are no observation: they neither fire nor reset the state.
  const { fired } = run(ON, [{ counts: null }, stuck(25), { counts: null }, stuck(26)]);
  assert.equal(fired.length, 1);
});

test('disabled, or a threshold off: nothing fires; turning it on starts watching afresh but the interval still holds', () => {
  assert.equal(run({ ...ON, enabled: false }, [stuck(0), stuck(50)]).fired.length, 0);
  assert.equal(run({ ...ON, stuckTurns: null }, [stuck(0), stuck(50)]).fired.length, 0);

  // On, fires at 1 min; turned off and on again at 3 min while above: still within the interval.
  const a = run(ON, [stuck(0), stuck(50)]);
  const off = evaluate(
    { ...ON, enabled: false },
    { ...stuck(50), counts: counts({ stuckTurns: 50 }), liveness: null, source: 'x' },
    a.memory,
    2 * MIN,
  );
  assert.equal(off.memory['stuck-turns'].above, null, 'off keeps no above state');
  assert.equal(off.memory['stuck-turns'].firedAt, 1 * MIN, 'off keeps when it fired');
  const back = evaluate(ON, { counts: counts({ stuckTurns: 50 }), liveness: null, source: 'x' }, off.memory, 3 * MIN);
  assert.equal(back.notices.length, 0, 'toggling buys no extra notice within the interval');
  const muchLater = evaluate(
    { ...ON, enabled: false },
    { counts: counts({ stuckTurns: 50 }), liveness: null, source: 'x' },
    back.memory,
    30 * MIN,
  );
  const again = evaluate(
    ON,
    { counts: counts({ stuckTurns: 50 }), liveness: null, source: 'x' },
    muchLater.memory,
    31 * MIN,
  );
  assert.equal(again.notices.length, 1, 'turned on again after the interval while above: told once');
});

test('lowering a threshold below the count is a crossing', () => {
  const a = run(ON, [stuck(7)]);
  assert.equal(a.fired.length, 0);
  const b = evaluate(
    { ...ON, stuckTurns: 5 },
    { counts: counts({ stuckTurns: 7 }), liveness: null, source: 'f.db' },
    a.memory,
    MIN,
  );
  assert.equal(b.notices[0]?.body, '7 stuck turns (threshold 5) in f.db');
});

test('each condition is its own: stuck outbox rows, failed for good (turns + outbox), no worker', () => {
  const all: AlertSettings = {
    enabled: true,
    stuckTurns: 5,
    stuckOutbox: 3,
    deadLetters: 4,
    noWorker: true,
    intervalMs: 15 * MIN,
  };
  const { fired } = run(all, [
    { counts: counts(), liveness: liveness(true) },
    { counts: counts({ stuckOutbox: 3 }), liveness: liveness(true) },
    { counts: counts({ stuckOutbox: 3, deadTurns: 1, deadOutbox: 3 }), liveness: liveness(true) },
    { counts: counts({ stuckOutbox: 4, deadTurns: 2, deadOutbox: 3, stuckTurns: 1 }), liveness: liveness(false) },
    { counts: counts({ stuckOutbox: 4, deadTurns: 2, deadOutbox: 3, stuckTurns: 1 }), liveness: liveness(null) },
  ]);
  assert.deepEqual(
    fired.map((n) => [n.at / MIN, n.condition, n.title, n.body]),
    [
      [1, 'stuck-outbox', 'Stuck outbox rows', '3 stuck outbox rows (threshold 3) in message-lifecycle.db'],
      [2, 'dead-letters', 'Failed for good', '4 items failed for good (threshold 4) in message-lifecycle.db'],
      [
        3,
        'no-worker',
        'No recovery worker alive',
        'No recovery worker is alive in message-lifecycle.db: replays and retries wait until one runs.',
      ],
    ],
  );
});

test('no worker: alive → none alive fires; no liveness known yet is no observation', () => {
  const s: AlertSettings = {
    ...DEFAULT_ALERT_SETTINGS,
    enabled: true,
    stuckTurns: null,
    stuckOutbox: null,
    noWorker: true,
  };
  const { fired } = run(s, [
    { liveness: liveness(true) },
    { liveness: null },
    { liveness: liveness(true) },
    { liveness: liveness(false) },
    { liveness: liveness(false) },
  ]);
  assert.deepEqual(
    fired.map((n) => [n.condition, n.at]),
    [['no-worker', 3 * MIN]],
  );
});

test('another tab that fired later keeps this one quiet (the latest firing wins)', () => {
  const a = run(ON, [stuck(0)]);
  const merged = mergeFired(a.memory, { 'stuck-turns': 2 * MIN, 'stuck-outbox': 'x' as unknown as number });
  assert.equal(merged['stuck-turns'].firedAt, 2 * MIN);
  assert.equal(merged['stuck-outbox'].firedAt, null);
  const r = evaluate(ON, { counts: counts({ stuckTurns: 11 }), liveness: null, source: 'x' }, merged, 3 * MIN);
  assert.equal(r.notices.length, 0);
});

test('a file name with markup or control characters is made plain; long ones are cut to the limits', () => {
  const { fired } = run(ON, [{ ...stuck(11), source: '<b>evil</b>&\u0007.db' }]);
  const body = fired[0]?.body ?? '';
  assert.equal(body, '11 stuck turns (threshold 10) in ‹b›evil‹/b›+ .db');
  assert.equal(checkNotice(fired[0] && { condition: fired[0].condition, title: fired[0].title, body }).ok, true);

  const long = cleanNotice({ condition: 'no-worker', title: 'x'.repeat(500), body: '😀'.repeat(600) });
  assert.equal([...long.title].length, 120);
  assert.equal([...long.body].length, 500);
  assert.ok(long.body.endsWith('…') && !/[\uD800-\uDBFF]…$/.test(long.body), 'no surrogate pair is split');
  assert.equal(checkNotice(long).ok, true);
  assert.equal(checkNotice(testNotice('message-lifecycle.db')).ok, true);
});

test('checkNotice: the condition enum, title 1–120, body ≤ 500, plain text, no other fields', () => {
  const good = { condition: 'stuck-turns', title: 'Stuck turns', body: '12 stuck turns\nsecond line' };
  assert.deepEqual(checkNotice(good), { ok: true, notice: good });
  for (const c of ALERT_CONDITIONS) assert.equal(checkNotice({ ...good, condition: c }).ok, true);
  const bad: unknown[] = [
    null,
    'a string',
    [good],
    { ...good, condition: 'anything' },
    { ...good, condition: undefined },
    { ...good, title: '' },
    { ...good, title: 'x'.repeat(121) },
    { ...good, body: 'x'.repeat(501) },
    { ...good, body: 42 },
    { ...good, title: '<img src=x onerror=alert(1)>' },
    { ...good, body: 'a &amp; b' },
    { ...good, body: 'bell\u0007' },
    { ...good, body: 'rtl\u2028' },
    { ...good, icon: 'file:///etc/passwd' },
  ];
  for (const b of bad) {
    const r = checkNotice(b);
    assert.equal(r.ok, false, JSON.stringify(b));
    assert.ok(!r.ok && r.message.length > 0);
  }
  assert.equal(checkNotice({ ...good, title: 'x'.repeat(120), body: 'y'.repeat(500) }).ok, true);
});

test('stored settings: each bad field falls back to its default, the others are kept', () => {
  assert.deepEqual(parseAlertSettings(null), DEFAULT_ALERT_SETTINGS);
  assert.deepEqual(parseAlertSettings('nonsense'), DEFAULT_ALERT_SETTINGS);
  assert.equal(DEFAULT_ALERT_SETTINGS.enabled, false, 'off until a person turns it on');
  assert.equal(DEFAULT_ALERT_SETTINGS.intervalMs, 15 * MIN);
  assert.deepEqual(
    parseAlertSettings({
      enabled: true,
      stuckTurns: 3,
      stuckOutbox: null,
      deadLetters: -1,
      noWorker: 'yes',
      intervalMs: 7,
    }),
    { ...DEFAULT_ALERT_SETTINGS, enabled: true, stuckTurns: 3, stuckOutbox: null },
  );
  assert.equal(parseAlertSettings({ stuckTurns: 2.5 }).stuckTurns, DEFAULT_ALERT_SETTINGS.stuckTurns);
  assert.equal(parseAlertSettings({ intervalMs: 60 * MIN }).intervalMs, 60 * MIN);
});

test('the badge: stuck turns + stuck outbox rows, and the tray tooltip says it', () => {
  assert.deepEqual(stuckBadge(null), { count: 0, tooltip: 'Lifecycle Desk' });
  assert.deepEqual(stuckBadge({ stuckTurns: 0, stuckOutbox: 0 }), { count: 0, tooltip: 'Lifecycle Desk — 0 stuck' });
  assert.deepEqual(stuckBadge({ stuckTurns: 1200, stuckOutbox: 34 }), {
    count: 1234,
    tooltip: 'Lifecycle Desk — 1,234 stuck',
  });
});
