// B2B organizations: list, search by name, create; an organization's settings, its email-domain role
// rules, its SSO connections with their role rules, and its custom roles.
import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../api.ts';
import { CustomRolesEditor } from '../components/custom-roles-editor.tsx';
import { BackLink, DetailPending, Section } from '../components/detail.tsx';
import { Disclosure } from '../components/disclosure.tsx';
import type { Organization } from '../components/organizations.ts';
import { RoleRulesEditor } from '../components/role-rules-editor.tsx';
import { assignableRoles, usePolicy } from '../components/roles-editor.tsx';
import { PAGE_SIZE, SearchResults, searchQuery, showSearch, useCursor, type SearchPage } from '../components/search.tsx';
import { ScimConnectionSection } from '../components/scim-connection.tsx';
import { SsoConnections } from '../components/sso-connections.tsx';
import { ErrorMessage, PageHeader, SelectField, Status, TextField, formatTime, useAction, useAsync } from '../components/ui.tsx';
import { Link, navigate } from '../router.tsx';
import type { PageProps } from './types.ts';

const organizationPath = (id: string) => `/organizations/${encodeURIComponent(id)}`;

/** The server's message when its error is about one field (by error_type), to show beside that field. */
function fieldError(error: Error | undefined, errorTypes: readonly string[]): string | undefined {
  return error instanceof ApiError && errorTypes.includes(error.errorType) ? error.message : undefined;
}
const NAME_ERRORS = ['invalid_organization_name'];
const SLUG_ERRORS = ['invalid_organization_slug', 'organization_slug_already_used'];

export function OrganizationsPage({ query }: PageProps) {
  const name = query.get('name') ?? '';
  const paging = useCursor(query.toString());
  const results = useAsync(
    () =>
      api.post<SearchPage & { organizations: Organization[] }>('/v1/b2b/organizations/search', {
        limit: PAGE_SIZE,
        cursor: paging.cursor ?? null,
        query: searchQuery([name && { filter_name: 'organization_name_fuzzy', filter_value: name }]),
      }),
    [name, paging.cursor],
  );

  return (
    <>
      <PageHeader title="Organizations" />
      <Disclosure label="New organization">{() => <NewOrganizationForm />}</Disclosure>
      <OrganizationFilters key={query.toString()} name={name} />
      <SearchResults
        state={results}
        noun="organization"
        columns={['Name', 'Slug', 'Email-domain rules', 'SSO connections', 'Created']}
        cursor={paging}
        rows={(page) =>
          page.organizations.map((organization) => (
            <tr key={organization.organization_id}>
              <td>
                <Link to={organizationPath(organization.organization_id)}>{organization.organization_name}</Link>
              </td>
              <td>
                <code>{organization.organization_slug}</code>
              </td>
              <td>{organization.rbac_email_implicit_role_assignments.map((rule) => `${rule.domain} → ${rule.role_id}`).join(', ') || '—'}</td>
              <td>{organization.sso_active_connections.length}</td>
              <td>{formatTime(organization.created_at)}</td>
            </tr>
          ))
        }
      />
    </>
  );
}

function OrganizationFilters(props: { name: string }) {
  const [name, setName] = useState(props.name);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/organizations', { name });
  };
  return (
    <form className="toolbar" role="search" aria-label="Organizations" onSubmit={submit}>
      <TextField label="Name contains" type="search" minLength={3} value={name} onChange={(event) => setName(event.target.value)} />
      <button type="submit" className="primary">
        Search
      </button>
    </form>
  );
}

