import { FINAL_KIND, OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES } from '../../shared/types';
import { STUCK_RULE, type StuckThresholds } from '../../shared/stuck';
import { sqlList } from './context';

// SQL for rules of the SPEC whose definition lives in shared/ (so the renderer, the CLI and the
// queries agree): built from that definition, never written out again.

/** SQL lists of the SPEC's open turn statuses and pending row statuses (shared/types.ts). */
export const ACTIVE_TURN_SQL = sqlList(TURN_ACTIVE_STATUSES);
export const PENDING_ROW_SQL = sqlList(OUTBOX_PENDING_STATUSES);

/** A final row (SPEC "Finalizing a turn"): `alias` qualifies the column (e.g. 'o'). */
export function finalRowSql(alias = ''): string {
  const c = `${alias ? `${alias}.` : ''}dispatch_kind`;
  return `(${c} IS NULL OR ${c} = '${FINAL_KIND}')`;
}

function stuckSql(rule: (typeof STUCK_RULE)[keyof typeof STUCK_RULE], param: string): string {
  return `status IN (${sqlList(rule.statuses)}) AND (attempt_count > 0 OR ${rule.column} < @${param})`;
}

/** SPEC "Stuck" for turns and rows; bind `stuckParams`. */
export const STUCK_TURN_SQL = stuckSql(STUCK_RULE.turn, 'stuckBefore');
export const STUCK_ROW_SQL = stuckSql(STUCK_RULE.row, 'overdueBefore');

export function stuckParams(now: number, th: StuckThresholds): { stuckBefore: number; overdueBefore: number } {
  return { stuckBefore: now - th[STUCK_RULE.turn.threshold], overdueBefore: now - th[STUCK_RULE.row.threshold] };
}
