// `npm run dist`: package the desktop app with electron-builder (electron-builder.yml), passing
// extra arguments on (e.g. `npm run dist -- --linux AppImage`).
//
// electron-builder rebuilds better-sqlite3 for Electron *in place* (npmRebuild); afterwards the
// Node build that the tests and the CLI load is put back (scripts/native.mjs), also when
// packaging fails. Needs the network: the Electron runtime, and Electron headers or a prebuilt
// better-sqlite3 for Electron.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { heal, root, saveNodeBuild } from './native.mjs';

const require = createRequire(path.join(root, 'package.json'));

heal();
saveNodeBuild();
let status = 1;
try {
  const env = { ...process.env };
  // Set on CI for node-gyp's Node headers; it would make the Electron rebuild use them.
  for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_nodedir') delete env[key];
  const cli = require.resolve('electron-builder/cli.js');
  const r = spawnSync(process.execPath, [cli, '--publish', 'never', ...process.argv.slice(2)], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  status = r.status ?? 1;
} finally {
  const result = heal(undefined, true);
  if (result === 'restored') console.error('[dist] restored the Node build of better-sqlite3');
}
process.exit(status);
