import { shell, type WebContents } from 'electron';
import { decideNavigation, externalHttpsUrl, isAppDocument, RENDERER_URL } from './policy';

/** Navigation, new windows and webviews: applied to every webContents the app ever creates. */
export function harden(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    const decision = decideNavigation(url, RENDERER_URL);
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'open-external') void shell.openExternal(url);
  });
  contents.on('will-frame-navigate', (event) => {
    // Subframes never navigate anywhere (CSP frame-src 'none' already forbids frames).
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppDocument(url, RENDERER_URL)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalHttpsUrl(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
}
