import { v1 } from './v1';
import { v2 } from './v2';
import { v3 } from './v3';
import { v4 } from './v4';
import { v5 } from './v5';
import { v6 } from './v6';
import type { Migration } from './types';

export {
  OUTBOX_COLUMNS,
  TURN_COLUMNS,
  V5_HISTORY_COLUMNS,
  V5_OUTBOX_COLUMNS,
  V5_TURN_COLUMNS,
  type ColumnSpec,
} from './columns';
export type { Migration } from './types';

/**
 * One entry per `user_version`. Migration N brings a file from N-1 to N and runs inside
 * the single transaction opened by `migrate`. Version 1 also adopts files written by
 * gateways that predate versioning: their tables exist, possibly missing columns.
 */
export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, v4, v5, v6];
export const SCHEMA_VERSION = MIGRATIONS.length;
export const LIFECYCLE_TABLES = ['message_turns', 'message_outbox'] as const;
