import { formatNumber, humanStatus } from '../format';
import { toneOf, type Tone } from './status-tones';

export interface CountItem {
  /** Stable key, also the test hook: data-count="<grid id>.<key>". */
  key: string;
  label?: string;
  value: number | null;
  tone?: Tone;
  hint?: string;
  /** The card's tooltip (default: the hint). */
  title?: string;
  /** Not a button even when the grid's cards are (e.g. a status no filter can select). */
  inert?: boolean;
  /** Marks a status outside the SPEC's set ("other: …"). */
  other?: boolean;
}

export interface CountsGridProps {
  id: string;
  title: string;
  items: CountItem[];
  total?: number | null;
  /** Cards per row on wide screens (4 to 7; default: as many as fit). Narrow screens wrap. */
  columns?: 4 | 5 | 6 | 7;
  /** Makes each card a button (e.g. open the table filtered by that status). */
  onSelect?: (key: string) => void;
  /** Makes each card a link instead (opens in a new tab too): the address of a card's key. */
  hrefOf?: (key: string) => string;
}

/** A titled row of count cards. */
export function CountsGrid({ id, title, items, total, columns, onSelect, hrefOf }: CountsGridProps) {
  return (
    <section className="counts" aria-labelledby={`${id}-title`}>
      <header className="section-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {total != null && <span className="muted">{formatNumber(total)} total</span>}
      </header>
      <ul className="counts-grid" data-columns={columns}>
        {items.map((item) => {
          const tone = item.tone ?? toneOf(item.key);
          const label = item.label ?? humanStatus(item.key);
          const text = item.value === null ? '…' : formatNumber(item.value);
          const body = (
            <>
              <span className="count-label">
                <span className={`dot tone-${tone}`} aria-hidden="true" />
                {label}
              </span>
              {/* A new element once the value is known, named for Element Timing: when it was painted. */}
              <span
                key={item.value === null ? 'waiting' : 'known'}
                className={text.length > 8 ? 'count-value long' : 'count-value'}
                data-count={`${id}.${item.key}`}
                {...(item.value === null ? {} : { elementtiming: `count:${id}.${item.key}` })}
              >
                {text}
              </span>
              {item.hint && <span className="count-hint">{item.hint}</span>}
            </>
          );
          return (
            <li
              key={item.key}
              className={`count-card tone-${tone}${item.value ? '' : ' zero'}${item.other ? ' other' : ''}`}
            >
              {hrefOf && !item.inert ? (
                <a className="count-card-inner" href={hrefOf(item.key)} title={`Show ${label}`}>
                  {body}
                </a>
              ) : onSelect && !item.inert ? (
                <button
                  type="button"
                  className="count-card-inner"
                  onClick={() => onSelect(item.key)}
                  title={`Show ${label}`}
                >
                  {body}
                </button>
              ) : (
                <div className="count-card-inner" title={item.title ?? item.hint}>
                  {body}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
