import { useSyncExternalStore } from 'react';

// Hash routing: #/overview, #/turns, #/outbox, #/errors, #/audit, #/turn/<id>. The hash works the same
// over http:// (browser mode) and file:// (Electron), and needs no server routes.

export type Route =
  | { view: 'overview' }
  | { view: 'turns' }
  | { view: 'outbox' }
  | { view: 'errors' }
  | { view: 'audit' }
  | { view: 'turn'; id: string };

export type ViewName = Route['view'];

/** The views the sidebar lists (a turn's page is reached from the tables). */
export type NavView = Exclude<ViewName, 'turn'>;

/** Each view's heading, also the page title and its shortcut's name in the help. */
export const TITLES: Record<ViewName, string> = {
  overview: 'Overview',
  turns: 'Turns',
  outbox: 'Outbox',
  errors: 'Errors',
  audit: 'Audit trail',
  turn: 'Turn detail',
};

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, ...rest] = path.split('/');
  switch (head) {
    case 'turns':
      return { view: 'turns' };
    case 'outbox':
      return { view: 'outbox' };
    case 'errors':
      return { view: 'errors' };
    case 'audit':
      return { view: 'audit' };
    case 'turn': {
      const id = safeDecode(rest.join('/'));
      return id ? { view: 'turn', id } : { view: 'turns' };
    }
    default:
      return { view: 'overview' };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function hrefFor(route: Route): string {
  return route.view === 'turn' ? `#/turn/${encodeURIComponent(route.id)}` : `#/${route.view}`;
}

export function navigate(route: Route): void {
  const href = hrefFor(route);
  if (window.location.hash !== href) window.location.hash = href;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
