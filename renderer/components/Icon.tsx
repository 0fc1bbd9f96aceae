import type { ReactNode } from 'react';

/** A line icon on a 24×24 grid, drawn in the text colour; decorative (screen readers skip it). */
export function Icon({
  size,
  strokeWidth = 2,
  className,
  children,
}: {
  size: number;
  strokeWidth?: number;
  className?: string;
  children: ReactNode;
}) {
  return (
    <svg
      className={className}
      viewBox="0 0 24 24"
      width={size}
      height={size}
      aria-hidden="true"
      fill="none"
      stroke="currentColor"
      strokeWidth={strokeWidth}
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  );
}

/** A padlock: nothing can be written (the read-only role, a disabled action's hint). */
export const LOCK_GLYPH = (
  <>
    <rect x="5" y="11" width="14" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </>
);

const ARCS = 'M4 12a8 8 0 0 1 14-5.3M20 12a8 8 0 0 1-14 5.3';
const HEADS = 'M18 3v4h-4M6 21v-4h4';

/** Two turning arrows: recovery (the recovering role). */
export const RECOVER_GLYPH = <path d={ARCS + HEADS} />;

/** The app's mark: the same arrows, their arcs and heads as two strokes (they overlap where they meet). */
export const BRAND_GLYPH = (
  <>
    <path d={ARCS} />
    <path d={HEADS} />
  </>
);
