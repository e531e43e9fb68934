// Every version of the policy, newest first, with what each changed; any two compared; one read
// back; and a rollback to one, which the server saves as a new version (the history only grows).
import { useEffect, useState, type FormEvent } from 'react';
import type { Policy, PolicyDiff, PolicyKind } from '@gatehouse/policy';
import { api, ApiError } from '../api.ts';
import { ConfirmDialog } from '../components/dialog.tsx';
import { FocusPanel } from '../components/focus-panel.tsx';
import { PolicyDiffView } from '../components/policy-diff.tsx';
import { NEEDS_CASCADE, POLICY_PREFIX, PolicyKindSwitch, policyKindOf } from '../components/policy-kind.tsx';
import { PolicyView } from '../components/policy-view.tsx';
import { useCursor } from '../components/search.tsx';
import { DangerButton, ErrorMessage, formatTime, Loading, PageHeader, Pager, Status, Table, TableHead, TextField, useAction, useAsync } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { PageProps } from './types.ts';

interface ChangedIds {
  added: string[];
  removed: string[];
  changed: string[];
}

interface VersionEntry {
  version: number;
  created_at: string;
  summary: { resource_count: number; role_count: number; resources: ChangedIds; roles: ChangedIds };
}

interface VersionsPage {
  policy_version: number;
  versions: VersionEntry[];
  next_cursor: string | null;
}

/** What the panel under the list shows. */
type Shown = { type: 'version'; version: number } | { type: 'diff'; from: number; to: number };

export function PolicyHistoryPage({ query }: PageProps) {
  const kind = policyKindOf(query);
  return (
    <>
      <PageHeader title="Policy history">
        <PolicyKindSwitch kind={kind} path="/policy/history" />
        <Link to={`/policy${kind === 'b2b' ? '?kind=b2b' : ''}`} className="button">
          Edit the policy
        </Link>
      </PageHeader>
      <PolicyHistory key={kind} kind={kind} />
    </>
  );
}

