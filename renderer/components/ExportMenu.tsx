import type { ExportRequest } from '../../shared/api';

// TODO(issue 11, helper D1): CSV / JSON export of the current filter (ApiClient.exportRows).
// The props are the interface the list and audit views use; D1 owns the implementation.

export type ExportTarget = ExportRequest extends infer R ? (R extends unknown ? Omit<R, 'format'> : never) : never;

export function ExportMenu(_props: { target: ExportTarget }) {
  return null;
}
