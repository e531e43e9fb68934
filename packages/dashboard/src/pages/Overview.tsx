import { api } from '../api.ts';
import { ErrorMessage, Loading, PageHeader, useAsync } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { PageProps } from './types.ts';

interface PolicySummary {
  policy: { resources: unknown[]; roles: unknown[] };
}

export function OverviewPage({ session }: PageProps) {
  const policies = useAsync(
    () => Promise.all([api.get<PolicySummary>('/v1/rbac/policy'), api.get<PolicySummary>('/v1/b2b/rbac/policy')]),
    [],
  );
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
      <ErrorMessage error={policies.error} />
      {policies.loading && !policies.data ? (
        <Loading />
      ) : policies.data ? (
        <div className="cards">
          {(['Consumer', 'B2B'] as const).map((label, index) => (
            <section key={label} className="card" aria-labelledby={`policy-${label}`}>
              <h2 id={`policy-${label}`}>{label} policy</h2>
              <p>
                {policies.data![index]!.policy.resources.length} resources, {policies.data![index]!.policy.roles.length} roles
              </p>
              <Link to={`/policy${index === 1 ? '?kind=b2b' : ''}`}>Edit the {label.toLowerCase()} policy</Link>
            </section>
          ))}
        </div>
      ) : null}
    </>
  );
}
