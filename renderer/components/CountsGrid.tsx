import { formatNumber, humanStatus } from '../format';
import { toneOf } from './status-tones';

export interface CountItem {
  /** Stable key, also the test hook: data-count="<grid id>.<key>". */
  key: string;
  label?: string;
  value: number | null;
  tone?: string;
  hint?: string;
}

export interface CountsGridProps {
  id: string;
  title: string;
  items: CountItem[];
  total?: number | null;
  /** Cards per row (default: as many as fit). */
  columns?: number;
  /** Makes each card a button (e.g. open the table filtered by that status). */
  onSelect?: (key: string) => void;
}

/** A titled row of count cards. */
export function CountsGrid({ id, title, items, total, columns, onSelect }: CountsGridProps) {
  return (
    <section className="counts" aria-labelledby={`${id}-title`}>
      <header className="section-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {total != null && <span className="muted">{formatNumber(total)} total</span>}
      </header>
      <ul
        className="counts-grid"
        style={columns ? { gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` } : undefined}
      >
        {items.map((item) => {
          const tone = item.tone ?? toneOf(item.key);
          const label = item.label ?? humanStatus(item.key);
          const body = (
            <>
              <span className="count-label">
                <span className={`dot tone-${tone}`} aria-hidden="true" />
                {label}
              </span>
              <span className="count-value" data-count={`${id}.${item.key}`}>
                {item.value === null ? '…' : formatNumber(item.value)}
              </span>
              {item.hint && <span className="count-hint">{item.hint}</span>}
            </>
          );
          return (
            <li key={item.key} className={`count-card tone-${tone}${item.value ? '' : ' zero'}`}>
              {onSelect ? (
                <button
                  type="button"
                  className="count-card-inner"
                  onClick={() => onSelect(item.key)}
                  title={`Show ${label}`}
                >
                  {body}
                </button>
              ) : (
                <div className="count-card-inner">{body}</div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
