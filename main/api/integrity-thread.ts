import { parentPort, workerData } from 'node:worker_threads';
import { checkIntegrity } from '../lifecycle/integrity';

// Runs the integrity check of the open file in a thread of its own, so a check of a large
// file never delays the engine's API calls. Posts IntegrityState messages, the last one final.

if (parentPort && typeof (workerData as { file?: unknown } | null)?.file === 'string') {
  const port = parentPort;
  const file = (workerData as { file: string }).file;
  port.postMessage(checkIntegrity(file, (state) => port.postMessage(state)));
}
