// Who and what an audit entry is about, by name: the people (users, members) by email and name,
// organizations by name, each linked to its page; a project secret or the system by what it is.
// The entries hold ids; the names are looked up once per id (shared by every page of the session).
import { useEffect, useState } from 'react';
import type { Organization } from '@gatehouse/node';
import { api } from '../api.ts';
import { Link } from '../router.tsx';

export interface AuditEvent {
  event_id: string;
  occurred_at: string;
  actor: { type: string; id: string; email?: string; organization_id?: string };
  action: string;
  target_type: string;
  target_id: string;
  organization_id: string | null;
  before: unknown;
  after: unknown;
}

/** What the page shows for an id: a label (email, name), more (a name beside an email) and its page. */
interface Named {
  label: string;
  detail?: string;
  to?: string;
}

/** Looked-up names by `kind:id`; null: looked up and not found (deleted). */
const known = new Map<string, Named | null>();
const pending = new Map<string, Promise<void>>();

const userName = (user: { emails: { email: string }[]; name: { first_name?: string; last_name?: string } | null }) =>
  [user.name?.first_name, user.name?.last_name].filter(Boolean).join(' ');

async function lookUp(key: string): Promise<void> {
  const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  try {
    if (kind === 'user') {
      const user = await api.get<{ user_id: string; emails: { email: string }[]; name: { first_name?: string; last_name?: string } | null }>(`/v1/users/${encodeURIComponent(id)}`);
      known.set(key, { label: user.emails[0]?.email ?? id, detail: userName(user) || undefined, to: `/users/${encodeURIComponent(id)}` });
    } else if (kind === 'member') {
      const { member } = await api.get<{ member: { organization_id: string; member_id: string; email_address: string; name: string; status: string } }>(
        `/v1/b2b/organizations/members/dangerously_get/${encodeURIComponent(id)}`,
        { include_deleted: 'true' },
      );
      known.set(key, {
        label: member.email_address,
        detail: [member.name, member.status === 'deleted' ? 'deleted' : ''].filter(Boolean).join(', ') || undefined,
        to: member.status === 'deleted' ? undefined : `/members/${encodeURIComponent(member.organization_id)}/${encodeURIComponent(member.member_id)}`,
      });
    } else if (kind === 'organization') {
      const body = await api.post<{ organizations: Organization[] }>('/v1/b2b/organizations/search', {
        limit: 1,
        query: { operator: 'AND', operands: [{ filter_name: 'organization_ids', filter_value: [id] }] },
      });
      const organization = body.organizations[0];
      known.set(key, organization ? { label: organization.organization_name, to: `/organizations/${encodeURIComponent(id)}` } : null);
    }
  } catch {
    known.set(key, null);
  }
}

/** The keys an entry names: its actor, its target and its organization. */
function keysOf(event: AuditEvent): string[] {
  const keys: string[] = [];
  if (event.actor.type === 'member_session') keys.push(`member:${event.actor.id}`);
  if (event.target_type === 'user' || event.target_type === 'member' || event.target_type === 'organization') keys.push(`${event.target_type}:${event.target_id}`);
  if (event.organization_id) keys.push(`organization:${event.organization_id}`);
  return keys;
}

/** Looks up the names the entries need; re-renders as they arrive. */
export function useAuditNames(events: readonly AuditEvent[] | undefined): void {
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!events) return;
    let live = true;
    const wanted = [...new Set(events.flatMap(keysOf))].filter((key) => !known.has(key));
    const lookups = wanted.map((key) => {
      if (!pending.has(key)) pending.set(key, lookUp(key).finally(() => pending.delete(key)));
      return pending.get(key)!;
    });
    if (lookups.length > 0) void Promise.all(lookups).then(() => live && setVersion((version) => version + 1));
    return () => {
      live = false;
    };
  }, [events]);
}

/** `secret-id-test-7a35…` as "project secret …7a35c2d1": the id's end tells secrets apart. */
const shortId = (id: string) => (id.length > 12 ? `…${id.slice(-8)}` : id);

function NameView({ named, fallback, noun }: { named: Named | null | undefined; fallback: string; noun: string }) {
  if (!named) {
    return (
      <span title={fallback}>
        {named === null ? `deleted ${noun} ` : `${noun} `}
        <code>{shortId(fallback)}</code>
      </span>
    );
  }
  const label = named.to ? <Link to={named.to}>{named.label}</Link> : <span>{named.label}</span>;
  return (
    <span className="named">
      {label}
      {named.detail && <span className="muted"> ({named.detail})</span>}
    </span>
  );
}

/** Who made the change. */
export function AuditActor({ actor }: { actor: AuditEvent['actor'] }) {
  switch (actor.type) {
    case 'admin':
      return (
        <span className="named">
          <Link to="/admins">{actor.email ?? actor.id}</Link> <span className="muted">(admin)</span>
        </span>
      );
    case 'project_secret':
      return (
        <span className="named" title={actor.id}>
          project secret <code>{shortId(actor.id)}</code>
        </span>
      );
    case 'member_session':
      return (
        <span className="named">
          <NameView named={known.get(`member:${actor.id}`)} fallback={actor.id} noun="member" /> <span className="muted">(signed in)</span>
        </span>
      );
    case 'system':
      return (
        <span className="named">
          system <span className="muted">({actor.id.replace(/[._]/g, ' ')})</span>
        </span>
      );
    default:
      return (
        <span>
          {actor.type} <code>{shortId(actor.id)}</code>
        </span>
      );
  }
}

/** What the change was made to, and in which organization. */
export function AuditTarget({ event }: { event: AuditEvent }) {
  const { target_type: type, target_id: id } = event;
  const organization = event.organization_id && event.organization_id !== id && (
    <span className="muted">
      {' '}
      in <NameView named={known.get(`organization:${event.organization_id}`)} fallback={event.organization_id} noun="organization" />
    </span>
  );
  const target = (() => {
    switch (type) {
      case 'user':
      case 'member':
      case 'organization':
        return <NameView named={known.get(`${type}:${id}`)} fallback={id} noun={type} />;
      case 'policy':
        return <Link to={`/policy/history${id === 'b2b' ? '?kind=b2b' : ''}`}>{id === 'b2b' ? 'B2B policy' : id === 'consumer' ? 'consumer policy' : `policy ${id}`}</Link>;
      case 'sso_connection': {
        const record = (event.after ?? event.before) as { display_name?: string } | null;
        const label = record?.display_name ? `SSO connection ${record.display_name}` : `SSO connection ${shortId(id)}`;
        return event.organization_id ? <Link to={`/organizations/${encodeURIComponent(event.organization_id)}`}>{label}</Link> : <span>{label}</span>;
      }
      case 'redirect_url':
        return <Link to="/redirect-urls">{id}</Link>;
      case 'oauth_provider':
        return <Link to="/oauth-providers">OAuth provider {id}</Link>;
      case 'admin':
        return <Link to="/admins">admin {(event.after as { email?: string } | null)?.email ?? shortId(id)}</Link>;
      case 'secret':
        return (
          <span title={id}>
            project secret <code>{shortId(id)}</code>
          </span>
        );
      default:
        return (
          <span>
            {type} <code>{shortId(id)}</code>
          </span>
        );
    }
  })();
  return (
    <span className="named">
      {target}
      {organization}
    </span>
  );
}
