import { DEEP_LINK_SCHEME, printRoute, routeOfDeepLink, type NavView } from '../shared/routes';

/**
 * lifecycle-desk:// links (from a browser, a chat message, a script) as addresses of the app's
 * own document. Pure (no Electron import), so the mapping is unit-tested under plain Node.
 */

export { DEEP_LINK_SCHEME };

/**
 * The renderer document's URL for a deep link: `lifecycle-desk://turns?status=running` →
 * `<rendererUrl>#/turns?status=running`. The link is read by the renderer's own parser and
 * printed afresh, so only known views and valid values get through, and the result is always
 * the app's document (anything unknown is its overview). Null when `link` is not a deep link.
 */
export function appUrlForDeepLink(link: string, rendererUrl: string): string | null {
  const route = routeOfDeepLink(link);
  return route ? `${rendererUrl}${printRoute(route)}` : null;
}

/**
 * The deep link among a process's arguments (Windows and Linux start the app, or hand the running
 * one, `<exe> [switches] lifecycle-desk://…`), or null. The last one wins, as for the shell's flags.
 */
export function deepLinkInArgv(argv: readonly string[]): string | null {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i] ?? '';
    if (arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`)) return arg;
  }
  return null;
}

/** A menu's view as the renderer document's URL (the same printer as the renderer's links). */
export function appUrlForView(view: NavView, rendererUrl: string): string {
  return `${rendererUrl}${printRoute({ view })}`;
}

/**
 * What app.setAsDefaultProtocolClient needs: nothing more in a packaged app (the OS starts the
 * executable with the link); from the source tree (`electron dist/app/main.js`) the executable
 * is Electron itself, so the script is passed too, or the link would start a bare Electron.
 */
export function protocolClientArgs(
  packaged: boolean,
  execPath: string,
  script: string | undefined,
): { path?: string; args?: string[] } {
  if (packaged || !script) return {};
  return { path: execPath, args: [script] };
}
