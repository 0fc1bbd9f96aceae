import type { ApiArgs } from './api';
import { ID_MAX_LENGTH, SERIES_WINDOWS, TEXT_MAX, type SeriesWindow } from './api-values';
import { BULK_ACTIONS } from './triage';
import { DISPATCH_KINDS, ERROR_CLASSES, OUTBOX_STATUSES, TURN_STATUSES } from './types';

// The dashboard's address: a view, its filters, order and selection, in the hash
// (#/turns?status=running&channel=telegram&order=asc&sel=<id>). The hash works the same over
// http:// (browser mode) and app:// (Electron) and needs no server routes. One parser and one
// printer, pure (no DOM): the renderer's links and its sync with the stores use them, and so
// does the desktop shell for lifecycle-desk:// deep links and its menu. Whatever a URL holds is
// checked as the API would check it; anything else in it is ignored, never passed on.

export type TurnsFilter = Omit<Exclude<ApiArgs<'listTurns'>, undefined>, 'cursor' | 'limit'>;
export type OutboxFilter = Omit<Exclude<ApiArgs<'listOutbox'>, undefined>, 'cursor' | 'limit'>;
export type AuditUrlFilter = Omit<ApiArgs<'getAudit'>, 'cursor' | 'limit'>;
export type ErrorsSubject = 'turn' | 'outbox';

export type Route =
  | { view: 'overview'; window?: SeriesWindow }
  | { view: 'turns'; filter?: TurnsFilter; selection?: readonly string[] }
  | { view: 'outbox'; filter?: OutboxFilter; selection?: readonly string[] }
  | { view: 'errors'; since?: SeriesWindow; channel?: string; subject?: ErrorsSubject }
  | { view: 'audit'; filter?: AuditUrlFilter }
  | { view: 'turn'; id: string };

export type ViewName = Route['view'];

/** The views the sidebar and the View menu list (a turn's page is reached from the tables). */
export type NavView = Exclude<ViewName, 'turn'>;
export const NAV_VIEWS: readonly NavView[] = ['overview', 'turns', 'outbox', 'errors', 'audit'];

/** What a view shows when its URL says nothing (the stores start the same way). */
export const ROUTE_DEFAULTS = {
  overviewWindow: '1h',
  errorsSince: '24h',
  order: 'desc',
} as const satisfies { overviewWindow: SeriesWindow; errorsSince: SeriesWindow; order: 'asc' | 'desc' };

/** A link carries at most this many selected rows (a longer selection is cut, in selection order). */
export const SELECTION_URL_MAX = 50;

/** The API's text limits (shared/api-values.ts): a longer value in a URL is ignored, not cut. */
export { TEXT_MAX };

/** One query parameter: its name in the URL is the filter's key. */
type Field =
  | { key: string; kind: 'text'; max: number }
  | { key: string; kind: 'id' }
  | { key: string; kind: 'flag' }
  | { key: string; kind: 'time' }
  | { key: string; kind: 'one'; values: readonly string[] }
  | { key: string; kind: 'many'; values: readonly string[] };

const text = (key: keyof typeof TEXT_MAX): Field => ({ key, kind: 'text', max: TEXT_MAX[key] });
const time = (key: string): Field => ({ key, kind: 'time' });
const flag = (key: string): Field => ({ key, kind: 'flag' });
const ORDER: Field = { key: 'order', kind: 'one', values: ['asc', 'desc'] };

/** In the order they are printed. */
const TURNS_FIELDS: readonly Field[] = [
  { key: 'status', kind: 'many', values: TURN_STATUSES },
  text('channel'),
  text('sessionKey'),
  flag('stuck'),
  flag('dead'),
  text('search'),
  time('since'),
  time('until'),
  text('signature'),
  ORDER,
];

const OUTBOX_FIELDS: readonly Field[] = [
  { key: 'status', kind: 'many', values: OUTBOX_STATUSES },
  { key: 'turnId', kind: 'id' },
  { key: 'kind', kind: 'one', values: [...DISPATCH_KINDS, 'direct'] },
  text('channel'),
  flag('stuck'),
  flag('dead'),
  text('search'),
  time('since'),
  time('until'),
  { key: 'errorClass', kind: 'one', values: ERROR_CLASSES },
  text('signature'),
  ORDER,
];

