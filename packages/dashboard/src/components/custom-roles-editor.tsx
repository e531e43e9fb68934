// An organization's custom roles: roles that exist only in that organization, over the project's
// B2B resources. The API replaces the whole list, so a save sends every role with one added,
// changed or removed; the server checks them against the policy and reports issues by path
// (org_policy.roles[2].role_id), shown next to the field they name.
import { useState, type FormEvent } from 'react';
import { WILDCARD_ACTION, type Permission, type Policy, type Resource, type Role } from '@gatehouse/policy';
import { ApiError, api, type PolicyIssue } from '../api.ts';
import { ClosablePanel } from './disclosure.tsx';
import { DangerButton, ErrorMessage, Loading, Status, Table, TableHead, TextField, useAction, useAsync } from './ui.tsx';

type Editing = { role: Role; index: number; isNew: boolean } | null;

export function CustomRolesEditor({ organizationId, policy, onChange }: { organizationId: string; policy: Policy | undefined; onChange: () => void }) {
  const path = `/v1/b2b/rbac/organizations/${encodeURIComponent(organizationId)}`;
  const roles = useAsync(() => api.get<{ org_policy: { roles: Role[] } }>(path).then((body) => body.org_policy.roles), [path]);
  const [editing, setEditing] = useState<Editing>(null);
  const [status, setStatus] = useState<string>();
  const save = useAction(async (next: Role[], message: string) => {
    setStatus(undefined);
    await api.put(path, { org_policy: { roles: next } });
    await roles.reload();
    setEditing(null);
    setStatus(message);
    onChange();
  });

  if (roles.error) return <ErrorMessage error={roles.error} />;
  if (!roles.data) return <Loading />;
  const current = roles.data;
  const startNew = () => {
    save.clearError();
    setEditing({ role: { role_id: '', description: '', permissions: [] }, index: current.length, isNew: true });
  };

  return (
    <>
      {current.length === 0 ? (
        <p className="muted">No custom roles.</p>
      ) : (
        <Table caption="Custom roles">
          <TableHead columns={['Role', 'Description', 'Permissions']} actions />
          <tbody>
            {current.map((role, index) => (
              <tr key={role.role_id}>
                <td>
                  <code>{role.role_id}</code>
                </td>
                <td>{role.description}</td>
                <td>
                  {role.permissions.map((permission) => (
                    <span key={permission.resource_id} className="tag">
                      {permission.resource_id}: {permission.actions.join(', ')}
                    </span>
                  ))}
                </td>
                <td className="row-actions">
                  <button type="button" aria-label={`Edit ${role.role_id}`} onClick={() => {
                      save.clearError();
                      setEditing({ role, index, isNew: false });
                    }}>
                    Edit
                  </button>
                  <DangerButton label={`Delete ${role.role_id}`} busy={save.busy} onClick={() => save.run(current.filter((_, other) => other !== index), `Deleted ${role.role_id}.`)}>
                    Delete
                  </DangerButton>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {editing ? (
        <ClosablePanel label={editing.isNew ? 'New custom role' : `Edit ${editing.role.role_id}`} onClose={() => setEditing(null)}>
          <CustomRoleForm
            key={`${editing.index}`}
            editing={editing}
            resources={policy?.resources ?? []}
            busy={save.busy}
            issues={issuesOf(save.error, editing.index)}
            onCancel={() => setEditing(null)}
            onSave={(role) => {
              const next = [...current];
              next[editing.index] = role;
              void save.run(next, `Saved ${role.role_id}.`);
            }}
          />
        </ClosablePanel>
      ) : (
        <button type="button" onClick={startNew}>
          New custom role
        </button>
      )}
      <ErrorMessage error={save.error} />
      <Status message={status} />
    </>
  );
}

/** The issues of the role at `index`, by field: role_id, description, and the rest (permissions). */
function issuesOf(error: Error | undefined, index: number): Record<'role_id' | 'description' | 'permissions', PolicyIssue[]> {
  const byField = { role_id: [] as PolicyIssue[], description: [] as PolicyIssue[], permissions: [] as PolicyIssue[] };
  if (!(error instanceof ApiError)) return byField;
  const prefix = `org_policy.roles[${index}]`;
  for (const issue of error.issues) {
    if (!issue.path.startsWith(prefix)) continue;
    const rest = issue.path.slice(prefix.length);
    if (rest.startsWith('.role_id')) byField.role_id.push(issue);
    else if (rest.startsWith('.description')) byField.description.push(issue);
    else byField.permissions.push(issue);
  }
  return byField;
}

const messages = (issues: PolicyIssue[]) => (issues.length > 0 ? issues.map((issue) => issue.message).join(' ') : undefined);

function CustomRoleForm({ editing, resources, busy, issues, onCancel, onSave }: {
  editing: NonNullable<Editing>;
  resources: readonly Resource[];
  busy: boolean;
  issues: ReturnType<typeof issuesOf>;
  onCancel: () => void;
  onSave: (role: Role) => void;
}) {
  const [roleId, setRoleId] = useState(editing.role.role_id);
  const [description, setDescription] = useState(editing.role.description);
  const [permissions, setPermissions] = useState<Permission[]>(editing.role.permissions);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSave({ role_id: roleId.trim(), description, permissions });
  };
  // Built-in stytch.* resources have many actions; they are folded away below the project's own.
  const own = resources.filter((resource) => !resource.resource_id.startsWith('stytch.'));
  const builtIn = resources.filter((resource) => resource.resource_id.startsWith('stytch.'));
  const matrix = (list: readonly Resource[]) =>
    list.map((resource) => <ActionChoices key={resource.resource_id} resource={resource} permissions={permissions} onChange={setPermissions} />);
  return (
    <form onSubmit={submit}>
      <h3>{editing.isNew ? 'New custom role' : `Edit ${editing.role.role_id}`}</h3>
      <TextField label="Role ID" required value={roleId} disabled={!editing.isNew} error={messages(issues.role_id)} onChange={(event) => setRoleId(event.target.value)} />
      <TextField label="Description" value={description} error={messages(issues.description)} onChange={(event) => setDescription(event.target.value)} />
      <h4>Permissions</h4>
      {matrix(own)}
      {builtIn.length > 0 && (
        <details>
          <summary>Built-in resources ({builtIn.map((resource) => resource.resource_id).join(', ')})</summary>
          {matrix(builtIn)}
        </details>
      )}
      {issues.permissions.length > 0 && (
        <ul className="field-error">
          {issues.permissions.map((issue) => (
            <li key={`${issue.path}-${issue.code}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          Save role
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A resource's actions as checkboxes, with the wildcard (every action, including ones added later). */
function ActionChoices({ resource, permissions, onChange }: { resource: Resource; permissions: Permission[]; onChange: (next: Permission[]) => void }) {
  const granted = new Set(permissions.find((permission) => permission.resource_id === resource.resource_id)?.actions ?? []);
  const toggle = (action: string, on: boolean) => {
    const actions = on ? [...granted, action] : [...granted].filter((item) => item !== action);
    const others = permissions.filter((permission) => permission.resource_id !== resource.resource_id);
    onChange(actions.length > 0 ? [...others, { resource_id: resource.resource_id, actions }] : others);
  };
  return (
    <fieldset className="choices">
      <legend>
        <code>{resource.resource_id}</code>
      </legend>
      <div className="checks">
        {[WILDCARD_ACTION, ...resource.actions].map((action) => (
          <label key={action} className="check">
            <input type="checkbox" checked={granted.has(action)} onChange={(event) => toggle(action, event.target.checked)} />
            {action === WILDCARD_ACTION ? '* (every action)' : action}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
