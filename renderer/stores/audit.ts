import { create } from 'zustand';
import type { HistoryEntry } from '../../shared/types';
import { call } from '../transport/client';
import { onRefresh } from './sync';

/** The operator actions, newest first. */
export interface AuditState {
  entries: HistoryEntry[];
  active: boolean;
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  setActive(active: boolean): void;
}

const AUDIT_LIMIT = 500;

export const useAuditStore = create<AuditState>()((set) => ({
  entries: [],
  active: false,
  loading: false,
  error: null,
  async load() {
    set({ loading: true });
    try {
      set({ entries: (await call('getAudit', { limit: AUDIT_LIMIT })).items, loading: false, error: null });
    } catch (err) {
      set({ loading: false, error: (err as Error).message });
    }
  },
  setActive(active) {
    set({ active });
  },
}));

onRefresh(async () => {
  if (useAuditStore.getState().active) await useAuditStore.getState().load();
});
