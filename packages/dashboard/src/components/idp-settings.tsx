// What the identity provider gave, set on an SSO connection. SAML: the IdP's entity ID, sign-in URL
// and signing certificate, or its metadata URL (the server fetches it and takes all three from it).
// OIDC: the issuer, the client ID and secret (never shown again), and endpoints that discovery at the
// issuer would otherwise find. Fields left empty are not sent, so they keep what the connection has.
import { useState, type FormEvent } from 'react';
import type { Connection } from './sso-connections.tsx';
import { ErrorMessage, TextArea, TextField, useAction } from './ui.tsx';

const SAML_FIELDS = [
  ['idp_entity_id', 'IdP entity ID'],
  ['idp_sso_url', 'IdP sign-in URL'],
] as const;
const OIDC_FIELDS = [
  ['issuer', 'Issuer'],
  ['client_id', 'Client ID'],
  ['authorization_url', 'Authorization URL'],
  ['token_url', 'Token URL'],
  ['userinfo_url', 'Userinfo URL'],
  ['jwks_url', 'JWKS URL'],
] as const;

export function IdpSettingsForm({ connection, onSave }: {
  connection: Connection;
  /** Sends the body to the connection's update (`suffix` '/url': the SAML metadata URL). */
  onSave: (body: Record<string, string>, suffix?: string) => Promise<void>;
}) {
  const fields = connection.kind === 'saml' ? SAML_FIELDS : OIDC_FIELDS;
  const wire = connection.wire as unknown as Record<string, string | undefined>;
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(fields.map(([field]) => [field, wire[field] ?? ''])));
  const [secret, setSecret] = useState('');
  const [certificate, setCertificate] = useState('');
  const [metadataUrl, setMetadataUrl] = useState('');
  const save = useAction(async (body: Record<string, string>, suffix?: string) => onSave(body, suffix));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, string> = {};
    for (const [field] of fields) if (values[field]!.trim() !== '' && values[field] !== (wire[field] ?? '')) body[field] = values[field]!.trim();
    if (connection.kind === 'saml' && certificate.trim() !== '') body.x509_certificate = certificate.trim();
    if (connection.kind === 'oidc' && secret !== '') body.client_secret = secret;
    void save.run(body);
  };
  const loadMetadata = (event: FormEvent) => {
    event.preventDefault();
    void save.run({ metadata_url: metadataUrl.trim() }, '/url');
  };
  return (
    <>
      <form onSubmit={submit} aria-label={`Identity provider settings of ${connection.wire.display_name || connection.wire.connection_id}`}>
        <div className="form-row">
          {fields.map(([field, label]) => (
            <TextField key={field} label={label} autoComplete="off" value={values[field] ?? ''} onChange={(event) => setValues({ ...values, [field]: event.target.value })} />
          ))}
          {connection.kind === 'oidc' && (
            <TextField label="Client secret" type="password" autoComplete="off" hint="Leave empty to keep the stored one" value={secret} onChange={(event) => setSecret(event.target.value)} />
          )}
        </div>
        {connection.kind === 'saml' && (
          <TextArea label="X.509 signing certificate (PEM)" placeholder="-----BEGIN CERTIFICATE-----" value={certificate} onChange={(event) => setCertificate(event.target.value)} />
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.busy}>
            Save settings
          </button>
        </div>
      </form>
      {connection.kind === 'saml' && (
        <form className="toolbar" onSubmit={loadMetadata} aria-label="Load from the IdP's metadata">
          <TextField label="Or the IdP's metadata URL" type="url" required autoComplete="off" value={metadataUrl} onChange={(event) => setMetadataUrl(event.target.value)} />
          <button type="submit" disabled={save.busy}>
            Load metadata
          </button>
        </form>
      )}
      <ErrorMessage error={save.error} />
    </>
  );
}
