// "Who can do X?": pick a resource and an action of the current policy (and, for B2B, optionally an
// organization); the server answers with the roles that grant it and every user or member holding
// one, with the role and where it comes from. The question is kept in the URL.
import { useState, type FormEvent } from 'react';
import type { Policy, PolicyKind } from '@gatehouse/policy';
import { api } from '../api.ts';
import { useOrganizationChoices, type Organization } from '../components/organizations.ts';
import { POLICY_PREFIX, PolicyKindSwitch, policyKindOf, SUBJECT_NOUN, SubjectLink, subjectId, type PolicySubject } from '../components/policy-kind.tsx';
import { HeldRoles, type SubjectRole } from '../components/held-roles.tsx';
import { usePolicy } from '../components/roles-editor.tsx';
import { showSearch, useCursor } from '../components/search.tsx';
import { ErrorMessage, Loading, PageHeader, Pager, SelectField, Table, TableHead, useAsync } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { PageProps } from './types.ts';

interface WhoCanAnswer {
  policy_version: number;
  roles: { role_id: string; via: 'action' | '*'; organization_id?: string }[];
  users?: (PolicySubject & { via: SubjectRole[] })[];
  members?: (PolicySubject & { via: SubjectRole[] })[];
  next_cursor: string | null;
  /** Null when organization custom roles grant (the count would only be an upper bound). */
  total: number | null;
}

export function WhoCanPage({ query }: PageProps) {
  const kind = policyKindOf(query);
  const resourceId = query.get('resource_id') ?? '';
  const action = query.get('action') ?? '';
  const organizationId = query.get('organization_id') ?? '';
  const policy = usePolicy(kind);
  const organizations = useOrganizationChoices();
  const paging = useCursor(query.toString());
  const answer = useAsync(
    () =>
      resourceId && action
        ? api.get<WhoCanAnswer>(`${POLICY_PREFIX[kind]}/who_can`, { resource_id: resourceId, action, organization_id: organizationId, cursor: paging.cursor })
        : Promise.resolve(null),
    [kind, resourceId, action, organizationId, paging.cursor],
  );
  return (
    <>
      <PageHeader title="Who can?">
        <PolicyKindSwitch kind={kind} path="/who-can" />
      </PageHeader>
      <ErrorMessage error={policy.error} />
      {policy.data && (
        <WhoCanForm
          key={query.toString()}
          kind={kind}
          policy={policy.data}
          organizations={organizations.data?.organizations ?? []}
          resourceId={resourceId}
          action={action}
          organizationId={organizationId}
        />
      )}
      <ErrorMessage error={answer.error} />
      {answer.loading && <Loading />}
      {answer.data && !answer.loading && (
        <WhoCanResult kind={kind} resourceId={resourceId} action={action} answer={answer.data} organizations={organizations.data?.organizations ?? []} />
      )}
      <Pager {...paging.pager(answer.data?.next_cursor)} />
    </>
  );
}

function WhoCanForm({ kind, policy, organizations, ...initial }: {
  kind: PolicyKind;
  policy: Policy;
  organizations: Organization[];
  resourceId: string;
  action: string;
  organizationId: string;
}) {
  const [resourceId, setResourceId] = useState(initial.resourceId || policy.resources[0]?.resource_id || '');
  const resource = policy.resources.find((candidate) => candidate.resource_id === resourceId);
  const [action, setAction] = useState(initial.action || resource?.actions[0] || '');
  const [organizationId, setOrganizationId] = useState(initial.organizationId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/who-can', { kind: kind === 'b2b' ? 'b2b' : '', resource_id: resourceId, action, organization_id: organizationId });
  };
  if (policy.resources.length === 0) return <p>The {kind === 'b2b' ? 'B2B' : 'consumer'} policy has no resources yet.</p>;
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Question">
      <SelectField
        label="Resource"
        value={resourceId}
        onChange={(event) => {
          setResourceId(event.target.value);
          setAction(policy.resources.find((candidate) => candidate.resource_id === event.target.value)?.actions[0] ?? '');
        }}
      >
        {policy.resources.map((candidate) => (
          <option key={candidate.resource_id} value={candidate.resource_id}>
            {candidate.resource_id}
          </option>
        ))}
      </SelectField>
      <SelectField label="Action" value={action} onChange={(event) => setAction(event.target.value)}>
        {(resource?.actions ?? []).map((candidate) => (
          <option key={candidate} value={candidate}>
            {candidate}
          </option>
        ))}
      </SelectField>
      {kind === 'b2b' && (
        <SelectField label="Organization" value={organizationId} onChange={(event) => setOrganizationId(event.target.value)}>
          <option value="">All organizations</option>
          {organizations.map((organization) => (
            <option key={organization.organization_id} value={organization.organization_id}>
              {organization.organization_name}
            </option>
          ))}
        </SelectField>
      )}
      <button type="submit" className="primary">
        Ask
      </button>
    </form>
  );
}

function WhoCanResult({ kind, resourceId, action, answer, organizations }: {
  kind: PolicyKind;
  resourceId: string;
  action: string;
  answer: WhoCanAnswer;
  organizations: Organization[];
}) {
  const noun = SUBJECT_NOUN[kind];
  const organizationName = (id: string | undefined) => organizations.find((organization) => organization.organization_id === id)?.organization_name;
  const subjects = answer[noun.many] ?? [];
  return (
    <section aria-labelledby="answer-title">
      <h2 id="answer-title">
        Who can <code>{action}</code> on <code>{resourceId}</code>
      </h2>
      <p>
        {answer.roles.length === 0 ? (
          'No role grants it.'
        ) : (
          <>
            Granted by{' '}
            {answer.roles.map((role) => (
              <span key={`${role.organization_id ?? ''} ${role.role_id}`} className="tag">
                {role.role_id}
                {role.via === '*' ? ' (through *)' : ''}
                {role.organization_id ? ` · custom role of ${role.organization_id}` : ''}
              </span>
            ))}
          </>
        )}{' '}
        <span className="muted">(policy version {answer.policy_version})</span>
      </p>
      <p role="status">
        {answer.total !== null ? `${answer.total} ${answer.total === 1 ? noun.one : noun.many} can.` : `${subjects.length} ${noun.many} on this page can.`}
      </p>
      {subjects.length > 0 && (
        <Table caption={`${noun.many} who can ${action} on ${resourceId}`}>
          <TableHead columns={kind === 'b2b' ? ['Member', 'Organization', 'Through (role · source)'] : ['User', 'Through (role · source)']} />
          <tbody>
            {subjects.map((subject) => (
              <tr key={subjectId(subject)}>
                <td>
                  <SubjectLink subject={subject} />
                </td>
                {kind === 'b2b' && (
                  <td>
                    <Link to={`/organizations/${encodeURIComponent(subject.organization_id ?? '')}`}>
                      {organizationName(subject.organization_id) ?? subject.organization_id}
                    </Link>
                  </td>
                )}
                <td>
                  <HeldRoles roles={subject.via} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
