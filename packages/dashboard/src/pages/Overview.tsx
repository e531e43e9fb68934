// The overview: the project, how many users, organizations, members and roles it has, the latest
// changes from the audit log, and the first steps of a new project, each ticked off once done.
import type { Organization } from '@gatehouse/node';
import { api } from '../api.ts';
import { AuditActor, AuditTarget, useAuditNames, type AuditEvent } from '../components/audit-names.tsx';
import { ORGANIZATION_CHOICES } from '../components/organizations.ts';
import { isBuiltInResource } from '../components/policy-kind.tsx';
import type { SearchPage } from '../components/search.tsx';
import { ErrorMessage, Loading, PageHeader, compactTime, formatTime, useAsync } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { PageProps } from './types.ts';

interface PolicySummary {
  policy: { resources: { resource_id: string }[]; roles: unknown[] };
}

interface Figures {
  users: number;
  organizations: number;
  members: number;
  consumer: PolicySummary['policy'];
  b2b: PolicySummary['policy'];
  redirectUrls: number;
  oauthProviders: number;
}

const total = (page: SearchPage) => page.results_metadata.total;

async function loadFigures(): Promise<Figures> {
  const [users, organizations, consumer, b2b, redirectUrls, oauthProviders] = await Promise.all([
    api.post<SearchPage>('/v1/users/search', { limit: 1 }),
    api.post<SearchPage & { organizations: Organization[] }>('/v1/b2b/organizations/search', { limit: ORGANIZATION_CHOICES }),
    api.get<PolicySummary>('/v1/rbac/policy'),
    api.get<PolicySummary>('/v1/b2b/rbac/policy'),
    api.get<{ redirect_urls: unknown[] }>('/v1/project/redirect_urls'),
    api.get<{ oauth_providers: unknown[] }>('/v1/project/oauth_providers'),
  ]);
  const organizationIds = organizations.organizations.map((organization) => organization.organization_id);
  const members = organizationIds.length === 0 ? 0 : total(await api.post<SearchPage>('/v1/b2b/organizations/members/search', { organization_ids: organizationIds, limit: 1 }));
  return {
    users: total(users),
    organizations: total(organizations),
    members,
    consumer: consumer.policy,
    b2b: b2b.policy,
    redirectUrls: redirectUrls.redirect_urls.length,
    oauthProviders: oauthProviders.oauth_providers.length,
  };
}

export function OverviewPage({ session }: PageProps) {
  const figures = useAsync(loadFigures, []);
  const recent = useAsync(() => api.get<{ audit_events: AuditEvent[] }>('/v1/audit_events', { limit: 8 }).then((body) => body.audit_events), []);
  useAuditNames(recent.data);
  return (
    <>
      <PageHeader title="Overview" />
      <dl className="facts">
        <dt>Project</dt>
        <dd>
          <code>{session.project.project_id}</code>
        </dd>
        <dt>Environment</dt>
        <dd>{session.project.environment}</dd>
        <dt>Public token</dt>
        <dd>
          <code>{session.project.public_token}</code>
        </dd>
      </dl>
      <ErrorMessage error={figures.error} />
      {figures.loading && !figures.data && <Loading />}
      {figures.data && <Counts figures={figures.data} />}
      {figures.data && <GettingStarted figures={figures.data} />}
      <section className="panel" aria-labelledby="recent-changes">
        <div className="panel-header">
          <h2 id="recent-changes">Recent changes</h2>
          <Link to="/audit">The whole audit log</Link>
        </div>
        <ErrorMessage error={recent.error} />
        {recent.data?.length === 0 && <p className="muted">Nothing has changed yet.</p>}
        {recent.data && recent.data.length > 0 && (
          <ul className="recent">
            {recent.data.map((event) => (
              <li key={event.event_id}>
                <time dateTime={event.occurred_at} title={formatTime(event.occurred_at)} className="muted">
                  {compactTime(event.occurred_at)}
                </time>{' '}
                <AuditActor actor={event.actor} /> <code>{event.action}</code> <AuditTarget event={event} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function Counts({ figures }: { figures: Figures }) {
  const b2bResources = figures.b2b.resources.filter((resource) => !isBuiltInResource('b2b', resource.resource_id)).length;
  const counts: [string, number, string][] = [
    ['Users', figures.users, '/users'],
    ['Organizations', figures.organizations, '/organizations'],
    ['Members', figures.members, '/members'],
    ['Consumer roles', figures.consumer.roles.length, '/policy'],
    ['B2B roles', figures.b2b.roles.length, '/policy?kind=b2b'],
    ['Resources', figures.consumer.resources.length + b2bResources, '/policy'],
  ];
  return (
    <ul className="counts" aria-label="Counts">
      {counts.map(([label, count, to]) => (
        <li key={label} className="card">
          <Link to={to}>
            <span className="count">{count}</span> {label}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function GettingStarted({ figures }: { figures: Figures }) {
  const b2bResources = figures.b2b.resources.some((resource) => !isBuiltInResource('b2b', resource.resource_id));
  const steps: { done: boolean; text: string; to: string; link: string }[] = [
    { done: figures.consumer.resources.length > 0 || b2bResources, text: 'Define the resources and roles your app checks.', to: '/policy', link: 'Edit the policy' },
    { done: figures.redirectUrls > 0, text: 'Register where magic links, invites and password resets send people.', to: '/redirect-urls', link: 'Redirect URLs' },
    { done: figures.users > 0 || figures.organizations > 0, text: 'Add a user, or an organization and its members.', to: '/users', link: 'Users' },
    { done: figures.oauthProviders > 0, text: 'Optionally, let people sign in with Google, Microsoft or GitHub.', to: '/oauth-providers', link: 'OAuth providers' },
  ];
  const left = steps.filter((step) => !step.done).length;
  return (
    <section className="panel" aria-labelledby="getting-started">
      <h2 id="getting-started">Getting started {left === 0 ? <span className="tag gained">done</span> : <span className="muted">({steps.length - left} of {steps.length} done)</span>}</h2>
      <ol className="steps">
        {steps.map((step) => (
          <li key={step.to} className={step.done ? 'done' : undefined}>
            <span aria-hidden="true">{step.done ? '✓' : '○'}</span> <span className="visually-hidden">{step.done ? 'Done:' : 'To do:'}</span> {step.text}{' '}
            <Link to={step.to}>{step.link}</Link>
          </li>
        ))}
      </ol>
      <p className="muted">
        Your backend calls the API with the project id and a secret (<code>npx gatehouse secrets create</code>); the README's Quickstart walks through
        the first calls.
      </p>
    </section>
  );
}
