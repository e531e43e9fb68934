// A policy to read, not edit: its resources with their actions and its roles with their
// permissions (a version in the history, the policy an audit entry recorded).
import type { Policy } from '@gatehouse/policy';
import { PermissionList } from './policy-diff.tsx';
import { Table, TableHead } from './ui.tsx';

export function PolicyView({ policy, label }: { policy: Policy; label: string }) {
  return (
    <>
      <Table caption={`Resources of ${label}`}>
        <TableHead columns={['Resource', 'Actions', 'Description']} />
        <tbody>
          {policy.resources.map((resource) => (
            <tr key={resource.resource_id}>
              <th scope="row">
                <code>{resource.resource_id}</code>
              </th>
              <td>{resource.actions.join(', ')}</td>
              <td>{resource.description}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Table caption={`Roles of ${label}`}>
        <TableHead columns={['Role', 'Permissions', 'Description']} />
        <tbody>
          {policy.roles.map((role) => (
            <tr key={role.role_id}>
              <th scope="row">
                <code>{role.role_id}</code>
              </th>
              <td>
                <PermissionList permissions={role.permissions} />
              </td>
              <td>{role.description}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}
