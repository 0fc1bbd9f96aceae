// A child process for the tests that need a real process: one that dies by SIGKILL inside a
// transaction (SQLite: the core's AbortHooks seam), or one that must exit on its own after the
// worker stopped (any backend).
// Usage: node dist/test/helpers/child.js <mode> <file or postgres:// URL> [args…]. Without
// arguments (as when the test runner loads every file under test/) it does nothing.
import { Lifecycle, RecoveryWorker } from '../../main/lifecycle';
import { openStore } from '../../main/store/open';

async function main(mode: string, file: string, args: string[]): Promise<void> {
  if (mode === 'abort-crash') {
    const [sessionKey = ''] = args;
    const lc = Lifecycle.open(file);
    lc.abortSession(sessionKey, { actor: 'gateway' }, { betweenUpdates: () => process.kill(process.pid, 'SIGKILL') });
    console.log('abort committed'); // never reached: the process is killed inside the transaction
    return;
  }
  if (mode === 'worker-stop') {
    const now = Number(args[0]);
    const store = await openStore(file, {
      now: () => now,
      config: { handlerTimeoutMs: 3_600_000, workerTickMs: 3_600_000 },
    });
    let called!: () => void;
    const deliverCalled = new Promise<void>((resolve) => (called = resolve));
    const worker = new RecoveryWorker(store, {
      deliver: () => {
        called();
        return new Promise<void>(() => undefined); // hangs forever
      },
    });
    worker.start();
    await deliverCalled;
    console.log('deliver called');
    await worker.stop();
    console.log('stopped');
    await store.close();
    return; // the process must now exit by itself: no timer of the worker or the store may keep it alive
  }
  throw new Error(`unknown mode ${mode}`);
}

const [mode, file, ...rest] = process.argv.slice(2);
if (require.main === module && mode !== undefined && file !== undefined) {
  main(mode, file, rest).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
