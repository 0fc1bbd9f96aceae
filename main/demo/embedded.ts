import type { LifecycleStore } from '../store/contract';
import { SqliteStore } from '../store/sqlite/store';
import { IncidentGateway } from './incident';
import { seedPast } from './past';
import { DEFAULT_DEMO_SEED, DEMO_SEED_ENV } from './scenario';
import { sinkFileFor } from './sink';

/** The incident's seed: `serve --demo --seed N` (or the app's environment) sets it; fixed by default. */
export function demoSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[DEMO_SEED_ENV];
  return raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) % 2 ** 32 : DEFAULT_DEMO_SEED;
}

/**
 * The demo gateway the app embeds on its demo database (desktop default, `serve --demo`): an
 * incident to triage (scenario.ts). A new (or long idle) file first gets the incident's past two
 * hours, written before this returns, so the first screen already shows stuck and dead work.
 */
export function embeddedDemo(
  store: LifecycleStore,
  dbPath: string,
  { seed = demoSeed(), latencyMs = 400 }: { seed?: number; latencyMs?: number } = {},
): IncidentGateway {
  const sqlite = store instanceof SqliteStore ? store : undefined;
  const startAt = sqlite ? sqlite.lc.core.now() : Date.now();
  const past = sqlite ? seedPast(sqlite.location, { seed, startAt, owner: store.owner }) : null;
  const gateway = new IncidentGateway(store, {
    seed,
    startAt,
    sinkFile: sinkFileFor(dbPath),
    latencyMs,
    ...(past ? { firstN: past.nextN } : {}),
  });
  if (past) gateway.hold(past.heldTurns, past.heldTurns.at(-1) ?? null);
  return gateway;
}
