import fs from 'node:fs';
import path from 'node:path';

// The one rule for serving the renderer's files, whoever serves them: the browser mode's static
// server (static.ts) and Electron's app:// handler (app/policy.ts, app/protocol.ts). No
// Electron import, so both are tested under plain Node with the same cases
// (test/helpers/confine-cases.ts).
//
// A URL path names a file inside `root` only if, decoding segment by segment (so `%2e%2e`,
// `%2f` and `%5c` cannot smuggle a `..` or a separator past the checks): no `..` or `.`
// segment, no separator, backslash or NUL inside a segment, no segment starting with `.`
// (dotfiles and dot-folders), no source map unless asked for; and then, on disk, its real path
// (symlinks resolved) lies under the real root and is a regular file.

export interface ConfineOptions {
  /** Serve `*.map` files: development only (LIFECYCLE_DEV=1). */
  sourceMaps?: boolean;
}

export type Refused = { status: 400 | 403 | 404 };

/** Serving source maps is for development builds only. */
export function sourceMapsWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LIFECYCLE_DEV === '1';
}

/**
 * The path under `root` a raw (still percent-encoded) URL path names, checked by name only;
 * `/` and a path ending in `/` name that folder's index.html.
 */
export function confinePath(
  root: string,
  rawPathname: string,
  options: ConfineOptions = {},
): { file: string } | Refused {
  if (!rawPathname.startsWith('/') || rawPathname.includes('\\')) return { status: 403 };
  const segments: string[] = [];
  for (const raw of rawPathname.slice(1).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { status: 400 };
    }
    if (seg === '..' || seg === '.' || /[/\\\0]/.test(seg)) return { status: 403 };
    if (seg.startsWith('.')) return { status: 404 };
    if (seg !== '') segments.push(seg);
  }
  if (segments.length === 0 || rawPathname.endsWith('/')) segments.push('index.html');
  if (!options.sourceMaps && segments[segments.length - 1]!.toLowerCase().endsWith('.map')) return { status: 404 };
  const base = path.resolve(root);
  const file = path.join(base, ...segments);
  if (!isInside(base, file)) return { status: 403 };
  return { file };
}

export interface ConfinedFile {
  /** The real path (symlinks resolved), inside the real root. */
  file: string;
  size: number;
  mtimeMs: number;
}

/** The regular file `file` really is, if its real path lies under root's real path; else null. */
export async function openConfined(root: string, file: string): Promise<ConfinedFile | null> {
  try {
    const [realRoot, realFile] = await Promise.all([fs.promises.realpath(root), fs.promises.realpath(file)]);
    if (!isInside(realRoot, realFile)) return null;
    // A symlink inside may point at a dotfile inside: the real name obeys the same rule.
    if (
      path
        .relative(realRoot, realFile)
        .split(path.sep)
        .some((s) => s.startsWith('.'))
    )
      return null;
    const stat = await fs.promises.stat(realFile);
    return stat.isFile() ? { file: realFile, size: stat.size, mtimeMs: stat.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Both steps: the file a raw URL path may serve, or why not (404 for anything missing). */
export async function resolveConfined(
  root: string,
  rawPathname: string,
  options: ConfineOptions = {},
): Promise<ConfinedFile | Refused> {
  const named = confinePath(root, rawPathname, options);
  if (!('file' in named)) return named;
  return (await openConfined(root, named.file)) ?? { status: 404 };
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