const AUDIT_FIELDS: readonly Field[] = [
  text('by'),
  { key: 'action', kind: 'one', values: [...BULK_ACTIONS, 'prune', 'bulk'] },
  time('since'),
  time('until'),
];

const WINDOWS = Object.keys(SERIES_WINDOWS) as SeriesWindow[];

/** Chromium's and V8's largest date. */
const TIME_MAX = 8_640_000_000_000_000;

export function isValidId(id: string): boolean {
  return id.length >= 1 && id.length <= ID_MAX_LENGTH;
}

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** ms → a readable UTC instant, as short as it stays exact ("2026-12-01T20:30Z"). */
export function printTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (ms % 60_000 === 0) return `${iso.slice(0, 16)}Z`;
  if (ms % 1_000 === 0) return `${iso.slice(0, 19)}Z`;
  return iso;
}

/** A printed instant (or plain ms) → ms; null when it is neither. */
export function parseTime(s: string): number | null {
  let ms: number;
  if (/^\d{1,16}$/.test(s)) ms = Number(s);
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z$/.test(s)) ms = Date.parse(s);
  else return null;
  return Number.isSafeInteger(ms) && ms >= 0 && ms <= TIME_MAX ? ms : null;
}

/** One field's value from the URL, checked; undefined when absent or not valid. */
function readField(f: Field, raw: string): unknown {
  switch (f.kind) {
    case 'text': {
      const v = raw.trim();
      return v !== '' && v.length <= f.max ? v : undefined;
    }
    case 'id':
      return isValidId(raw) ? raw : undefined;
    case 'flag':
      return raw === '1' || raw === 'true' ? true : undefined;
    case 'time':
      return parseTime(raw) ?? undefined;
    case 'one':
      return f.values.includes(raw) ? raw : undefined;
    case 'many': {
      // Known values, each once, in the API's order: the same filter is always the same URL.
      const given = new Set(raw.split(','));
      const picked = f.values.filter((v) => given.has(v));
      return picked.length ? picked : undefined;
    }
  }
}

/** One field's value as printed; null when it is the default or empty (not printed). */
function printField(f: Field, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  switch (f.kind) {
    case 'text':
    case 'id':
    case 'one': {
      const v = readField(f, String(value));
      if (v === undefined || (f.key === 'order' && v === ROUTE_DEFAULTS.order)) return null;
      return encodeURIComponent(v as string);
    }
    case 'flag':
      return value === true ? '1' : null;
    case 'time':
      return typeof value === 'number' && parseTime(String(value)) !== null ? printTime(value) : null;
    case 'many': {
      const v = Array.isArray(value) ? readField(f, value.join(',')) : undefined;
      return v ? (v as string[]).join(',') : null;
    }
  }
}

function readFields<T>(fields: readonly Field[], params: Map<string, string>): T {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = params.get(f.key);
    if (raw === undefined) continue;
    const v = readField(f, raw);
    if (v !== undefined && !(f.key === 'order' && v === ROUTE_DEFAULTS.order)) out[f.key] = v;
  }
  return out as T;
}

function printFields(fields: readonly Field[], values: object | undefined): string[] {
  if (!values) return [];
  const parts: string[] = [];
  for (const f of fields) {
    const v = printField(f, (values as Record<string, unknown>)[f.key]);
    if (v !== null) parts.push(`${f.key}=${v}`);
  }
  return parts;
}

/** Selected ids: valid, each once, at most SELECTION_URL_MAX. */
export function cleanSelection(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(isValidId))].slice(0, SELECTION_URL_MAX);
}

/** `a=1&b=2` → its parameters, decoded; a parameter given twice counts once (the first). */
function readQuery(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    // Ids of a selection may hold commas: they are split before they are decoded.
    const raw = eq === -1 ? '' : part.slice(eq + 1);
    const value = key === 'sel' ? raw : decode(raw);
    if (key === null || value === null || params.has(key)) continue;
    params.set(key, value);
  }
  return params;
}

function readSelection(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const ids = raw.split(',').flatMap((s) => {
    const id = decode(s);
    return id === null ? [] : [id];
  });
  const clean = cleanSelection(ids);
  return clean.length ? clean : undefined;
}

function readWindow(raw: string | undefined, fallback: SeriesWindow): SeriesWindow | undefined {
  return raw !== undefined && (WINDOWS as string[]).includes(raw) && raw !== fallback
    ? (raw as SeriesWindow)
    : undefined;
}

