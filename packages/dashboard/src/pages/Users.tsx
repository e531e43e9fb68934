// Consumer users: create or invite, search by email and role; a user's profile (send a password
// reset, delete), roles (assign, revoke), metadata and sessions (revoke).
import { useState, type FormEvent } from 'react';
import { IMPLICIT_ROLE_IDS, type Role } from '@gatehouse/policy';
import { api } from '../api.ts';
import { BackLink, DetailPending, Section } from '../components/detail.tsx';
import { Disclosure } from '../components/disclosure.tsx';
import { MetadataEditors } from '../components/metadata-editor.tsx';
import { AccountActions, NewPersonForm } from '../components/people-actions.tsx';
import { RoleSelect, RolesEditor, assignableRoles, usePolicy, type HeldRole } from '../components/roles-editor.tsx';
import { PAGE_SIZE, PersonRow, SearchResults, searchQuery, showSearch, useCursor, type SearchPage } from '../components/search.tsx';
import { SessionsList, type SessionRow } from '../components/sessions-list.tsx';
import { ErrorMessage, PageHeader, TextField, formatTime, useAsync } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

interface User {
  user_id: string;
  emails: { email_id: string; email: string; verified: boolean }[];
  phone_numbers: { phone_id: string; phone_number: string; verified: boolean }[];
  status: string;
  name: { first_name?: string; middle_name?: string; last_name?: string } | null;
  roles: string[];
  created_at: string;
  is_locked: boolean;
  external_id: string | null;
  trusted_metadata: Record<string, unknown>;
  untrusted_metadata: Record<string, unknown>;
}

const fullName = (user: User) => [user.name?.first_name, user.name?.middle_name, user.name?.last_name].filter(Boolean).join(' ');
const primaryEmail = (user: User) => user.emails[0]?.email ?? '';
const userPath = (userId: string) => `/users/${encodeURIComponent(userId)}`;
/** "Ada Lovelace" as the API's name: the first word first, the rest last. */
function nameOf(text: string): { name?: { first_name: string; last_name?: string } } {
  if (!text) return {};
  const [first, ...rest] = text.split(/\s+/);
  return { name: { first_name: first!, ...(rest.length ? { last_name: rest.join(' ') } : {}) } };
}

export function UsersPage({ query }: PageProps) {
  const email = query.get('email') ?? '';
  const role = query.get('role') ?? '';
  const paging = useCursor(query.toString());
  const policy = usePolicy('consumer');
  const results = useAsync(
    () =>
      api.post<SearchPage & { results: User[] }>('/v1/users/search', {
        limit: PAGE_SIZE,
        cursor: paging.cursor ?? null,
        query: searchQuery([email && { filter_name: 'email_address_fuzzy', filter_value: email }, role && { filter_name: 'roles', filter_value: [role] }]),
      }),
    [email, role, paging.cursor],
  );

  return (
    <>
      <PageHeader title="Users" />
      <Disclosure label="New user">
        {() => (
          <NewPersonForm
            noun="user"
            create={(person) => api.post<{ user_id: string }>('/v1/users', { email: person.email, ...nameOf(person.name) }).then((body) => userPath(body.user_id))}
            invite={(person) => api.post<{ user_id: string }>('/v1/magic_links/email/invite', { email: person.email, ...nameOf(person.name) }).then((body) => userPath(body.user_id))}
          />
        )}
      </Disclosure>
      <UserFilters key={query.toString()} roles={policy.data?.roles ?? []} email={email} role={role} />
      <SearchResults
        state={results}
        noun="user"
        columns={['Email', 'Name', 'Roles', 'Status', 'Created']}
        cursor={paging}
        rows={(page) =>
          page.results.map((user) => (
            <PersonRow
              key={user.user_id}
              to={userPath(user.user_id)}
              label={primaryEmail(user) || user.user_id}
              detail={fullName(user) || '—'}
              roleIds={user.roles}
              status={user.status}
              createdAt={user.created_at}
            />
          ))
        }
      />
    </>
  );
}

function UserFilters(props: { roles: readonly Role[]; email: string; role: string }) {
  const [email, setEmail] = useState(props.email);
  const [role, setRole] = useState(props.role);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/users', { email, role });
  };
  return (
    <form className="toolbar" role="search" aria-label="Users" onSubmit={submit}>
      <TextField label="Email contains" type="search" minLength={3} value={email} onChange={(event) => setEmail(event.target.value)} />
      <RoleSelect label="Role" roles={props.roles} value={role} onChange={setRole} anyLabel="Any role" />
      <button type="submit" className="primary">
        Search
      </button>
    </form>
  );
}

export function UserPage({ params }: PageProps) {
  const userId = params.user_id!;
  const user = useAsync(() => api.get<User>(`/v1/users/${encodeURIComponent(userId)}`), [userId]);
  const policy = usePolicy('consumer');
  const update = async (body: Record<string, unknown>) => {
    await api.put(`/v1/users/${encodeURIComponent(userId)}`, body);
    await user.reload();
  };

  if (!user.data) return <DetailPending title="User" state={user} />;
  const record = user.data;
  // Every user holds stytch_user; the others are explicit assignments.
  const roles: HeldRole[] = record.roles.map((role_id) => ({ role_id, sources: IMPLICIT_ROLE_IDS.consumer.includes(role_id) ? [] : [{ type: 'direct_assignment', details: {} }] }));
  return (
    <>
      <BackLink to="/users" label="Users" />
      <PageHeader title={primaryEmail(record) || record.user_id} />
      <ErrorMessage error={user.error} />
      <Section title="Profile">
        <AccountActions
          noun="user"
          email={primaryEmail(record)}
          sendReset={() => api.post('/v1/passwords/email/reset/start', { email: primaryEmail(record) })}
          remove={() => api.delete(`/v1/users/${encodeURIComponent(userId)}`)}
          afterRemove="/users"
        />
        <dl className="facts">
          <dt>User ID</dt>
          <dd>
            <code>{record.user_id}</code>
          </dd>
          <dt>Name</dt>
          <dd>{fullName(record) || '—'}</dd>
          <dt>Emails</dt>
          <dd>{record.emails.map((email) => `${email.email}${email.verified ? ' (verified)' : ''}`).join(', ') || '—'}</dd>
          <dt>Phone numbers</dt>
          <dd>{record.phone_numbers.map((phone) => phone.phone_number).join(', ') || '—'}</dd>
          <dt>Status</dt>
          <dd>
            {record.status}
            {record.is_locked ? ', locked' : ''}
          </dd>
          <dt>External ID</dt>
          <dd>{record.external_id || '—'}</dd>
          <dt>Created</dt>
          <dd>{formatTime(record.created_at)}</dd>
        </dl>
      </Section>
      <Section title="Roles">
        <ErrorMessage error={policy.error} />
        <RolesEditor kind="consumer" roles={roles} assignable={assignableRoles('consumer', policy.data)} onSave={(next) => update({ roles: next })} />
      </Section>
      <Section title="Metadata">
        <MetadataEditors record={record} onSave={update} />
      </Section>
      <Section title="Sessions">
        <SessionsList
          load={() =>
            api
              .get<{ sessions: (Omit<SessionRow, 'id'> & { session_id: string })[] }>('/v1/sessions', { user_id: userId })
              .then((body) => body.sessions.map((session) => ({ ...session, id: session.session_id })))
          }
          revoke={(id) => api.post('/v1/sessions/revoke', { session_id: id })}
        />
      </Section>
    </>
  );
}
