import type { HistoryEntry } from '../../shared/types';

/** What a timeline entry's change means, when its statuses alone do not say it. */
export interface ChangeWords {
  /** The event in words ("retry scheduled", "attempt 3 failed"); null: the statuses say it. */
  event: string | null;
  /** True when the status stayed the same ("stays queued", not "queued → queued"). */
  same: boolean;
}

type Entry = Pick<HistoryEntry, 'kind' | 'entityId' | 'fromStatus' | 'toStatus' | 'actor' | 'action' | 'reason'>;

const FAILED = new Set(['failed_retryable', 'failed_terminal']);

/** A request a person made (retry now, replay): the row or turn keeps its status until it runs. */
function requestWords(e: Entry): string | null {
  if (e.action === 'retry' || /^retry now requested/.test(e.reason ?? '')) return 'retry scheduled';
  if (e.action === 'replay' || /^replay requested/.test(e.reason ?? '')) return 'replay scheduled';
  return null;
}

/**
 * The words for each entry, in order. A send's failure is counted per row ("attempt 2 failed"):
 * a row's attempt is counted when its outcome is recorded, so the n-th failure recorded for a row
 * by its sender (not a person's request) is its n-th failed attempt.
 */
export function changeWords(entries: readonly Entry[]): ChangeWords[] {
  const failures = new Map<string, number>();
  return entries.map((e) => {
    const same = e.fromStatus !== null && e.fromStatus === e.toStatus;
    const request = e.actor === 'operator' || e.action ? requestWords(e) : null;
    if (request) return { event: request, same };
    if (e.kind === 'outbox' && e.toStatus !== null && FAILED.has(e.toStatus) && e.actor !== 'operator') {
      const key = e.entityId ?? '';
      const n = (failures.get(key) ?? 0) + 1;
      failures.set(key, n);
      return { event: `attempt ${n} failed`, same };
    }
    return { event: null, same };
  });
}

/** The index of each row's last failure entry: where "next try at …" belongs. */
export function lastFailureIndex(entries: readonly Entry[]): Map<string, number> {
  const last = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.kind === 'outbox' && e.entityId && e.toStatus === 'failed_retryable' && e.actor !== 'operator') {
      last.set(e.entityId, i);
    }
  });
  return last;
}
