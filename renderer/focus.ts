// Tab order repairs that no markup of ours can make.

/**
 * The chart library's layers: the <g>s it renders a chart's parts into through React portals
 * (matched without the library's name, which the first bundle must not carry: renderer-bundle test).
 */
export const CHART_LAYERS = 'g[class*="-zIndex-layer_"]';

/**
 * A ref callback that keeps what matches `selector` inside the element out of the tab order,
 * now and as it is rendered again. React listens for events on every portal container, and
 * Chromium makes an SVG element with focus listeners a tab stop: each chart's empty layer <g>s
 * would be five stops that show nothing.
 */
export function outOfTabOrder(selector: string): (root: HTMLElement | null) => (() => void) | undefined {
  return (root) => {
    if (!root) return undefined;
    const apply = (): void => {
      for (const el of root.querySelectorAll(selector)) {
        if (el.getAttribute('tabindex') !== '-1') el.setAttribute('tabindex', '-1');
      }
    };
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(root, { childList: true, subtree: true });
    return () => observer.disconnect();
  };
}