function PolicyHistory({ kind }: { kind: PolicyKind }) {
  const prefix = POLICY_PREFIX[kind];
  const { cursor, pager } = useCursor(kind);
  const page = useAsync(() => api.get<VersionsPage>(`${prefix}/policy/versions`, { cursor }), [prefix, cursor]);
  const [shown, setShown] = useState<Shown | null>(null);
  const [rollbackTo, setRollbackTo] = useState<number | null>(null);
  const [status, setStatus] = useState<string>();
  const current = page.data?.policy_version;

  return (
    <>
      <Status message={status} />
      <ErrorMessage error={page.error} />
      {current !== undefined && <CompareForm current={current} onCompare={(from, to) => setShown({ type: 'diff', from, to })} />}
      {shown?.type === 'diff' && <DiffPanel kind={kind} from={shown.from} to={shown.to} onClose={() => setShown(null)} />}
      {shown?.type === 'version' && (
        <VersionPanel kind={kind} version={shown.version} current={current} onRollback={setRollbackTo} onClose={() => setShown(null)} />
      )}
      {page.loading && !page.data ? (
        <Loading />
      ) : (
        page.data && (
          <Table caption="Policy versions, newest first">
            <TableHead columns={['Version', 'Saved', 'What changed']} actions />
            <tbody>
              {page.data.versions.map((entry) => (
                <tr key={entry.version}>
                  <th scope="row">
                    {entry.version} {entry.version === current && <span className="tag">current</span>}
                  </th>
                  <td>{formatTime(entry.created_at)}</td>
                  <td>
                    <VersionSummary entry={entry} />
                  </td>
                  <td>
                    <div className="row-actions">
                      <button type="button" aria-label={`View version ${entry.version}`} onClick={() => setShown({ type: 'version', version: entry.version })}>
                        View
                      </button>
                      {entry.version > 1 && (
                        <button
                          type="button"
                          aria-label={`Changes in version ${entry.version}`}
                          onClick={() => setShown({ type: 'diff', from: entry.version - 1, to: entry.version })}
                        >
                          Changes
                        </button>
                      )}
                      {entry.version !== current && (
                        <DangerButton label={`Roll back to version ${entry.version}`} onClick={() => setRollbackTo(entry.version)}>
                          Roll back…
                        </DangerButton>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )
      )}
      <Pager {...pager(page.data?.next_cursor)} />
      {rollbackTo !== null && current !== undefined && (
        <RollbackDialog
          kind={kind}
          version={rollbackTo}
          current={current}
          onClose={() => setRollbackTo(null)}
          onDone={(message) => {
            setRollbackTo(null);
            setShown(null);
            setStatus(message);
            void page.reload();
          }}
        />
      )}
    </>
  );
}

/** "+ resource documents", "~ role editor": the summary the server keeps of each version. */
function VersionSummary({ entry }: { entry: VersionEntry }) {
  const { summary } = entry;
  const items = (['resources', 'roles'] as const).flatMap((part) => {
    const noun = part === 'resources' ? 'resource' : 'role';
    const ids = summary[part];
    return [
      ...ids.added.map((id) => ({ key: `+${noun} ${id}`, text: `+ ${noun} ${id}`, tone: 'gained' })),
      ...ids.removed.map((id) => ({ key: `-${noun} ${id}`, text: `− ${noun} ${id}`, tone: 'lost' })),
      ...ids.changed.map((id) => ({ key: `~${noun} ${id}`, text: `~ ${noun} ${id}`, tone: '' })),
    ];
  });
  return (
    <>
      {items.length === 0 ? <span className="muted">no change to resources or roles</span> : items.map((item) => (
        <span key={item.key} className={`tag ${item.tone}`}>
          {item.text}
        </span>
      ))}
      <div className="muted">
        {summary.resource_count} resources, {summary.role_count} roles
      </div>
    </>
  );
}

function CompareForm({ current, onCompare }: { current: number; onCompare: (from: number, to: number) => void }) {
  const [from, setFrom] = useState(String(Math.max(1, current - 1)));
  const [to, setTo] = useState(String(current));
  // A rollback adds a version: "to" follows the newest one.
  useEffect(() => setTo(String(current)), [current]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onCompare(Number(from), Number(to));
  };
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Compare two versions">
      <TextField label="From version" type="number" min={1} max={current} required value={from} onChange={(event) => setFrom(event.target.value)} />
      <TextField label="To version" type="number" min={1} max={current} required value={to} onChange={(event) => setTo(event.target.value)} />
      <button type="submit">Compare</button>
    </form>
  );
}

function DiffPanel({ kind, from, to, onClose }: { kind: PolicyKind; from: number; to: number; onClose: () => void }) {
  const diff = useAsync(() => api.get<{ diff: PolicyDiff }>(`${POLICY_PREFIX[kind]}/policy/diff`, { from, to }), [kind, from, to]);
  return (
    <FocusPanel title={`Changes from version ${from} to version ${to}`} onClose={onClose}>
      <ErrorMessage error={diff.error} />
      {diff.loading ? <Loading /> : diff.data && <PolicyDiffView diff={diff.data.diff} label={`Changes from version ${from} to version ${to}`} />}
    </FocusPanel>
  );
}

function VersionPanel({ kind, version, current, onRollback, onClose }: {
  kind: PolicyKind;
  version: number;
  current: number | undefined;
  onRollback: (version: number) => void;
  onClose: () => void;
}) {
  const snapshot = useAsync(() => api.get<{ policy: Policy }>(`${POLICY_PREFIX[kind]}/policy/versions/${version}`), [kind, version]);
  return (
    <FocusPanel title={`Version ${version}${version === current ? ' (current)' : ''}`} onClose={onClose}>
      <ErrorMessage error={snapshot.error} />
      {snapshot.loading ? <Loading /> : snapshot.data && <PolicyView policy={snapshot.data.policy} label={`version ${version}`} />}
      {version !== current && (
        <DangerButton onClick={() => onRollback(version)}>Roll back to this version</DangerButton>
      )}
    </FocusPanel>
  );
}

interface RollbackResult {
  policy_version: number;
  written: boolean;
  revoked_assignments: { role_id: string; count: number }[];
}

function RollbackDialog({ kind, version, current, onClose, onDone }: {
  kind: PolicyKind;
  version: number;
  current: number;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const prefix = POLICY_PREFIX[kind];
  const diff = useAsync(() => api.get<{ diff: PolicyDiff }>(`${prefix}/policy/diff`, { from: current, to: version }), [prefix, current, version]);
  const [cascade, setCascade] = useState(false);
  const rollback = useAction(() =>
    api.post<RollbackResult>(`${prefix}/policy/versions/${version}/rollback`, {}, cascade ? { cascade: true } : undefined),
  );
  const needsCascade = rollback.error instanceof ApiError && NEEDS_CASCADE.has(rollback.error.errorType);
  const confirm = async () => {
    const result = await rollback.run();
    if (!result) return;
    const revoked = result.revoked_assignments.map((entry) => `${entry.role_id} from ${entry.count}`).join(', ');
    onDone(
      result.written
        ? `Rolled back to version ${version}: the policy is now version ${result.policy_version}.${revoked ? ` Revoked ${revoked}.` : ''}`
        : `Version ${version} is the same as the current policy: nothing to roll back.`,
    );
  };
  return (
    <ConfirmDialog
      open
      title={`Roll back to version ${version}?`}
      confirmLabel={rollback.busy ? 'Rolling back…' : `Roll back to version ${version}`}
      busy={rollback.busy || (needsCascade && !cascade)}
      danger
      onConfirm={confirm}
      onClose={onClose}
    >
      <p>
        The policy of version {version} is saved as a new version, {current + 1}; nothing leaves the history. What changes from the current
        policy (version {current}):
      </p>
      <ErrorMessage error={diff.error} />
      {diff.loading ? <Loading /> : diff.data && <PolicyDiffView diff={diff.data.diff} label="Changes the rollback makes" />}
      <ErrorMessage error={rollback.error} />
      {needsCascade && (
        <label className="check">
          <input type="checkbox" checked={cascade} onChange={(event) => setCascade(event.target.checked)} />
          Remove what depends on the removed parts, revoking roles that are removed
        </label>
      )}
    </ConfirmDialog>
  );
}
