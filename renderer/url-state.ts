import { create } from 'zustand';
import { cleanSelection, deepLinkFor, printRoute, ROUTE_DEFAULTS, type NavView, type Route } from '../shared/routes';
import { hrefFor, parseRoute, replaceRoute } from './routing';
import { useAuditStore } from './stores/audit';
import { useErrorsStore } from './stores/errors';
import type { ListMethod, ListState, ListStore } from './stores/list';
import { useOutboxStore } from './stores/outbox';
import { useStatusStore } from './stores/status';
import { useTurnsStore } from './stores/turns';
import { getTransport } from './transport/client';

// The URL and the stores say the same thing. A route that arrives (the page's first URL, a link,
// Back/Forward: `hashchange`) is put into its view's store, only where it differs from what the
// store holds, so nothing is fetched twice. What a person changes in a view (filter, order,
// selection, window) is written back with replaceState: no history entry per keystroke, while
// going to another view stays a real navigation that Back undoes.

type ListView = 'turns' | 'outbox';

function selectedIds<M extends ListMethod>(s: ListState<M>): string[] {
  return Object.keys(s.selection).filter((id) => s.selection[id]);
}

/** The route a view's store stands for now. */
function routeOfStore(view: Route['view']): Route | null {
  switch (view) {
    case 'turns': {
      const s = useTurnsStore.getState();
      return { view, filter: s.filter, selection: cleanSelection(selectedIds(s)) };
    }
    case 'outbox': {
      const s = useOutboxStore.getState();
      return { view, filter: s.filter, selection: cleanSelection(selectedIds(s)) };
    }
    case 'overview':
      return { view, window: useStatusStore.getState().window };
    case 'errors': {
      const s = useErrorsStore.getState();
      return {
        view,
        since: s.window,
        ...(s.channel ? { channel: s.channel } : {}),
        ...(s.subject ? { subject: s.subject } : {}),
      };
    }
    case 'audit':
      return { view, filter: useAuditStore.getState().filter };
    case 'turn':
      return null;
  }
}

function applyList<M extends ListMethod>(store: ListStore<M>, route: Route & { view: ListView }): void {
  const s = store.getState();
  const filterNow = printRoute({ view: route.view, filter: s.filter } as Route);
  const filterWanted = printRoute({ view: route.view, filter: route.filter } as Route);
  const wanted = route.selection ?? [];
  if (filterNow !== filterWanted) {
    store.getState().showOnly((route.filter ?? {}) as Parameters<ListState<M>['showOnly']>[0]);
    if (wanted.length) store.getState().restoreSelection(wanted);
    // A mounted table loads by itself only when it mounts.
    if (store.getState().active) void store.getState().reload();
    return;
  }
  if (cleanSelection(selectedIds(s)).join('\n') !== wanted.join('\n')) store.getState().restoreSelection(wanted);
}

/** Puts a route into its view's store where it differs from what the store holds. */
export function applyRoute(route: Route): void {
  switch (route.view) {
    case 'turns':
      applyList(useTurnsStore, route);
      return;
    case 'outbox':
      applyList(useOutboxStore, route);
      return;
    case 'overview': {
      const window = route.window ?? ROUTE_DEFAULTS.overviewWindow;
      const s = useStatusStore.getState();
      if (s.window === window) return;
      // Shown: the series is fetched again; not shown: the overview loads it when it shows.
      if (s.active) void s.setWindow(window);
      else useStatusStore.setState({ window });
      return;
    }
    case 'errors': {
      const s = useErrorsStore.getState();
      const next = {
        window: route.since ?? ROUTE_DEFAULTS.errorsSince,
        channel: route.channel ?? '',
        subject: route.subject ?? '',
      } as const;
      if (s.window !== next.window || s.channel !== next.channel || s.subject !== next.subject) s.showOnly(next);
      return;
    }
    case 'audit': {
      const s = useAuditStore.getState();
      if (printRoute({ view: 'audit', filter: s.filter }) !== printRoute(route)) s.showOnly(route.filter ?? {});
      return;
    }
    case 'turn':
      return;
  }
}

/**
 * Each view's address as it was last shown in this tab: the sidebar, the shortcuts and a turn's
 * "← Turns" go back to the view as the person left it (filters, order, selection), and the
 * same link opened in a new tab shows the same.
 */
export const useViewLinks = create<{ hrefs: Partial<Record<NavView, string>> }>()(() => ({ hrefs: {} }));

/** A view's address as last shown (its defaults if it was not shown yet). */
export function viewHref(view: NavView): string {
  return useViewLinks.getState().hrefs[view] ?? hrefFor({ view });
}

/** The store of the view shown changed: the address bar follows, without a history entry. */
function follow(view: Route['view']): void {
  const current = parseRoute(window.location.hash);
  if (current.view !== view) {
    if (view !== 'turn') primed.add(view);
    return;
  }
  const route = routeOfStore(view);
  if (!route || route.view === 'turn') return;
  replaceRoute(route);
  const href = hrefFor(route);
  const { hrefs } = useViewLinks.getState();
  if (hrefs[route.view] !== href) useViewLinks.setState({ hrefs: { ...hrefs, [route.view]: href } });
}

/**
 * Views whose store was set while another view showed: code that sets a list's filter and then
 * goes to the bare view (`showOnly(…)` then `navigate({ view: 'turns' })`) means that filter,
 * so the next bare address of that view keeps it instead of putting the defaults back.
 */
const primed = new Set<Route['view']>();

let started = false;

/** Reads the page's URL into the stores, then keeps both in step for the page's lifetime. */
export function startUrlSync(): void {
  if (started) return;
  started = true;
  const apply = (): void => {
    const route = parseRoute(window.location.hash);
    const bare = printRoute(route) === `#/${route.view}` && !window.location.hash.includes('?');
    if (!(bare && primed.has(route.view))) applyRoute(route);
    primed.clear();
    // The URL as the stores read it: unknown or invalid parts are dropped from the address bar.
    const view = parseRoute(window.location.hash).view;
    if (view === 'turn') replaceRoute(parseRoute(window.location.hash));
    else follow(view);
  };
  apply();
  window.addEventListener('hashchange', apply);
  useTurnsStore.subscribe((s, prev) => {
    if (s.filter !== prev.filter || s.selection !== prev.selection) follow('turns');
  });
  useOutboxStore.subscribe((s, prev) => {
    if (s.filter !== prev.filter || s.selection !== prev.selection) follow('outbox');
  });
  useStatusStore.subscribe((s, prev) => {
    if (s.window !== prev.window) follow('overview');
  });
  useErrorsStore.subscribe((s, prev) => {
    if (s.window !== prev.window || s.channel !== prev.channel || s.subject !== prev.subject) follow('errors');
  });
  useAuditStore.subscribe((s, prev) => {
    if (s.filter !== prev.filter) follow('audit');
  });
}

/**
 * The link to what the page shows now, to paste anywhere: in the desktop app its
 * lifecycle-desk:// form, in a browser this page's address with the route (never a login code
 * or token: only the route is kept, printed afresh).
 */
export function currentLink(): string {
  const route = parseRoute(window.location.hash);
  if (getTransport().kind === 'electron') return deepLinkFor(route);
  return `${window.location.origin}${window.location.pathname}${printRoute(route)}`;
}

/** Puts text on the clipboard; false when the page may not (the button then shows the text). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not a secure context, or the permission refused (the desktop app refuses every permission).
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/** Copies the link to what the page shows; resolves to the link and whether it was copied. */
export async function copyCurrentLink(): Promise<{ link: string; copied: boolean }> {
  const link = currentLink();
  return { link, copied: await copyText(link) };
}
