import type { Core } from '../context';

// Where the planner's statistics mislead it (a file where nearly every row is delivered makes a
// status index look selective for failures), a query names v5's partial index with INDEXED BY.
// An older file opened read-only through the shim has no such index: the query then goes
// without the clause, and plans as before.

const known = new WeakMap<Core, Map<string, boolean>>();

/** Whether the file has the index or table `name` (asked once per connection; an older file read through the shim lacks v5's). */
export function hasSchemaObject(core: Core, name: string): boolean {
  let names = known.get(core);
  if (!names) known.set(core, (names = new Map()));
  let has = names.get(name);
  if (has === undefined) {
    // The schema table is a few dozen rows, read once per connection: not a statement of the core.
    has = core.db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(name) !== undefined;
    names.set(name, has);
  }
  return has;
}

/** ` INDEXED BY <index>` when the file has it, else nothing. */
export function indexedBy(core: Core, index: string): string {
  return hasSchemaObject(core, index) ? ` INDEXED BY ${index}` : '';
}
