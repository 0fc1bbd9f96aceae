import type { ReactNode } from 'react';
import type { AppInfo } from '../../shared/api';
import { formatNumber } from '../format';
import { hrefFor, type NavView, type Route } from '../routing';
import type { ThemeChoice } from '../stores/ui';
import type { LinkState } from '../transport/client';
import { Icon, BRAND_GLYPH } from './Icon';
import { RoleBlock } from './RoleBadge';

const NAV: { view: NavView; label: string; icon: ReactNode }[] = [
  { view: 'overview', label: 'Overview', icon: <path d="M3 3h7v7H3zM14 3h7v4h-7zM14 10h7v11h-7zM3 13h7v8H3z" /> },
  { view: 'turns', label: 'Turns', icon: <path d="M4 6h16M4 12h16M4 18h10" /> },
  { view: 'outbox', label: 'Outbox', icon: <path d="M4 13l4-9h8l4 9v7H4zM4 13h5l1 3h4l1-3h5" /> },
  {
    view: 'errors',
    label: 'Errors',
    icon: <path d="M12 3 2 20h20L12 3zM12 10v4M12 17h.01" />,
  },
  { view: 'audit', label: 'Audit', icon: <path d="M12 8v5l3 2M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z" /> },
];

const LINK_TEXT: Record<LinkState, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  unauthorized: 'Not authorized',
};

export interface SidebarProps {
  /** The view whose entry is current (a turn's page belongs to Turns). */
  active: NavView;
  /** Each view's address as last shown (its filters); a view not listed links to its defaults. */
  hrefs?: Partial<Record<NavView, string>>;
  /** Stuck counts shown next to a view's entry (none when 0). */
  stuck: Partial<Record<NavView, number>>;
  info: AppInfo | null;
  link: LinkState;
  theme: ThemeChoice;
  onCycleTheme(): void;
  /** The id of the role block's reason (the topbar's badge points at it). */
  roleReasonId: string;
}

/** The navigation, and at its foot the file: role, link, path, versions, the theme switch. */
export function Sidebar({ active, hrefs, stuck, info, link, theme, onCycleTheme, roleReasonId }: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <Icon size={22} strokeWidth={2.2}>
          {BRAND_GLYPH}
        </Icon>
        <span>Lifecycle Desk</span>
      </div>
      <ul className="nav-list">
        {NAV.map((n) => (
          <li key={n.view}>
            <a
              href={hrefs?.[n.view] ?? hrefFor({ view: n.view } as Route)}
              aria-current={active === n.view ? 'page' : undefined}
              // In the narrow window's icon rail the label is hidden: the tooltip names the icon.
              title={n.label}
            >
              <Icon size={18} strokeWidth={1.8}>
                {n.icon}
              </Icon>
              <span className="nav-label">{n.label}</span>
              {stuck[n.view] ? (
                <span className="nav-count" title={`${formatNumber(stuck[n.view] ?? 0)} stuck`}>
                  {formatNumber(stuck[n.view] ?? 0)}
                  <span className="sr-only"> stuck</span>
                </span>
              ) : null}
            </a>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        {info?.role && <RoleBlock role={info.role} reason={info.roleReason} reasonId={roleReasonId} />}
        <div className={`link link-${link}`}>
          <span className="dot" aria-hidden="true" />
          {LINK_TEXT[link]}
        </div>
        {info && (
          <div className="db-path" title={info.dbPath}>
            {/* The file's last two path parts; the whole path is in the tooltip. */}
            {info.dbPath.split(/[\\/]/).slice(-2).join('/')}
          </div>
        )}
        {info && (
          <div className="muted small">
            v{info.version} · schema {info.schemaVersion} · {info.operator}
          </div>
        )}
        <button type="button" className="btn btn-ghost btn-small theme-toggle" onClick={onCycleTheme}>
          <span className="theme-word">Theme: </span>
          {theme}
        </button>
      </div>
    </nav>
  );
}
