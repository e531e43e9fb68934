// The documents app. Buttons are enabled by the user's permissions (a hint for the user); the backend
// enforces the same permissions on every call.
import { isGatehouseError } from '@gatehouse/js';
import { useGatehouse, useGatehouseState, useIsAuthorized, usePermissions, useUser } from '@gatehouse/react';
import { useCallback, useEffect, useState, type FormEvent } from 'react';

interface DocSummary {
  id: number;
  title: string;
  updated_at: string;
}

export function App() {
  const { status } = useGatehouseState();
  if (status === 'loading') return <p className="muted">Loading…</p>;
  return status === 'signed_in' ? <Documents /> : <SignIn />;
}

function SignIn() {
  const client = useGatehouse();
  const [error, setError] = useState('');
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError('');
    try {
      await client.passwords.authenticate({ email: String(form.get('email')), password: String(form.get('password')) });
    } catch (caught) {
      setError(isGatehouseError(caught) ? caught.error_message : String(caught));
    }
  };
  return (
    <form onSubmit={onSubmit}>
      <h1>Documents</h1>
      <label>Email <input name="email" type="email" defaultValue="ada@example.com" data-testid="email" /></label>
      <label>Password <input name="password" type="password" data-testid="password" /></label>
      <button type="submit" data-testid="sign-in">Sign in</button>
      {error && <p role="alert" data-testid="sign-in-error">{error}</p>}
      <p className="muted">Demo users: ada@example.com (editor), bob@example.com (viewer), carol@example.com (admin).</p>
    </form>
  );
}

function Documents() {
  const client = useGatehouse();
  const user = useUser();
  const permissions = usePermissions();
  const canCreate = useIsAuthorized('documents', 'create');
  const canWrite = useIsAuthorized('documents', 'write');
  const canDelete = useIsAuthorized('documents', 'delete');
  const canDownload = useIsAuthorized('documents', 'download');
  const [documents, setDocuments] = useState<DocSummary[]>([]);
  const [message, setMessage] = useState('');

  const call = useCallback(async (method: string, path: string, body?: unknown) => {
    const response = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const json = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
    if (!response.ok) throw new Error(`${response.status} ${(json as { error_message?: string }).error_message ?? ''}`);
    return json;
  }, []);
  const load = useCallback(async () => {
    try {
      setDocuments(((await call('GET', '/api/documents')) as { documents: DocSummary[] }).documents);
    } catch (error) {
      setMessage(String(error));
    }
  }, [call]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = (run: () => Promise<unknown>) => async () => {
    setMessage('');
    try {
      await run();
      await load();
    } catch (error) {
      setMessage(String(error));
    }
  };
  const first = documents[0];

  return (
    <main>
      <h1>Documents</h1>
      <p>
        Signed in as <b data-testid="user-email">{user?.emails?.[0]?.email}</b> — roles{' '}
        <span data-testid="roles">{(user?.roles ?? []).join(', ')}</span>{' '}
        <button onClick={() => void client.session.revoke()} data-testid="sign-out">Sign out</button>
      </p>
      <p>
        <button disabled={!canCreate.isAuthorized} data-testid="create" onClick={act(() => call('POST', '/api/documents', { title: `Note ${new Date().toLocaleTimeString()}` }))}>
          New document
        </button>
        <button disabled={!canWrite.isAuthorized || !first} data-testid="edit" onClick={act(() => call('PUT', `/api/documents/${first!.id}`, { title: `${first!.title} (edited)` }))}>
          Edit first
        </button>
        <button disabled={!canDelete.isAuthorized || !first} data-testid="delete" onClick={act(() => call('DELETE', `/api/documents/${first!.id}`))}>
          Delete first
        </button>
      </p>
      {message && <p role="alert" data-testid="message">{message}</p>}
      <ul>
        {documents.map((doc) => (
          <li key={doc.id}>
            {doc.title}{' '}
            {canDownload.isAuthorized ? <a href={`/api/documents/${doc.id}/download`}>download</a> : <span className="muted">(no download)</span>}
          </li>
        ))}
      </ul>
      <details>
        <summary>All permissions</summary>
        <pre data-testid="permissions">{JSON.stringify(permissions, null, 2)}</pre>
      </details>
    </main>
  );
}
