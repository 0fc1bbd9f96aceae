import type { HistoryEntry } from '../../shared/types';
import { formatTime } from '../format';
import { ShortId } from './ShortId';
import { Transition } from './Transition';

/** A gateway's plain-SQL write, recorded by the file's triggers: no process is known. */
export function isDirectSql(e: Pick<HistoryEntry, 'actor' | 'by'>): boolean {
  return e.actor === 'gateway' && e.by === null;
}

export function Actor({ entry }: { entry: Pick<HistoryEntry, 'actor' | 'by'> }) {
  if (isDirectSql(entry)) {
    return (
      <span
        className="actor actor-gateway"
        title="A gateway wrote this with plain SQL; the file's triggers recorded it, without who or why"
      >
        gateway <span className="actor-note">(direct SQL)</span>
      </span>
    );
  }
  return <span className={`actor actor-${entry.actor}`}>{entry.actor}</span>;
}

/** The history of a turn and its rows: time, actor, from → to, reason, the operator's note, the bulk job. */
export function Timeline({ entries }: { entries: HistoryEntry[] }) {
  if (entries.length === 0) return <p className="muted">No history recorded.</p>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((e) => (
        <li
          key={e.id}
          className={`timeline-item by-${e.actor}${isDirectSql(e) ? ' direct-sql' : ''}`}
          data-actor={e.actor}
        >
          <time dateTime={new Date(e.at).toISOString()}>{formatTime(e.at)}</time>
          <Actor entry={e} />
          <span className="subject">
            {e.kind === 'outbox' ? (
              <>
                row <ShortId id={e.entityId ?? ''} />
              </>
            ) : e.kind === 'turn' ? (
              'turn'
            ) : (
              'action'
            )}
          </span>
          <span className="change">
            <Transition from={e.fromStatus} to={e.toStatus} />
            {/* One grid cell: the operator's note and the bulk job read as part of the reason. */}
            <span className="reason">
              {e.reason ?? ''}
              {e.note && (
                <q className="note" title="The reason the operator gave">
                  {e.note}
                </q>
              )}
              {e.jobId && (
                <span className="job muted" title={`Done by the bulk job ${e.jobId}, by filter`}>
                  bulk job <ShortId id={e.jobId} />
                </span>
              )}
            </span>
          </span>
          {e.by && <span className="by muted">{e.by}</span>}
        </li>
      ))}
    </ol>
  );
}
