// A project setting kept as a list (redirect URLs, OAuth providers): the list as a table with a
// Remove button per row behind a confirmation, a status line, and the page's form under it. The
// page gives the columns and cells; the loading, empty, removing and error states are here.
import { useState, type ReactNode } from 'react';
import { ConfirmDialog } from './dialog.tsx';
import { DangerButton, ErrorMessage, Loading, Status, Table, TableHead, useAction, useAsync, type AsyncState } from './ui.tsx';

/** The list and the status line a page shares with its form ("… saved.") and its rows. */
export function useRemovableList<T>(load: () => Promise<T[]>) {
  const list = useAsync(load, []);
  const [status, setStatus] = useState<string>();
  return { list, status, setStatus };
}

export function RemovableList<T>({ list, status, setStatus, caption, columns, keyOf, nameOf, cells, empty, remove, removeWarning, children }: {
  list: AsyncState<T[]>;
  status: string | undefined;
  setStatus: (status: string | undefined) => void;
  /** The table's name, read by screen readers and found by tests. */
  caption: string;
  columns: readonly string[];
  keyOf: (entry: T) => string;
  /** How the Remove button, the dialog and the status line name an entry. */
  nameOf: (entry: T) => string;
  /** The row's cells, one per column; the last cell (Remove) is added here. */
  cells: (entry: T) => ReactNode;
  /** What the page says when the list is empty. */
  empty: ReactNode;
  remove: (entry: T) => Promise<unknown>;
  /** What removing does, in the dialog. */
  removeWarning: ReactNode;
  /** The form under the list. */
  children?: ReactNode;
}) {
  const [removing, setRemoving] = useState<T>();
  const removal = useAction(async (entry: T) => {
    await remove(entry);
    await list.reload();
    setRemoving(undefined);
    setStatus(`${nameOf(entry)} removed.`);
  });
  return (
    <>
      <ErrorMessage error={list.error} />
      {!list.data ? (
        list.loading && <Loading />
      ) : list.data.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <Table caption={caption}>
          <TableHead columns={columns} actions />
          <tbody>
            {list.data.map((entry) => (
              <tr key={keyOf(entry)}>
                {cells(entry)}
                <td>
                  <DangerButton label={`Remove ${nameOf(entry)}`} onClick={() => setRemoving(entry)}>
                    Remove
                  </DangerButton>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <Status message={status} />
      {children}
      <ConfirmDialog
        open={removing !== undefined}
        title={`Remove ${removing === undefined ? '' : nameOf(removing)}?`}
        confirmLabel="Remove"
        danger
        busy={removal.busy}
        onConfirm={() => removing !== undefined && void removal.run(removing)}
        onClose={() => {
          setRemoving(undefined);
          removal.clearError();
        }}
      >
        <p>{removeWarning}</p>
        <ErrorMessage error={removal.error} />
      </ConfirmDialog>
    </>
  );
}
