import { EXPORT_FORMATS } from '../../shared/api-values';
import { exportKey, useExportStore, type ExportTarget } from '../stores/export';

// The list and audit views place this with their filters: every row matching the filter,
// streamed by the transport (a download in a browser, a file in Electron).

export type { ExportTarget };

const LABEL = { csv: 'CSV', json: 'JSON' } as const;

/** Export buttons for a filter, and how the last export from here went. */
export function ExportMenu({ target }: { target: ExportTarget }) {
  const key = exportKey(target);
  const mine = useExportStore((s) => s.key === key);
  const busy = useExportStore((s) => s.busy);
  const message = useExportStore((s) => (s.key === key ? s.message : null));
  const error = useExportStore((s) => (s.key === key ? s.error : null));
  const run = useExportStore((s) => s.run);
  const dismiss = useExportStore((s) => s.dismiss);
  return (
    <div className="export-menu" role="group" aria-label="Export">
      <span className="field-label">Export</span>
      {EXPORT_FORMATS.map((f) => (
        <button
          key={f}
          type="button"
          className="btn btn-small"
          disabled={busy}
          title={`Every ${target.list === 'audit' ? 'entry' : 'row'} matching the filter, as ${LABEL[f]}`}
          onClick={() => void run(target, f)}
        >
          {LABEL[f]}
        </button>
      ))}
      {mine && busy && <span className="muted small">Exporting…</span>}
      {message && (
        <span
          className="muted small export-message"
          aria-live="polite"
          title="Every row matching the filter, written page by page as it is read"
        >
          {message}
        </span>
      )}
      {error && (
        <span className="export-error small" role="alert">
          {error}{' '}
          <button type="button" className="btn btn-ghost btn-small" onClick={dismiss}>
            Dismiss
          </button>
        </span>
      )}
    </div>
  );
}
