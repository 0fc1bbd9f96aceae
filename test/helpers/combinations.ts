/**
 * Every value of each field, then every combination of them (an `undefined` value leaves the
 * field out): the filters a view can send, for the plans test, the pages test and the bench.
 */
export function combinations<F extends object>(choices: { [K in keyof F]?: readonly F[K][] }): F[] {
  let out: Partial<F>[] = [{}];
  for (const [key, values] of Object.entries(choices) as [keyof F, readonly unknown[]][]) {
    out = out.flatMap((f) => values.map((v) => (v === undefined ? f : { ...f, [key]: v })));
  }
  return out as F[];
}
