import { create } from 'zustand';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface UiState {
  theme: ThemeChoice;
  helpOpen: boolean;
  setTheme(theme: ThemeChoice): void;
  cycleTheme(): void;
  setHelpOpen(open: boolean): void;
}

const THEME_KEY = 'lifecycle-desk.theme';

function initialTheme(): ThemeChoice {
  try {
    const t = window.localStorage.getItem(THEME_KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

/** Applies the choice to <html data-theme>; "system" follows prefers-color-scheme (CSS). */
export function applyTheme(theme: ThemeChoice): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export const useUiStore = create<UiState>()((set, get) => ({
  theme: initialTheme(),
  helpOpen: false,
  setTheme(theme) {
    try {
      if (theme === 'system') window.localStorage.removeItem(THEME_KEY);
      else window.localStorage.setItem(THEME_KEY, theme);
    } catch {
      // not persisted
    }
    applyTheme(theme);
    set({ theme });
  },
  cycleTheme() {
    const order: ThemeChoice[] = ['system', 'light', 'dark'];
    get().setTheme(order[(order.indexOf(get().theme) + 1) % order.length] ?? 'system');
  },
  setHelpOpen(helpOpen) {
    set({ helpOpen });
  },
}));
