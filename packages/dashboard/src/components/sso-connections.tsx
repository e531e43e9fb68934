// An organization's SSO connections: create a SAML or OIDC connection, see what to give the IdP, set
// what the IdP gave (SAML: entity ID, sign-in URL, certificate, or its metadata URL; OIDC: issuer,
// client, endpoints), edit each connection's role rules (everyone signing in through it; members in an
// IdP group), and delete a connection.
import { Fragment, useState, type FormEvent } from 'react';
import type { Role } from '@gatehouse/policy';
import { api } from '../api.ts';
import { ConfirmDialog } from './dialog.tsx';
import { Disclosure } from './disclosure.tsx';
import { IdpSettingsForm } from './idp-settings.tsx';
import { RoleRulesEditor } from './role-rules-editor.tsx';
import { DangerButton, ErrorMessage, Loading, SelectField, Status, TextField, useAction, useAsync } from './ui.tsx';

export type Kind = 'saml' | 'oidc';
type ConnectionRules = { role_id: string }[];
type GroupRules = { role_id: string; group: string }[];

export interface WireConnection {
  connection_id: string;
  display_name: string;
  status: string;
  identity_provider: string;
  // SAML
  acs_url?: string;
  audience_uri?: string;
  idp_entity_id?: string;
  idp_sso_url?: string;
  saml_connection_implicit_role_assignments?: ConnectionRules;
  saml_group_implicit_role_assignments?: GroupRules;
  // OIDC
  redirect_url?: string;
  issuer?: string;
  client_id?: string;
  client_secret?: string;
  authorization_url?: string;
  token_url?: string;
  userinfo_url?: string;
  jwks_url?: string;
  oidc_connection_implicit_role_assignments?: ConnectionRules;
  oidc_group_implicit_role_assignments?: GroupRules;
}

export interface Connection {
  kind: Kind;
  wire: WireConnection;
  connectionRules: ConnectionRules;
  groupRules: GroupRules;
}

/** Stytch's identity_provider values. */
const IDENTITY_PROVIDERS = ['generic', 'okta', 'microsoft-entra', 'google-workspace', 'onelogin', 'jumpcloud', 'pingfederate', 'keycloak', 'duo', 'cyberark', 'rippling', 'shibboleth'];

