import { createListStore } from './list';

/** The Turns table: newest first by default. */
export const useTurnsStore = createListStore('listTurns', { order: 'desc' });
