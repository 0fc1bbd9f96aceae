import type { ReactNode } from 'react';

export interface StuckListProps<T extends { id: string; stuckReason: string | null }> {
  /** The heading's id: `<id>-title`. */
  id: string;
  title: string;
  /** The link to the whole list (the table, filtered to the stuck ones). */
  all: { label: string; href: string };
  items: T[];
  /** The test hook on each item: data-turn-id or data-row-id. */
  itemAttr: 'data-turn-id' | 'data-row-id';
  /** The item's line above its stuck reason. */
  line(item: T): ReactNode;
}

/** A card listing stuck items, each with why it is stuck. */
export function StuckList<T extends { id: string; stuckReason: string | null }>({
  id,
  title,
  all,
  items,
  itemAttr,
  line,
}: StuckListProps<T>) {
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <header className="section-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <a href={all.href}>{all.label}</a>
      </header>
      {items.length === 0 ? (
        <p className="muted empty-small">Nothing stuck.</p>
      ) : (
        <ul className="stuck-list" aria-label={title}>
          {items.map((item) => (
            <li key={item.id} {...{ [itemAttr]: item.id }}>
              <div className="stuck-line">{line(item)}</div>
              <p className="stuck-reason">{item.stuckReason}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
