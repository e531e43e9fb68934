// A policy change in words: resources and roles added and removed, actions added and removed,
// permissions a role gains and loses. Used by the editor's review, the history's diff and the audit
// log's policy entries. Colour only repeats what the words say.
import { diffPolicies, groupPolicyChanges, type Permission, type Policy, type PolicyDiff } from '@gatehouse/policy';

/** Permissions as tags: `documents: read, write`. */
export function PermissionList({ permissions, tone }: { permissions: readonly Permission[]; tone?: 'gained' | 'lost' }) {
  if (permissions.length === 0) return <span className="muted">no permissions</span>;
  return (
    <>
      {permissions.map((permission) => (
        <span key={permission.resource_id} className={tone ? `tag ${tone}` : 'tag'}>
          <code>{permission.resource_id}</code>: {permission.actions.join(', ')}
        </span>
      ))}
    </>
  );
}

function Description({ change }: { change?: { before: string; after: string } }) {
  if (!change) return null;
  return (
    <div>
      description “{change.before}” → “{change.after}”
    </div>
  );
}

/** The grouped diff between two policies (as the server's diff and impact answers carry it). */
export function diffOf(before: Policy, after: Policy): PolicyDiff {
  return groupPolicyChanges(diffPolicies(before, after));
}

function isEmptyDiff(diff: PolicyDiff): boolean {
  return [diff.resources, diff.roles, diff.scopes].every((part) => part.added.length + part.removed.length + part.changed.length === 0);
}

export function PolicyDiffView({ diff, label = 'Policy changes' }: { diff: PolicyDiff; label?: string }) {
  if (isEmptyDiff(diff)) return <p className="muted">No changes.</p>;
  return (
    <ul className="diff" aria-label={label}>
      {diff.resources.added.map((resource) => (
        <li key={`+r ${resource.resource_id}`} className="gained">
          Added resource <code>{resource.resource_id}</code> with actions {resource.actions.join(', ') || 'none'}
        </li>
      ))}
      {diff.resources.removed.map((resource) => (
        <li key={`-r ${resource.resource_id}`} className="lost">
          Removed resource <code>{resource.resource_id}</code>
        </li>
      ))}
      {diff.resources.changed.map((resource) => (
        <li key={`~r ${resource.resource_id}`}>
          Resource <code>{resource.resource_id}</code>
          {resource.actions_added.length > 0 && <span className="gained"> gains actions {resource.actions_added.join(', ')}</span>}
          {resource.actions_removed.length > 0 && <span className="lost"> loses actions {resource.actions_removed.join(', ')}</span>}
          <Description change={resource.description} />
        </li>
      ))}
      {diff.roles.added.map((role) => (
        <li key={`+o ${role.role_id}`} className="gained">
          Added role <code>{role.role_id}</code> with <PermissionList permissions={role.permissions} />
        </li>
      ))}
      {diff.roles.removed.map((role) => (
        <li key={`-o ${role.role_id}`} className="lost">
          Removed role <code>{role.role_id}</code>
        </li>
      ))}
      {diff.roles.changed.map((role) => (
        <li key={`~o ${role.role_id}`}>
          Role <code>{role.role_id}</code>
          {role.gained.length > 0 && (
            <span>
              {' '}
              gains <PermissionList permissions={role.gained} tone="gained" />
            </span>
          )}
          {role.lost.length > 0 && (
            <span>
              {' '}
              loses <PermissionList permissions={role.lost} tone="lost" />
            </span>
          )}
          <Description change={role.description} />
        </li>
      ))}
      {diff.scopes.added.map((scope) => (
        <li key={`+s ${scope.scope}`} className="gained">
          Added scope <code>{scope.scope}</code>
        </li>
      ))}
      {diff.scopes.removed.map((scope) => (
        <li key={`-s ${scope.scope}`} className="lost">
          Removed scope <code>{scope.scope}</code>
        </li>
      ))}
      {diff.scopes.changed.map((scope) => (
        <li key={`~s ${scope.scope}`}>
          Scope <code>{scope.scope}</code> now grants <PermissionList permissions={scope.after.permissions} />
        </li>
      ))}
    </ul>
  );
}
