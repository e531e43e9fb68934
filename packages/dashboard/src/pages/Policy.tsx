// The policy editor: resources with their actions, roles with a permission matrix. Edits stay in a
// local draft, checked by the policy engine as they are made; "Review changes" asks the server what
// the draft would change for people (the impact preview) before "Save policy" writes it. Removing
// a role someone holds needs an explicit confirmation (the server's cascade).
import { useMemo, useState, type FormEvent } from 'react';
import {
  DEFAULT_ROLE_IDS,
  diffPolicies,
  POLICY_RULES,
  STYTCH_ADMIN,
  validatePolicy,
  type Policy,
  type PolicyIssue,
  type PolicyKind,
  type Resource,
  type Role,
} from '@gatehouse/policy';
import { api, ApiError } from '../api.ts';
import { FocusPanel } from '../components/focus-panel.tsx';
import { ImpactPreview, type PolicyImpact } from '../components/impact-preview.tsx';
import { PermissionList } from '../components/policy-diff.tsx';
import {
  addAction,
  addResource,
  addRole,
  removeAction,
  removeResource,
  removeRole,
  setPermission,
  setResourceDescription,
  setRoleDescription,
} from '../components/policy-edits.ts';
import { BuiltInPermissions } from '../components/built-in-permissions.tsx';
import { isBuiltInResource, NEEDS_CASCADE, POLICY_PREFIX, PolicyKindSwitch, policyKindOf, SUBJECT_NOUN } from '../components/policy-kind.tsx';
import { PermissionMatrix } from '../components/policy-matrix.tsx';
import { IssueMessages, issuesAt, IssueSummary } from '../components/policy-issues.tsx';
import { DangerButton, ErrorMessage, Loading, PageHeader, Status, Table, TextField, useAction, useAsync } from '../components/ui.tsx';
import { Link, useLeaveGuard } from '../router.tsx';
import type { PageProps } from './types.ts';

interface PolicySnapshot {
  policy: Policy;
  policy_version: number;
}

export function PolicyPage({ query }: PageProps) {
  const kind = policyKindOf(query);
  const [status, setStatus] = useState<string>();
  const saved = useAsync(() => api.get<PolicySnapshot>(`${POLICY_PREFIX[kind]}/policy`), [kind]);
  return (
    <>
      <PageHeader title={kind === 'b2b' ? 'B2B policy' : 'Consumer policy'}>
        <PolicyKindSwitch kind={kind} path="/policy" />
        <Link to={`/policy/history${kind === 'b2b' ? '?kind=b2b' : ''}`} className="button">
          History
        </Link>
      </PageHeader>
      <Status message={status} />
      <ErrorMessage error={saved.error} />
      {saved.data && !saved.loading ? (
        <PolicyEditor
          key={`${kind} ${saved.data.policy_version}`}
          kind={kind}
          saved={saved.data}
          onSaved={(message) => {
            setStatus(message);
            void saved.reload();
            // The editor is made anew from the saved version: focus goes to the top, by the status line.
            document.getElementById('page-title')?.focus();
          }}
        />
      ) : (
        !saved.error && <Loading />
      )}
    </>
  );
}

/** Where an issue's path points on the page: a resource row, the built-ins, or a role's card. */
function anchorOf(kind: PolicyKind, policy: Policy, path: string): string | undefined {
  const resource = /^resources\[(\d+)\]/.exec(path);
  if (resource) {
    const id = policy.resources[Number(resource[1])]?.resource_id ?? '';
    return isBuiltInResource(kind, id) ? 'built-in-resources' : `resource-${resource[1]}`;
  }
  const role = /^roles\[(\d+)\]/.exec(path);
  return role ? `role-${role[1]}` : undefined;
}

