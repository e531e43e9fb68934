// A role's permissions as a matrix: one row per resource, a checkbox per action and one for `*`
// (every action, including those added later). Each checkbox is named "role: resource action", so
// a screen reader, a keyboard user and a test all find "editor: documents read".
import { WILDCARD_ACTION, type PolicyIssue, type Resource, type Role } from '@gatehouse/policy';
import { grantedActions } from './policy-edits.ts';
import { IssueMessages } from './policy-issues.tsx';
import { Table } from './ui.tsx';

export function PermissionMatrix({ role, resources, caption, rowIssues, onChange }: {
  role: Role;
  resources: readonly Resource[];
  caption: string;
  /** The issues of the role's permission on a resource. */
  rowIssues: (resourceId: string) => PolicyIssue[];
  onChange: (resourceId: string, action: string, granted: boolean) => void;
}) {
  return (
    <Table caption={caption}>
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col" className="center">
            All (<code>*</code>)
          </th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {resources.map((resource) => {
          const id = resource.resource_id;
          const held = grantedActions(role, id);
          const wildcard = held.includes(WILDCARD_ACTION);
          return (
            <tr key={id}>
              <th scope="row">
                <code>{id}</code>
              </th>
              <td className="center">
                <input
                  type="checkbox"
                  aria-label={`${role.role_id}: ${id} ${WILDCARD_ACTION}`}
                  checked={wildcard}
                  onChange={(event) => onChange(id, WILDCARD_ACTION, event.target.checked)}
                />
              </td>
              <td>
                <div className="checks">
                  {resource.actions.map((action) => (
                    <label key={action} className="check" title={wildcard ? 'Granted by *' : undefined}>
                      <input
                        type="checkbox"
                        aria-label={`${role.role_id}: ${id} ${action}`}
                        checked={wildcard || held.includes(action)}
                        disabled={wildcard}
                        onChange={(event) => onChange(id, action, event.target.checked)}
                      />
                      {action}
                    </label>
                  ))}
                </div>
                <IssueMessages issues={rowIssues(id)} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
