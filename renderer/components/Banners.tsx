import { formatNumber } from '../format';
import type { ReactNode } from 'react';
import type { IntegrityState } from '../../shared/api';
import { Icon, LOCK_GLYPH } from './Icon';

/**
 * Shown at the top of every view while no recovery worker is alive: what that means for the
 * replays and retries a person requests, and what the writes let the server infer.
 */
export function LivenessBanner({ banner, inferred }: { banner: string | null; inferred: string | null }) {
  if (!banner) return null;
  return (
    <section className="banner banner-warn" aria-label="Recovery warning" data-testid="liveness-banner">
      <Icon className="banner-icon" size={18}>
        <path d="M12 9v4M12 17h.01M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z" />
      </Icon>
      <div className="banner-text">
        <p className="banner-main">{banner}</p>
        {inferred && <p className="banner-sub">{inferred}</p>}
      </div>
    </section>
  );
}

/**
 * The background integrity check of the open file: a quiet progress note while it runs, a red
 * alert when the file is damaged, a quiet note when it could not run; nothing when it is ok.
 */
export function IntegrityNotice({ integrity }: { integrity: IntegrityState | null }) {
  if (!integrity || integrity.state === 'ok') return null;
  if (integrity.state === 'checking') {
    return (
      <p className="progress-note" data-testid="integrity" data-state="checking">
        <progress
          max={Math.max(1, integrity.total)}
          value={integrity.checked}
          aria-label="Integrity check of the file"
        />
        <span>
          Checking the file…{' '}
          {integrity.total > 0 && (
            <span className="num">
              {formatNumber(integrity.checked)}/{formatNumber(integrity.total)} tables
            </span>
          )}
        </span>
      </p>
    );
  }
  if (integrity.state === 'damaged') {
    return (
      <div className="banner banner-error" role="alert" data-testid="integrity" data-state="damaged">
        <Icon className="banner-icon" size={18}>
          <circle cx="12" cy="12" r="9" />
          <path d="M12 7v6M12 16.5h.01" />
        </Icon>
        <div className="banner-text">
          <p className="banner-main">The database file is damaged: what it shows may be incomplete or wrong.</p>
          {integrity.message && <p className="banner-sub">{integrity.message}</p>}
        </div>
      </div>
    );
  }
  return (
    <p className="progress-note" data-testid="integrity" data-state="unavailable">
      <span>Integrity check not run{integrity.message ? `: ${integrity.message}` : '.'}</span>
    </p>
  );
}

/** Next to a group of action buttons when they are disabled: why (the buttons point here). */
export function ActionHint({ id, reason }: { id: string; reason: string | null }) {
  if (!reason) return null;
  return (
    <span id={id} className="action-hint" data-testid="action-hint">
      <Icon size={13}>{LOCK_GLYPH}</Icon>
      {reason}
    </span>
  );
}

/** While the file's search index is still being filled: a search may miss older rows. */
export function SearchIndexNote({ index }: { index: { state: string; indexed: number; total: number } | undefined }) {
  if (!index || index.state !== 'building') return null;
  const percent = index.total > 0 ? Math.floor((index.indexed / index.total) * 100) : 0;
  return (
    <p className="progress-note" data-testid="search-index" role="status">
      <span>
        The search index is still being built ({percent}% of the rows that were there before this version): full-text
        search finds newer rows, and older ones as it gets to them.
      </span>
    </p>
  );
}

/** A view's load or refresh failed (or the token is wrong): what happened, as an alert. */
export function ErrorNotice({ children }: { children: ReactNode }) {
  return (
    <div className="notice notice-error" role="alert">
      {children}
    </div>
  );
}
