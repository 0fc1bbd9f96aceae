// The values of one statement, bound as $n placeholders while its SQL is built, so fragments
// compose in any order: `p` binds a value, `bind` a fragment of the core's shared SQL, which
// is written with SQLite's `?` placeholders (claims, moves).

export class Params {
  readonly values: unknown[] = [];

  /** The placeholder of `value`. */
  p(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** `fragment` with its `?` placeholders bound to `args`, in order. */
  bind(fragment: string, args: readonly unknown[] = []): string {
    let i = 0;
    const sql = fragment.replace(/\?/g, () => this.p(args[i++]));
    if (i !== args.length) throw new Error(`${args.length} values for ${i} placeholders in: ${fragment}`);
    return sql;
  }
}
