// An organization's SCIM connection: create it, give the IdP its base URL and bearer token (shown once,
// after create or a rotation), rotate the token (start/complete/cancel), delete it; the groups the IdP
// pushed with their member counts, and the group role rules (members of a group hold a role).
import { useState, type FormEvent } from 'react';
import type { Role } from '@gatehouse/policy';
import { api } from '../api.ts';
import { RoleSelect } from './roles-editor.tsx';
import { DangerButton, ErrorMessage, Loading, SelectField, Status, Table, TableHead, TextField, useAction, useAsync } from './ui.tsx';

type GroupRule = { role_id: string; group_id: string; group_name?: string };

interface WireScimConnection {
  connection_id: string;
  display_name: string;
  status: string;
  identity_provider: string;
  base_url: string;
  bearer_token_last_four?: string;
  next_bearer_token_last_four?: string;
  bearer_token?: string;
  next_bearer_token?: string;
  scim_group_implicit_role_assignments: GroupRule[];
}

interface ScimGroup {
  group_id: string;
  group_name: string;
  member_count?: number;
}

const IDENTITY_PROVIDERS = ['generic', 'okta', 'microsoft-entra', 'google-workspace', 'onelogin', 'jumpcloud', 'rippling'];

export function ScimConnectionSection({ organizationId, roles }: { organizationId: string; roles: readonly Role[] }) {
  const base = `/v1/b2b/scim/${encodeURIComponent(organizationId)}/connection`;
  const connection = useAsync(() => api.get<{ connection?: WireScimConnection }>(base).then((body) => body.connection ?? null), [base]);
  // A token the server answered with this once: create (bearer_token) or rotate/start (next_bearer_token).
  const [shown, setShown] = useState<{ label: string; token: string }>();
  const [status, setStatus] = useState<string>();
  const act = useAction(async (message: string, call: () => Promise<{ connection?: WireScimConnection }>) => {
    setStatus(undefined);
    const body = await call();
    const token = body.connection?.bearer_token ?? body.connection?.next_bearer_token;
    setShown(token ? { label: body.connection?.bearer_token ? 'Bearer token' : 'New bearer token', token } : undefined);
    await connection.reload();
    setStatus(message);
  });

  if (!connection.data && connection.data !== null) return connection.loading ? <Loading /> : <ErrorMessage error={connection.error} />;
  const record = connection.data;
  const path = record ? `${base}/${encodeURIComponent(record.connection_id)}` : '';
  const rotating = Boolean(record?.next_bearer_token_last_four);
  return (
    <>
      <p className="muted">Your IdP (Okta, Entra…) provisions members and groups at the connection's base URL; members of a group hold the roles its rules give (source scim_connection_group).</p>
      <ErrorMessage error={connection.error ?? act.error} />
      {!record ? (
        <NewScimConnectionForm busy={act.busy} onCreate={(body) => act.run('SCIM connection created.', () => api.post(base, body))} />
      ) : (
        <article className="card" aria-label={`SCIM connection ${record.display_name || record.connection_id}`}>
          <h3>
            {record.display_name || record.connection_id} <span className="tag">SCIM</span> <span className="tag">{record.status}</span>
          </h3>
          <dl className="facts">
            <dt>Connection ID</dt>
            <dd>
              <code>{record.connection_id}</code>
            </dd>
            <dt>Identity provider</dt>
            <dd>{record.identity_provider}</dd>
            <dt>Base URL</dt>
            <dd>
              <code>{record.base_url}</code>
            </dd>
            <dt>Bearer token</dt>
            <dd>{record.bearer_token_last_four ? <>ends in <code>{record.bearer_token_last_four}</code></> : <span className="muted">—</span>}</dd>
            {rotating && (
              <>
                <dt>Next bearer token</dt>
                <dd>
                  ends in <code>{record.next_bearer_token_last_four}</code> (both work until you complete or cancel the rotation)
                </dd>
              </>
            )}
          </dl>
          {shown && (
            <div className="card" role="alert" aria-label="Token shown once">
              <p>
                <strong>{shown.label} — copy it now into your IdP; it is shown this once</strong> (only its hash is kept; if lost, rotate).
              </p>
              <p>
                <code className="secret">{shown.token}</code>
              </p>
              <button type="button" onClick={() => setShown(undefined)}>
                I have copied it
              </button>
            </div>
          )}
          <div className="toolbar">
            {!rotating ? (
              <button type="button" disabled={act.busy} onClick={() => act.run('Rotation started: give the IdP the new token, then complete.', () => api.post(`${path}/rotate/start`))}>
                Rotate token
              </button>
            ) : (
              <>
                <button type="button" className="primary" disabled={act.busy} onClick={() => act.run('Rotation completed: only the new token works.', () => api.post(`${path}/rotate/complete`))}>
                  Complete rotation
                </button>
                <button type="button" disabled={act.busy} onClick={() => act.run('Rotation cancelled: only the old token works.', () => api.post(`${path}/rotate/cancel`))}>
                  Cancel rotation
                </button>
              </>
            )}
            <DangerButton
              label="Delete SCIM connection"
              busy={act.busy}
              onClick={() => {
                if (window.confirm('Delete the SCIM connection? Its groups and role rules go; the members stay.')) void act.run('SCIM connection deleted.', () => api.delete(path));
              }}
            >
              Delete connection
            </DangerButton>
          </div>
          <ScimGroups key={record.connection_id} path={path} rules={record.scim_group_implicit_role_assignments} roles={roles} onSaved={connection.reload} />
        </article>
      )}
      <Status message={status} />
    </>
  );
}