/**
 * The route of a location hash ("#/turns?status=running"), or of the same without its "#".
 * An unknown view is the overview; a turn without a usable id is the Turns list.
 */
export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#?\/?/, '');
  const q = body.indexOf('?');
  const path = q === -1 ? body : body.slice(0, q);
  const params = readQuery(q === -1 ? '' : body.slice(q + 1));
  const [head, ...rest] = path.split('/');
  const selection = readSelection(params.get('sel'));
  const sel = selection ? { selection } : {};
  const nonEmpty = <T extends object>(o: T): T | undefined => (Object.keys(o).length ? o : undefined);
  switch (head) {
    case 'turns': {
      const filter = nonEmpty(readFields<TurnsFilter>(TURNS_FIELDS, params));
      return { view: 'turns', ...(filter ? { filter } : {}), ...sel };
    }
    case 'outbox': {
      const filter = nonEmpty(readFields<OutboxFilter>(OUTBOX_FIELDS, params));
      return { view: 'outbox', ...(filter ? { filter } : {}), ...sel };
    }
    case 'errors': {
      const route: Route & { view: 'errors' } = { view: 'errors' };
      const since = readWindow(params.get('since'), ROUTE_DEFAULTS.errorsSince);
      const channel = readField(text('channel'), params.get('channel') ?? '') as string | undefined;
      const subject = params.get('subject');
      if (since) route.since = since;
      if (channel) route.channel = channel;
      if (subject === 'turn' || subject === 'outbox') route.subject = subject;
      return route;
    }
    case 'audit': {
      const filter = nonEmpty(readFields<AuditUrlFilter>(AUDIT_FIELDS, params));
      return filter ? { view: 'audit', filter } : { view: 'audit' };
    }
    case 'turn': {
      const id = decode(rest.join('/'));
      return id !== null && isValidId(id) ? { view: 'turn', id } : { view: 'turns' };
    }
    default: {
      const window = readWindow(params.get('window'), ROUTE_DEFAULTS.overviewWindow);
      return window ? { view: 'overview', window } : { view: 'overview' };
    }
  }
}

/** The hash of a route ("#/turns?status=running"): only values that differ from the view's defaults. */
export function printRoute(route: Route): string {
  let parts: string[] = [];
  switch (route.view) {
    case 'turn':
      return `#/turn/${encodeURIComponent(route.id)}`;
    case 'overview':
      if (route.window && route.window !== ROUTE_DEFAULTS.overviewWindow) parts.push(`window=${route.window}`);
      break;
    case 'turns':
    case 'outbox': {
      parts = printFields(route.view === 'turns' ? TURNS_FIELDS : OUTBOX_FIELDS, route.filter);
      const sel = cleanSelection(route.selection ?? []);
      if (sel.length) parts.push(`sel=${sel.map(encodeURIComponent).join(',')}`);
      break;
    }
    case 'errors': {
      if (route.since && route.since !== ROUTE_DEFAULTS.errorsSince && WINDOWS.includes(route.since))
        parts.push(`since=${route.since}`);
      const channel = printField(text('channel'), route.channel);
      if (channel !== null) parts.push(`channel=${channel}`);
      if (route.subject === 'turn' || route.subject === 'outbox') parts.push(`subject=${route.subject}`);
      break;
    }
    case 'audit':
      parts = printFields(AUDIT_FIELDS, route.filter);
      break;
  }
  return `#/${route.view}${parts.length ? `?${parts.join('&')}` : ''}`;
}

/** The scheme the desktop app registers: lifecycle-desk://turns?status=running opens that view. */
export const DEEP_LINK_SCHEME = 'lifecycle-desk';

/** The desktop app's link to a route: the hash's path and query after lifecycle-desk://. */
export function deepLinkFor(route: Route): string {
  return `${DEEP_LINK_SCHEME}://${printRoute(route).slice(2)}`;
}

/**
 * The route a lifecycle-desk:// link names (`lifecycle-desk://turn/<id>`, also with three
 * slashes or none), or null when it is not such a link. What follows the scheme is read by
 * parseRoute: an unknown view is the overview.
 */
export function routeOfDeepLink(link: string): Route | null {
  const m = /^lifecycle-desk:(?:\/\/)?\/?([^#]*)/i.exec(link.trim());
  return m ? parseRoute(`#/${m[1] ?? ''}`) : null;
}
