// Building blocks every page uses: loading state, errors in the Stytch envelope, form fields,
// tables that turn into cards on a phone, and a status line read out by screen readers.
import { useCallback, useEffect, useRef, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { ApiError } from '../api.ts';

export interface AsyncState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Loads again; the promise settles once the new answer (or error) is in `data`/`error`, so an
   * action that awaits it never acts on the list it just changed as it was before the change. */
  reload: () => Promise<void>;
}

/** Runs `load` when `deps` change (and on reload); a late answer to an old request is dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const requested = useRef(0);
  // Reloads waiting for their answer: each settles when a load of its generation or a later one lands.
  const waiting = useRef<Array<{ generation: number; settle: () => void }>>([]);
  useEffect(() => {
    const ticket = ++latest.current;
    const settleWaiting = () => {
      waiting.current = waiting.current.filter((waiter) => (waiter.generation <= generation ? (waiter.settle(), false) : true));
    };
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => {
        if (ticket !== latest.current) return;
        setState({ data, loading: false });
        settleWaiting();
      },
      (error: Error) => {
        if (ticket !== latest.current) return;
        setState({ error, loading: false });
        settleWaiting();
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(
    () =>
      new Promise<void>((settle) => {
        const next = ++requested.current;
        waiting.current.push({ generation: next, settle });
        setGeneration(next);
      }),
    [],
  );
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Runs an action (a save, a revoke) and keeps its error and busy state for the button and banner. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await action(...args);
      } catch (caught) {
        setError(caught as Error);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, clearError: () => setError(undefined) };
}

export function ErrorMessage({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const type = error instanceof ApiError ? error.errorType : undefined;
  return (
    <div className="error" role="alert">
      {type && <code className="error-type">{type}</code>} {error.message}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 id="page-title" tabIndex={-1}>
        {title}
      </h1>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

let fieldIds = 0;
function useFieldId(given?: string) {
  const [id] = useState(() => given ?? `field-${++fieldIds}`);
  return id;
}

export function TextField({ label, hint, error, ...input }: { label: string; hint?: string; error?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useFieldId(input.id);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined} {...input} />
      {hint && !error && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function TextArea({ label, error, ...input }: { label: string; error?: string } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useFieldId(input.id);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} {...input} />
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function SelectField({ label, children, ...select }: { label: string; children: ReactNode } & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useFieldId(select.id);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} {...select}>
        {children}
      </select>
    </div>
  );
}

/**
 * A table that reads as a list of cards on a phone (below 800 px): each row a card, each cell under
 * the name of its column, so the row's buttons are in view rather than past a sideways scroll. The
 * names come from the header row, copied to each cell's data-label (kept as rows change).
 */
export function Table({ caption, children }: { caption: string; children: ReactNode }) {
  const ref = useRef<HTMLTableElement>(null);
  useEffect(() => {
    const table = ref.current;
    if (!table) return;
    // A table shown as cards (display: block at phone width) loses its table semantics in browsers'
    // accessibility trees; explicit roles keep rows and cells announced (and found) as such.
    const label = () => {
      table.setAttribute('role', 'table');
      for (const group of Array.from(table.querySelectorAll(':scope > thead, :scope > tbody'))) group.setAttribute('role', 'rowgroup');
      for (const row of Array.from(table.rows)) {
        row.setAttribute('role', 'row');
        for (const cell of Array.from(row.cells)) {
          const header = cell.tagName === 'TH' ? (row.parentElement?.tagName === 'THEAD' ? 'columnheader' : 'rowheader') : 'cell';
          if (cell.getAttribute('role') !== header) cell.setAttribute('role', header);
        }
      }
      const names = Array.from(table.tHead?.rows[0]?.cells ?? []).flatMap((cell) => Array(cell.colSpan).fill(cell.querySelector('.visually-hidden') ? '' : (cell.textContent ?? '').trim()) as string[]);
      for (const body of Array.from(table.tBodies)) {
        for (const row of Array.from(body.rows)) {
          let column = 0;
          for (const cell of Array.from(row.cells)) {
            const name = cell.colSpan === 1 ? names[column] : '';
            if (name && cell.tagName === 'TD') cell.setAttribute('data-label', name);
            else cell.removeAttribute('data-label');
            column += cell.colSpan;
          }
        }
      }
    };
    label();
    const observer = new MutationObserver(label);
    observer.observe(table, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
  return (
    <div className="table-scroll stack" role="region" aria-label={caption} tabIndex={0}>
      <table ref={ref}>
        <caption className="visually-hidden">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

/** A table's header row; `actions` adds a last column for row buttons, named for screen readers only. */
export function TableHead({ columns, actions = false }: { columns: readonly string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** A button that removes, revokes or rolls back: danger-styled, named for screen readers by `label`. */
export function DangerButton({ label, busy = false, onClick, children }: { label?: string; busy?: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className="danger" disabled={busy} aria-label={label} onClick={onClick}>
      {children}
    </button>
  );
}

/** "Next page" for the API's cursor pagination. */
export function Pager({ nextCursor, onNext, onFirst, atFirst }: { nextCursor?: string | null; onNext: (cursor: string) => void; onFirst: () => void; atFirst: boolean }) {
  if (!nextCursor && atFirst) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onFirst} disabled={atFirst}>
        First page
      </button>
      <button type="button" onClick={() => nextCursor && onNext(nextCursor)} disabled={!nextCursor}>
        Next page
      </button>
    </nav>
  );
}

/** A polite status line: "Saved", "Role revoked". */
export function Status({ message }: { message: string | undefined }) {
  return (
    <p className="status" role="status" aria-live="polite">
      {message ?? ''}
    </p>
  );
}

export function formatTime(value: string | undefined | null): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A time in a few characters for a list: the time of day today, the day and time this year, else the date. */
export function compactTime(value: string, now = new Date()): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  if (date.toDateString() === now.toDateString()) return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (date.getFullYear() === now.getFullYear()) return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** JSON editor state for metadata: the text, and the parse error if it is not an object. */
export function parseJsonObject(text: string): { value?: Record<string, unknown>; error?: string } {
  if (text.trim() === '') return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'Must be a JSON object, e.g. {"plan": "pro"}.' };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: `Not valid JSON: ${(error as Error).message}` };
  }
}
