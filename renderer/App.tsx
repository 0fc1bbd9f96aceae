import { useEffect, useRef } from 'react';
import { ErrorNotice } from './components/Banners';
import { TITLES, useRoute, type Route } from './routing';
import { ActionDialog, AppBanners, AppNotices, AppSidebar, TopbarEnd, useLinkState } from './shell';
import { useShortcuts } from './shortcuts';
import { useActionsStore } from './stores/actions';
import { useStatusStore } from './stores/status';
import { unauthorizedMessage } from './transport/client';
import { BulkDialogHost, RunningJobs } from './triage-shell';
import { AuditView } from './views/Audit';
import { ErrorsView } from './views/Errors';
import { OutboxView } from './views/Outbox';
import { OverviewView } from './views/Overview';
import { TurnDetailView } from './views/TurnDetail';
import { TurnsView } from './views/Turns';

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview':
      return <OverviewView />;
    case 'turns':
      return <TurnsView />;
    case 'outbox':
      return <OutboxView />;
    case 'errors':
      return <ErrorsView />;
    case 'audit':
      return <AuditView />;
    case 'turn':
      return <TurnDetailView id={route.id} />;
  }
}

export function App() {
  const route = useRoute();
  const link = useLinkState();
  useShortcuts();
  const firstView = useRef(route.view);
  useEffect(() => {
    void useStatusStore.getState().loadInfo();
    // The overview loads the counts itself, with the rest it shows.
    if (firstView.current !== 'overview') void useStatusStore.getState().loadCounts();
  }, []);
  useEffect(() => {
    document.title = `${TITLES[route.view]} · Lifecycle Desk`;
  }, [route.view]);
  // The last action's message belongs to the view it was taken in.
  const routeKey = route.view === 'turn' ? `turn/${route.id}` : route.view;
  useEffect(() => {
    useActionsStore.setState({ message: null, note: null });
  }, [routeKey]);
  const shownRoute = useRef(routeKey);
  useEffect(() => {
    // What had the focus (a row, a link) went with the old view: go on from the new view's top,
    // not from the start of the page (which the page's first load keeps).
    if (shownRoute.current === routeKey) return;
    shownRoute.current = routeKey;
    if (document.activeElement === document.body || document.activeElement === null) {
      document.getElementById('main')?.focus({ preventScroll: true });
    }
  }, [routeKey]);

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          // The hash is the route: move the focus without changing it.
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <AppSidebar route={route} link={link} />
      <main className="content" id="main" tabIndex={-1}>
        <header className="topbar">
          <h1>{TITLES[route.view]}</h1>
          <RunningJobs />
          <TopbarEnd />
        </header>
        {link === 'unauthorized' && <ErrorNotice>{unauthorizedMessage()}</ErrorNotice>}
        <AppBanners />
        <AppNotices />
        {/* Without a session every view could only repeat the notice above as its own error. */}
        {link !== 'unauthorized' && <View route={route} />}
      </main>
      <ActionDialog />
      <BulkDialogHost />
    </div>
  );
}
