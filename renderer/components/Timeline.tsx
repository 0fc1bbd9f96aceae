import type { HistoryEntry } from '../../shared/types';
import { formatTime } from '../format';
import { StatusBadge } from './StatusBadge';

/** The history of a turn and its rows: time, actor, from → to, reason. */
export function Timeline({ entries }: { entries: HistoryEntry[] }) {
  if (entries.length === 0) return <p className="muted">No history recorded.</p>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((e) => (
        <li key={e.id} className={`timeline-item by-${e.actor}`}>
          <time dateTime={new Date(e.at).toISOString()}>{formatTime(e.at)}</time>
          <span className={`actor actor-${e.actor}`}>{e.actor}</span>
          <span className="subject">
            {e.kind === 'outbox' ? `row ${e.entityId ?? ''}` : e.kind === 'turn' ? 'turn' : 'action'}
          </span>
          <span className="transition">
            {e.fromStatus ? <StatusBadge status={e.fromStatus} /> : <span className="muted">new</span>}
            <span aria-label="to">→</span>
            {e.toStatus ? <StatusBadge status={e.toStatus} /> : <span className="muted">—</span>}
          </span>
          <span className="reason">{e.reason ?? ''}</span>
          {e.by && <span className="by muted">{e.by}</span>}
        </li>
      ))}
    </ol>
  );
}
