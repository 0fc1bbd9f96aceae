import type { BlockingRow } from '../../../../shared/stuck';
import { blockingSql, firstPerTurn } from '../../../lifecycle/queries/blocking';
import type { Tx } from '../context';

/** The final row that decides each turn: one query for a whole page of turns, never one per turn. */
export async function blockingRows(t: Tx, turnIds: readonly string[]): Promise<Map<string, BlockingRow>> {
  if (turnIds.length === 0) return new Map();
  const rows = await t.all<BlockingRow & { turnId: string }>(blockingSql('= ANY($1::text[])'), [[...turnIds]]);
  return firstPerTurn(rows);
}
