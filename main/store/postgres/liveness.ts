import type { Liveness } from '../../../shared/views';
import { beatsSince, beatsSql, livenessOf, newestWriteSql, type BeatRow } from '../../lifecycle/liveness';
import { read, type PgCore } from './context';

/** Is anyone recovering this database? The same reading of heartbeats and writes as SQLite's. */
export function liveness(core: PgCore, lastExternalWriteAt: number | null): Promise<Liveness> {
  return read(core, async (t) => {
    const beats = await t.all<BeatRow>(beatsSql('lifecycle_workers', '$1'), [beatsSince(t.now)]);
    const newest = await t.one<{ at: number }>(newestWriteSql('greatest'));
    return livenessOf({ now: t.now, owner: core.owner, beats, newestWriteAt: newest!.at, lastExternalWriteAt });
  });
}
