// The dev mail outbox: with no SMTP server configured, the messages Gatehouse would have sent (magic
// links, invites, password resets) are kept here, newest first, each with its link to follow.
// The HTML body is not rendered: the plain-text body says the same without running anyone's markup.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { showSearch } from '../components/search.tsx';
import { ErrorMessage, Loading, PageHeader, Table, TableHead, TextField, formatTime, useAsync } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

interface OutboxMessage {
  message_id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  kind: string;
  link: string | null;
  created_at: string;
}

const LIMIT = 200;

export function OutboxPage({ query }: PageProps) {
  const to = query.get('to') ?? '';
  const outbox = useAsync(() => api.get<{ transport: 'smtp' | 'outbox'; messages: OutboxMessage[] }>('/v1/project/outbox', { to, limit: LIMIT }), [to]);

  return (
    <>
      <PageHeader title="Outbox">
        <button type="button" onClick={outbox.reload} disabled={outbox.loading}>
          Refresh
        </button>
      </PageHeader>
      <RecipientFilter key={to} to={to} />
      <ErrorMessage error={outbox.error} />
      {!outbox.data ? (
        outbox.loading && <Loading />
      ) : (
        <>
          {outbox.data.transport === 'smtp' && <p className="muted">Mail goes out over SMTP on this server; the outbox keeps only what was sent before that.</p>}
          <p className="muted" role="status">
            {outbox.data.messages.length === 0
              ? 'No messages.'
              : `${outbox.data.messages.length} message${outbox.data.messages.length === 1 ? '' : 's'}${outbox.data.messages.length === LIMIT ? ' (the newest)' : ''}`}
          </p>
          {outbox.data.messages.length > 0 && (
            <Table caption="Messages">
              <TableHead columns={['Sent', 'To', 'Kind', 'Subject and text', 'Link']} />
              <tbody>
                {outbox.data.messages.map((message) => (
                  <tr key={message.message_id}>
                    <td>{formatTime(message.created_at)}</td>
                    <td>{message.to}</td>
                    <td>
                      <span className="tag">{message.kind}</span>
                    </td>
                    <td>
                      <details>
                        <summary>{message.subject}</summary>
                        <pre className="message-text">{message.text}</pre>
                      </details>
                    </td>
                    <td className="link-cell">
                      {message.link ? (
                        <a href={message.link} target="_blank" rel="noreferrer noopener">
                          {message.link}
                        </a>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </>
      )}
    </>
  );
}

function RecipientFilter(props: { to: string }) {
  const [to, setTo] = useState(props.to);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showSearch('/outbox', { to });
  };
  return (
    <form className="toolbar" role="search" aria-label="Outbox" onSubmit={submit}>
      <TextField label="Recipient" type="search" placeholder="ann@example.com" value={to} onChange={(event) => setTo(event.target.value)} />
      <button type="submit" className="primary">
        Filter
      </button>
    </form>
  );
}
