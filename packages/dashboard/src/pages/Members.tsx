// B2B members: create or invite into an organization; search one or more organizations by email,
// status and role (explicit or from a rule); a member's account (send a password reset, delete), roles with their sources (assign, revoke explicit ones), metadata and sessions.
import { useState, type FormEvent } from 'react';
import type { Role } from '@gatehouse/policy';
import { api } from '../api.ts';
import { BackLink, DetailPending, Section } from '../components/detail.tsx';
import { Disclosure } from '../components/disclosure.tsx';
import { MetadataEditors } from '../components/metadata-editor.tsx';
import { AccountActions, NewPersonForm } from '../components/people-actions.tsx';
import { useOrganizationChoices, type Organization } from '../components/organizations.ts';
import { RoleSelect, RolesEditor, assignableRoles, usePolicy, type HeldRole } from '../components/roles-editor.tsx';
import { PAGE_SIZE, PersonRow, SearchResults, searchQuery, showSearch, useCursor, type SearchPage } from '../components/search.tsx';
import { SessionsList, type SessionRow } from '../components/sessions-list.tsx';
import { ErrorMessage, PageHeader, SelectField, TextField, formatTime, useAsync } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { PageProps } from './types.ts';

interface Member {
  organization_id: string;
  member_id: string;
  email_address: string;
  status: string;
  name: string;
  roles: HeldRole[];
  is_breakglass: boolean;
  mfa_enrolled: boolean;
  external_id: string | null;
  created_at: string;
  trusted_metadata: Record<string, unknown>;
  untrusted_metadata: Record<string, unknown>;
}

const STATUSES = ['active', 'pending', 'invited', 'deleted'];

const memberPath = (member: Pick<Member, 'organization_id' | 'member_id'>) =>
  `/members/${encodeURIComponent(member.organization_id)}/${encodeURIComponent(member.member_id)}`;

export function MembersPage({ query }: PageProps) {
  const picked = query.getAll('organization');
  const email = query.get('email') ?? '';
  const status = query.get('status') ?? '';
  const role = query.get('role') ?? '';
  const organizations = useOrganizationChoices();
  const policy = usePolicy('b2b');
  // No organization picked: every organization on the list.
  const organizationIds = picked.length > 0 ? picked : (organizations.data?.organizations.map((o) => o.organization_id) ?? []);
  const paging = useCursor(query.toString());
  const results = useAsync(
    async () => {
      if (organizationIds.length === 0) return undefined;
      return api.post<SearchPage & { members: Member[]; organizations: Record<string, Organization> }>('/v1/b2b/organizations/members/search', {
        organization_ids: organizationIds,
        limit: PAGE_SIZE,
        cursor: paging.cursor ?? null,
        query: searchQuery([
          email && { filter_name: 'member_email_fuzzy', filter_value: email },
          status && { filter_name: 'statuses', filter_value: [status] },
          role && { filter_name: 'member_roles', filter_value: [role] },
        ]),
      });
    },
    [organizationIds.join(' '), email, status, role, paging.cursor],
  );

  return (
    <>
      <PageHeader title="Members" />
      <ErrorMessage error={organizations.error} />
      {organizations.data && organizations.data.organizations.length > 0 && (
        <Disclosure label="New member">{() => <NewMemberForm organizations={organizations.data!.organizations} picked={picked[0] ?? ''} />}</Disclosure>
      )}
      {organizations.data && (
        <MemberFilters key={query.toString()} policyRoles={policy.data?.roles ?? []} organizations={organizations.data.organizations} picked={picked} email={email} status={status} role={role} />
      )}
      {organizations.data?.organizations.length === 0 && (
        <p className="muted">
          There are no organizations yet. <Link to="/organizations">Create one</Link>.
        </p>
      )}
      <SearchResults
        state={results}
        noun="member"
        columns={['Email', 'Organization', 'Roles', 'Status', 'Created']}
        cursor={paging}
        rows={(page) =>
          page.members.map((member) => (
            <PersonRow
              key={member.member_id}
              to={memberPath(member)}
              label={member.email_address}
              detail={page.organizations[member.organization_id]?.organization_name ?? member.organization_id}
              roleIds={member.roles.map((held) => held.role_id)}
              status={member.status}
              createdAt={member.created_at}
            />
          ))
        }
      />
    </>
  );
}

function NewMemberForm({ organizations, picked }: { organizations: Organization[]; picked: string }) {
  const [organizationId, setOrganizationId] = useState(picked);
  const path = `/v1/b2b/organizations/${encodeURIComponent(organizationId)}/members`;
  const pathOf = (body: { member: Member }) => memberPath(body.member);
  return (
    <NewPersonForm
      noun="member"
      ready={organizationId !== ''}
      extra={
        <SelectField label="Organization" required value={organizationId} onChange={(event) => setOrganizationId(event.target.value)}>
          <option value="">Choose an organization</option>
          {organizations.map((organization) => (
            <option key={organization.organization_id} value={organization.organization_id}>
              {organization.organization_name}
            </option>
          ))}
        </SelectField>
      }
      create={(person) => api.post<{ member: Member }>(path, { email_address: person.email, name: person.name || undefined }).then(pathOf)}
      invite={(person) =>
        api.post<{ member: Member }>('/v1/b2b/magic_links/email/invite', { organization_id: organizationId, email_address: person.email, name: person.name || undefined }).then(pathOf)
      }
    />
  );
}

