import { create } from 'zustand';
import type { ExportFormat, ExportRequest } from '../../shared/api';
import { formatNumber } from '../format';
import { getTransport } from '../transport/client';
import { bulkFilter } from './bulk';

// Exports of a list's filter: the transport streams them (a download in a browser, a file the
// person picks in Electron); this store only says how it went, next to the menu that asked.

export type ExportTarget = ExportRequest extends infer R ? (R extends unknown ? Omit<R, 'format'> : never) : never;

export interface ExportState {
  /** Which menu (by exportKey) asked last; its message and error are shown there only. */
  key: string | null;
  busy: boolean;
  message: string | null;
  error: string | null;
  run(target: ExportTarget, format: ExportFormat): Promise<void>;
  dismiss(): void;
}

export function exportKey(target: ExportTarget): string {
  return `${target.list}:${JSON.stringify(bulkFilter(target.filter))}`;
}

/** The request as the API's schema takes it: the filter without paging or empty values. */
function request(target: ExportTarget, format: ExportFormat): ExportRequest {
  return { ...target, filter: bulkFilter(target.filter), format } as ExportRequest;
}

export const useExportStore = create<ExportState>()((set, get) => ({
  key: null,
  busy: false,
  message: null,
  error: null,
  async run(target, format) {
    if (get().busy) return;
    const key = exportKey(target);
    set({ key, busy: true, message: null, error: null });
    const result = await getTransport().exportRows(request(target, format));
    if (!result.ok) {
      set({ busy: false, error: `Export failed: ${result.error.message}` });
      return;
    }
    const { rows, savedTo, cancelled } = result.value;
    const message = cancelled
      ? 'Export cancelled.'
      : savedTo
        ? `Saved ${rows === null ? 'the' : formatNumber(rows)} ${rows === 1 ? 'row' : 'rows'} to ${savedTo}.`
        : `Download started (${format.toUpperCase()}).`;
    set({ busy: false, message });
  },
  dismiss() {
    set({ message: null, error: null });
  },
}));
