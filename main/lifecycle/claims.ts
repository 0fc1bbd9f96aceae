import type { Core } from './context';

// SPEC "Who writes the file": a claim (owner + expiry) has one owner. Only its holder, or
// anyone once it lapsed, may renew, shorten or release it. These fragments put that rule into
// the UPDATE itself, so it holds whatever another process did since the row was read.

/** The row is unclaimed, ours, or its claim lapsed; binds (owner, now). */
export const CLAIM_OURS_OR_FREE =
  '(claim_owner IS NULL OR claim_owner = ? OR claim_expires_at IS NULL OR claim_expires_at <= ?)';

/** Nobody holds the row right now; binds (now). */
export const CLAIM_LAPSED = '(claim_expires_at IS NULL OR claim_expires_at <= ?)';

/** SET fragment: releases the claim if we may, else leaves the holder's claim as it is. */
export const RELEASE_CLAIM = `claim_owner = CASE WHEN ${CLAIM_OURS_OR_FREE} THEN NULL ELSE claim_owner END,
  claim_expires_at = CASE WHEN ${CLAIM_OURS_OR_FREE} THEN NULL ELSE claim_expires_at END`;

/** Arguments of RELEASE_CLAIM. */
export function releaseArgs(core: Pick<Core, 'owner'>, now: number): unknown[] {
  return [core.owner, now, core.owner, now];
}

/**
 * SET fragment: takes (or keeps) the claim until `until`; our own claim is only ever extended,
 * never shortened. Binds (owner, until, owner, until). Pair it with CLAIM_OURS_OR_FREE in WHERE.
 */
export const TAKE_CLAIM = `claim_expires_at = CASE WHEN claim_owner = ? THEN max(coalesce(claim_expires_at, 0), ?) ELSE ? END,
  claim_owner = ?`;

export function takeArgs(core: Pick<Core, 'owner'>, until: number): unknown[] {
  return [core.owner, until, until, core.owner];
}

/**
 * How long a worker holds what it works on: the longest its handler may run, plus the live
 * lease as the margin to record the outcome (which may wait up to busy_timeout for the lock).
 */
export function workerLeaseMs(core: Pick<Core, 'config'>): number {
  return core.config.handlerTimeoutMs + core.config.liveLeaseMs;
}
