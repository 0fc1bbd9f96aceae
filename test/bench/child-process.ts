import { spawn } from 'node:child_process';

/**
 * Runs `node <script> <args…>` and resolves with the JSON of the last line it printed on stdout;
 * rejects when it exits non-zero or that line is not JSON. Its stderr is echoed, named `name`.
 */
export function runJsonChild<T>(script: string, args: string[], name: string): Promise<T> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (err.trim() !== '') console.log(`  [${name} ${child.pid} stderr] ${err.trim().split('\n').join('\n    ')}`);
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        resolve(JSON.parse(last) as T);
      } catch (e) {
        reject(new Error(`${name} process ${child.pid} failed (${(e as Error).message}): ${err.trim() || last}`));
      }
    });
  });
}
