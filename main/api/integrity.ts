import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { IntegrityState } from '../../shared/api';

/** The integrity check runs in a thread of its own; a thread that fails says so as its state. */
export function startIntegrityCheck(file: string, onState: (state: IntegrityState) => void): Worker {
  const thread = new Worker(path.join(__dirname, 'integrity-thread.js'), { workerData: { file } });
  let final = false;
  thread.on('message', (state: IntegrityState) => {
    if (final) return;
    final = state.state !== 'checking';
    onState(state);
  });
  thread.on('error', (err) => onState({ state: 'unavailable', checked: 0, total: 0, message: err.message }));
  thread.unref();
  return thread;
}
