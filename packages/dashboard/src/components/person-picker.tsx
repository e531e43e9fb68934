// Picks a user or member by email instead of a pasted id: typing three letters or more searches
// (users by email; members by email across the organizations), and the matches are offered as
// buttons. The id chosen is what the form sends; an id typed or pasted in full is taken as it is.
import { useEffect, useId, useState } from 'react';
import type { PolicyKind } from '@gatehouse/policy';
import { api } from '../api.ts';
import { useOrganizationChoices } from './organizations.ts';
import { searchQuery } from './search.tsx';
import { Loading, useAsync } from './ui.tsx';

export interface PickedPerson {
  id: string;
  email: string;
  /** The member's organization name. */
  detail?: string;
}

const LIMIT = 8;

/** Looks up who an id is, for a form opened with an id in its URL. */
export function usePersonById(kind: PolicyKind, id: string) {
  return useAsync(async (): Promise<PickedPerson | null> => {
    if (!id) return null;
    try {
      if (kind === 'consumer') {
        const user = await api.get<{ emails: { email: string }[] }>(`/v1/users/${encodeURIComponent(id)}`);
        return { id, email: user.emails[0]?.email ?? id };
      }
      const { member } = await api.get<{ member: { email_address: string } }>(`/v1/b2b/organizations/members/dangerously_get/${encodeURIComponent(id)}`, { include_deleted: 'true' });
      return { id, email: member.email_address };
    } catch {
      return { id, email: id };
    }
  }, [kind, id]);
}

export function PersonPicker({ kind, label, value, onChange }: {
  kind: PolicyKind;
  label: string;
  value: PickedPerson | null;
  onChange: (person: PickedPerson | null) => void;
}) {
  const [text, setText] = useState(value?.email ?? '');
  useEffect(() => setText(value?.email ?? ''), [value?.email]);
  const organizations = useOrganizationChoices();
  const term = text.trim();
  const searching = term.length >= 3 && term !== value?.email;
  const matches = useAsync(async (): Promise<PickedPerson[]> => {
    if (!searching) return [];
    if (kind === 'consumer') {
      const body = await api.post<{ results: { user_id: string; emails: { email: string }[] }[] }>('/v1/users/search', {
        limit: LIMIT,
        query: searchQuery([{ filter_name: 'email_address_fuzzy', filter_value: term }]),
      });
      return body.results.map((user) => ({ id: user.user_id, email: user.emails[0]?.email ?? user.user_id }));
    }
    const organizationIds = organizations.data?.organizations.map((organization) => organization.organization_id) ?? [];
    if (organizationIds.length === 0) return [];
    const body = await api.post<{ members: { member_id: string; organization_id: string; email_address: string }[]; organizations: Record<string, { organization_name: string }> }>(
      '/v1/b2b/organizations/members/search',
      { organization_ids: organizationIds, limit: LIMIT, query: searchQuery([{ filter_name: 'member_email_fuzzy', filter_value: term }]) },
    );
    return body.members.map((member) => ({ id: member.member_id, email: member.email_address, detail: body.organizations[member.organization_id]?.organization_name }));
  }, [kind, term, searching, organizations.data]);
  const id = useId();
  const type = (next: string) => {
    setText(next);
    // A whole id typed or pasted is taken as it is.
    const trimmed = next.trim();
    onChange(/^(user|member)-[a-z]+-[0-9a-f-]{36}$/.test(trimmed) ? { id: trimmed, email: trimmed } : null);
  };
  return (
    <div className="field picker">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        autoComplete="off"
        placeholder="Type an email"
        aria-describedby={`${id}-chosen`}
        value={text}
        onChange={(event) => type(event.target.value)}
      />
      <small id={`${id}-chosen`} className="muted">
        {value ? (
          <>
            Chosen: <code>{value.id}</code>
          </>
        ) : (
          'Search by email, or paste an id'
        )}
      </small>
      {searching && (
        <div className="picker-matches" role="group" aria-label={`Matches for ${label.toLowerCase()}`}>
          {matches.loading && <Loading label="Searching…" />}
          {!matches.loading && matches.data?.length === 0 && <p className="muted">No match.</p>}
          {matches.data?.map((person) => (
            <button key={person.id} type="button" onClick={() => onChange(person)}>
              {person.email}
              {person.detail && <span className="muted"> · {person.detail}</span>}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
