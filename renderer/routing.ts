import { useSyncExternalStore } from 'react';
import { parseRoute, printRoute, type Route, type ViewName } from '../shared/routes';

// Hash routing (#/overview, #/turns?status=running…, #/turn/<id>): the format, its parser and
// its printer are shared/routes.ts (the desktop shell's deep links use them too); this file is
// the page's side: links, navigation, the current route.

export { parseRoute, type NavView, type Route, type ViewName } from '../shared/routes';

/** Each view's heading, also the page title and its shortcut's name in the help. */
export const TITLES: Record<ViewName, string> = {
  overview: 'Overview',
  turns: 'Turns',
  outbox: 'Outbox',
  errors: 'Errors',
  audit: 'Audit trail',
  turn: 'Turn detail',
};

/** The link to a route: its hash, with only the values that differ from the view's defaults. */
export function hrefFor(route: Route): string {
  return printRoute(route);
}

/** Goes to a route: a new history entry (Back returns), unless it is where the page is. */
export function navigate(route: Route): void {
  const href = hrefFor(route);
  if (window.location.hash !== href) window.location.hash = href;
}

/**
 * Puts a route in the address bar without a history entry (a filter typed, a row selected) and
 * tells the subscribers of useRoute: replaceState fires no hashchange.
 */
export function replaceRoute(route: Route): void {
  const href = hrefFor(route);
  if (window.location.hash === href) return;
  window.history.replaceState(window.history.state, '', href);
  for (const l of replaced) l();
}

const replaced = new Set<() => void>();

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  replaced.add(onChange);
  return () => {
    window.removeEventListener('hashchange', onChange);
    replaced.delete(onChange);
  };
}

const hashNow = (): string => window.location.hash;

/** The location's hash, as it changes (navigation or replaceRoute). */
export function useHash(): string {
  return useSyncExternalStore(subscribe, hashNow);
}

export function useRoute(): Route {
  return parseRoute(useHash());
}
