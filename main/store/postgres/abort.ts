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

export function abortSession(core: PgCore, sessionKey: string, who: Who): Promise<AbortResult> {
  throw new Error('not implemented: postgres abortSession');
}
