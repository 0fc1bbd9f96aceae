// The library a gateway imports: `import { Lifecycle, RecoveryWorker } from 'lifecycle-desk'`.
export { Lifecycle, type LifecycleOptions } from './lifecycle';
export { DEFAULT_CONFIG, type LifecycleConfig } from './config';
export { LifecycleError, type LifecycleErrorCode } from './errors';
export { SCHEMA_VERSION } from './migrations';
export type { AcceptInput, AcceptResult, RouteInput } from './turns';
export type { EnqueueInput, EnqueueResult, FailInput } from './outbox';
export type { FinalizeOptions, FinalizeResult } from './finalize';
export type { AbortResult } from './abort';
export type { ImportResult, ImportProgress } from './legacy-import';
export type * from './queries';
export { RecoveryWorker, type WorkerOptions } from '../recovery/worker';
export { DeliveryError, type DeliverHandler, type ReplayHandler, type ReplayOutcome } from '../recovery/handlers';
export type { PassReport } from '../recovery/passes';
export * from '../../shared/types';
// The async contract over either backend: `await openStore('/path/file.db' | 'postgres://…')`.
export { openStore } from '../store/open';
export { SqliteStore } from '../store/sqlite/store';
export { PgStore } from '../store/postgres/store';
export type { Backend, LifecycleStore, RecoveryStore, StoreOptions } from '../store/contract';
