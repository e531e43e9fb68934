// The project's OAuth providers (/v1/project/oauth_providers): Google, Microsoft and GitHub sign-in.
// Set a provider's client id and secret (the secret is sealed by the server and never shown again),
// optional extra scopes and endpoint overrides; remove one. The redirect URI to register at the
// provider is shown for each.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { RemovableList, useRemovableList } from '../components/removable-list.tsx';
import { ErrorMessage, PageHeader, SelectField, TextField, formatTime, useAction } from '../components/ui.tsx';

const PROVIDERS = ['google', 'microsoft', 'github'] as const;
const NAMES: Record<string, string> = { google: 'Google', microsoft: 'Microsoft', github: 'GitHub' };
const ENDPOINTS = [
  ['authorization_url', 'Authorization URL'],
  ['token_url', 'Token URL'],
  ['userinfo_url', 'Userinfo URL (GitHub: the API’s /user)'],
  ['jwks_url', 'JWKS URL'],
  ['issuer', 'Issuer'],
] as const;

interface OAuthProvider {
  provider: string;
  client_id: string;
  redirect_uri: string;
  custom_scopes: string;
  overridden: string[];
  updated_at: string;
}

export function OAuthProvidersPage() {
  const { list, status, setStatus } = useRemovableList(() => api.get<{ oauth_providers: OAuthProvider[] }>('/v1/project/oauth_providers').then((body) => body.oauth_providers));
  return (
    <>
      <PageHeader title="OAuth providers" />
      <p className="muted">
        Sign-in with Google, Microsoft and GitHub. Register the redirect URI shown here at the provider. An existing account is signed in by its email
        address only when the provider says the address is verified. Changes are in the audit log (<code>oauth_provider.*</code>).
      </p>
      <RemovableList
        list={list}
        status={status}
        setStatus={setStatus}
        caption="OAuth providers"
        columns={['Provider', 'Client id', 'Redirect URI', 'Overrides', 'Updated']}
        keyOf={(entry) => entry.provider}
        nameOf={(entry) => NAMES[entry.provider] ?? entry.provider}
        empty="No OAuth providers yet: OAuth sign-ins are refused until one is set."
        remove={(entry) => api.delete(`/v1/project/oauth_providers/${entry.provider}`)}
        removeWarning="Sign-ins through this provider are refused from now on. Accounts keep their registrations and sign in again once it is set."
        cells={(entry) => (
          <>
            <td>{NAMES[entry.provider]}</td>
            <td>
              <code>{entry.client_id}</code>
            </td>
            <td>
              <code>{entry.redirect_uri}</code>
            </td>
            <td>{entry.overridden.length ? entry.overridden.join(', ') : 'none'}</td>
            <td>{formatTime(entry.updated_at)}</td>
          </>
        )}
      >
        <ProviderForm
          onSaved={(entry) => {
            setStatus(`${NAMES[entry.provider]} saved.`);
            void list.reload();
          }}
        />
      </RemovableList>
    </>
  );
}

function ProviderForm({ onSaved }: { onSaved: (entry: OAuthProvider) => void }) {
  const [provider, setProvider] = useState<string>('google');
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [scopes, setScopes] = useState('');
  const [endpoints, setEndpoints] = useState<Record<string, string>>({});
  const save = useAction(async () => {
    const body: Record<string, unknown> = { client_id: clientId, custom_scopes: scopes };
    if (secret !== '') body.client_secret = secret;
    for (const [field] of ENDPOINTS) if (endpoints[field]) body[field] = endpoints[field];
    const saved = await api.put<{ oauth_provider: OAuthProvider }>(`/v1/project/oauth_providers/${provider}`, body);
    setSecret('');
    onSaved(saved.oauth_provider);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };
  return (
    <section className="panel" aria-labelledby="set-oauth-provider">
      <h2 id="set-oauth-provider">Set a provider</h2>
      <form onSubmit={submit}>
        <SelectField label="Provider" value={provider} onChange={(event) => setProvider(event.target.value)}>
          {PROVIDERS.map((name) => (
            <option key={name} value={name}>
              {NAMES[name]}
            </option>
          ))}
        </SelectField>
        <TextField label="Client id" required autoComplete="off" value={clientId} onChange={(event) => setClientId(event.target.value)} />
        <TextField label="Client secret" type="password" hint="Required the first time; leave empty to keep the stored one" autoComplete="off" value={secret} onChange={(event) => setSecret(event.target.value)} />
        <TextField label="Extra scopes" hint="Space separated, added to the preset's" autoComplete="off" value={scopes} onChange={(event) => setScopes(event.target.value)} />
        <details>
          <summary>Endpoint overrides (leave empty for the provider's own)</summary>
          {ENDPOINTS.map(([field, label]) => (
            <TextField key={field} label={label} autoComplete="off" value={endpoints[field] ?? ''} onChange={(event) => setEndpoints({ ...endpoints, [field]: event.target.value })} />
          ))}
        </details>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.busy}>
            Save provider
          </button>
        </div>
        <ErrorMessage error={save.error} />
      </form>
    </section>
  );
}
