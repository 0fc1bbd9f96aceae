import type { LifecycleStore, StoreOptions } from './contract';
import { isPostgresUrl } from './location';
import { PgStore } from './postgres/store';
import { SqliteStore } from './sqlite/store';

/** Opens the store at `target`: a `postgres://` URL, else a SQLite file path. */
export async function openStore(target: string, options: StoreOptions = {}): Promise<LifecycleStore> {
  return isPostgresUrl(target) ? PgStore.open(target, options) : SqliteStore.open(target, options);
}
