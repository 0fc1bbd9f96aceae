import type { BulkAction } from '../../shared/triage';
import type { OutboxFilter, TurnFilter } from '../../shared/views';

// TODO(issue 11, helper D1): "all N matching this filter" — preview, reason, a job with progress.
// The props are the interface the list views (helper D2) use; D1 owns the implementation.

export type BulkByFilterProps =
  | { list: 'turns'; filter: TurnFilter; actions: readonly Extract<BulkAction, 'replay' | 'replay-as-new' | 'abort'>[] }
  | { list: 'outbox'; filter: OutboxFilter; actions: readonly Extract<BulkAction, 'retry' | 'resend' | 'terminate'>[] };

export function BulkByFilter(_props: BulkByFilterProps) {
  return null;
}
