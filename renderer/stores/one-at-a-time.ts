/**
 * A store's load, one at a time: a load asked for while one runs (e.g. the push channel's first
 * "changed" right after the page's own load) runs once more when that one is done, never twice at
 * once and never dropped, so no answer on its way is thrown away.
 */
export function oneAtATime(load: () => Promise<void>): { run(): Promise<void>; running(): Promise<void> | null } {
  let inflight: Promise<void> | null = null;
  let again = false;
  return {
    run() {
      if (inflight) {
        again = true;
        return inflight;
      }
      inflight = (async () => {
        do {
          again = false;
          await load();
        } while (again);
      })().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    running: () => inflight,
  };
}
