import type { MouseEvent } from 'react';
import { shortId } from '../format';

/** An id shortened in the middle, the full id on hover. */
export function ShortId({ id, className }: { id: string; className?: string }) {
  const short = shortId(id);
  return (
    <span className={`mono${className ? ` ${className}` : ''}`} title={id}>
      {short}
    </span>
  );
}

/** A link named by an id, shortened in the middle, the full id on hover. */
export function IdLink({
  id,
  href,
  prefix,
  onClick,
}: {
  id: string;
  href: string;
  /** Words before the id inside the link ("turn "). */
  prefix?: string;
  onClick?(e: MouseEvent<HTMLAnchorElement>): void;
}) {
  return (
    <a className="mono id-link" href={href} title={id} onClick={onClick}>
      {prefix}
      {shortId(id)}
    </a>
  );
}
