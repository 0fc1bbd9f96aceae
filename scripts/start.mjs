// `npm start`: the desktop app on the embedded demo database (extra arguments such as
// `--db PATH` are passed on). Without the Electron binary (installed with
// ELECTRON_SKIP_BINARY_DOWNLOAD=1, as on CI) it says so in one line and starts the browser mode
// (`lifecycle-desk serve --demo`) instead.
//
// With Electron, better-sqlite3 must be built for Electron's ABI, but the tests and the CLI need
// the Node build: scripts/native.mjs keeps both and swaps them for the session (see there).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { electronBinary, electronVersion, heal, releaseElectronBuild, root, useElectronBuild } from './native.mjs';

const extra = process.argv.slice(2);

/** Runs `command`, passes SIGTERM/SIGHUP on, and resolves with its exit code. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    // Ctrl-C reaches the child from the terminal itself; only signals sent to us are passed on.
    const onInterrupt = () => {};
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    child.on('error', (err) => {
      console.error(`cannot start ${command}: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function browserMode(line) {
  console.log(line);
  try {
    heal();
  } catch {
    // the browser mode reports a broken native build itself
  }
  const hasDb = extra.some((a) => a === '--db' || a.startsWith('--db='));
  const cli = path.join(root, 'dist', 'main', 'cli', 'bin.js');
  return run(process.execPath, [cli, 'serve', ...(hasDb ? [] : ['--demo']), ...extra]);
}

async function desktop(executable) {
  const main = path.join(root, 'dist', 'app', 'main.js');
  for (const file of [main, path.join(root, 'dist', 'renderer', 'index.html')]) {
    if (!fs.existsSync(file)) {
      console.error(`${path.relative(root, file)} is missing: run npm run build first`);
      return 1;
    }
  }
  try {
    await useElectronBuild(process.pid);
  } catch (err) {
    const message = String(err instanceof Error ? err.message : err).split('\n')[0];
    console.error(`cannot prepare better-sqlite3 for Electron ${electronVersion()}: ${message}`);
    console.error(
      '(this needs the network once: a prebuilt binary or the Electron headers; `node scripts/start.mjs` without the Electron binary runs the browser mode)',
    );
    releaseElectronBuild(process.pid);
    return 1;
  }
  try {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    return await run(executable, [main, ...extra], { env });
  } finally {
    releaseElectronBuild(process.pid);
  }
}

const electron = electronBinary();
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const code = !electron.path
  ? await browserMode(`Electron binary not installed (${electron.reason}); starting browser mode instead`)
  : headless
    ? await browserMode(
        'No display for Electron ($DISPLAY and $WAYLAND_DISPLAY are unset); starting browser mode instead',
      )
    : await desktop(electron.path);
process.exit(code);
