import { createColumnHelper } from '@tanstack/react-table';
import { formatNumber } from '../format';
import { NONE } from './Time';
import { StatusBadge } from './StatusBadge';

interface Listed {
  status: string;
  attemptCount: number;
  stuckReason: string | null;
}

/** The columns the Turns and Outbox tables share: status, attempts, and why a row is stuck. */
export function sharedColumns<T extends Listed>() {
  const col = createColumnHelper<T>();
  return {
    status: col.accessor((r) => r.status, {
      id: 'status',
      header: 'Status',
      size: 150,
      cell: (c) => <StatusBadge status={c.getValue()} />,
    }),
    attempts: col.accessor((r) => r.attemptCount, {
      id: 'attemptCount',
      header: 'Attempts',
      size: 92,
      cell: (c) => <span className="num">{formatNumber(c.getValue())}</span>,
    }),
    /** The table's flex column: it takes the remaining width. */
    stuckReason: col.accessor((r) => r.stuckReason, {
      id: 'stuckReason',
      header: 'Why stuck',
      size: 380,
      cell: (c) => (c.getValue() ? <span className="stuck-reason">{c.getValue()}</span> : NONE),
    }),
  };
}
