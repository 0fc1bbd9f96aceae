import { useEffect, useRef, useState, type ReactNode } from 'react';
import { IntegrityNotice, LivenessBanner } from './components/Banners';
import { ConfirmDialog } from './components/ConfirmDialog';
import { RoleBadge, RoleBlock } from './components/RoleBadge';
import { formatNumber } from './format';
import { hrefFor, navigate, useRoute, type Route, type ViewName } from './routing';
import { describe, useActionsStore } from './stores/actions';
import { useLivenessStore } from './stores/liveness';
import { useStatusStore } from './stores/status';
import { useUiStore } from './stores/ui';
import { getTransport, type LinkState } from './transport/client';
import { AuditView } from './views/Audit';
import { OutboxView } from './views/Outbox';
import { OverviewView } from './views/Overview';
import { TurnDetailView } from './views/TurnDetail';
import { TurnsView } from './views/Turns';

const NAV: { view: Exclude<ViewName, 'turn'>; label: string; key: string; icon: ReactNode }[] = [
  {
    view: 'overview',
    label: 'Overview',
    key: '1',
    icon: <path d="M3 3h7v7H3zM14 3h7v4h-7zM14 10h7v11h-7zM3 13h7v8H3z" />,
  },
  { view: 'turns', label: 'Turns', key: '2', icon: <path d="M4 6h16M4 12h16M4 18h10" /> },
  { view: 'outbox', label: 'Outbox', key: '3', icon: <path d="M4 13l4-9h8l4 9v7H4zM4 13h5l1 3h4l1-3h5" /> },
  { view: 'audit', label: 'Audit', key: '4', icon: <path d="M12 8v5l3 2M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z" /> },
];

const TITLES: Record<ViewName, string> = {
  overview: 'Overview',
  turns: 'Turns',
  outbox: 'Outbox',
  audit: 'Audit trail',
  turn: 'Turn detail',
};

export const SHORTCUTS: [string, string][] = [
  ['g o  or  1', 'Overview'],
  ['g t  or  2', 'Turns'],
  ['g x  or  3', 'Outbox'],
  ['g a  or  4', 'Audit trail'],
  ['/', 'Focus the search box'],
  ['?', 'Show or hide this help'],
  ['Esc', 'Close a dialog or this help'],
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  // Checkboxes and buttons do not take text: shortcuts still work while they have focus.
  return (
    el.tagName === 'INPUT' &&
    !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((el as HTMLInputElement).type)
  );
}

