/** A progress bar on stderr, drawn only when stderr is a terminal (never in pipes, logs or tests). */
export interface Progress {
  update(done: number, total: number): void;
  /** Clears the bar; call once at the end, also on failure. */
  finish(): void;
}

const WIDTH = 28;

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let drawn = false;
  let last = '';
  let lastAt = 0;
  return {
    update(done, total) {
      // At most ~20 redraws a second, but always the final state.
      const now = Date.now();
      if (drawn && done < total && now - lastAt < 50) return;
      lastAt = now;
      const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
      const filled = Math.round(ratio * WIDTH);
      const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${done}/${total}`;
      if (line === last) return;
      last = line;
      drawn = true;
      stream.write(`\r${line}\x1b[K`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
