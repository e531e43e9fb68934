// Adding and removing people: a new user or member made at once, or invited by email (a magic link
// to the redirect URL registered for invites); on a person's page, a password reset sent by email
// and deletion behind a confirmation. Each is one call to the same /v1 API a backend makes.
import { useState, type FormEvent, type ReactNode } from 'react';
import { ConfirmDialog } from './dialog.tsx';
import { DangerButton, ErrorMessage, Status, TextField, useAction } from './ui.tsx';
import { Link, navigate } from '../router.tsx';

export interface NewPerson {
  email: string;
  name: string;
}

/**
 * The fields of a new person and two ways to add them: made now (`create`) or sent an invite
 * (`invite`); each answers the path of the new person's page. `extra` is more fields (the organization).
 */
export function NewPersonForm({ noun, create, invite, extra, ready = true }: {
  noun: 'user' | 'member';
  create: (person: NewPerson) => Promise<string>;
  invite: (person: NewPerson) => Promise<string>;
  extra?: ReactNode;
  /** False while `extra` is incomplete. */
  ready?: boolean;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const add = useAction(async (how: 'create' | 'invite') => navigate(await (how === 'create' ? create : invite)({ email: email.trim(), name: name.trim() })));
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    void add.run(submitter?.value === 'invite' ? 'invite' : 'create');
  };
  return (
    <form onSubmit={submit} aria-label={`New ${noun}`}>
      {extra}
      <div className="form-row">
        <TextField label="Email" type="email" required autoComplete="off" value={email} onChange={(event) => setEmail(event.target.value)} />
        <TextField label="Name" autoComplete="off" hint="Optional" value={name} onChange={(event) => setName(event.target.value)} />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" value="create" disabled={add.busy || !ready}>
          Create {noun}
        </button>
        <button type="submit" value="invite" disabled={add.busy || !ready}>
          Invite by email
        </button>
      </div>
      <p className="muted">
        An invite emails a sign-in link to the <Link to="/redirect-urls">redirect URL</Link> registered for invites; the {noun} is pending until they
        follow it. Messages show in the <Link to="/outbox">outbox</Link> when no SMTP server is set.
      </p>
      <ErrorMessage error={add.error} />
    </form>
  );
}

/** A person page's account actions: send a password reset email, delete (confirmed). */
export function AccountActions({ noun, email, sendReset, remove, afterRemove }: {
  noun: 'user' | 'member';
  email: string;
  sendReset: () => Promise<unknown>;
  remove: () => Promise<unknown>;
  /** Where to go once deleted. */
  afterRemove: string;
}) {
  const [status, setStatus] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const reset = useAction(async () => {
    setStatus(undefined);
    await sendReset();
    setStatus(`A password reset email was sent to ${email}.`);
  });
  const deletion = useAction(async () => {
    await remove();
    setConfirming(false);
    navigate(afterRemove);
  });
  return (
    <>
      <div className="form-actions">
        <button type="button" disabled={reset.busy || !email} onClick={() => void reset.run()}>
          Send password reset
        </button>
        <DangerButton onClick={() => setConfirming(true)}>Delete {noun}</DangerButton>
      </div>
      <ErrorMessage error={reset.error} />
      <Status message={status} />
      <ConfirmDialog
        open={confirming}
        title={`Delete ${email}?`}
        confirmLabel={`Delete ${noun}`}
        danger
        busy={deletion.busy}
        onConfirm={() => void deletion.run()}
        onClose={() => {
          setConfirming(false);
          deletion.clearError();
        }}
      >
        <p>
          The {noun}, their sessions and their role assignments are deleted; they cannot sign in again. The audit log keeps the record of what they did.
        </p>
        <ErrorMessage error={deletion.error} />
      </ConfirmDialog>
    </>
  );
}
