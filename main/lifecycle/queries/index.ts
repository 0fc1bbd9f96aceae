// The read side used by the CLI and the dashboard API. Each query is a range scan on one
// index (checked by test/unit/query-plans.test.ts on a large file).
export type {
  AuditFilter,
  ChannelStats,
  ErrorGroupQuery,
  OutboxFilter,
  OutboxListItem,
  Page,
  SeriesPoint,
  TurnDetail,
  TurnFilter,
  TurnListItem,
} from '../../../shared/views';
export { statusCounts } from './counts';
export { countOutbox, countTurns, listOutbox, listTurns } from './lists';
export { errorGroups } from './error-groups';
export { auditTrail, history, turnDetail } from './detail';
export { series } from './series';
export { channelStats } from './channel-stats';