function useShortcuts(): void {
  useEffect(() => {
    let gAt = 0;
    const go = (view: Exclude<ViewName, 'turn'>): void => navigate({ view } as Route);
    const onKey = (e: KeyboardEvent): void => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const pendingG = Date.now() - gAt < 1500;
      gAt = 0;
      if (pendingG) {
        const view = ({ o: 'overview', t: 'turns', x: 'outbox', a: 'audit' } as const)[e.key as 'o' | 't' | 'x' | 'a'];
        if (view) {
          e.preventDefault();
          go(view);
          return;
        }
      }
      const byNumber = NAV.find((n) => n.key === e.key);
      if (byNumber) {
        e.preventDefault();
        go(byNumber.view);
      } else if (e.key === 'g') {
        gAt = Date.now();
      } else if (e.key === '/') {
        const search = document.querySelector<HTMLInputElement>('[data-shortcut-search]');
        if (search) {
          e.preventDefault();
          search.focus();
          search.select();
        }
      } else if (e.key === '?') {
        e.preventDefault();
        const ui = useUiStore.getState();
        ui.setHelpOpen(!ui.helpOpen);
      } else if (e.key === 'Escape') {
        useUiStore.getState().setHelpOpen(false);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function useLinkState(): LinkState {
  const [state, setState] = useState<LinkState>('connecting');
  useEffect(() => getTransport().onLinkState(setState), []);
  return state;
}

function HelpPopover() {
  const open = useUiStore((s) => s.helpOpen);
  const setOpen = useUiStore((s) => s.setHelpOpen);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent): void => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open, setOpen]);
  return (
    <div className="help" ref={ref}>
      <button
        type="button"
        className="icon-button"
        aria-expanded={open}
        aria-controls="shortcut-help"
        onClick={() => setOpen(!open)}
        title="Keyboard shortcuts (?)"
      >
        <span aria-hidden="true">?</span>
        <span className="sr-only">Keyboard shortcuts</span>
      </button>
      {open && (
        <div id="shortcut-help" className="popover" role="region" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <table>
            <tbody>
              {SHORTCUTS.map(([keys, what]) => (
                <tr key={keys}>
                  <td>
                    {keys.split('  or  ').map((k, i) => (
                      <span key={k}>
                        {i > 0 && <span className="muted"> or </span>}
                        {k.split(' ').map((part, j) => (
                          <span key={part}>
                            {j > 0 && ' '}
                            <kbd>{part}</kbd>
                          </span>
                        ))}
                      </span>
                    ))}
                  </td>
                  <td>{what}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Sidebar({ route }: { route: Route }) {
  const counts = useStatusStore((s) => s.counts);
  const info = useStatusStore((s) => s.info);
  const theme = useUiStore((s) => s.theme);
  const cycleTheme = useUiStore((s) => s.cycleTheme);
  const link = useLinkState();
  const active = route.view === 'turn' ? 'turns' : route.view;
  const stuck: Partial<Record<ViewName, number>> = { turns: counts?.stuckTurns ?? 0, outbox: counts?.stuckOutbox ?? 0 };
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path
            d="M4 12a8 8 0 0 1 14-5.3M20 12a8 8 0 0 1-14 5.3"
            fill="none"
            stroke="currentColor"
            strokeWidth="2.2"
            strokeLinecap="round"
          />
          <path
            d="M18 3v4h-4M6 21v-4h4"
            fill="none"
            stroke="currentColor"
            strokeWidth="2.2"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
        <span>Lifecycle Desk</span>
      </div>
      <ul className="nav-list">
        {NAV.map((n) => (
          <li key={n.view}>
            <a href={hrefFor({ view: n.view } as Route)} aria-current={active === n.view ? 'page' : undefined}>
              <svg
                viewBox="0 0 24 24"
                width="18"
                height="18"
                aria-hidden="true"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.8"
                strokeLinejoin="round"
                strokeLinecap="round"
              >
                {n.icon}
              </svg>
              <span className="nav-label">{n.label}</span>
              {stuck[n.view] ? (
                <span className="nav-count" title={`${stuck[n.view]} stuck`}>
                  {formatNumber(stuck[n.view] ?? 0)}
                  <span className="sr-only"> stuck</span>
                </span>
              ) : null}
            </a>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        {info?.role && <RoleBlock role={info.role} reason={info.roleReason} reasonId="role-reason" />}
        <div className={`link link-${link}`}>
          <span className="dot" aria-hidden="true" />
          {link === 'live'
            ? 'Live'
            : link === 'connecting'
              ? 'Connecting…'
              : link === 'reconnecting'
                ? 'Reconnecting…'
                : 'Not authorized'}
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
        <button type="button" className="btn btn-ghost btn-small theme-toggle" onClick={cycleTheme}>
          Theme: {theme === 'system' ? 'system' : theme}
        </button>
      </div>
    </nav>
  );
}

function Notices() {
  const message = useActionsStore((s) => s.message);
  const note = useActionsStore((s) => s.note);
  const error = useActionsStore((s) => s.error);
  const dismissError = useActionsStore((s) => s.dismissError);
  return (
    <div className="notices">
      <div role="status" aria-live="polite" className={message ? 'notice notice-ok notice-stack' : 'notice-empty'}>
        {message && <span>{message}</span>}
        {message && note && (
          <span className="notice-note" data-testid="action-note">
            {note}
          </span>
        )}
      </div>
      {error && (
        <div role="alert" className="notice notice-error">
          <span>{error}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={dismissError}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}

/** The integrity check and the liveness banner (they re-render on their own, not the view). */
function Banners() {
  const integrity = useStatusStore((s) => s.integrity);
  const banner = useLivenessStore((s) => s.liveness?.banner ?? null);
  const inferred = useLivenessStore((s) => s.liveness?.inferred ?? null);
  return (
    <>
      <IntegrityNotice integrity={integrity} />
      <LivenessBanner banner={banner} inferred={inferred} />
    </>
  );
}

function ActionDialog() {
  const pending = useActionsStore((s) => s.pending);
  const busy = useActionsStore((s) => s.busy);
  const confirm = useActionsStore((s) => s.confirm);
  const cancel = useActionsStore((s) => s.cancel);
  const noWorker = useLivenessStore((s) => s.liveness?.banner ?? null);
  const text = pending ? describe(pending) : null;
  const waits = noWorker && (pending?.kind === 'replay' || pending?.kind === 'retry');
  const abortWaiting = pending?.kind === 'abort' && !pending.preview && !pending.previewError;
  const nothingToAbort = pending?.kind === 'abort' && pending.preview?.turns === 0;
  return (
    <ConfirmDialog
      open={pending !== null}
      title={text?.title ?? ''}
      busy={busy}
      confirmDisabled={abortWaiting || nothingToAbort}
      danger={pending?.kind === 'abort' || pending?.kind === 'terminate' || pending?.kind === 'prune'}
      onConfirm={() => void confirm()}
      onCancel={cancel}
    >
      <p>{text?.body}</p>
      {nothingToAbort && <p className="notice notice-warn">Nothing to abort: the session has no open turns.</p>}
      {waits && <p className="notice notice-warn">{noWorker}</p>}
    </ConfirmDialog>
  );
}

export function App() {
  const route = useRoute();
  useShortcuts();
  const link = useLinkState();

  useEffect(() => {
    void useStatusStore.getState().loadInfo();
    void useStatusStore.getState().load();
  }, []);
  useEffect(() => {
    document.title = `${TITLES[route.view]} · Lifecycle Desk`;
  }, [route.view]);
  // The last action's message belongs to the view it was taken in.
  const routeKey = route.view === 'turn' ? `turn/${route.id}` : route.view;
  useEffect(() => {
    useActionsStore.setState({ message: null, note: null });
  }, [routeKey]);
  const info = useStatusStore((s) => s.info);

  let view: ReactNode;
  switch (route.view) {
    case 'overview':
      view = <OverviewView />;
      break;
    case 'turns':
      view = <TurnsView />;
      break;
    case 'outbox':
      view = <OutboxView />;
      break;
    case 'audit':
      view = <AuditView />;
      break;
    case 'turn':
      view = <TurnDetailView id={route.id} />;
      break;
  }

  return (
    <div className="app">
      <Sidebar route={route} />
      <main className="content" id="main">
        <header className="topbar">
          <h1>{TITLES[route.view]}</h1>
          <div className="topbar-end">
            {info?.role && (
              <RoleBadge
                role={info.role}
                reason={info.roleReason}
                describedBy={info.roleReason ? 'role-reason' : undefined}
              />
            )}
            <HelpPopover />
          </div>
        </header>
        {link === 'unauthorized' && (
          <div className="notice notice-error" role="alert">
            Not authorized: the access token is missing or wrong. Open the link printed by{' '}
            <code>lifecycle-desk serve</code> again.
          </div>
        )}
        <Banners />
        <Notices />
        {view}
      </main>
      <ActionDialog />
    </div>
  );
}
