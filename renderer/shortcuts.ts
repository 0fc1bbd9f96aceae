import { useEffect } from 'react';
import { TITLES, type NavView } from './routing';
import { useUiStore } from './stores/ui';
import { viewHref } from './url-state';

// Every keyboard shortcut, once: the key handler and the help popover both read SHORTCUTS.

export interface Shortcut {
  /** Alternatives, each a sequence of KeyboardEvent.key values: [['g', 'o'], ['1']] is "g o or 1". */
  keys: string[][];
  /** What it does, as the help lists it. */
  label: string;
  /** Does it; false when there was nothing to do (the key then keeps its default). */
  run(): boolean;
  /** Handled by the focused element itself (a table's row): listed for the help, never run here. */
  local?: true;
}

/** A sequence's next key must come within this time. */
const SEQUENCE_MS = 1500;

/**
 * Each view: "g" then a letter, or a number key. The numbers were given before Errors came (it
 * is 5 though the sidebar lists it before Audit): people's fingers already know 4 for Audit.
 */
const GO: [NavView, string, string][] = [
  ['overview', 'o', '1'],
  ['turns', 't', '2'],
  ['outbox', 'x', '3'],
  ['audit', 'a', '4'],
  ['errors', 'e', '5'],
];

function focusSearch(): boolean {
  const search = document.querySelector<HTMLInputElement>('[data-shortcut-search]');
  if (!search) return false;
  search.focus();
  search.select();
  return true;
}

export const SHORTCUTS: Shortcut[] = [
  ...GO.map(([view, letter, digit]) => ({
    keys: [['g', letter], [digit]],
    label: TITLES[view],
    run: () => {
      // The view as it was left (its filters), as the sidebar's link does.
      const href = viewHref(view);
      if (window.location.hash !== href) window.location.hash = href;
      return true;
    },
  })),
  { keys: [['/']], label: 'Focus the search box', run: focusSearch },
  {
    keys: [['n']],
    label: 'Show the new rows a list is holding back ("N new — show")',
    run: () => {
      const show = document.querySelector<HTMLButtonElement>('[data-shortcut-new]');
      show?.click();
      return show !== null;
    },
  },
  {
    keys: [['?']],
    label: 'Show or hide this help',
    run: () => {
      const ui = useUiStore.getState();
      ui.setHelpOpen(!ui.helpOpen);
      return true;
    },
  },
  // A table's focused row (DataTable) handles these itself.
  { keys: [['ArrowDown'], ['ArrowUp']], label: 'In a table: next or previous row', run: () => false, local: true },
  { keys: [['Enter']], label: 'In a table: open the row', run: () => false, local: true },
  { keys: [[' ']], label: 'In a table: select or unselect the row', run: () => false, local: true },
  {
    keys: [['Escape']],
    label: 'Close a dialog or this help',
    // A dialog closes itself (the handler is off while one is open); Escape keeps its default.
    run: () => {
      useUiStore.getState().setHelpOpen(false);
      return false;
    },
  },
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  // Checkboxes and buttons do not take text: shortcuts still work while they have focus.
  return (
    el.tagName === 'INPUT' &&
    !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((el as HTMLInputElement).type)
  );
}

function find(sequence: string[]): Shortcut | undefined {
  return SHORTCUTS.find(
    (s) => !s.local && s.keys.some((k) => k.length === sequence.length && k.every((key, i) => key === sequence[i])),
  );
}

/** Listens for SHORTCUTS on the window, except while typing in a field or while a dialog is open. */
export function useShortcuts(): void {
  useEffect(() => {
    let prefix: string | null = null;
    let prefixAt = 0;
    const onKey = (e: KeyboardEvent): void => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const pending = prefix !== null && Date.now() - prefixAt < SEQUENCE_MS ? prefix : null;
      prefix = null;
      const hit = (pending !== null ? find([pending, e.key]) : undefined) ?? find([e.key]);
      if (hit) {
        if (hit.run()) e.preventDefault();
      } else if (SHORTCUTS.some((s) => s.keys.some((k) => k.length > 1 && k[0] === e.key))) {
        prefix = e.key;
        prefixAt = Date.now();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
