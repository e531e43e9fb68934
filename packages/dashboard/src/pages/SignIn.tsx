import { useState, type FormEvent } from 'react';
import { signIn, type DashboardSession } from '../api.ts';
import { ErrorMessage, TextField, useAction } from '../components/ui.tsx';

export function SignInPage({ onSignedIn }: { onSignedIn: (session: DashboardSession) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(signIn);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const session = await action.run(email, password);
    if (session) onSignedIn(session);
  };
  return (
    <main className="sign-in" id="main">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Gatehouse</h1>
        <p className="muted">Admin accounts are made on first start and by <code>gatehouse admin create</code>.</p>
        <TextField label="Email" type="email" autoComplete="username" required autoFocus value={email} onChange={(event) => setEmail(event.target.value)} />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        <ErrorMessage error={action.error} />
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
