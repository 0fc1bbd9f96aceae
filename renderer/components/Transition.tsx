import { StatusBadge } from './StatusBadge';

/**
 * A history entry's status change. `from` null is an insert ("inserted as queued"); for an
 * INSERT OR REPLACE by a gateway, `from` is the replaced row's status and reads as a change.
 */
export function Transition({ from, to }: { from: string | null; to: string | null }) {
  if (from === null && to === null) return null;
  if (from === null) {
    return (
      <span className="transition">
        <span className="muted">inserted as</span>
        {to !== null && <StatusBadge status={to} />}
      </span>
    );
  }
  if (from === to) {
    // A request that leaves the status as it is (a retry of a waiting send): not "queued → queued".
    return (
      <span className="transition">
        <span className="muted">stays</span>
        <StatusBadge status={from} />
      </span>
    );
  }
  return (
    <span className="transition">
      <StatusBadge status={from} />
      <span aria-label="to">→</span>
      {to !== null ? <StatusBadge status={to} /> : <span className="muted">deleted</span>}
    </span>
  );
}