export function SsoConnections({ organizationId, roles }: { organizationId: string; roles: readonly Role[] }) {
  const path = encodeURIComponent(organizationId);
  const connections = useAsync(async () => {
    const body = await api.get<{ saml_connections: WireConnection[]; oidc_connections: WireConnection[] }>(`/v1/b2b/sso/${path}`);
    return [
      ...body.saml_connections.map((wire): Connection => ({ kind: 'saml', wire, connectionRules: wire.saml_connection_implicit_role_assignments ?? [], groupRules: wire.saml_group_implicit_role_assignments ?? [] })),
      ...body.oidc_connections.map((wire): Connection => ({ kind: 'oidc', wire, connectionRules: wire.oidc_connection_implicit_role_assignments ?? [], groupRules: wire.oidc_group_implicit_role_assignments ?? [] })),
    ];
  }, [organizationId]);

  const update = async (connection: Connection, body: Record<string, unknown>, suffix = '') => {
    await api.put(`/v1/b2b/sso/${connection.kind}/${path}/connections/${encodeURIComponent(connection.wire.connection_id)}${suffix}`, body);
    await connections.reload();
  };
  const [status, setStatus] = useState<string>();
  const [deleting, setDeleting] = useState<Connection>();
  const nameOf = (connection: Connection) => connection.wire.display_name || connection.wire.connection_id;
  const deletion = useAction(async (connection: Connection) => {
    await api.delete(`/v1/b2b/sso/${path}/connections/${encodeURIComponent(connection.wire.connection_id)}`);
    await connections.reload();
    setDeleting(undefined);
    setStatus(`Deleted ${nameOf(connection)}.`);
  });

  return (
    <>
      <Disclosure label="New SSO connection">
        {(close) => (
          <NewConnectionForm
            organizationId={organizationId}
            onCreated={() => {
              close();
              void connections.reload();
            }}
          />
        )}
      </Disclosure>
      <ErrorMessage error={connections.error} />
      {!connections.data ? (
        connections.loading && <Loading />
      ) : connections.data.length === 0 ? (
        <p className="muted">No SSO connections.</p>
      ) : (
        connections.data.map((connection) => (
          <article key={connection.wire.connection_id} className="card" aria-label={`Connection ${connection.wire.display_name || connection.wire.connection_id}`}>
            <header className="role-header">
              <h3>
                {nameOf(connection)} <span className="tag">{connection.kind.toUpperCase()}</span> <span className="tag">{connection.wire.status}</span>
              </h3>
              <DangerButton label={`Delete connection ${nameOf(connection)}`} onClick={() => setDeleting(connection)}>
                Delete connection
              </DangerButton>
            </header>
            <ConnectionFacts connection={connection} />
            <Disclosure label="Identity provider settings">
              {(close) => (
                <IdpSettingsForm
                  connection={connection}
                  onSave={async (body, suffix) => {
                    await update(connection, body, suffix);
                    setStatus(`Saved the identity provider settings of ${nameOf(connection)}.`);
                    close();
                  }}
                />
              )}
            </Disclosure>
            <RoleRulesEditor
              title="Connection role rules"
              rules={connection.connectionRules}
              roles={roles}
              onSave={(rules) => update(connection, { [`${connection.kind}_connection_implicit_role_assignments`]: rules })}
            />
            <RoleRulesEditor
              title="Group role rules"
              condition={{ field: 'group', label: 'IdP group', placeholder: 'engineering' }}
              rules={connection.groupRules}
              roles={roles}
              onSave={(rules) => update(connection, { [`${connection.kind}_group_implicit_role_assignments`]: rules })}
            />
          </article>
        ))
      )}
      <Status message={status} />
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete ${deleting ? nameOf(deleting) : ''}?`}
        confirmLabel="Delete connection"
        danger
        busy={deletion.busy}
        onConfirm={() => deleting && void deletion.run(deleting)}
        onClose={() => {
          setDeleting(undefined);
          deletion.clearError();
        }}
      >
        <p>Sign-ins through this connection are refused from now on, and its role rules go with it. Members keep their accounts.</p>
        <ErrorMessage error={deletion.error} />
      </ConfirmDialog>
    </>
  );
}

/** What the IdP needs (ACS URL and audience, or the redirect URL) and what the connection holds. */
function ConnectionFacts({ connection }: { connection: Connection }) {
  const { wire } = connection;
  const facts: [string, string | undefined][] =
    connection.kind === 'saml'
      ? [['ACS URL', wire.acs_url], ['Audience URI', wire.audience_uri], ['IdP entity ID', wire.idp_entity_id], ['IdP sign-in URL', wire.idp_sso_url]]
      : [['Redirect URL', wire.redirect_url], ['Issuer', wire.issuer], ['Client ID', wire.client_id], ['Client secret', wire.client_secret]];
  return (
    <dl className="facts">
      <dt>Connection ID</dt>
      <dd>
        <code>{wire.connection_id}</code>
      </dd>
      <dt>Identity provider</dt>
      <dd>{wire.identity_provider}</dd>
      {facts.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value ? <code>{value}</code> : <span className="muted">not set</span>}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

function NewConnectionForm({ organizationId, onCreated }: { organizationId: string; onCreated: () => void }) {
  const [kind, setKind] = useState<Kind>('saml');
  const [displayName, setDisplayName] = useState('');
  const [identityProvider, setIdentityProvider] = useState('generic');
  const create = useAction(async () => {
    await api.post(`/v1/b2b/sso/${kind}/${encodeURIComponent(organizationId)}`, { display_name: displayName, identity_provider: identityProvider });
    onCreated();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <form onSubmit={submit}>
      <SelectField label="Kind" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
        <option value="saml">SAML</option>
        <option value="oidc">OIDC</option>
      </SelectField>
      <TextField label="Display name" required value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
      <SelectField label="Identity provider" value={identityProvider} onChange={(event) => setIdentityProvider(event.target.value)}>
        {IDENTITY_PROVIDERS.map((provider) => (
          <option key={provider}>{provider}</option>
        ))}
      </SelectField>
      <button type="submit" className="primary" disabled={create.busy}>
        Create connection
      </button>
      <ErrorMessage error={create.error} />
    </form>
  );
}
