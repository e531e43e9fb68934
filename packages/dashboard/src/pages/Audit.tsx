// The audit log: every change to the policy, roles, assignments, rules, SSO connections and secrets,
// newest first, with who made it. Filters live in the URL; each entry opens to show what it changed
// (a readable diff for policy entries, the changed fields for the others, and the JSON).
import { Fragment, useState, type FormEvent } from 'react';
import type { Policy } from '@gatehouse/policy';
import { api } from '../api.ts';
import { AuditActor, AuditTarget, useAuditNames, type AuditEvent } from '../components/audit-names.tsx';
import { DateTimeField } from '../components/datetime.tsx';
import { diffOf, PolicyDiffView } from '../components/policy-diff.tsx';
import { showSearch, useCursor } from '../components/search.tsx';
import { compactTime, ErrorMessage, formatTime, Loading, PageHeader, Pager, SelectField, Table, TableHead, TextField, useAsync } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

const FILTERS = ['action', 'actor_type', 'actor_id', 'target_type', 'target_id', 'organization_id', 'since', 'until'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** Suggestions for the action filter: what the server records, and the prefixes that match a family. */
const ACTIONS = [
  'policy.*', 'policy.updated', 'policy.rolled_back', 'organization_roles.updated',
  'user.*', 'user.created', 'user.roles.updated', 'user.deleted',
  'member.*', 'member.created', 'member.roles.updated', 'member.email.updated', 'member.email.verified', 'member.sso_groups.updated', 'member.deleted', 'member.reactivated',
  'organization.*', 'organization.created', 'organization.email_role_rules.updated', 'organization.deleted',
  'sso_connection.*', 'sso_connection.created', 'sso_connection.updated', 'sso_connection.deleted',
  'secret.*', 'secret.created', 'secret.revoked',
];
const ACTOR_TYPES = ['admin', 'project_secret', 'member_session', 'system'];
const TARGET_TYPES = ['policy', 'user', 'member', 'organization', 'sso_connection', 'secret'];

export function AuditPage({ query }: PageProps) {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? ''])) as Filters;
  const paging = useCursor(query.toString());
  const page = useAsync(
    () => api.get<{ audit_events: AuditEvent[]; next_cursor: string | null }>('/v1/audit_events', { ...filters, cursor: paging.cursor }),
    [query.toString(), paging.cursor],
  );
  return (
    <>
      <PageHeader title="Audit log" />
      <AuditFilters key={query.toString()} initial={filters} />
      <ErrorMessage error={page.error} />
      {page.loading && <Loading />}
      {page.data && <AuditTable events={page.data.audit_events} />}
      <Pager {...paging.pager(page.data?.next_cursor)} />
    </>
  );
}

