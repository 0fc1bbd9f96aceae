import { humanStatus } from '../format';
import { toneOf } from './status-tones';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge tone-${toneOf(status)}`} data-status={status}>
      {humanStatus(status)}
    </span>
  );
}
