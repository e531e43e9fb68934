// Roles a user or member holds, each with where it comes from, as the who-can and point-in-time
// answers give them: the member sources Stytch names, plus `default_role` for stytch_user and
// stytch_member, which everyone holds without an assignment.
import { describeSource, type RoleSource } from './roles-editor.tsx';

export type SubjectRoleSource = RoleSource | { type: 'default_role'; details?: Record<string, never> };

export interface SubjectRole {
  role_id: string;
  sources: SubjectRoleSource[];
}

export function sourceText(source: SubjectRoleSource): string {
  if (source.type === 'default_role') return 'default role';
  // A source type this dashboard does not know yet is shown by its name.
  return describeSource(source) ?? (source as { type: string }).type;
}

export function HeldRoles({ roles }: { roles: readonly SubjectRole[] }) {
  if (roles.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="held-roles">
      {roles.map((role) => (
        <li key={role.role_id}>
          <code>{role.role_id}</code> · {role.sources.map(sourceText).join(', ') || 'no source'}
        </li>
      ))}
    </ul>
  );
}
