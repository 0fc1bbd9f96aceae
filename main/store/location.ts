// What `--db`, LIFECYCLE_DESK_DB and the desktop's Open accept: a SQLite file path, or a
// PostgreSQL URL. A URL's password never leaves this process: everything shown uses `redact`.

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target.trim());
}

/** The URL without its password (and without a `password` query parameter). */
export function redactUrl(target: string): string {
  try {
    const url = new URL(target);
    if (url.password) url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    // Not parseable as a URL: strip anything between "//user:" and "@".
    return target.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** Where the data is, safe to show in logs, getInfo and the UI. */
export function displayLocation(target: string): string {
  return isPostgresUrl(target) ? redactUrl(target) : target;
}

/** A short name for a window title: the file's name, or the database's name and host. */
export function shortName(location: string): string {
  if (!isPostgresUrl(location)) return location.split(/[\\/]/).pop() ?? location;
  try {
    const url = new URL(location);
    return `${decodeURIComponent(url.pathname.slice(1)) || 'postgres'} on ${url.searchParams.get('host') ? 'a local socket' : url.host}`;
  } catch {
    return 'PostgreSQL';
  }
}
