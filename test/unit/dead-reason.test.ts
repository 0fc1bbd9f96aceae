// What "Why stuck" says of failed-for-good work: the attempts only when there were some (a
// turn that failed live has none: the worker never retried it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rowStuckReason, turnStuckReason } from '../../shared/stuck';

const now = Date.UTC(2026, 0, 2);
const dead = {
  status: 'failed_terminal' as const,
  claimOwner: null,
  claimExpiresAt: null,
  completedAt: now - 60_000,
  updatedAt: now - 60_000,
  nextAttemptAt: now,
};

test('a dead turn that failed live: the error, no "after 0 attempts"', () => {
  assert.equal(
    turnStuckReason({ ...dead, attemptCount: 0, terminalReason: 'model overloaded' }, null, now),
    'Failed for good: model overloaded',
  );
  assert.equal(
    turnStuckReason({ ...dead, attemptCount: 2, terminalReason: 'model overloaded' }, null, now),
    'Failed for good: model overloaded after 2 attempts',
  );
});

test('a dead row: its attempts, one in the singular', () => {
  const row = { ...dead, dispatchKind: 'final' as const, terminalReason: 'max_attempts', lastError: 'HTTP 500' };
  assert.equal(rowStuckReason({ ...row, attemptCount: 1 }, now), 'Failed for good: HTTP 500 after 1 attempt');
  assert.equal(rowStuckReason({ ...row, attemptCount: 0 }, now), 'Failed for good: HTTP 500');
});
