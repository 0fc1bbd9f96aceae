import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { startLiveness } from './stores/liveness';
import { startSync } from './stores/sync';
import { applyTheme, useUiStore } from './stores/ui';
import { getTransport } from './transport/client';

// Take the token out of the URL before anything reads the route, then subscribe to pushes.
getTransport();
applyTheme(useUiStore.getState().theme);
startSync();
startLiveness();

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
