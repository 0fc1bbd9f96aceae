import { UsageError } from './errors';

// A tiny strict argument parser: every flag must be declared, a string flag must have a value,
// a flag may be given once. `--name value` and `--name=value` both work; `--` ends the flags.

export type FlagKind = 'string' | 'boolean';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface ParsedArgs {
  /** Flag name (without dashes) → its value; `true` for boolean flags. */
  flags: Map<string, string | true>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], spec: FlagSpec, command?: string): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (arg === '-h') {
      setFlag(flags, 'help', true, command);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`, command);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined || !Object.hasOwn(spec, name)) throw new UsageError(`unknown option --${name}`, command);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`, command);
      setFlag(flags, name, true, command);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value`, command);
    setFlag(flags, name, value, command);
  }
  return { flags, positionals };
}

function setFlag(flags: Map<string, string | true>, name: string, value: string | true, command?: string): void {
  if (flags.has(name)) throw new UsageError(`--${name} given more than once`, command);
  flags.set(name, value);
}

// --- typed reads of parsed values; each throws UsageError on a bad value ---

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v === true ? undefined : v;
}

export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

export function intFlag(
  args: ParsedArgs,
  name: string,
  range: { min: number; max: number },
  command?: string,
): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} must be an integer from ${range.min} to ${range.max}, not "${raw}"`, command);
  }
  return n;
}

/** A probability: a decimal number from 0 to 1. */
export function rateFlag(args: ParsedArgs, name: string, command?: string): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} must be a number from 0 to 1, not "${raw}"`, command);
  return n;
}

/** A comma-separated list of allowed values (e.g. `--status queued,failed_retryable`). */
export function listFlag<T extends string>(
  args: ParsedArgs,
  name: string,
  allowed: readonly T[],
  command?: string,
): T[] | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((v) => v.trim());
  for (const v of values) {
    if (!(allowed as readonly string[]).includes(v)) {
      throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (comma-separated), not "${v}"`, command);
    }
  }
  return [...new Set(values)] as T[];
}

export function enumFlag<T extends string>(
  args: ParsedArgs,
  name: string,
  allowed: readonly T[],
  command?: string,
): T | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${raw}"`, command);
  }
  return raw as T;
}

/** Exactly the named positionals (e.g. `show <turn-id>`), non-empty. */
export function positionals(args: ParsedArgs, names: readonly string[], command?: string): string[] {
  if (args.positionals.length < names.length) {
    throw new UsageError(
      `missing ${names
        .slice(args.positionals.length)
        .map((n) => `<${n}>`)
        .join(' ')}`,
      command,
    );
  }
  if (args.positionals.length > names.length) {
    throw new UsageError(`unexpected argument "${args.positionals[names.length]!}"`, command);
  }
  for (const [i, v] of args.positionals.entries()) {
    if (v.trim() === '') throw new UsageError(`<${names[i]!}> must not be empty`, command);
  }
  return args.positionals;
}