function PolicyEditor({ kind, saved, onSaved }: { kind: PolicyKind; saved: PolicySnapshot; onSaved: (message: string) => void }) {
  const prefix = POLICY_PREFIX[kind];
  const [draft, setDraft] = useState(saved.policy);
  const [review, setReview] = useState<Review | null>(null);
  const changes = useMemo(() => diffPolicies(saved.policy, draft), [saved.policy, draft]);
  // Switching kind, another page, a reload or closing the tab would drop the draft: ask first.
  useLeaveGuard(changes.length > 0 ? `The ${kind === 'b2b' ? 'B2B' : 'consumer'} policy has unsaved changes. Leave and discard them?` : null);
  const localIssues = useMemo(() => {
    const validation = validatePolicy(draft, POLICY_RULES[kind]);
    return validation.valid ? [] : validation.issues;
  }, [draft, kind]);

  const preview = useAction(async (): Promise<Review> => {
    const body = { policy: draft };
    try {
      return { impact: await api.post<PolicyImpact>(`${prefix}/policy/impact`, body) };
    } catch (error) {
      if (!(error instanceof ApiError && NEEDS_CASCADE.has(error.errorType))) throw error;
      return { impact: await api.post<PolicyImpact>(`${prefix}/policy/impact`, body, { cascade: true }), cascade: error.message };
    }
  });
  const save = useAction((cascade: boolean) =>
    api.put<PolicySnapshot & { revoked_assignments: { role_id: string; count: number }[] }>(`${prefix}/policy`, { policy: draft }, cascade ? { cascade: true } : undefined),
  );
  // The server's issues are about the draft it was sent; an edit makes them stale.
  const serverIssues = [preview.error, save.error].flatMap((error) => (error instanceof ApiError ? error.issues : []));
  const issues = serverIssues.length > 0 ? serverIssues : localIssues;
  const otherError = [preview.error, save.error].find((error) => error && !(error instanceof ApiError && error.issues.length > 0));

  const edit = (change: (policy: Policy) => Policy) => {
    setDraft(change);
    setReview(null);
    preview.clearError();
    save.clearError();
  };
  const runPreview = async () => {
    const result = await preview.run();
    if (result) setReview(result);
  };
  const runSave = async (cascade: boolean) => {
    const result = await save.run(cascade);
    if (!result) return;
    const revoked = result.revoked_assignments.map((entry) => `${entry.role_id} from ${entry.count}`).join(', ');
    onSaved(`Saved: the policy is now version ${result.policy_version}.${revoked ? ` Revoked ${revoked}.` : ''}`);
  };

  const builtIns = draft.resources.filter((resource) => isBuiltInResource(kind, resource.resource_id));
  const custom = draft.resources.map((resource, index) => ({ resource, index })).filter(({ resource }) => !isBuiltInResource(kind, resource.resource_id));

  return (
    <>
      <div className="toolbar sticky-actions">
        <button type="button" className="primary" disabled={changes.length === 0 || preview.busy} onClick={runPreview}>
          {preview.busy ? 'Checking…' : 'Review changes'}
        </button>
        <button type="button" disabled={changes.length === 0} onClick={() => edit(() => saved.policy)}>
          Discard changes
        </button>
        <span className="muted">
          Version {saved.policy_version}
          {changes.length > 0 ? ` · ${changes.length} unsaved change${changes.length === 1 ? '' : 's'}` : ' · no unsaved changes'}
        </span>
      </div>
      <ErrorMessage error={otherError} />
      <IssueSummary issues={issues} anchorOf={(path) => anchorOf(kind, draft, path)} />
      {review && (
        <ReviewPanel
          kind={kind}
          review={review}
          savedVersion={saved.policy_version}
          saving={save.busy}
          onSave={runSave}
          onClose={() => setReview(null)}
        />
      )}

      <section aria-labelledby="resources-title">
        <h2 id="resources-title">Resources</h2>
        <p className="muted">What roles act on, and the actions each allows. Removing an action or a resource also removes it from the roles that grant it.</p>
        <ResourcesTable kind={kind} entries={custom} issues={issues} onEdit={edit} />
        <NewResourceForm onAdd={(resource) => edit((policy) => addResource(policy, resource))} />
        {builtIns.length > 0 && (
          <details className="panel" id="built-in-resources" tabIndex={-1}>
            <summary>Built-in resources ({builtIns.length}, read-only)</summary>
            <ul>
              {builtIns.map((resource) => (
                <li key={resource.resource_id}>
                  <code>{resource.resource_id}</code>: {resource.actions.join(', ')}
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>

      <section aria-labelledby="roles-title">
        <h2 id="roles-title">Roles</h2>
        {draft.roles.map((role, index) => (
          <RoleCard
            key={index}
            kind={kind}
            role={role}
            index={index}
            custom={custom.map((entry) => entry.resource)}
            builtIns={builtIns}
            issues={issuesAt(issues, `roles[${index}]`)}
            onEdit={edit}
          />
        ))}
        <NewRoleForm onAdd={(role) => edit((policy) => addRole(policy, role))} />
      </section>
      {draft.scopes.length > 0 && (
        <details className="panel">
          <summary>Scopes ({draft.scopes.length}, kept as they are)</summary>
          <p className="muted">Scopes are edited with the API or the policy file; removing a resource or an action here also takes it out of them.</p>
          <ul>
            {draft.scopes.map((scope) => (
              <li key={scope.scope}>
                <code>{scope.scope}</code>: <PermissionList permissions={scope.permissions} />
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

interface Review {
  impact: PolicyImpact;
  /** Set when saving needs ?cascade=true: the server's explanation of what it would remove. */
  cascade?: string;
}

function ReviewPanel({ kind, review, savedVersion, saving, onSave, onClose }: {
  kind: PolicyKind;
  review: Review;
  savedVersion: number;
  saving: boolean;
  onSave: (cascade: boolean) => void;
  onClose: () => void;
}) {
  const [confirmed, setConfirmed] = useState(false);
  const { impact, cascade } = review;
  const revoked = impact.revoked_assignments.reduce((sum, entry) => sum + entry.count, 0);
  return (
    <FocusPanel title="Impact of these changes" className="panel review" onClose={onClose}>
      {impact.policy_version !== savedVersion && (
        <p className="error">
          The policy changed since this page loaded (version {savedVersion}, now {impact.policy_version}). Saving replaces it with this draft;
          discard your changes to start from the new version.
        </p>
      )}
      <ImpactPreview kind={kind} impact={impact} />
      {cascade && (
        <div className="error">
          <p>{cascade}</p>
          {revoked > 0 && (
            <p>
              Saving revokes {revoked} assignment{revoked === 1 ? '' : 's'}:{' '}
              {impact.revoked_assignments.map((entry) => `${entry.role_id} (${entry.count})`).join(', ')}.
            </p>
          )}
          <label className="check">
            <input type="checkbox" checked={confirmed} onChange={(event) => setConfirmed(event.target.checked)} />
            Remove what depends on the removed parts{revoked > 0 ? ` and revoke these roles from the ${SUBJECT_NOUN[kind].many} who hold them` : ''}
          </label>
        </div>
      )}
      <div className="toolbar">
        <button type="button" className="primary" disabled={saving || (cascade !== undefined && !confirmed)} onClick={() => onSave(cascade !== undefined)}>
          {saving ? 'Saving…' : 'Save policy'}
        </button>
        <button type="button" onClick={onClose}>
          Keep editing
        </button>
      </div>
    </FocusPanel>
  );
}

/** Splits "read, write" into actions; empty pieces are dropped. */
function parseActions(text: string): string[] {
  return text
    .split(',')
    .map((action) => action.trim())
    .filter((action) => action !== '');
}

function ResourcesTable({ kind, entries, issues, onEdit }: {
  kind: PolicyKind;
  entries: { resource: Resource; index: number }[];
  issues: PolicyIssue[];
  onEdit: (change: (policy: Policy) => Policy) => void;
}) {
  if (entries.length === 0) return <p>No {kind === 'b2b' ? 'custom ' : ''}resources yet.</p>;
  return (
    <Table caption="Resources">
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Description</th>
          <th scope="col">Actions</th>
          <th scope="col">
            <span className="visually-hidden">Remove</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map(({ resource, index }) => {
          const id = resource.resource_id;
          const path = `resources[${index}]`;
          const descriptionIssues = issuesAt(issues, `${path}.description`);
          return (
            <tr key={index}>
              <th scope="row" id={`resource-${index}`} tabIndex={-1}>
                <code>{id}</code>
                <IssueMessages issues={issuesAt(issues, `${path}.resource_id`)} />
              </th>
              <td>
                <input
                  aria-label={`Description of ${id}`}
                  value={resource.description}
                  aria-invalid={descriptionIssues.length > 0 || undefined}
                  onChange={(event) => onEdit((policy) => setResourceDescription(policy, index, event.target.value))}
                />
                <IssueMessages issues={descriptionIssues} />
              </td>
              <td>
                <div className="checks">
                  {resource.actions.map((action, a) => (
                    <span key={a} className="tag removable">
                      {action}
                      <button type="button" aria-label={`Remove action ${action} from ${id}`} onClick={() => onEdit((policy) => removeAction(policy, index, action))}>
                        ×
                      </button>
                    </span>
                  ))}
                </div>
                <NewActionForm resourceId={id} onAdd={(actions) => onEdit((policy) => actions.reduce((next, action) => addAction(next, index, action), policy))} />
                <IssueMessages issues={issuesAt(issues, `${path}.actions`)} />
              </td>
              <td>
                <DangerButton label={`Remove resource ${id}`} onClick={() => onEdit((policy) => removeResource(policy, index))}>
                  Remove
                </DangerButton>
              </td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

function NewActionForm({ resourceId, onAdd }: { resourceId: string; onAdd: (actions: string[]) => void }) {
  const [text, setText] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const actions = parseActions(text);
    if (actions.length === 0) return;
    onAdd(actions);
    setText('');
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <input aria-label={`New action for ${resourceId}`} placeholder="new action" value={text} onChange={(event) => setText(event.target.value)} />
      <button type="submit" aria-label={`Add action to ${resourceId}`}>
        Add
      </button>
    </form>
  );
}

function NewResourceForm({ onAdd }: { onAdd: (resource: Resource) => void }) {
  const [resourceId, setResourceId] = useState('');
  const [description, setDescription] = useState('');
  const [actions, setActions] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onAdd({ resource_id: resourceId.trim(), description, actions: parseActions(actions) });
    setResourceId('');
    setDescription('');
    setActions('');
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-resource-title">
      <h3 id="new-resource-title">Add a resource</h3>
      <div className="form-row">
        <TextField label="Resource id" required value={resourceId} onChange={(event) => setResourceId(event.target.value)} />
        <TextField label="Resource description" value={description} onChange={(event) => setDescription(event.target.value)} />
        <TextField label="Actions" hint="Comma-separated, e.g. read, write, delete" value={actions} onChange={(event) => setActions(event.target.value)} />
      </div>
      <button type="submit">Add resource</button>
    </form>
  );
}

function RoleCard({ kind, role, index, custom, builtIns, issues, onEdit }: {
  kind: PolicyKind;
  role: Role;
  index: number;
  custom: Resource[];
  builtIns: Resource[];
  /** The issues under roles[index]. */
  issues: PolicyIssue[];
  onEdit: (change: (policy: Policy) => Policy) => void;
}) {
  const isDefault = DEFAULT_ROLE_IDS[kind].includes(role.role_id);
  const path = `roles[${index}]`;
  const shown = new Set([...custom, ...builtIns].map((resource) => resource.resource_id));
  const rowIssues = (resourceId: string) =>
    role.permissions.flatMap((permission, p) => (permission.resource_id === resourceId ? issuesAt(issues, `${path}.permissions[${p}]`) : []));
  // Issues about the role itself, and about permissions on resources no row shows.
  const roleIssues = issues.filter((issue) => {
    const permission = /^roles\[\d+\]\.permissions\[(\d+)\]/.exec(issue.path);
    return !permission || !shown.has(role.permissions[Number(permission[1])]?.resource_id ?? '');
  });
  const change = (resourceId: string, action: string, granted: boolean) => onEdit((policy) => setPermission(policy, index, resourceId, action, granted));
  const grantsBuiltIn = role.permissions.some((permission) => builtIns.some((resource) => resource.resource_id === permission.resource_id));
  return (
    <section className="card role-card" id={`role-${index}`} tabIndex={-1} aria-labelledby={`role-${index}-title`}>
      <header className="role-header">
        <h3 id={`role-${index}-title`}>
          <code>{role.role_id}</code>
          {isDefault && <span className="tag">default role</span>}
        </h3>
        {!isDefault && (
          <DangerButton label={`Delete role ${role.role_id}`} onClick={() => onEdit((policy) => removeRole(policy, index))}>
            Delete role
          </DangerButton>
        )}
      </header>
      {isDefault && (
        <p className="muted">
          {role.role_id === STYTCH_ADMIN
            ? 'Cannot be deleted; assign it to members who administer their organization.'
            : `Held by every ${SUBJECT_NOUN[kind].one}; cannot be deleted or assigned.`}
        </p>
      )}
      <TextField
        label={`Description of ${role.role_id}`}
        value={role.description}
        error={issuesAt(issues, `${path}.description`).map((issue) => issue.message).join(' ') || undefined}
        onChange={(event) => onEdit((policy) => setRoleDescription(policy, index, event.target.value))}
      />
      <IssueMessages issues={roleIssues.filter((issue) => !issue.path.startsWith(`${path}.description`))} />
      {custom.length > 0 ? (
        <PermissionMatrix role={role} resources={custom} caption={`Permissions of ${role.role_id}`} rowIssues={rowIssues} onChange={change} />
      ) : (
        kind === 'consumer' && <p className="muted">Add a resource to give this role permissions.</p>
      )}
      {builtIns.length > 0 && (
        <details open={grantsBuiltIn}>
          <summary>Built-in resources (stytch.*)</summary>
          <BuiltInPermissions role={role} resources={builtIns} rowIssues={rowIssues} onChange={change} />
        </details>
      )}
    </section>
  );
}

function NewRoleForm({ onAdd }: { onAdd: (role: Role) => void }) {
  const [roleId, setRoleId] = useState('');
  const [description, setDescription] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onAdd({ role_id: roleId.trim(), description, permissions: [] });
    setRoleId('');
    setDescription('');
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-role-title">
      <h3 id="new-role-title">Add a role</h3>
      <div className="form-row">
        <TextField label="Role id" required value={roleId} onChange={(event) => setRoleId(event.target.value)} />
        <TextField label="Role description" value={description} onChange={(event) => setDescription(event.target.value)} />
      </div>
      <button type="submit">Add role</button>
    </form>
  );
}
