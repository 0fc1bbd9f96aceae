/* eslint-disable @typescript-eslint/no-unused-vars */
// STUB: to be implemented (issue 9).
import type { OutboxRow, OutboxStatus, StatusCounts, Turn, TurnStatus, HistoryEntry } from '../../../shared/types';
import type { Liveness, OutboxFilter, OutboxListItem, Page, SeriesPoint, TurnDetail, TurnFilter, TurnListItem } from '../../../shared/views';
import type { AbortResult } from '../../lifecycle/abort';
import type { ExpiryResult } from '../../lifecycle/expiry';
import type { FinalizeOptions, FinalizeResult } from '../../lifecycle/finalize';
import type { Who } from '../../lifecycle/history';
import type { PruneResult } from '../../lifecycle/maintenance';
import type { EnqueueInput, EnqueueResult, FailInput } from '../../lifecycle/outbox';
import type { AcceptInput, AcceptResult } from '../../lifecycle/turns';
import type { RecoveryStore } from '../contract';
import type { PgCore } from './context';

export function operatorAbort(core: PgCore, sessionKey: string, by: string): Promise<AbortResult> {
  throw new Error('not implemented: postgres operatorAbort');
}

export function operatorReplay(core: PgCore, turnId: string, by: string): Promise<void> {
  throw new Error('not implemented: postgres operatorReplay');
}

export function operatorRetry(core: PgCore, rowId: string, by: string): Promise<void> {
  throw new Error('not implemented: postgres operatorRetry');
}

export function operatorTerminate(core: PgCore, rowId: string, by: string): Promise<void> {
  throw new Error('not implemented: postgres operatorTerminate');
}

export function operatorPrune(core: PgCore, by: string): Promise<PruneResult> {
  throw new Error('not implemented: postgres operatorPrune');
}
