// The roles a user or member holds, each with where it comes from, and the explicit ones editable.
// The API takes the whole list of explicit roles, so assigning or revoking one sends that list with
// the role added or removed; roles from a default or a rule are shown but only their rule changes them.
import { useState, type FormEvent } from 'react';
import { IMPLICIT_ROLE_IDS, type Policy, type PolicyKind, type Role } from '@gatehouse/policy';
import { api } from '../api.ts';
import { DangerButton, ErrorMessage, SelectField, Status, Table, TableHead, useAction, useAsync } from './ui.tsx';

/** Where a role comes from, as Stytch's member object names it (consumer users: default or direct). */
export type RoleSource =
  | { type: 'direct_assignment'; details: Record<string, never> }
  | { type: 'email_assignment'; details: { email_domain: string } }
  | { type: 'sso_connection'; details: { connection_id: string } }
  | { type: 'sso_connection_group'; details: { connection_id: string; group: string } };

export interface HeldRole {
  role_id: string;
  sources: RoleSource[];
}

/** The project's consumer or B2B policy, for role pickers. */
export function usePolicy(kind: PolicyKind) {
  return useAsync(() => api.get<{ policy: Policy }>(kind === 'b2b' ? '/v1/b2b/rbac/policy' : '/v1/rbac/policy').then((body) => body.policy), [kind]);
}

/** The roles an explicit assignment or a rule may name: the policy's (but the implicit ones) and any organization custom roles. */
export function assignableRoles(kind: PolicyKind, policy: Policy | undefined, customRoles: readonly Role[] = []): Role[] {
  return [...(policy?.roles ?? []), ...customRoles].filter((role) => !IMPLICIT_ROLE_IDS[kind].includes(role.role_id));
}

/** The explicit roles among those held: directly assigned and not implicit. */
export function explicitRoleIds(kind: PolicyKind, roles: readonly HeldRole[]): string[] {
  return roles
    .filter((role) => !IMPLICIT_ROLE_IDS[kind].includes(role.role_id) && role.sources.some((source) => source.type === 'direct_assignment'))
    .map((role) => role.role_id);
}

export function describeSource(source: RoleSource): string {
  switch (source.type) {
    case 'direct_assignment':
      return 'direct_assignment';
    case 'email_assignment':
      return `email_assignment · ${source.details.email_domain}`;
    case 'sso_connection':
      return `sso_connection · ${source.details.connection_id}`;
    case 'sso_connection_group':
      return `sso_connection_group · ${source.details.group} · ${source.details.connection_id}`;
  }
}

/** Role ids as tags, for lists. */
export function RoleTags({ roleIds }: { roleIds: readonly string[] }) {
  return roleIds.map((id) => (
    <span key={id} className="tag">
      {id}
    </span>
  ));
}

/** A select of roles, by id with its description. */
export function RoleSelect({ label, roles, value, onChange, anyLabel, required }: {
  label: string;
  roles: readonly Role[];
  value: string;
  onChange: (roleId: string) => void;
  /** The first, empty choice ("Any role", "Choose a role"). */
  anyLabel: string;
  required?: boolean;
}) {
  return (
    <SelectField label={label} value={value} onChange={(event) => onChange(event.target.value)} required={required}>
      <option value="">{anyLabel}</option>
      {roles.map((role) => (
        <option key={role.role_id} value={role.role_id}>
          {role.description ? `${role.role_id} — ${role.description}` : role.role_id}
        </option>
      ))}
    </SelectField>
  );
}

export function RolesEditor({ kind, roles, assignable, onSave }: {
  kind: PolicyKind;
  roles: readonly HeldRole[];
  assignable: readonly Role[];
  /** Saves the new list of explicit roles. */
  onSave: (explicitRoles: string[]) => Promise<unknown>;
}) {
  const explicit = explicitRoleIds(kind, roles);
  const [chosen, setChosen] = useState('');
  const [status, setStatus] = useState<string>();
  const save = useAction(async (next: string[], message: string) => {
    setStatus(undefined);
    await onSave(next);
    setStatus(message);
  });

  const assign = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosen) return;
    await save.run([...explicit, chosen], `Assigned ${chosen}.`);
    setChosen('');
  };
  const choices = assignable.filter((role) => !explicit.includes(role.role_id));

  return (
    <>
      <Table caption="Roles">
        <TableHead columns={['Role', 'Sources']} actions />
        <tbody>
          {roles.map((role) => (
            <tr key={role.role_id}>
              <td>
                <code>{role.role_id}</code>
              </td>
              <td>
                {IMPLICIT_ROLE_IDS[kind].includes(role.role_id) ? (
                  <span className="tag">default role, held by every {kind === 'b2b' ? 'member' : 'user'}</span>
                ) : (
                  role.sources.map((source, index) => (
                    <span key={index} className="tag">
                      {describeSource(source)}
                    </span>
                  ))
                )}
              </td>
              <td>
                {explicit.includes(role.role_id) && (
                  <DangerButton label={`Revoke ${role.role_id}`} busy={save.busy} onClick={() => save.run(explicit.filter((id) => id !== role.role_id), `Revoked ${role.role_id}.`)}>
                    Revoke
                  </DangerButton>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <form className="toolbar" onSubmit={assign}>
        <RoleSelect label="Role to assign" roles={choices} value={chosen} onChange={setChosen} anyLabel="Choose a role" required />
        <button type="submit" className="primary" disabled={save.busy || !chosen}>
          Assign role
        </button>
      </form>
      <ErrorMessage error={save.error} />
      <Status message={status} />
    </>
  );
}
