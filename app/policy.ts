import path from 'node:path';
import { resolveConfined, sourceMapsWanted, type ConfineOptions } from '../main/http/confine';
import { isPostgresUrl } from '../main/store/location';

/**
 * The desktop shell's security policy as plain data and pure functions: no Electron import,
 * so every rule here is unit-tested under plain Node (test/unit/app-policy.test.ts).
 */

/**
 * The renderer is served from a privileged custom scheme rather than file://: a standard,
 * secure scheme gives the page a real origin of its own (app://desk), so CSP 'self' means
 * "the renderer's own files" and nothing else on disk, and the protocol handler serves only
 * files inside dist/renderer (see resolveRendererFile).
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'desk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const RENDERER_URL = `${APP_ORIGIN}/index.html`;

/** The renderer routes with the hash (#/overview, #/turns, #/outbox, #/audit; renderer/routing.ts). */
export function viewUrl(view: 'overview' | 'turns' | 'outbox' | 'audit'): string {
  return `${RENDERER_URL}#/${view}`;
}

/** Sent as a header with every app:// response (shared/csp.ts: the same policy everywhere). */
export { CONTENT_SECURITY_POLICY } from '../shared/csp';

export { contentType as mimeType } from '../shared/content-types';

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * The file in `rootDir` an app:// request may be answered with, or null when the request is not
 * for the renderer (other host, credentials, port) or the path breaks confine.ts's rule (the
 * browser mode's static server applies the same one): traversal, encoded separators, NUL,
 * dotfiles, source maps outside development, symlinks leading out, anything not a regular
 * file. `app://desk/` is index.html.
 */
export async function resolveRendererFile(
  rootDir: string,
  requestUrl: string,
  options: ConfineOptions = { sourceMaps: sourceMapsWanted() },
): Promise<string | null> {
  const url = parseUrl(requestUrl);
  if (!url || url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password) return null;
  const found = await resolveConfined(rootDir, url.pathname === '' ? '/' : url.pathname, options);
  return 'file' in found ? found.file : null;
}

/**
 * True when `url` is the renderer document itself (`expected`), whatever its fragment: the
 * renderer routes with the hash. Scheme, host, port, path and query must match exactly.
 */
export function isAppDocument(url: string | null | undefined, expected: string): boolean {
  if (typeof url !== 'string') return false;
  const a = parseUrl(url);
  const b = parseUrl(expected);
  if (!a || !b) return false;
  return (
    a.protocol === b.protocol &&
    a.username === '' &&
    a.password === '' &&
    a.host === b.host &&
    a.pathname === b.pathname &&
    a.search === b.search
  );
}

/** What to do when the page tries to navigate or open a window. */
export type NavigationDecision = 'allow' | 'deny';

/**
 * Navigation stays on the renderer document (hash changes); everything else is denied, https
 * included: the app shows no external links, so a page asking to leave is one to distrust, and
 * handing its URL to the system browser would let it open whatever it likes there.
 */
export function decideNavigation(target: string, rendererUrl: string): NavigationDecision {
  return isAppDocument(target, rendererUrl) ? 'allow' : 'deny';
}

export interface AppArgs {
  /** --db PATH|URL or --db=PATH|URL (a path resolved against `cwd`); null means the embedded demo. */
  db: string | null;
  /** --user-data DIR (tests, several profiles): where Electron keeps its profile and the demo. */
  userData: string | null;
}

/**
 * The shell's own flags, found anywhere in argv: Electron, Chromium and Playwright put their
 * own switches before or after ours (`electron [--inspect=0] dist/app/main.js --db x`, or the
 * packaged `Lifecycle Desk --db x`). The last occurrence wins; a flag without a value is ignored.
 */
export function parseAppArgs(argv: readonly string[], cwd: string): AppArgs {
  const found: { db: string | null; userData: string | null } = { db: null, userData: null };
  const flags = { '--db': 'db', '--user-data': 'userData' } as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    for (const [flag, key] of Object.entries(flags) as [keyof typeof flags, 'db' | 'userData'][]) {
      let value: string | undefined;
      if (arg === flag) {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          value = next;
          i++;
        }
      } else if (arg.startsWith(`${flag}=`)) {
        value = arg.slice(flag.length + 1);
      }
      // A postgres:// URL is kept as given; a path is resolved against the working directory.
      if (value !== undefined && value !== '')
        found[key] = key === 'db' && isPostgresUrl(value) ? value : path.resolve(cwd, value);
    }
  }
  return found;
}
