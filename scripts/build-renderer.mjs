// Builds the dashboard: renderer/main.tsx → dist/renderer/app.js, renderer/styles.css →
// dist/renderer/app.css, and dist/renderer/index.html. The page has no inline script or
// style: the browser-mode server sends `script-src 'self'`, and the same strict policy is in
// a <meta> for Electron's file:// load.
import { build } from 'esbuild';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'renderer');
// Development builds (`--dev` or LIFECYCLE_DEV=1) are unminified and carry source maps; the
// servers serve *.map only in development too (main/http/confine.ts).
const dev = process.argv.includes('--dev') || process.env.LIFECYCLE_DEV === '1';

// The one policy (shared/csp.ts), from the Node build: `tsc -b` runs first (npm run build:renderer).
const require = createRequire(import.meta.url);
const distCsp = path.join(root, 'dist', 'shared', 'csp.js');
export const CSP = (() => {
  try {
    return require(distCsp).META_CONTENT_SECURITY_POLICY;
  } catch {
    throw new Error(`${distCsp} is missing: run tsc -b before building the renderer`);
  }
})();

const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${CSP}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="referrer" content="no-referrer" />
    <title>Lifecycle Desk</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="app.css" />
    <script type="module" src="app.js"></script>
  </head>
  <body>
    <div id="root"></div>
    <noscript>Lifecycle Desk needs JavaScript.</noscript>
  </body>
</html>
`;

const started = Date.now();
await fs.rm(outdir, { recursive: true, force: true });
await fs.mkdir(outdir, { recursive: true });

const common = {
  bundle: true,
  minify: !dev,
  sourcemap: dev,
  legalComments: 'linked',
  logLevel: 'warning',
  target: ['chrome120'],
};

await Promise.all([
  build({
    ...common,
    // ES modules split at dynamic import(): the charts (recharts and d3, half the bundle) are a
    // chunk of their own, parsed only when the overview has a series to draw.
    entryPoints: { app: path.join(root, 'renderer', 'main.tsx') },
    outdir,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    tsconfig: path.join(root, 'tsconfig.web.json'),
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  }),
  build({
    ...common,
    entryPoints: [path.join(root, 'renderer', 'styles.css')],
    outfile: path.join(outdir, 'app.css'),
  }),
  fs.writeFile(path.join(outdir, 'index.html'), html),
]);

const size = (await fs.stat(path.join(outdir, 'app.js'))).size;
console.log(`renderer built in ${Date.now() - started} ms: dist/renderer/app.js ${(size / 1024).toFixed(0)} KiB`);