function AuditFilters({ initial }: { initial: Filters }) {
  const [filters, setFilters] = useState(initial);
  const more = ['actor_id', 'target_id', 'organization_id', 'since', 'until'] as const;
  const set = (name: keyof Filters) => (value: string) => setFilters((current) => ({ ...current, [name]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/audit', filters);
  };
  return (
    <form className="toolbar" onSubmit={submit} aria-label="Filters">
      <TextField label="Action" list="audit-actions" placeholder="policy.*" value={filters.action} onChange={(event) => set('action')(event.target.value)} />
      <datalist id="audit-actions">
        {ACTIONS.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
      <SelectField label="Actor type" value={filters.actor_type} onChange={(event) => set('actor_type')(event.target.value)}>
        <option value="">Any actor</option>
        {ACTOR_TYPES.map((type) => (
          <option key={type}>{type}</option>
        ))}
      </SelectField>
      <SelectField label="Target type" value={filters.target_type} onChange={(event) => set('target_type')(event.target.value)}>
        <option value="">Any target</option>
        {TARGET_TYPES.map((type) => (
          <option key={type}>{type}</option>
        ))}
      </SelectField>
      <button type="submit" className="primary">
        Filter
      </button>
      <details className="more-filters" open={more.some((name) => initial[name] !== '')}>
        <summary>More filters</summary>
        <div className="toolbar">
          <TextField label="Actor id" value={filters.actor_id} onChange={(event) => set('actor_id')(event.target.value)} />
          <TextField label="Target id" value={filters.target_id} onChange={(event) => set('target_id')(event.target.value)} />
          <TextField label="Organization id" value={filters.organization_id} onChange={(event) => set('organization_id')(event.target.value)} />
          <DateTimeField label="Since" value={filters.since} onChange={set('since')} />
          <DateTimeField label="Until" value={filters.until} onChange={set('until')} />
        </div>
      </details>
    </form>
  );
}

function AuditTable({ events }: { events: AuditEvent[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (eventId: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(eventId)) next.add(eventId);
      return next;
    });
  useAuditNames(events);
  if (events.length === 0) return <p>No entries match.</p>;
  return (
    <Table caption="Audit log entries, newest first">
      <TableHead columns={['When', 'Actor', 'Action', 'Target']} actions />
      <tbody>
        {events.map((event) => {
          const expanded = open.has(event.event_id);
          const detailsId = `details-${event.event_id}`;
          return (
            <Fragment key={event.event_id}>
              <tr>
                <td className="when">
                  <time dateTime={event.occurred_at} title={formatTime(event.occurred_at)}>
                    {compactTime(event.occurred_at)}
                  </time>
                </td>
                <td>
                  <AuditActor actor={event.actor} />
                </td>
                <td>
                  <code>{event.action}</code>
                </td>
                <td>
                  <AuditTarget event={event} />
                </td>
                <td>
                  <button
                    type="button"
                    aria-expanded={expanded}
                    aria-controls={expanded ? detailsId : undefined}
                    aria-label={`${expanded ? 'Hide' : 'Show'} details of ${event.action} on ${event.target_id} at ${formatTime(event.occurred_at)}`}
                    onClick={() => toggle(event.event_id)}
                  >
                    {expanded ? 'Hide' : 'Details'}
                  </button>
                </td>
              </tr>
              {expanded && (
                <tr className="entry-details" id={detailsId}>
                  <td colSpan={5}>
                    <EntryChanges event={event} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </Table>
  );
}

type PolicyState = { version: number; policy: Policy; revoked_assignments?: { role_id: string; count: number }[] } | null;

function EntryChanges({ event }: { event: AuditEvent }) {
  if (event.target_type === 'policy') {
    const before = event.before as PolicyState;
    const after = event.after as PolicyState;
    const empty: Policy = { resources: [], roles: [], scopes: [] };
    return (
      <>
        <p>
          Version {before?.version ?? '—'} → {after?.version ?? '—'}
          {after?.revoked_assignments && `; revoked ${after.revoked_assignments.map((entry) => `${entry.role_id} from ${entry.count}`).join(', ')}`}
        </p>
        <PolicyDiffView diff={diffOf(before?.policy ?? empty, after?.policy ?? empty)} label="What the entry changed" />
        <RawJson before={event.before} after={event.after} />
      </>
    );
  }
  return (
    <>
      <FieldChanges before={event.before} after={event.after} />
      <RawJson before={event.before} after={event.after} />
    </>
  );
}

const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** The top-level fields whose value changed, before → after. */
function FieldChanges({ before, after }: { before: unknown; after: unknown }) {
  const was = asRecord(before);
  const is = asRecord(after);
  const fields = [...new Set([...Object.keys(was), ...Object.keys(is)])].filter((field) => JSON.stringify(was[field]) !== JSON.stringify(is[field]));
  if (before === null) return <p>Created.</p>;
  if (after === null) return <p>Removed.</p>;
  if (fields.length === 0) return <p className="muted">No field changed.</p>;
  return (
    <dl className="facts">
      {fields.map((field) => (
        <Fragment key={field}>
          <dt>{field}</dt>
          <dd>
            <code className="lost">{JSON.stringify(was[field]) ?? '—'}</code> → <code className="gained">{JSON.stringify(is[field]) ?? '—'}</code>
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

function RawJson({ before, after }: { before: unknown; after: unknown }) {
  return (
    <details>
      <summary>Before and after (JSON)</summary>
      <div className="before-after">
        <div>
          <h3>Before</h3>
          <pre className="json">{JSON.stringify(before, null, 2)}</pre>
        </div>
        <div>
          <h3>After</h3>
          <pre className="json">{JSON.stringify(after, null, 2)}</pre>
        </div>
      </div>
    </details>
  );
}