function NewOrganizationForm() {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const create = useAction(async () => {
    const body = await api.post<{ organization: Organization }>('/v1/b2b/organizations', { organization_name: name, organization_slug: slug || undefined });
    navigate(organizationPath(body.organization.organization_id));
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  const nameError = fieldError(create.error, NAME_ERRORS);
  const slugError = fieldError(create.error, SLUG_ERRORS);
  return (
    <form onSubmit={submit}>
      <TextField label="Name" required value={name} error={nameError} onChange={(event) => setName(event.target.value)} />
      <TextField label="Slug" hint="Lower-case letters, digits and - . _ ~; made from the name when empty." value={slug} error={slugError} onChange={(event) => setSlug(event.target.value)} />
      <button type="submit" className="primary" disabled={create.busy}>
        Create organization
      </button>
      {!nameError && !slugError && <ErrorMessage error={create.error} />}
    </form>
  );
}

export function OrganizationPage({ params }: PageProps) {
  const organizationId = params.organization_id!;
  const path = `/v1/b2b/organizations/${encodeURIComponent(organizationId)}`;
  const organization = useAsync(() => api.get<{ organization: Organization }>(path).then((body) => body.organization), [path]);
  const policy = usePolicy('b2b');
  const update = async (body: Record<string, unknown>) => {
    await api.put(path, body);
    await organization.reload();
  };

  if (!organization.data) return <DetailPending title="Organization" state={organization} />;
  const record = organization.data;
  const roles = assignableRoles('b2b', policy.data, record.custom_roles);
  return (
    <>
      <BackLink to="/organizations" label="Organizations" />
      <PageHeader title={record.organization_name}>
        <Link to={`/members?organization=${encodeURIComponent(organizationId)}`}>Members</Link>
      </PageHeader>
      <ErrorMessage error={organization.error ?? policy.error} />
      <Section title="Settings">
        <SettingsForm organization={record} onSave={update} />
      </Section>
      <Section title="Email-domain role rules">
        <p className="muted">Members whose email address is at the domain hold the role, from their next sign-in; the source shows as email_assignment.</p>
        <RoleRulesEditor
          title="Rules by email domain"
          condition={{ field: 'domain', label: 'Email domain', placeholder: 'example.com' }}
          rules={record.rbac_email_implicit_role_assignments}
          roles={roles}
          onSave={(rules) => update({ rbac_email_implicit_role_assignments: rules })}
        />
      </Section>
      <Section title="SSO connections">
        <SsoConnections organizationId={organizationId} roles={roles} />
      </Section>
      <Section title="SCIM provisioning"><ScimConnectionSection organizationId={organizationId} roles={roles} /></Section>
      <Section title="Custom roles">
        <p className="muted">Roles that exist only in this organization, over the project's B2B resources.</p>
        <CustomRolesEditor organizationId={organizationId} policy={policy.data} onChange={organization.reload} />
      </Section>
    </>
  );
}

const SETTING_CHOICES = {
  email_jit_provisioning: ['RESTRICTED', 'NOT_ALLOWED'],
  email_invites: ['ALL_ALLOWED', 'RESTRICTED', 'NOT_ALLOWED'],
  sso_jit_provisioning: ['ALL_ALLOWED', 'RESTRICTED', 'NOT_ALLOWED'],
  mfa_policy: ['OPTIONAL', 'REQUIRED_FOR_ALL'],
} as const;
type SettingName = keyof typeof SETTING_CHOICES;

function SettingsForm({ organization, onSave }: { organization: Organization; onSave: (body: Record<string, unknown>) => Promise<void> }) {
  const [name, setName] = useState(organization.organization_name);
  const [slug, setSlug] = useState(organization.organization_slug);
  const [domains, setDomains] = useState(organization.email_allowed_domains.join(', '));
  const [settings, setSettings] = useState<Record<SettingName, string>>(() => ({
    email_jit_provisioning: organization.email_jit_provisioning,
    email_invites: organization.email_invites,
    sso_jit_provisioning: organization.sso_jit_provisioning,
    mfa_policy: organization.mfa_policy,
  }));
  const [status, setStatus] = useState<string>();
  const save = useAction(async () => {
    setStatus(undefined);
    const allowed = domains.split(/[\s,]+/).filter(Boolean);
    await onSave({ organization_name: name, organization_slug: slug, email_allowed_domains: allowed, ...settings });
    setStatus('Settings saved.');
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };
  const nameError = fieldError(save.error, NAME_ERRORS);
  const slugError = fieldError(save.error, SLUG_ERRORS);
  return (
    <form onSubmit={submit}>
      <dl className="facts">
        <dt>Organization ID</dt>
        <dd>
          <code>{organization.organization_id}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(organization.created_at)}</dd>
      </dl>
      <div className="form-row">
        <TextField label="Name" required value={name} error={nameError} onChange={(event) => setName(event.target.value)} />
        <TextField label="Slug" required value={slug} error={slugError} onChange={(event) => setSlug(event.target.value)} />
        <TextField label="Allowed email domains" hint="Separated by commas or spaces." value={domains} onChange={(event) => setDomains(event.target.value)} />
        {(Object.keys(SETTING_CHOICES) as SettingName[]).map((setting) => (
          <SelectField key={setting} label={setting} value={settings[setting]} onChange={(event) => setSettings({ ...settings, [setting]: event.target.value })}>
            {SETTING_CHOICES[setting].map((choice) => (
              <option key={choice}>{choice}</option>
            ))}
          </SelectField>
        ))}
      </div>
      <button type="submit" className="primary" disabled={save.busy}>
        Save settings
      </button>
      {!nameError && !slugError && <ErrorMessage error={save.error} />}
      <Status message={status} />
    </form>
  );
}
