import type { HistoryEntry } from '../../shared/types';
import { formatTime } from '../format';
import { ShortId } from './ShortId';
import { changeWords, lastFailureIndex } from './timeline-words';
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

/**
 * The history of a turn and its rows: time, actor, from → to (or "stays queued"), the event in
 * words where the statuses do not say it ("retry scheduled", "attempt 2 failed") before the
 * reason, the operator's note, the bulk job. `nextAttempt` gives a pending row's next try, said at its last failure.
 */
export function Timeline({
  entries,
  nextAttempt,
}: {
  entries: HistoryEntry[];
  nextAttempt?: (rowId: string) => number | null;
}) {
  if (entries.length === 0) return <p className="muted">No history recorded.</p>;
  const words = changeWords(entries);
  const lastFailure = lastFailureIndex(entries);
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((e, i) => {
        const w = words[i]!;
        const next = e.entityId && lastFailure.get(e.entityId) === i ? (nextAttempt?.(e.entityId) ?? null) : null;
        return (
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
                {w.event && <strong className="event">{`${w.event}${e.reason ? ': ' : ''}`}</strong>}
                {e.reason ?? ''}
                {next !== null && (
                  <span className="next-try">{`${e.reason ? ', ' : ''}next try at ${formatTime(next)}`}</span>
                )}
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
        );
      })}
    </ol>
  );
}