function NewScimConnectionForm({ busy, onCreate }: { busy: boolean; onCreate: (body: { display_name: string; identity_provider: string }) => void }) {
  const [displayName, setDisplayName] = useState('');
  const [identityProvider, setIdentityProvider] = useState('generic');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onCreate({ display_name: displayName, identity_provider: identityProvider });
  };
  return (
    <form aria-label="New SCIM connection" onSubmit={submit}>
      <TextField label="SCIM display name" required value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
      <SelectField label="SCIM identity provider" value={identityProvider} onChange={(event) => setIdentityProvider(event.target.value)}>
        {IDENTITY_PROVIDERS.map((provider) => (
          <option key={provider}>{provider}</option>
        ))}
      </SelectField>
      <button type="submit" className="primary" disabled={busy}>
        Create SCIM connection
      </button>
    </form>
  );
}

/** The IdP's groups (first 200) and the rules giving their members roles; the API takes the whole list of rules. */
function ScimGroups({ path, rules, roles, onSaved }: { path: string; rules: readonly GroupRule[]; roles: readonly Role[]; onSaved: () => Promise<unknown> }) {
  const groups = useAsync(() => api.get<{ scim_groups: ScimGroup[] }>(path, { limit: 200 }).then((body) => body.scim_groups), [path]);
  const [groupId, setGroupId] = useState('');
  const [roleId, setRoleId] = useState('');
  const [status, setStatus] = useState<string>();
  const nameOf = (id: string) => groups.data?.find((group) => group.group_id === id)?.group_name ?? rules.find((rule) => rule.group_id === id)?.group_name ?? id;
  const describe = (rule: GroupRule) => `${nameOf(rule.group_id)} → ${rule.role_id}`;
  const save = useAction(async (next: GroupRule[], message: string) => {
    setStatus(undefined);
    await api.put(path, { scim_group_implicit_role_assignments: next.map(({ role_id, group_id }) => ({ role_id, group_id })) });
    await onSaved();
    setStatus(message);
    return true;
  });
  const add = async (event: FormEvent) => {
    event.preventDefault();
    const rule = { group_id: groupId, role_id: roleId };
    if (await save.run([...rules, rule], `Added ${describe(rule)}.`)) {
      setGroupId('');
      setRoleId('');
    }
  };
  return (
    <>
      <div className="rules">
        <h3>SCIM groups</h3>
        <ErrorMessage error={groups.error} />
        {!groups.data ? (
          groups.loading && <Loading />
        ) : groups.data.length === 0 ? (
          <p className="muted">The IdP has pushed no groups yet.</p>
        ) : (
          <Table caption="SCIM groups">
            <TableHead columns={['Group', 'Members', 'Group ID']} />
            <tbody>
              {groups.data.map((group) => (
                <tr key={group.group_id}>
                  <td>{group.group_name}</td>
                  <td>{group.member_count ?? '—'}</td>
                  <td>
                    <code>{group.group_id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <button type="button" onClick={() => void groups.reload()}>
          Refresh groups
        </button>
      </div>
      <div className="rules">
        <h3>SCIM group role rules</h3>
        {rules.length === 0 ? (
          <p className="muted">No rules.</p>
        ) : (
          <Table caption="SCIM group role rules">
            <TableHead columns={['SCIM group', 'Role']} actions />
            <tbody>
              {rules.map((rule, index) => (
                <tr key={`${rule.group_id}-${rule.role_id}-${index}`}>
                  <td>{nameOf(rule.group_id)}</td>
                  <td>
                    <code>{rule.role_id}</code>
                  </td>
                  <td>
                    <DangerButton label={`Remove rule ${describe(rule)}`} busy={save.busy} onClick={() => save.run(rules.filter((_, other) => other !== index), `Removed ${describe(rule)}.`)}>
                      Remove
                    </DangerButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <form className="toolbar" aria-label="Add to SCIM group role rules" onSubmit={add}>
          <SelectField label="SCIM group" required value={groupId} onChange={(event) => setGroupId(event.target.value)}>
            <option value="">Choose a group</option>
            {(groups.data ?? []).map((group) => (
              <option key={group.group_id} value={group.group_id}>
                {group.group_name}
              </option>
            ))}
          </SelectField>
          <RoleSelect label="Role" roles={roles} value={roleId} onChange={setRoleId} anyLabel="Choose a role" required />
          <button type="submit" disabled={save.busy}>
            Add rule
          </button>
        </form>
        <ErrorMessage error={save.error} />
        <Status message={status} />
      </div>
    </>
  );
}
