import type { ReactNode } from 'react';

/** A short table shown whole, not paged (a turn's outbox rows, the audit trail). */
export function StaticTable({
  label,
  headers,
  children,
}: {
  label: string;
  headers: ReactNode[];
  children: ReactNode;
}) {
  return (
    <div className="table-scroll static rows-table">
      <table aria-label={label}>
        <thead>
          <tr>
            {headers.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