function MemberFilters(props: { policyRoles: readonly Role[]; organizations: Organization[]; picked: string[]; email: string; status: string; role: string }) {
  const [picked, setPicked] = useState(props.picked);
  const [email, setEmail] = useState(props.email);
  const [status, setStatus] = useState(props.status);
  const [role, setRole] = useState(props.role);
  // The role filter offers the policy's roles and the custom roles of the organizations searched.
  const searched = props.organizations.filter((o) => picked.length === 0 || picked.includes(o.organization_id));
  const roles = [...new Map([...props.policyRoles, ...searched.flatMap((o) => o.custom_roles)].map((r) => [r.role_id, r])).values()];
  const toggle = (id: string, on: boolean) => setPicked((current) => (on ? [...current, id] : current.filter((item) => item !== id)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/members', { organization: picked, email, status, role });
  };
  return (
    <form role="search" aria-label="Members" onSubmit={submit}>
      <fieldset className="choices scroll">
        <legend>Organizations {picked.length === 0 && <span className="muted">(none picked: all)</span>}</legend>
        <div className="checks">
          {props.organizations.map((organization) => (
            <label key={organization.organization_id} className="check">
              <input
                type="checkbox"
                checked={picked.includes(organization.organization_id)}
                onChange={(event) => toggle(organization.organization_id, event.target.checked)}
              />
              {organization.organization_name}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="toolbar">
        <TextField label="Email contains" type="search" minLength={3} value={email} onChange={(event) => setEmail(event.target.value)} />
        <SelectField label="Status" value={status} onChange={(event) => setStatus(event.target.value)}>
          <option value="">Any status</option>
          {STATUSES.map((value) => (
            <option key={value}>{value}</option>
          ))}
        </SelectField>
        <RoleSelect label="Role" roles={roles} value={role} onChange={setRole} anyLabel="Any role" />
        <button type="submit" className="primary">
          Search
        </button>
      </div>
    </form>
  );
}

export function MemberPage({ params }: PageProps) {
  const { organization_id: organizationId, member_id: memberId } = params as { organization_id: string; member_id: string };
  const member = useAsync(
    () => api.get<{ member: Member; organization: Organization }>(`/v1/b2b/organizations/${encodeURIComponent(organizationId)}/member`, { member_id: memberId }),
    [organizationId, memberId],
  );
  const policy = usePolicy('b2b');
  const update = async (body: Record<string, unknown>) => {
    await api.put(`/v1/b2b/organizations/${encodeURIComponent(organizationId)}/members/${encodeURIComponent(memberId)}`, body);
    await member.reload();
  };

  if (!member.data) return <DetailPending title="Member" state={member} />;
  const { member: record, organization } = member.data;
  return (
    <>
      <BackLink to={`/members?organization=${encodeURIComponent(organizationId)}`} label="Members" />
      <PageHeader title={record.email_address} />
      <ErrorMessage error={member.error} />
      <Section title="Profile">
        <AccountActions
          noun="member"
          email={record.email_address}
          sendReset={() => api.post('/v1/b2b/passwords/email/reset/start', { organization_id: organizationId, email_address: record.email_address })}
          remove={() => api.delete(`/v1/b2b/organizations/${encodeURIComponent(organizationId)}/members/${encodeURIComponent(memberId)}`)}
          afterRemove={`/members?organization=${encodeURIComponent(organizationId)}`}
        />
        <dl className="facts">
          <dt>Member ID</dt>
          <dd>
            <code>{record.member_id}</code>
          </dd>
          <dt>Organization</dt>
          <dd>
            <Link to={`/organizations/${encodeURIComponent(organizationId)}`}>{organization.organization_name}</Link>
          </dd>
          <dt>Name</dt>
          <dd>{record.name || '—'}</dd>
          <dt>Status</dt>
          <dd>{record.status}</dd>
          <dt>Break-glass</dt>
          <dd>{record.is_breakglass ? 'yes' : 'no'}</dd>
          <dt>External ID</dt>
          <dd>{record.external_id || '—'}</dd>
          <dt>Created</dt>
          <dd>{formatTime(record.created_at)}</dd>
        </dl>
      </Section>
      <Section title="Roles">
        <ErrorMessage error={policy.error} />
        <RolesEditor kind="b2b" roles={record.roles} assignable={assignableRoles('b2b', policy.data, organization.custom_roles)} onSave={(next) => update({ roles: next })} />
      </Section>
      <Section title="Metadata">
        <MetadataEditors record={record} onSave={update} />
      </Section>
      <Section title="Sessions">
        <SessionsList
          load={() =>
            api
              .get<{ member_sessions: (Omit<SessionRow, 'id'> & { member_session_id: string })[] }>('/v1/b2b/sessions', { organization_id: organizationId, member_id: memberId })
              .then((body) => body.member_sessions.map((session) => ({ ...session, id: session.member_session_id })))
          }
          revoke={(id) => api.post('/v1/b2b/sessions/revoke', { member_session_id: id })}
        />
      </Section>
    </>
  );
}
