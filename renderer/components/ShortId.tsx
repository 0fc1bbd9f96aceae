import type { MouseEvent } from 'react';
import { shortId } from '../format';
import { CopyButton } from './CopyButton';

/**
 * An id shortened in the middle (its start and its end stay), the full id on hover, and a
 * button that copies the full id. `copy={false}` inside sentences and dense lines.
 */
export function ShortId({ id, className, copy = true }: { id: string; className?: string; copy?: boolean }) {
  return (
    <span className="short-id">
      <span className={`mono${className ? ` ${className}` : ''}`} title={id}>
        {shortId(id)}
      </span>
      {copy && <CopyButton text={id} />}
    </span>
  );
}

/** A link named by an id, shortened in the middle, the full id on hover, and its copy button. */
export function IdLink({
  id,
  href,
  prefix,
  onClick,
  copy = true,
}: {
  id: string;
  href: string;
  /** Words before the id inside the link ("turn "). */
  prefix?: string;
  onClick?(e: MouseEvent<HTMLAnchorElement>): void;
  copy?: boolean;
}) {
  return (
    <span className="short-id">
      <a className="mono id-link" href={href} title={id} onClick={onClick}>
        {prefix}
        {shortId(id)}
      </a>
      {copy && <CopyButton text={id} />}
    </span>
  );
}
