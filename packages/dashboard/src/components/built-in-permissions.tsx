// A B2B role's permissions on the built-in stytch.* resources: one collapsed group per resource whose
// summary says what the role holds there ("all (*)", "3 of 17", "none"); opened, its actions are
// grouped by what they change (update.info.*, update.settings.*, the rest). The checkboxes are named
// as in the matrix ("role: resource action").
import { WILDCARD_ACTION, type PolicyIssue, type Resource, type Role } from '@gatehouse/policy';
import { grantedActions } from './policy-edits.ts';
import { IssueMessages } from './policy-issues.tsx';

/** "update.info.name" → "update.info"; "search" → "" (the resource's own actions). */
const groupOf = (action: string) => {
  const parts = action.split('.');
  return parts.length > 2 ? parts.slice(0, 2).join('.') : '';
};

function groups(actions: readonly string[]): [string, string[]][] {
  const byGroup = new Map<string, string[]>();
  for (const action of actions) byGroup.set(groupOf(action), [...(byGroup.get(groupOf(action)) ?? []), action]);
  // The resource's own actions (create, search, delete) first.
  return [...byGroup.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
}

export function BuiltInPermissions({ role, resources, rowIssues, onChange }: {
  role: Role;
  resources: readonly Resource[];
  rowIssues: (resourceId: string) => PolicyIssue[];
  onChange: (resourceId: string, action: string, granted: boolean) => void;
}) {
  return (
    <ul className="built-ins" aria-label={`Built-in permissions of ${role.role_id}`}>
      {resources.map((resource) => {
        const id = resource.resource_id;
        const held = grantedActions(role, id);
        const wildcard = held.includes(WILDCARD_ACTION);
        const count = resource.actions.filter((action) => held.includes(action)).length;
        const summary = wildcard ? 'all (*)' : count === 0 ? 'none' : `${count} of ${resource.actions.length}`;
        const issues = rowIssues(id);
        return (
          <li key={id}>
            <details open={issues.length > 0 || undefined}>
              <summary>
                <code>{id}</code> <span className={wildcard || count > 0 ? 'tag gained' : 'muted'}>{summary}</span>
              </summary>
              <label className="check">
                <input type="checkbox" aria-label={`${role.role_id}: ${id} ${WILDCARD_ACTION}`} checked={wildcard} onChange={(event) => onChange(id, WILDCARD_ACTION, event.target.checked)} />
                All (<code>*</code>), including actions added later
              </label>
              {groups(resource.actions).map(([group, actions]) => (
                <fieldset key={group} className="choices">
                  <legend>{group ? `${group}.*` : 'The resource itself'}</legend>
                  <div className="checks">
                    {actions.map((action) => (
                      <label key={action} className="check" title={wildcard ? 'Granted by *' : undefined}>
                        <input
                          type="checkbox"
                          aria-label={`${role.role_id}: ${id} ${action}`}
                          checked={wildcard || held.includes(action)}
                          disabled={wildcard}
                          onChange={(event) => onChange(id, action, event.target.checked)}
                        />
                        {group ? action.slice(group.length + 1) : action}
                      </label>
                    ))}
                  </div>
                </fieldset>
              ))}
              <IssueMessages issues={issues} />
            </details>
          </li>
        );
      })}
    </ul>
  );
}
