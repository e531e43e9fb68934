// The dashboard's admins (/v1/admins): list, create, disable and enable, reset a password. A
// password Gatehouse generates is in one answer only, so it is shown once, here, until dismissed;
// nothing keeps it. The server's refusals (the last active admin) show in the admin's row.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ConfirmDialog } from '../components/dialog.tsx';
import { ErrorMessage, Loading, PageHeader, Status, Table, TableHead, TextField, formatTime, useAction, useAsync } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

interface AdminRecord {
  admin_id: string;
  email: string;
  created_at: string;
  disabled_at: string | null;
}

interface ShownPassword {
  email: string;
  password: string;
  reason: 'created' | 'reset';
}

export function AdminsPage({ session }: PageProps) {
  const admins = useAsync(() => api.get<{ admins: AdminRecord[] }>('/v1/admins').then((body) => body.admins), []);
  const [shown, setShown] = useState<ShownPassword>();
  const [status, setStatus] = useState<string>();
  const [resetting, setResetting] = useState<AdminRecord>();
  /** The row whose change failed, so its error shows there. */
  const [failed, setFailed] = useState<string>();

  const toggle = useAction(async (admin: AdminRecord) => {
    setFailed(admin.admin_id);
    setStatus(undefined);
    const disable = admin.disabled_at === null;
    await api.post(`/v1/admins/${disable ? 'disable' : 'enable'}`, { email: admin.email });
    await admins.reload();
    setFailed(undefined);
    setStatus(`${admin.email} ${disable ? 'disabled: its sessions have ended' : 'enabled'}.`);
  });
  const reset = useAction(async (admin: AdminRecord) => {
    setStatus(undefined);
    const body = await api.post<{ password: string }>('/v1/admins/reset_password', { email: admin.email });
    setResetting(undefined);
    setShown({ email: admin.email, password: body.password, reason: 'reset' });
  });

  return (
    <>
      <PageHeader title="Admins" />
      <p className="muted">
        Admins sign in to this dashboard and can reach every project. Disabling one or resetting its password ends its sessions; the last active admin
        cannot be disabled. These changes are in the audit log (<code>admin.*</code>).
      </p>
      {shown && <OneTimePassword shown={shown} onDone={() => setShown(undefined)} />}
      <ErrorMessage error={admins.error} />
      {!admins.data ? (
        admins.loading && <Loading />
      ) : (
        <Table caption="Admins">
          <TableHead columns={['Email', 'Created', 'Status']} actions />
          <tbody>
            {admins.data.map((admin) => {
              const you = admin.admin_id === session.admin.admin_id;
              const error = failed === admin.admin_id ? toggle.error : undefined;
              return (
                <tr key={admin.admin_id}>
                  <td>
                    {admin.email} {you && <span className="tag">you</span>}
                  </td>
                  <td>{formatTime(admin.created_at)}</td>
                  <td>{admin.disabled_at === null ? 'Active' : `Disabled ${formatTime(admin.disabled_at)}`}</td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        className={admin.disabled_at === null ? 'danger' : undefined}
                        disabled={toggle.busy}
                        aria-label={`${admin.disabled_at === null ? 'Disable' : 'Enable'} ${admin.email}`}
                        onClick={() => void toggle.run(admin)}
                      >
                        {admin.disabled_at === null ? 'Disable' : 'Enable'}
                      </button>
                      <button type="button" aria-label={`Reset password of ${admin.email}`} onClick={() => setResetting(admin)}>
                        Reset password
                      </button>
                    </div>
                    <ErrorMessage error={error} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
      <Status message={status} />
      <NewAdminForm
        onCreated={(created) => {
          setStatus(undefined);
          setShown(created);
          void admins.reload();
        }}
      />
      <ConfirmDialog
        open={resetting !== undefined}
        title={`Reset the password of ${resetting?.email ?? ''}?`}
        confirmLabel="Reset password"
        danger
        busy={reset.busy}
        onConfirm={() => resetting && void reset.run(resetting)}
        onClose={() => {
          setResetting(undefined);
          reset.clearError();
        }}
      >
        <p>A new password is generated and shown once. The admin's sessions end{resetting?.admin_id === session.admin.admin_id ? ', yours included' : ''}.</p>
        <ErrorMessage error={reset.error} />
      </ConfirmDialog>
    </>
  );
}

function NewAdminForm({ onCreated }: { onCreated: (shown: ShownPassword) => void }) {
  const [email, setEmail] = useState('');
  const create = useAction(async () => {
    const body = await api.post<{ admin: AdminRecord; password: string }>('/v1/admins', { email });
    setEmail('');
    onCreated({ email: body.admin.email, password: body.password, reason: 'created' });
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <section className="panel" aria-labelledby="new-admin">
      <h2 id="new-admin">New admin</h2>
      <form onSubmit={submit}>
        <TextField label="Email" type="email" required autoComplete="off" value={email} onChange={(event) => setEmail(event.target.value)} />
        <button type="submit" className="primary" disabled={create.busy}>
          Create admin
        </button>
        <ErrorMessage error={create.error} />
      </form>
    </section>
  );
}

/** The generated password, once: focused when it appears, gone when dismissed or the page is left. */
function OneTimePassword({ shown, onDone }: { shown: ShownPassword; onDone: () => void }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), [shown]);
  return (
    <section ref={ref} className="panel review one-time-password" tabIndex={-1} aria-labelledby="one-time-password">
      <h2 id="one-time-password">{shown.reason === 'created' ? `Admin ${shown.email} created` : `New password for ${shown.email}`}</h2>
      <p>
        Password: <code data-testid="one-time-password">{shown.password}</code>
      </p>
      <p>
        <strong>Copy it now and give it to {shown.email} safely: it is shown only this once.</strong> Gatehouse keeps only its hash; if it is lost, reset the
        password again.
      </p>
      <button type="button" onClick={onDone}>
        Done, hide it
      </button>
    </section>
  );
}
