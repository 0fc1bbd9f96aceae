// better-sqlite3 is a native addon: one binary works either under Node (the CLI, the browser
// mode, the tests) or under Electron (another ABI), never both. We keep both builds side by
// side and swap the single file that is loaded, build/Release/better_sqlite3.node:
//
//   node_modules/.cache/lifecycle-desk/better-sqlite3-<version>/
//     node-abi<N>-<platform>-<arch>/better_sqlite3.node      the Node build, saved before any swap
//     electron-<version>-<platform>-<arch>/better_sqlite3.node  built once with @electron/rebuild,
//                                                              in a staging copy of the package
//     sessions/<pid>                                          who is running on the Electron build
//
// `useElectronBuild(pid)` installs the Electron build for a session (start.mjs, the Electron
// e2e test); `releaseElectronBuild(pid)` puts the Node build back once the last live session
// ends. Files are replaced by rename, so a running process keeps the file it loaded. Every
// entry point first calls `heal()`, which restores the Node build when a session died without
// releasing it (killed, crashed). The cache lives in node_modules, so `npm ci` resets it.
// Last resort by hand: `npm rebuild better-sqlite3`.
//
// CLI: node scripts/native.mjs status | heal | electron --owner PID | node --owner PID
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

const log = (line) => console.error(`[native] ${line}`);

/** The Electron executable, or null with the reason it is not usable. */
export function electronBinary() {
  let executable;
  try {
    executable = require('electron');
  } catch {
    const why = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
      ? 'ELECTRON_SKIP_BINARY_DOWNLOAD is set'
      : 'installed with ELECTRON_SKIP_BINARY_DOWNLOAD?';
    return { path: null, reason: `no binary in node_modules/electron/dist; ${why}` };
  }
  if (typeof executable !== 'string' || !fs.existsSync(executable)) {
    return { path: null, reason: `${String(executable)} does not exist` };
  }
  return { path: executable, reason: null };
}

export function electronVersion() {
  return require('electron/package.json').version;
}

function firstLine(err) {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

function paths() {
  const pkgDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const cache = path.join(root, 'node_modules', '.cache', 'lifecycle-desk', `better-sqlite3-${version}`);
  const target = `${process.platform}-${process.arch}`;
  return {
    pkgDir,
    installed: path.join(pkgDir, 'build', 'Release', 'better_sqlite3.node'),
    nodeBuild: path.join(cache, `node-abi${process.versions.modules}-${target}`, 'better_sqlite3.node'),
    electronBuild: (v) => path.join(cache, `electron-${v}-${target}`, 'better_sqlite3.node'),
    sessions: path.join(cache, 'sessions'),
  };
}

/** Replaces `dest` with a copy of `src` by rename: whoever has the old file loaded keeps it. */
function install(src, dest) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.copyFileSync(src, tmp);
  try {
    fs.renameSync(tmp, dest);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`cannot replace ${dest} (is the app still running?): ${firstLine(err)}`);
  }
}

function sameFile(a, b) {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.size === sb.size && fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

/** Does the installed build load under this Node? (In a child: a loaded .dll cannot be replaced on Windows.) */
export function nodeBuildWorks() {
  const probe = "const D = require('better-sqlite3'); new D(':memory:').close();";
  const r = spawnSync(process.execPath, ['-e', probe], { cwd: root, stdio: 'ignore' });
  return r.status === 0;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Live sessions on the Electron build; stale entries (dead pids) are removed. */
function liveSessions(p = paths()) {
  let entries = [];
  try {
    entries = fs.readdirSync(p.sessions);
  } catch {
    return [];
  }
  const live = [];
  for (const name of entries) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) live.push(pid);
    else fs.rmSync(path.join(p.sessions, name), { force: true });
  }
  return live;
}

