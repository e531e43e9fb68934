// A user's or member's live sessions, each with a revoke button. The two APIs name the id
// differently (session_id, member_session_id); the pages map their sessions to SessionRow.
import { useState } from 'react';
import { DangerButton, ErrorMessage, Loading, Status, Table, TableHead, formatTime, useAction, useAsync } from './ui.tsx';

export interface SessionRow {
  id: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  authentication_factors: { type?: string; delivery_method?: string }[];
}

export function SessionsList({ load, revoke }: { load: () => Promise<SessionRow[]>; revoke: (id: string) => Promise<unknown> }) {
  const sessions = useAsync(load, []);
  const [status, setStatus] = useState<string>();
  const revoking = useAction(async (id: string) => {
    setStatus(undefined);
    await revoke(id);
    await sessions.reload();
    setStatus('Session revoked.');
  });

  if (sessions.error) return <ErrorMessage error={sessions.error} />;
  if (!sessions.data) return <Loading />;
  return (
    <>
      {sessions.data.length === 0 ? (
        <p className="muted">No live sessions.</p>
      ) : (
        <Table caption="Sessions">
          <TableHead columns={['Session', 'Factors', 'Started', 'Last used', 'Expires']} actions />
          <tbody>
            {sessions.data.map((session) => (
              <tr key={session.id}>
                <td>
                  <code>{session.id}</code>
                </td>
                <td>{session.authentication_factors.map((factor) => factor.delivery_method ?? factor.type).join(', ') || '—'}</td>
                <td>{formatTime(session.started_at)}</td>
                <td>{formatTime(session.last_accessed_at)}</td>
                <td>{formatTime(session.expires_at)}</td>
                <td>
                  <DangerButton label={`Revoke session ${session.id}`} busy={revoking.busy} onClick={() => revoking.run(session.id)}>
                    Revoke
                  </DangerButton>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <ErrorMessage error={revoking.error} />
      <Status message={status} />
    </>
  );
}
