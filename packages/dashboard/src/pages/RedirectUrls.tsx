// The project's registered redirect URLs (/v1/project/redirect_urls): where magic links, invites,
// password resets and SSO sign-ins may send their tokens. Register a URL for some types, make it a
// type's default, remove it. The server checks every URL; its refusals show by the form or row.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { RemovableList, useRemovableList } from '../components/removable-list.tsx';
import { ErrorMessage, PageHeader, TextField, formatTime, useAction } from '../components/ui.tsx';

const TYPES = ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'] as const;
type RedirectUrlType = (typeof TYPES)[number];

interface RedirectUrl {
  url: string;
  valid_types: { type: RedirectUrlType; is_default: boolean }[];
  created_at: string;
}

const typeName = (type: RedirectUrlType) => type.toLowerCase().replace('_', ' ');

export function RedirectUrlsPage() {
  const { list, status, setStatus } = useRemovableList(() => api.get<{ redirect_urls: RedirectUrl[] }>('/v1/project/redirect_urls').then((body) => body.redirect_urls));
  /** The row whose change failed, so its error shows there. */
  const [failed, setFailed] = useState<string>();

  const makeDefault = useAction(async (entry: RedirectUrl, type: RedirectUrlType) => {
    setFailed(entry.url);
    setStatus(undefined);
    const validTypes = entry.valid_types.map((t) => ({ type: t.type, is_default: t.is_default || t.type === type }));
    await api.put('/v1/project/redirect_urls', { valid_types: validTypes }, { url: entry.url });
    await list.reload();
    setFailed(undefined);
    setStatus(`${entry.url} is now the default ${typeName(type)} URL.`);
  });

  return (
    <>
      <PageHeader title="Redirect URLs" />
      <p className="muted">
        A magic link, invite, password reset or SSO sign-in delivers its token only to a URL registered here for its type. A URL a request names must be
        exactly one of these (scheme and host case aside); a request that names none uses the type's default. Changes are in the audit log (
        <code>redirect_url.*</code>).
      </p>
      <RemovableList
        list={list}
        status={status}
        setStatus={setStatus}
        caption="Redirect URLs"
        columns={['URL', 'Types', 'Registered']}
        keyOf={(entry) => entry.url}
        nameOf={(entry) => entry.url}
        empty="No redirect URLs yet: links and SSO sign-ins are refused until one is registered."
        remove={(entry) => api.delete('/v1/project/redirect_urls', { url: entry.url })}
        removeWarning="Links and sign-ins that name this URL are refused from now on. A type whose default it was takes the oldest URL left for it."
        cells={(entry) => (
          <>
            <td>
              <code>{entry.url}</code>
              <ErrorMessage error={failed === entry.url ? makeDefault.error : undefined} />
            </td>
            <td>
              <ul className="plain">
                {entry.valid_types.map((t) => (
                  <li key={t.type}>
                    {typeName(t.type)}{' '}
                    {t.is_default ? (
                      <span className="tag">default</span>
                    ) : (
                      <button type="button" disabled={makeDefault.busy} aria-label={`Make ${entry.url} the default ${typeName(t.type)} URL`} onClick={() => void makeDefault.run(entry, t.type)}>
                        Make default
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </td>
            <td>{formatTime(entry.created_at)}</td>
          </>
        )}
      >
        <NewRedirectUrlForm
          onCreated={(entry) => {
            setStatus(`${entry.url} registered.`);
            void list.reload();
          }}
        />
      </RemovableList>
    </>
  );
}

function NewRedirectUrlForm({ onCreated }: { onCreated: (entry: RedirectUrl) => void }) {
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<Set<RedirectUrlType>>(new Set(TYPES));
  const [asDefault, setAsDefault] = useState(false);
  const create = useAction(async () => {
    const validTypes = TYPES.filter((type) => types.has(type)).map((type) => ({ type, is_default: asDefault }));
    const body = await api.post<{ redirect_url: RedirectUrl }>('/v1/project/redirect_urls', { url, valid_types: validTypes });
    setUrl('');
    onCreated(body.redirect_url);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  const toggle = (type: RedirectUrlType, on: boolean) => {
    const next = new Set(types);
    if (on) next.add(type);
    else next.delete(type);
    setTypes(next);
  };
  return (
    <section className="panel" aria-labelledby="new-redirect-url">
      <h2 id="new-redirect-url">Register a redirect URL</h2>
      <form onSubmit={submit}>
        <TextField label="URL" hint="https://app.example.com/authenticate, or an app's own scheme (myapp://auth)" required autoComplete="off" value={url} onChange={(event) => setUrl(event.target.value)} />
        <fieldset className="choices">
          <legend>Types</legend>
          <div className="checks">
            {TYPES.map((type) => (
              <label key={type} className="check">
                <input type="checkbox" checked={types.has(type)} onChange={(event) => toggle(type, event.target.checked)} />
                {typeName(type)}
              </label>
            ))}
          </div>
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={asDefault} onChange={(event) => setAsDefault(event.target.checked)} />
          Make it the default for these types
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.busy}>
            Register URL
          </button>
        </div>
        <ErrorMessage error={create.error} />
      </form>
    </section>
  );
}
