// The server's impact preview of a policy change (POST {prefix}/policy/impact): who gains and who
// loses which permissions, through which roles, and the change itself.
import type { Permission, PolicyDiff, PolicyKind } from '@gatehouse/policy';
import { PermissionList, PolicyDiffView } from './policy-diff.tsx';
import { SUBJECT_NOUN, SubjectLink, subjectId, type PolicySubject } from './policy-kind.tsx';
import { Table, TableHead } from './ui.tsx';

interface PermissionChange {
  gained: Permission[];
  lost: Permission[];
}

export interface ImpactSubject extends PolicySubject, PermissionChange {
  /** The subject's roles whose grants change. */
  via: { role_id: string }[];
}

export interface PolicyImpact {
  policy_version: number;
  diff: PolicyDiff;
  revoked_assignments: { role_id: string; count: number }[];
  changes: (PermissionChange & { role_id: string; organization_id?: string })[];
  /** The default role changed: every user (member) is affected, counted rather than listed. */
  default_role: (PermissionChange & { role_id: string; users?: number; members?: number }) | null;
  subjects: { users?: ImpactSubject[]; members?: ImpactSubject[] };
  totals: { users?: number; members?: number };
  truncated: boolean;
}

function Changes({ change }: { change: PermissionChange }) {
  return (
    <>
      {change.gained.length > 0 && (
        <span>
          gain <PermissionList permissions={change.gained} tone="gained" />
        </span>
      )}
      {change.gained.length > 0 && change.lost.length > 0 && '; '}
      {change.lost.length > 0 && (
        <span>
          lose <PermissionList permissions={change.lost} tone="lost" />
        </span>
      )}
    </>
  );
}

export function ImpactPreview({ kind, impact }: { kind: PolicyKind; impact: PolicyImpact }) {
  const noun = SUBJECT_NOUN[kind];
  const subjects = impact.subjects[noun.many] ?? [];
  const total = impact.totals[noun.many] ?? 0;
  const gaining = subjects.filter((subject) => subject.gained.length > 0).length;
  const losing = subjects.filter((subject) => subject.lost.length > 0).length;
  return (
    <>
      <h3>Who gains and who loses</h3>
      {impact.default_role && (
        <p>
          Every {noun.one} holds <code>{impact.default_role.role_id}</code>: all {impact.default_role[noun.many] ?? 0} {noun.many}{' '}
          <Changes change={impact.default_role} />.
        </p>
      )}
      <p>
        {total} {total === 1 ? noun.one : noun.many} affected through their roles
        {subjects.length > 0 && `: ${gaining} gain permissions, ${losing} lose permissions`}
        {impact.truncated && ` (the first ${subjects.length} are listed)`}.
      </p>
      {subjects.length > 0 && (
        <Table caption={`${noun.many} who gain or lose permissions`}>
          <TableHead columns={[noun.one === 'user' ? 'User' : 'Member', 'Through', 'Gains', 'Loses']} />
          <tbody>
            {subjects.map((subject) => (
              <tr key={subjectId(subject)}>
                <td>
                  <SubjectLink subject={subject} />
                </td>
                <td>
                  {subject.via.map((role) => (
                    <span key={role.role_id} className="tag">
                      {role.role_id}
                    </span>
                  ))}
                </td>
                <td>{subject.gained.length > 0 ? <PermissionList permissions={subject.gained} tone="gained" /> : '—'}</td>
                <td>{subject.lost.length > 0 ? <PermissionList permissions={subject.lost} tone="lost" /> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {impact.changes.length > 0 && (
        <>
          <h3>What holders of each role gain and lose</h3>
          <ul className="diff">
            {impact.changes.map((change) => (
              <li key={`${change.organization_id ?? ''} ${change.role_id}`}>
                Holders of <code>{change.role_id}</code>
                {change.organization_id && (
                  <>
                    {' '}
                    (custom role of <code>{change.organization_id}</code>)
                  </>
                )}{' '}
                <Changes change={change} />
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Changes to the policy</h3>
      <PolicyDiffView diff={impact.diff} />
    </>
  );
}
