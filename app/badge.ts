import { app, Menu, nativeImage, Tray } from 'electron';
import { stuckBadge } from '../shared/alerts';
import type { StatusCounts } from '../shared/types';

// The app's mark as a 32×32 PNG (a blue disc with a white ring), in code: the repository has no
// icon file to load, and a tray needs one.
const TRAY_ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAA3UlEQVR42s2X0Q3EIAiGO4FbMJAryCquwAqdxV2Ywdy92MS7WAutDZj8L434fypV3AB5s5Q2IAIyAXIBZAbk2sTtG7U+SwECIOdm8hGKW0x4CpCUxiOQdBeAHhj/i7QA+0LzQ7sUgF4wP12J0Z5PB7lqAoh0BhBmCadtF4kZRgB5lbkAIo8AWGquAZ2swg9AlAwqTTZhTOwBSDKjOwCTOOoByqrZK2JLD8AGANwDVAOA6grAfAvMk9D8NzQ/iMyPYheXkfl1bF6QuCjJXBSlLspyFw8TF08zF4/TV/UFu592MFrFc+QAAAAASUVORK5CYII=';

/**
 * The stuck count outside the window: the dock / launcher badge (macOS, Linux Unity) and a
 * tray icon whose tooltip says it, with Show and Quit. Fed by every `counts` event main
 * forwards to the window, so it holds while the window is closed or hidden.
 */
export class Badge {
  private tray: Tray | null = null;
  private last = '';

  constructor(private readonly actions: { show(): void; quit(): void }) {}

  update(counts: StatusCounts | null): void {
    const { count, tooltip } = stuckBadge(counts);
    if (tooltip === this.last) return;
    this.last = tooltip;
    app.setBadgeCount(count);
    const tray = this.ensureTray();
    tray?.setToolTip(tooltip);
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = null;
  }

  private ensureTray(): Tray | null {
    if (this.tray) return this.tray;
    try {
      this.tray = new Tray(nativeImage.createFromDataURL(TRAY_ICON));
    } catch (err) {
      // A desktop without a tray area: the badge and the window still say it.
      console.error(`[lifecycle-desk] no tray: ${(err as Error).message}`);
      return null;
    }
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show Lifecycle Desk', click: () => this.actions.show() },
        { type: 'separator' },
        { label: 'Quit', click: () => this.actions.quit() },
      ]),
    );
    this.tray.on('click', () => this.actions.show());
    return this.tray;
  }
}
