import { createListStore } from './list';

/** The Outbox table: newest first by default. */
export const useOutboxStore = createListStore('listOutbox', { order: 'desc' });
