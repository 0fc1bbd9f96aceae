import type { LifecycleStore } from '../store/contract';
import { DemoGateway } from './gateway';
import { sinkFileFor } from './sink';

/**
 * The demo gateway the app embeds on its demo database (desktop default, `serve --demo`):
 * human-paced traffic with failures, aborts and duplicates, so every view has something to show.
 */
export function embeddedDemo(store: LifecycleStore, dbPath: string): DemoGateway {
  return new DemoGateway(store, {
    failureRate: 0.2,
    abortRate: 0.02,
    duplicateRate: 0.05,
    latencyMs: 400,
    seed: Date.now() % 2_147_483_647,
    sinkFile: sinkFileFor(dbPath),
  });
}
