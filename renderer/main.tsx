import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { parseRoute } from './routing';
import { startLiveness } from './stores/liveness';
import { useStatusStore } from './stores/status';
import { startSync } from './stores/sync';
import { applyTheme, useUiStore } from './stores/ui';
import { getTransport } from './transport/client';
import { startUrlSync } from './url-state';

// Take the one-time sign-in code out of the URL before anything reads the route (it is traded for
// a session cookie), then subscribe to pushes.
getTransport();
applyTheme(useUiStore.getState().theme);
// The URL's view, filters and selection are in the stores before anything loads.
startUrlSync();
// The overview's data is asked for before the first render, and before anything else: the API
// answers in order, so the counts come first.
if (parseRoute(window.location.hash).view === 'overview') void useStatusStore.getState().show();
startSync();
startLiveness();

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
