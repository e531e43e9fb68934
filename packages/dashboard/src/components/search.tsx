// What the search pages (users, members, organizations) share: filters kept in the URL, so a search
// can be linked to and back/forward walks through searches; the API's cursor pages; Stytch's query.
import { useState, type ReactNode } from 'react';
import { Link, navigate } from '../router.tsx';
import { RoleTags } from './roles-editor.tsx';
import { ErrorMessage, Loading, Pager, Table, TableHead, formatTime, type AsyncState } from './ui.tsx';

export const PAGE_SIZE = 20;

export interface SearchPage {
  results_metadata: { total: number; next_cursor: string | null };
}

/** One operand of a Stytch search query. */
export interface SearchFilter {
  filter_name: string;
  filter_value: unknown;
}

/** The operands given (empty values left out) ANDed, or null for "everything". */
export function searchQuery(filters: (SearchFilter | false | '' | undefined)[]): { operator: 'AND'; operands: SearchFilter[] } | null {
  const operands = filters.filter((filter): filter is SearchFilter => Boolean(filter));
  return operands.length > 0 ? { operator: 'AND', operands } : null;
}

/** Goes to `path` with these filters as its query (empty ones left out). */
export function showSearch(path: string, filters: Record<string, string | readonly string[]>): void {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    for (const item of typeof value === 'string' ? [value] : value) if (item.trim() !== '') params.append(name, item.trim());
  }
  const text = params.toString();
  navigate(text ? `${path}?${text}` : path);
}

export type Cursor = ReturnType<typeof useCursor>;

/** The cursor of the page shown; back to the first page whenever the filters (`filtersKey`) change. */
export function useCursor(filtersKey: string) {
  const [state, setState] = useState<{ key: string; cursor?: string }>({ key: filtersKey });
  const cursor = state.key === filtersKey ? state.cursor : undefined;
  return {
    cursor,
    /** The Pager's props for a page whose next cursor is `nextCursor`. */
    pager: (nextCursor: string | null | undefined) => ({
      nextCursor,
      atFirst: cursor === undefined,
      onNext: (next: string) => setState({ key: filtersKey, cursor: next }),
      onFirst: () => setState({ key: filtersKey }),
    }),
  };
}

/** "3 users match" for a search's total. */
function matchCount(total: number, noun: string): string {
  return `${total} ${noun}${total === 1 ? '' : 's'} match${total === 1 ? 'es' : ''}`;
}

/** A search's answer: how many match, a table of this page's rows and the pager. */
export function SearchResults<T extends SearchPage>({ state, noun, columns, cursor, rows }: {
  /** The search; undefined data: nothing to search yet. */
  state: AsyncState<T | undefined>;
  /** What a row is ("user"), also the table's name ("Users"). */
  noun: string;
  columns: readonly string[];
  cursor: Cursor;
  rows: (page: T) => ReactNode;
}) {
  return (
    <>
      <ErrorMessage error={state.error} />
      {state.loading && !state.data && <Loading />}
      {state.data && (
        <>
          <p className="muted" role="status">
            {matchCount(state.data.results_metadata.total, noun)}
          </p>
          <Table caption={`${noun[0]!.toUpperCase()}${noun.slice(1)}s`}>
            <TableHead columns={columns} />
            <tbody>{rows(state.data)}</tbody>
          </Table>
          <Pager {...cursor.pager(state.data.results_metadata.next_cursor)} />
        </>
      )}
    </>
  );
}

/** A row of the users or members list: the email as a link, one column of its own, roles, status, creation. */
export function PersonRow({ to, label, detail, roleIds, status, createdAt }: { to: string; label: string; detail: ReactNode; roleIds: readonly string[]; status: string; createdAt: string }) {
  return (
    <tr>
      <td>
        <Link to={to}>{label}</Link>
      </td>
      <td>{detail}</td>
      <td>
        <RoleTags roleIds={roleIds} />
      </td>
      <td>{status}</td>
      <td>{formatTime(createdAt)}</td>
    </tr>
  );
}
