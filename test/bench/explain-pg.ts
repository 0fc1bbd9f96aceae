import pg from 'pg';
import { ms } from './stats';

// Why a PgStore read is slow: the statements one call sends (recorded on the store's own pool),
// and a summary of each one's EXPLAIN ANALYZE with the plan the server really uses for it.

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * Records the statements the clients of `pool` send while `fn` runs (PgStore sends each as a
 * named statement: { name, text, values }). Patches each client once, when it is first handed out.
 */
export function statementRecorder(pool: pg.Pool): <T>(fn: () => Promise<T>) => Promise<Statement[]> {
  let recording: Statement[] | null = null;
  const patched = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (patched.has(client)) return;
    patched.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const config = args[0] as { text?: unknown; values?: unknown } | string;
      if (recording && typeof config === 'object' && typeof config.text === 'string')
        recording.push({ text: config.text, values: Array.isArray(config.values) ? config.values : [] });
      return query(...args);
    };
  });
  return async (fn) => {
    const statements: Statement[] = [];
    recording = statements;
    try {
      await fn();
    } finally {
      recording = null;
    }
    return statements;
  };
}

/** A parameter as an SQL literal of unknown type (the server casts it to the parameter's type). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) {
    const element = (v: unknown): string =>
      v === null || v === undefined ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`;
    return pg.escapeLiteral(`{${value.map(element).join(',')}}`);
  }
  return pg.escapeLiteral(String(value));
}

interface PlanNode {
  'Node Type': string;
  Strategy?: string;
  'Sort Method'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Actual Total Time': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Heap Fetches'?: number;
  Filter?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function describe(n: PlanNode): string {
  const what = [
    n['Node Type'],
    n.Strategy && n.Strategy !== 'Plain' ? `(${n.Strategy})` : '',
    n['Sort Method'] ? `(${n['Sort Method']})` : '',
    n['Index Name'] ? `using ${n['Index Name']}` : '',
    n['Relation Name'] ? `on ${n['Relation Name']}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const rows = n['Actual Rows'] * n['Actual Loops'];
  const extra = [
    `rows ${rows}${n['Actual Loops'] > 1 ? ` (${n['Actual Loops']} loops)` : ''}`,
    ms(n['Actual Total Time'] * n['Actual Loops']),
    n['Rows Removed by Filter'] ? `${n['Rows Removed by Filter'] * n['Actual Loops']} removed by filter` : '',
    n['Heap Fetches'] ? `${n['Heap Fetches']} heap fetches` : '',
  ].filter(Boolean);
  const clip = (text: string): string => (text.length > 90 ? `${text.slice(0, 89)}…` : text);
  const conds = [
    n['Index Cond'] ? `index: ${clip(n['Index Cond'])}` : '',
    n.Filter ? `filter: ${clip(n.Filter)}` : '',
  ].filter(Boolean);
  return `${what}: ${extra.join(', ')}${conds.length ? ` [${conds.join('; ')}]` : ''}`;
}

/** The plan's nodes, top first, indented by depth: at most `max` of them, as deep as `depth`. */
function summarize(root: PlanNode, max = 8, depth = 4): string[] {
  const lines: string[] = [];
  const walk = (n: PlanNode, level: number): void => {
    if (lines.length >= max || level > depth) return;
    lines.push(`${'  '.repeat(level)}${describe(n)}`);
    for (const child of n.Plans ?? []) walk(child, level + 1);
  };
  walk(root, 0);
  return lines;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS off) of one recorded statement, as the store runs it: prepared, then
 * executed as often as a pooled connection had before the plan is looked at (the server may
 * switch a prepared statement to its generic plan after 5 executions), on a connection of its own.
 */
export async function explainStatement(url: string, s: Statement): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`PREPARE bench_explain AS ${s.text}`);
    const execute = `EXECUTE bench_explain${s.values.length ? `(${s.values.map(literal).join(', ')})` : ''}`;
    for (let i = 0; i < 5; i++) await client.query(execute);
    const r = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
      `EXPLAIN (ANALYZE, BUFFERS off, FORMAT JSON) ${execute}`,
    );
    const [plan] = r.rows[0]!['QUERY PLAN'];
    const generic = /\$\d/.test(JSON.stringify(plan.Plan));
    return [
      `${ms(plan['Execution Time'])} (${generic ? 'generic' : 'custom'} plan): ${oneLine(s.text)}`,
      ...summarize(plan.Plan).map((l) => `  ${l}`),
    ];
  } finally {
    await client.end();
  }
}

function oneLine(sql: string, max = 160): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
