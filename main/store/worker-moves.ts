import type { Turn } from '../../shared/types';
import { CLAIM_LAPSED } from '../lifecycle/claims';
import type { MoveOptions } from '../lifecycle/transition';

// The recovery worker's transitions (SPEC "Recovery worker"), the same on both backends. Each
// happens only while no other process holds the turn or row.

/** A pending tool/block row no live send holds is terminalized: never replayed. */
export function nonFinalPrunedMove(now: number): MoveOptions {
  return {
    reason: 'non_final_pruned',
    set: "terminal_reason = 'non_final_pruned'",
    where: CLAIM_LAPSED,
    whereArgs: [now],
  };
}

/** A turn the worker ends as failed_terminal (superseded, unroutable, out of attempts). */
export function endTurnMove(reason: string, now: number): MoveOptions {
  return { reason, where: CLAIM_LAPSED, whereArgs: [now] };
}

/**
 * SPEC "Poison turns": claim = attempt. Running, attempt_count + 1, held by `owner` until
 * `until`, if the turn is still due and free.
 */
export function claimTurnMove(turn: Turn, owner: string, now: number, until: number): MoveOptions {
  return {
    reason: `replay attempt ${turn.attemptCount + 1}`,
    set: 'attempt_count = attempt_count + 1, claim_owner = ?, claim_expires_at = ?',
    args: [owner, until],
    where: `next_attempt_at <= ? AND ${CLAIM_LAPSED}`,
    whereArgs: [now, now],
  };
}
