import type { WebContents } from 'electron';
import { decideNavigation, isAppDocument, RENDERER_URL } from './policy';

/** Navigation, new windows and webviews: applied to every webContents the app ever creates. */
export function harden(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (decideNavigation(url, RENDERER_URL) !== 'allow') event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    // Subframes never navigate anywhere (CSP frame-src 'none' already forbids frames).
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppDocument(url, RENDERER_URL)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // The app opens no windows and has no external links: nothing is handed to the system browser.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