/** Makes sure a working Node build is saved in the cache (and installed). */
export function saveNodeBuild(p = paths()) {
  if (liveSessions(p).length === 0 && nodeBuildWorks()) {
    if (!sameFile(p.installed, p.nodeBuild)) install(p.installed, p.nodeBuild);
    return;
  }
  if (fs.existsSync(p.nodeBuild)) return;
  // Neither installed nor saved (e.g. a packaging run was killed): rebuild it for Node.
  log('the Node build of better-sqlite3 is missing; running npm rebuild better-sqlite3');
  const r = spawnSync('npm', ['rebuild', 'better-sqlite3'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0 || !nodeBuildWorks()) throw new Error('npm rebuild better-sqlite3 failed');
  install(p.installed, p.nodeBuild);
}

/** Restores the Node build if no live session uses the Electron build; returns what it did. */
export function heal(p = paths(), quiet = false) {
  if (liveSessions(p).length > 0) return 'electron build in use';
  if (fs.existsSync(p.nodeBuild) && !sameFile(p.installed, p.nodeBuild)) {
    install(p.nodeBuild, p.installed);
    if (!quiet) log('restored the Node build of better-sqlite3 (a desktop session ended without restoring it)');
    return 'restored';
  }
  return 'ok';
}

/**
 * Builds better-sqlite3 for this Electron version once and keeps it in the cache: in a staging
 * copy of the package, so the installed Node build is never touched (tests and the CLI keep
 * working meanwhile, and a failed or killed build leaves nothing broken). @electron/rebuild
 * first tries a prebuilt binary for Electron, then node-gyp with the Electron headers: both
 * need the network.
 */
export async function ensureElectronBuild(version = electronVersion(), p = paths()) {
  const cached = p.electronBuild(version);
  if (fs.existsSync(cached)) return cached;
  const stage = path.join(path.dirname(p.sessions), `stage-${process.pid}`);
  const staged = path.join(stage, 'node_modules', 'better-sqlite3');
  log(`building better-sqlite3 for Electron ${version} (once; cached in ${path.relative(root, path.dirname(cached))})`);
  const { rebuild } = await import('@electron/rebuild');
  // npm_config_nodedir (set on CI for the Node headers) would make node-gyp build against Node.
  const saved = {};
  for (const key of Object.keys(process.env)) {
    if (key.toLowerCase() === 'npm_config_nodedir') {
      saved[key] = process.env[key];
      delete process.env[key];
    }
  }
  try {
    fs.rmSync(stage, { recursive: true, force: true });
    const skip = path.join(p.pkgDir, 'build');
    fs.cpSync(p.pkgDir, staged, { recursive: true, filter: (src) => src !== skip && !src.startsWith(skip + path.sep) });
    const { version: sqliteVersion } = JSON.parse(fs.readFileSync(path.join(staged, 'package.json'), 'utf8'));
    fs.writeFileSync(
      path.join(stage, 'package.json'),
      JSON.stringify({
        name: 'electron-native-stage',
        private: true,
        dependencies: { 'better-sqlite3': sqliteVersion },
      }),
    );
    await rebuild({
      buildPath: stage,
      projectRootPath: stage,
      electronVersion: version,
      force: true,
      onlyModules: ['better-sqlite3'],
    });
    install(path.join(staged, 'build', 'Release', 'better_sqlite3.node'), cached);
  } finally {
    Object.assign(process.env, saved);
    fs.rmSync(stage, { recursive: true, force: true });
  }
  return cached;
}

/** Installs the Electron build for the session of process `owner` (a pid). */
export async function useElectronBuild(owner, p = paths()) {
  heal(p);
  saveNodeBuild(p);
  const build = await ensureElectronBuild(undefined, p);
  fs.mkdirSync(p.sessions, { recursive: true });
  fs.writeFileSync(path.join(p.sessions, String(owner)), `${new Date().toISOString()}\n`);
  install(build, p.installed);
}

/** Ends the session of `owner`; the last one out puts the Node build back. */
export function releaseElectronBuild(owner, p = paths()) {
  fs.rmSync(path.join(p.sessions, String(owner)), { force: true });
  return heal(p, true);
}

export function status(p = paths()) {
  const version = (() => {
    try {
      return electronVersion();
    } catch {
      return null;
    }
  })();
  const installed = sameFile(p.installed, p.nodeBuild)
    ? 'node'
    : version && sameFile(p.installed, p.electronBuild(version))
      ? 'electron'
      : 'unknown';
  return {
    installed,
    nodeBuildSaved: fs.existsSync(p.nodeBuild),
    electronBuildCached: version ? fs.existsSync(p.electronBuild(version)) : false,
    sessions: liveSessions(p),
  };
}

async function cli(argv) {
  const [command, ...rest] = argv;
  const ownerAt = rest.indexOf('--owner');
  const owner = ownerAt >= 0 ? Number(rest[ownerAt + 1]) : process.ppid;
  switch (command) {
    case 'status':
      console.log(JSON.stringify(status(), null, 2));
      return;
    case 'heal':
      console.log(heal());
      return;
    case 'electron':
      await useElectronBuild(owner);
      return;
    case 'node':
      console.log(releaseElectronBuild(owner));
      return;
    default:
      throw new Error('usage: node scripts/native.mjs status | heal | electron --owner PID | node --owner PID');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((err) => {
    console.error(`[native] ${firstLine(err)}`);
    process.exit(1);
  });
}
